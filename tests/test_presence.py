from odoo.tests import tagged

from .common import LiveCase, LiveWebsocketCase, import_test_package
from .common_api import LiveApiCase

MEMBER_SEEN = "live_messaging/member_seen"
PRESENCE = "bus.bus/im_status_updated"


class PresenceMixin:
    def set_presence(self, user, status):
        """What the bus does when ``user``'s browser reports (or stops)."""
        presence = self.env["bus.presence"].search([("user_id", "=", user.id)])
        if presence:
            presence.status = status
        else:
            self.env["bus.presence"].create({"user_id": user.id, "status": status})

    def members(self, room, user):
        room = room.with_user(user)
        return {m["id"]: m for m in room._format()[0]["members"]}


@tagged("post_install", "-at_install")
class TestFacesAndPresence(PresenceMixin, LiveCase):
    def test_members_carry_their_face_presence_and_cursor(self):
        self.room.with_user(self.user_alice)._post_message("hello")
        bob = self.members(self.room, self.user_alice)[self.user_bob.id]
        partner = self.user_bob.partner_id
        self.assertEqual(bob["name"], "Bob")
        self.assertEqual(bob["partner_id"], partner.id)
        self.assertEqual(
            bob["avatar_url"], f"/web/image/res.partner/{partner.id}/avatar_128"
        )
        self.assertEqual(bob["im_status"], "offline")
        self.assertEqual(bob["last_seen_seq"], 0)
        alice = self.members(self.room, self.user_bob)[self.user_alice.id]
        self.assertEqual(alice["last_seen_seq"], 1)  # writing is reading
        for status in ("online", "away", "offline"):
            with self.subTest(status=status):
                self.set_presence(self.user_bob, status)
                member = self.members(self.room, self.user_alice)[self.user_bob.id]
                self.assertEqual(member["im_status"], status)

    def test_room_pushes_carry_the_faces(self):
        """A room pushed to its members (a member joined) carries the faces too."""
        self.room.with_user(self.user_alice).live_add_members([self.user_carol.id])
        (payload,) = self.pushed(self.user_carol.partner_id, "live_messaging/room")
        members = {m["id"]: m for m in payload["room"]["members"]}
        self.assertEqual(
            members[self.user_alice.id]["avatar_url"],
            f"/web/image/res.partner/{self.user_alice.partner_id.id}/avatar_128",
        )
        self.assertIn("im_status", members[self.user_alice.id])

    def test_direct_room_pushes_the_read_cursor_to_the_room(self):
        """Bob reads Alice's message: the room learns it (Alice's "seen"); his
        own tabs learn his unread count as before."""
        room = (
            self.env["live.room"]
            .with_user(self.user_alice)
            .live_get_direct_room(self.user_bob.id)
        )
        first = room.with_user(self.user_alice)._post_message("one")
        room.with_user(self.user_alice)._post_message("two")
        self.reset_bus()
        # the author's own cursor moves silently with each post
        room.with_user(self.user_alice)._post_message("three")
        self.assertFalse(self.pushed(room, MEMBER_SEEN))
        room.with_user(self.user_bob).live_mark_seen(first.id)
        self.assertEqual(
            self.pushed(room, MEMBER_SEEN),
            [{"room_id": room.id, "user_id": self.user_bob.id, "last_seen_seq": 1}],
        )
        (seen,) = self.pushed(self.user_bob.partner_id, "live_messaging/seen")
        self.assertEqual(seen["unread"], 2)
        # nothing to tell when the cursor does not move
        self.reset_bus()
        room.with_user(self.user_bob).live_mark_seen(first.id)
        self.assertFalse(self.pushed(room, MEMBER_SEEN))
        room.with_user(self.user_bob).live_mark_seen()
        self.assertEqual(self.pushed(room, MEMBER_SEEN)[0]["last_seen_seq"], 3)
        # and the member list says it to whoever reads the room later
        self.assertEqual(
            self.members(room, self.user_alice)[self.user_bob.id]["last_seen_seq"], 3
        )

    def test_group_rooms_keep_read_cursors_to_the_reader(self):
        """No "seen by" push in group and record rooms (every read would go to
        every member)."""
        self.room.with_user(self.user_alice)._post_message("one")
        self.reset_bus()
        self.room.with_user(self.user_bob).live_mark_seen()
        self.assertFalse(self.bus_notifications(self.room, MEMBER_SEEN))
        self.assertTrue(self.pushed(self.user_bob.partner_id, "live_messaging/seen"))


