import json

from odoo.tests import tagged

from odoo.addons.live_messaging.controllers.api.openapi import SCHEMAS

from .common_api import LiveApiCase, false_outside_booleans


@tagged("post_install", "-at_install")
class TestApiNulls(LiveApiCase):
    """Empty values are JSON's null in the API's answers and pushes, never
    Odoo's false (the document types them ``nullable``)."""

    def assert_no_false(self, data, schema_name):
        self.assertEqual(
            false_outside_booleans(data, SCHEMAS[schema_name], SCHEMAS), []
        )

    def test_message_without_payload_or_client_id(self):
        response = self.api(
            "POST",
            f"/rooms/{self.room.id}/messages",
            self.key_alice,
            json_body={"body": "no extras"},
        )
        self.assertEqual(response.status_code, 201, response.text)
        message = response.json()
        self.assertIsNone(message["payload"])
        self.assertIsNone(message["client_id"])
        self.assertIsNone(message["topic"])
        self.assertIsNone(message["res_model"])
        self.assertEqual(message["author"]["app"], "Checkout app")
        self.assert_no_false(message, "Message")
        page = self.api("GET", f"/rooms/{self.room.id}/messages", self.key_alice)
        self.assertEqual(page.status_code, 200, page.text)
        [last] = page.json()["messages"][-1:]
        self.assertEqual(last["id"], message["id"])
        self.assertIsNone(last["payload"])
        self.assert_no_false(page.json(), "MessagePage")
        # the push carries the same form
        notif = (
            self.env["bus.bus"]
            .sudo()
            .search(
                [("message", "like", '"live_messaging/message"')],
                order="id desc",
                limit=1,
            )
        )
        pushed = json.loads(notif.message)["payload"]
        self.assertEqual(pushed["id"], message["id"])
        self.assertIsNone(pushed["payload"])
        self.assertIsNone(pushed["client_id"])

    def test_rooms_topics_and_events(self):
        direct = self.api(
            "POST",
            "/rooms",
            self.key_alice,
            json_body={"type": "direct", "user_id": self.user_carol.id},
        )
        self.assertEqual(direct.status_code, 201, direct.text)
        self.assertIsNone(direct.json()["res_model"])
        self.assertIsNone(direct.json()["last_message_id"])
        self.assertIsNone(direct.json()["last_message_date"])
        self.assert_no_false(direct.json(), "Room")
        rooms = self.api("GET", "/rooms", self.key_alice)
        self.assert_no_false(rooms.json(), "RoomList")
        self.env["live.topic"].create({"name": "nulls/t", "publish_access": "users"})
        event = self.api(
            "POST", "/topics/nulls/t/publish", self.key_alice, json_body={"ok": False}
        )
        self.assertEqual(event.status_code, 201, event.text)
        # false inside a payload is the app's data, kept as it is
        self.assertIs(event.json()["payload"]["ok"], False)
        self.assertIsNone(event.json()["room_id"])
        self.assertIsNone(event.json()["client_id"])
        self.assert_no_false(event.json(), "Message")
        self.assert_no_false(self.api("GET", "/me", self.key_alice).json(), "Me")

    def test_payload_is_documented_nullable(self):
        payload = SCHEMAS["Message"]["properties"]["payload"]
        self.assertEqual(payload.get("type"), "object")
        self.assertTrue(payload.get("nullable"))
