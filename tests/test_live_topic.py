import json

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from odoo.addons.live_messaging.utils.schema import PayloadSchemaError

from .common import LiveCase


@tagged("post_install", "-at_install")
class TestLiveTopic(LiveCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.topic = cls.env["live.topic"].create(
            {
                "name": "shop/123e4567-e89b-12d3-a456-426614174000",
                "subscribe_access": "users",
                "publish_access": "restricted",
                "publish_user_ids": [(6, 0, [cls.user_alice.id])],
            }
        )

    def test_names(self):
        Topic = self.env["live.topic"]
        for good in ("purchase.order", "shop/42", "a_b-c.d/e/F9"):
            with self.subTest(name=good):
                Topic.create({"name": good})
        for bad in ("", "/x", "x/", "a//b", "white space", "x" * 129, "ünï", "a/<b>"):
            with self.subTest(name=bad), self.assertRaises(ValidationError):
                Topic.create({"name": bad})
        with self.assertRaises(ValidationError):
            Topic._find("bad name")

    def test_subscribe_access(self):
        topic = self.topic
        topic.with_user(self.user_carol).live_subscribe()
        topic.with_user(self.user_carol).live_subscribe()  # idempotent
        self.assertEqual(topic.subscription_ids.user_id, self.user_carol)
        self.assertEqual(
            self.pushed(
                self.user_carol.partner_id, "live_messaging/topic_subscription"
            ),
            [{"topic": topic.name, "subscribed": True}],
        )
        topic.with_user(self.user_carol).live_unsubscribe()
        self.assertFalse(topic.subscription_ids)
        # restricted to a group carol is not in
        topic.subscribe_access = "restricted"
        topic.subscribe_group_ids = self.env.ref("sales_team.group_sale_salesman")
        with self.assertRaises(AccessError):
            topic.with_user(self.user_carol).live_subscribe()
        with self.assertRaises(AccessError):
            topic.with_user(self.user_carol).live_fetch_events()
        topic.with_user(self.user_bob).live_subscribe()
        topic.with_user(self.user_manager).live_subscribe()
        with self.assertRaises(AccessError):
            topic.with_user(self.user_portal).live_subscribe()
        # carol no longer even sees the topic
        self.assertFalse(
            self.env["live.topic"].with_user(self.user_carol)._find(topic.name)
        )

    def test_publish_access_and_sequence(self):
        with self.assertRaises(AccessError):
            self.topic.with_user(self.user_bob).live_publish({"x": 1})
        events = [
            self.topic.with_user(self.user_alice).live_publish({"n": n})
            for n in range(3)
        ]
        self.assertEqual([e["seq"] for e in events], [1, 2, 3])
        self.assertEqual(events[0]["payload"], {"n": 0})
        self.assertEqual(events[0]["topic"], self.topic.name)
        self.assertEqual(self.topic.last_seq, 3)
        pushed = self.pushed(self.topic, "live_messaging/events")
        self.assertEqual(
            [p["events"][0]["seq"] for p in pushed], [1, 2, 3], "one push per event"
        )
        self.assertEqual(pushed[0]["topic"], self.topic.name)

    def test_idempotency_key(self):
        Topic = self.topic.with_user(self.user_alice)
        first = Topic.live_publish({"a": 1}, client_id="order-1-paid")
        again = Topic.live_publish({"a": 1}, client_id="order-1-paid")
        self.assertEqual(first["id"], again["id"])
        self.assertEqual(self.topic.last_seq, 1)

    def test_payload_validation(self):
        self.topic.json_schema = json.dumps(
            {
                "type": "object",
                "required": ["event"],
                "properties": {
                    "event": {"type": "string"},
                    "items": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {"qty": {"minimum": 1}},
                        },
                    },
                },
            }
        )
        Topic = self.topic.with_user(self.user_alice)
        Topic.live_publish({"event": "paid", "items": [{"qty": 2}]})
        with self.assertRaises(PayloadSchemaError) as caught:
            Topic.live_publish({"event": "paid", "items": [{"qty": 2}, {"qty": 0}]})
        self.assertEqual(caught.exception.path, "/items/1/qty")
        with self.assertRaises(PayloadSchemaError) as caught:
            Topic.live_publish({"items": []})
        self.assertEqual(caught.exception.path, "")
        for bad in ([1, 2], "text", None, 3):
            with self.subTest(payload=bad), self.assertRaises(ValidationError):
                Topic.live_publish(bad)
        self.env["ir.config_parameter"].sudo().set_param(
            "live_messaging.payload_max_bytes", 64
        )
        with self.assertRaises(ValidationError):
            Topic.live_publish({"event": "x" * 100})
        self.assertEqual(self.topic.last_seq, 1, "rejected events use no number")
        with self.assertRaises(ValidationError):
            self.topic.json_schema = '{"type": "no-such-type"}'
        with self.assertRaises(ValidationError):
            self.topic.json_schema = "not json"

    def test_history(self):
        Topic = self.topic.with_user(self.user_alice)
        ids = [Topic.live_publish({"n": n})["id"] for n in range(5)]
        page = self.topic.with_user(self.user_carol).live_fetch_events(limit=2)
        self.assertEqual([e["id"] for e in page["messages"]], ids[3:])
        self.assertTrue(page["has_more"])
        page = self.topic.with_user(self.user_carol).live_fetch_events(after=ids[1])
        self.assertEqual([e["id"] for e in page["messages"]], ids[2:])
        self.assertFalse(page["has_more"])

    def test_only_managers_create_topics_on_publish(self):
        Topic = self.env["live.topic"]
        self.assertFalse(
            Topic.with_user(self.user_alice)._find_or_create_for_publish("new/one")
        )
        created = Topic.with_user(self.user_manager)._find_or_create_for_publish(
            "new/one"
        )
        self.assertEqual(created.name, "new/one")

    def test_record_topic_respects_record_rules(self):
        """Events about sale orders reach (and are readable by) only the
        subscribers who can read each order."""
        topic = self.env.ref("live_messaging.live_topic_sale_order")
        topic.with_user(self.user_alice).live_subscribe()
        topic.with_user(self.user_bob).live_subscribe()
        with self.assertRaises(AccessError):
            topic.with_user(self.user_carol).live_subscribe()
        partner = self.env.ref("base.res_partner_2")
        order = (
            self.env["sale.order"]
            .with_user(self.user_alice)
            .create({"partner_id": partner.id})
        )
        self.reset_bus()
        events = topic.sudo()._store_events(
            [{"payload": {"id": order.id}, "res_id": order.id}]
        )
        self.assertEqual(events.res_model, "sale.order")
        to_alice = self.pushed(self.user_alice.partner_id, "live_messaging/events")
        self.assertEqual([e["id"] for p in to_alice for e in p["events"]], events.ids)
        self.assertFalse(self.pushed(self.user_bob.partner_id, "live_messaging/events"))
        self.assertFalse(self.pushed(topic, "live_messaging/events"))
        history = topic.with_user(self.user_alice).live_fetch_events()["messages"]
        # creating the order published an event of its own (live business screens)
        self.assertEqual([e["payload"]["op"] for e in history[:-1]], ["created"])
        self.assertEqual(history[-1]["id"], events.id)
        self.assertFalse(topic.with_user(self.user_bob).live_fetch_events()["messages"])

    def test_batch_is_numbered_in_order_and_answers_what_is_stored(self):
        topic = self.topic.sudo()
        before = topic.last_seq
        events = topic._store_events(
            [{"payload": {"i": i}} for i in range(3)]
            + [{"payload": {"i": 3}, "body": "with a body", "client_id": "b-3"}]
        )
        self.assertEqual(events.mapped("seq"), [before + n for n in (1, 2, 3, 4)])
        self.assertEqual(events.ids, sorted(events.ids))
        self.assertTrue(all(event._live_is_new() for event in events))
        answer = events._format()
        self.assertEqual([e["payload"] for e in answer], [{"i": i} for i in range(4)])
        self.env.invalidate_all()
        self.assertEqual(events._format(), answer)
        self.assertEqual(topic.last_seq, before + 4)

    def test_subscription_visibility(self):
        self.topic.with_user(self.user_carol).live_subscribe()
        self.topic.with_user(self.user_bob).live_subscribe()
        mine = self.env["live.topic.subscription"].with_user(self.user_carol).search([])
        self.assertEqual(mine.user_id, self.user_carol)
        state = {
            t["name"]: t
            for t in self.env["live.topic"].with_user(self.user_carol).live_get_topics()
        }
        self.assertTrue(state[self.topic.name]["subscribed"])
        self.assertFalse(state[self.topic.name]["can_publish"])

    def test_record_topic_reader_without_model_rights(self):
        """Somebody allowed on a record topic but with no right at all on its
        model reads its history as empty, instead of an error."""
        topic = self.env.ref("live_messaging.live_topic_sale_order")
        topic.subscribe_access = "users"
        order = self.env["sale.order"].create(
            {"partner_id": self.env.ref("base.res_partner_2").id}
        )
        topic.sudo()._store_events([{"payload": {"id": order.id}, "res_id": order.id}])
        self.assertFalse(
            self.env["sale.order"].with_user(self.user_carol).has_access("read")
        )
        page = topic.with_user(self.user_carol).live_fetch_events()
        self.assertEqual(page["messages"], [])
        # a salesman (the admin) reads the same history with the order in it
        admin = self.env.ref("base.user_admin")
        events = topic.with_user(admin).live_fetch_events()["messages"]
        self.assertIn(order.id, [event["res_id"] for event in events])
