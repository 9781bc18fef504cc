import json
from urllib.parse import quote

from odoo.tests import tagged

from .common_api import LiveApiCase

EVENTS = "live_messaging/events"


@tagged("post_install", "-at_install")
class TestApiTopics(LiveApiCase):
    """Topics through /live/api/v1: publish, history, subscriptions."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.topic = cls.env["live.topic"].create(
            {
                "name": "shop/123e4567-e89b-12d3-a456-426614174000",
                "subscribe_access": "users",
                "publish_access": "restricted",
                "publish_user_ids": [(6, 0, [cls.user_alice.id])],
                "json_schema": json.dumps(
                    {
                        "type": "object",
                        "required": ["event"],
                        "properties": {
                            "event": {"type": "string"},
                            "items": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "qty": {"type": "integer", "minimum": 1}
                                    },
                                },
                            },
                        },
                    }
                ),
            }
        )

    def url(self, action, topic=None):
        return f"/topics/{(topic or self.topic).name}/{action}"

    def events_pushed(self):
        self.env.cr.precommit.run()
        found = []
        for notif in self.env["bus.bus"].sudo().search([], order="id"):
            message = json.loads(notif.message)
            if message["type"] == EVENTS:
                found.extend(message["payload"]["events"])
        self.env["bus.bus"].sudo().search([]).unlink()
        return found

    def test_publish_then_idempotent_retry(self):
        self.events_pushed()
        headers = {"Idempotency-Key": "checkout-1"}
        payload = {"event": "paid", "items": [{"qty": 2}]}
        response = self.api(
            "POST",
            self.url("publish"),
            self.key_alice,
            json_body=payload,
            headers=headers,
        )
        self.assertEqual(response.status_code, 201, response.text)
        event = response.json()
        self.assertEqual(event["payload"], payload)
        self.assertEqual(event["kind"], "event")
        self.assertEqual(event["topic"], self.topic.name)
        self.assertEqual(event["seq"], 1)
        self.assertEqual(event["author"]["app"], "Checkout app")
        self.assertEqual(event["client_id"], "checkout-1")
        self.assertEqual([e["id"] for e in self.events_pushed()], [event["id"]])
        retry = self.api(
            "POST",
            self.url("publish"),
            self.key_alice,
            json_body=payload,
            headers=headers,
        )
        self.assertEqual(retry.status_code, 200, retry.text)
        self.assertEqual(retry.json()["id"], event["id"])
        self.assertEqual(self.events_pushed(), [])
        self.assertEqual(self.topic.last_seq, 1)
        # without a key, every publish is a new event, numbered without gaps
        for expected_seq in (2, 3):
            response = self.api(
                "POST", self.url("publish"), self.key_alice, json_body={"event": "x"}
            )
            self.assertEqual(response.status_code, 201)
            self.assertEqual(response.json()["seq"], expected_seq)

    def test_topic_names_with_slashes_route(self):
        topic = self.env["live.topic"].create(
            {"name": "shop/42/publish", "publish_access": "users"}
        )
        # the name ends like the route: the route's suffix is taken from the end
        response = self.api(
            "POST", "/topics/shop/42/publish/publish", self.key_bob, json_body={"a": 1}
        )
        self.assertEqual(response.status_code, 201, response.text)
        self.assertEqual(response.json()["topic"], topic.name)
        # percent-encoded slashes work too
        response = self.api(
            "GET", f"/topics/{quote(topic.name, safe='')}/events", self.key_bob
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(len(response.json()["events"]), 1)

    def test_publish_refusals_change_nothing(self):
        self.events_pushed()
        Message = self.env["live.message"]
        before = Message.search_count([("topic_id", "!=", False)])
        cases = [
            # (key, url, body, headers, status, code)
            (self.key_bob, self.url("publish"), {"event": "x"}, {}, 403, "forbidden"),
            (self.key_alice, self.url("publish"), [1, 2], {}, 400, "bad_request"),
            (self.key_alice, self.url("publish"), None, {}, 400, "bad_request"),
            (
                self.key_alice,
                self.url("publish"),
                {"event": "x"},
                {"Idempotency-Key": "not ok!"},
                400,
                "bad_request",
            ),
            (self.key_alice, "/topics/shop/unknown/publish", {"a": 1}, {}, 404, None),
            (self.key_alice, "/topics/bad name/publish", {"a": 1}, {}, 404, None),
            (self.key_alice, "/topics/a//b/publish", {"a": 1}, {}, 404, None),
        ]
        for key, url, body, headers, status, code in cases:
            with self.subTest(url=url, body=body, status=status):
                if body is None:
                    response = self.api("POST", url, key, headers=headers)
                else:
                    response = self.api(
                        "POST", url, key, json_body=body, headers=headers
                    )
                self.assert_api_error(response, status, code)
        self.assertFalse(self.env["live.topic"].search([("name", "=", "shop/unknown")]))
        self.assertEqual(Message.search_count([("topic_id", "!=", False)]), before)
        self.assertEqual(self.events_pushed(), [])

    def test_schema_mismatch_is_422_with_path(self):
        for payload, path in (
            ({"items": []}, ""),
            ({"event": 42}, "/event"),
            ({"event": "paid", "items": [{"qty": 1}, {"qty": 0}]}, "/items/1/qty"),
        ):
            with self.subTest(payload=payload):
                response = self.api(
                    "POST", self.url("publish"), self.key_alice, json_body=payload
                )
                error = self.assert_api_error(response, 422, "schema_mismatch")
                self.assertEqual(error["path"], path)
        self.assertEqual(self.topic.last_seq, 0)

    def test_unknown_topic_created_by_managers_only(self):
        name = "shop/new-one"
        response = self.api(
            "POST", f"/topics/{name}/publish", self.key_alice, json_body={"a": 1}
        )
        self.assert_api_error(response, 404)
        response = self.api(
            "POST", f"/topics/{name}/publish", self.key_manager, json_body={"a": 1}
        )
        self.assertEqual(response.status_code, 201, response.text)
        self.assertTrue(self.env["live.topic"].search([("name", "=", name)]))

    def test_refused_publish_rolls_back_the_new_topic(self):
        """A manager's first publish creates the topic, then the payload is
        refused: the topic must not stay behind."""
        self.env["ir.config_parameter"].sudo().set_param(
            "live_messaging.payload_max_bytes", "20"
        )
        self.env.flush_all()
        name = "shop/too-big"
        response = self.api(
            "POST",
            f"/topics/{name}/publish",
            self.key_manager,
            json_body={"text": "more than twenty bytes"},
        )
        self.assert_api_error(response, 422)
        self.assertFalse(self.env["live.topic"].search([("name", "=", name)]))

    def test_events_history(self):
        events = [
            self.topic.with_user(self.user_alice)._publish({"event": f"e{i}"})
            for i in range(5)
        ]
        self.env.flush_all()
        response = self.api(
            "GET",
            self.url("events"),
            self.key_bob,
            params={"after": events[1].id, "limit": 2},
        )
        self.assertEqual(response.status_code, 200, response.text)
        page = response.json()
        self.assertEqual([e["seq"] for e in page["events"]], [3, 4])
        self.assertTrue(page["has_more"])
        response = self.api(
            "GET", self.url("events"), self.key_bob, params={"after": events[3].id}
        )
        self.assertEqual(
            [e["payload"]["event"] for e in response.json()["events"]], ["e4"]
        )
        self.assertFalse(response.json()["has_more"])
        # restricted to a group carol is not in; she may publish, so she sees
        # the topic (403); a topic one cannot even see is 404
        self.topic.subscribe_access = "restricted"
        self.topic.subscribe_group_ids = self.env.ref("sales_team.group_sale_salesman")
        self.topic.publish_user_ids |= self.user_carol
        self.env.flush_all()
        self.assert_api_error(self.api("GET", self.url("events"), self.key_carol), 403)
        self.assertEqual(
            self.api("GET", self.url("events"), self.key_bob).status_code, 200
        )
        self.assert_api_error(
            self.api("GET", self.url("events"), self.key_bob, params={"limit": 0}), 400
        )
        self.assert_api_error(self.api("GET", "/topics/nope/events", self.key_bob), 404)

    def test_subscribe_unsubscribe(self):
        response = self.api("POST", self.url("subscribe"), self.key_carol)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(
            response.json(), {"topic": self.topic.name, "subscribed": True}
        )
        # idempotent
        self.assertEqual(
            self.api("POST", self.url("subscribe"), self.key_carol).status_code, 200
        )
        self.assertEqual(self.topic.subscription_ids.user_id, self.user_carol)
        topics = self.api("GET", "/topics", self.key_carol).json()["topics"]
        mine = next(t for t in topics if t["name"] == self.topic.name)
        self.assertTrue(mine["subscribed"])
        self.assertFalse(mine["can_publish"])
        response = self.api("POST", self.url("unsubscribe"), self.key_carol)
        self.env.invalidate_all()
        self.assertEqual(
            response.json(), {"topic": self.topic.name, "subscribed": False}
        )
        self.assertFalse(self.topic.subscription_ids)
        self.assertEqual(
            self.api("POST", self.url("unsubscribe"), self.key_carol).status_code, 200
        )
        # not on the subscribers' list (but a publisher, so she sees the topic)
        self.topic.subscribe_access = "restricted"
        self.topic.publish_user_ids |= self.user_carol
        self.env.flush_all()
        self.assert_api_error(
            self.api("POST", self.url("subscribe"), self.key_carol), 403
        )
        self.assertFalse(self.topic.subscription_ids)
        self.assert_api_error(
            self.api("POST", "/topics/nope/subscribe", self.key_carol), 404
        )
        self.assert_api_error(
            self.api("POST", "/topics/nope/unsubscribe", self.key_carol), 404
        )