@tagged("post_install", "-at_install")
class TestPresenceLive(PresenceMixin, LiveWebsocketCase):
    """What the web client relies on, through real sockets: the presence
    channels of co-members, and the direct room's read cursor."""

    def test_presence_of_a_co_member_reaches_the_socket(self):
        partner = self.user_bob.partner_id
        ws_alice = self.connect_as(
            self.user_alice, channels=[f"odoo-presence-res.partner_{partner.id}"]
        )
        ws_anon = self.connect_as(
            None, channels=[f"odoo-presence-res.partner_{partner.id}"]
        )
        self.set_presence(self.user_bob, "away")
        self.trigger_notification_dispatching([(partner, "presence")])
        notif, _elapsed = self.receive_first(ws_alice, PRESENCE)
        self.assertEqual(
            notif["message"]["payload"], {"im_status": "away", "partner_id": partner.id}
        )
        # presence channels are for internal users only (Odoo's rule)
        self.assertFalse(self.receive(ws_anon, 0.5, PRESENCE))

    def test_seen_reaches_the_other_member_only(self):
        room = (
            self.env["live.room"]
            .with_user(self.user_alice)
            .live_get_direct_room(self.user_bob.id)
        )
        room.with_user(self.user_alice)._post_message("one")
        ws_alice = self.connect_as(self.user_alice)
        ws_carol = self.connect_as(self.user_carol, channels=[f"live.room_{room.id}"])
        room.with_user(self.user_bob).live_mark_seen()
        self.trigger_notification_dispatching([room, self.user_carol.partner_id])
        notif, _elapsed = self.receive_first(ws_alice, MEMBER_SEEN)
        self.assertEqual(
            notif["message"]["payload"],
            {"room_id": room.id, "user_id": self.user_bob.id, "last_seen_seq": 1},
        )
        self.assertFalse(self.receive(ws_carol, 0.5, MEMBER_SEEN))


@tagged("post_install", "-at_install")
class TestPresenceApi(PresenceMixin, LiveApiCase):
    def test_members_in_the_api_match_the_document(self):
        """``GET /rooms`` lists the members' faces, presence and cursors, as
        the OpenAPI document describes them."""
        OAS30Validator = import_test_package(
            "openapi_schema_validator", "openapi-schema-validator"
        ).OAS30Validator
        self.set_presence(self.user_bob, "online")
        self.room.with_user(self.user_bob)._post_message("hi")
        response = self.api("GET", f"/rooms/{self.room.id}", self.key_alice)
        self.assertEqual(response.status_code, 200, response.text)
        members = {m["id"]: m for m in response.json()["members"]}
        bob = members[self.user_bob.id]
        self.assertEqual(bob["im_status"], "online")
        self.assertEqual(bob["last_seen_seq"], 1)
        self.assertEqual(bob["partner_id"], self.user_bob.partner_id.id)
        self.assertTrue(bob["avatar_url"].endswith("/avatar_128"))
        document = self.api("GET", "/openapi.json").json()
        schema = document["components"]["schemas"]["Member"]
        for member in members.values():
            OAS30Validator(schema).validate(member)
        self.assertEqual(set(schema["properties"]), set(bob))

    def test_app_socket_gets_presence_and_seen(self):
        """An external app (API key socket) can follow presence the same way,
        and gets the direct room's read cursor."""
        room = (
            self.env["live.room"]
            .with_user(self.user_alice)
            .live_get_direct_room(self.user_bob.id)
        )
        room.with_user(self.user_alice)._post_message("one")
        ws = self.app_websocket(self.key_alice)
        partner = self.user_bob.partner_id
        self.subscribe(ws, [f"odoo-presence-res.partner_{partner.id}"], 0)
        self.set_presence(self.user_bob, "online")
        room.with_user(self.user_bob).live_mark_seen()
        self.trigger_notification_dispatching([room, (partner, "presence")])
        received = {n["message"]["type"] for n in self.receive(ws, 1.0)}
        self.assertLessEqual({PRESENCE, MEMBER_SEEN}, received)
