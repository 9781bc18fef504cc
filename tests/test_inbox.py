from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import LiveCase
from .common_api import LiveApiCase


class InboxMixin:
    """What the web client lists in Discuss's messaging menu: the user's rooms
    (``live.room.live_get_rooms``) and their unread counts, whose total is the
    user's share of the menu's counter."""

    def menu(self, user, **context):
        rooms = (
            self.env["live.room"]
            .with_user(user)
            .with_context(**context)
            .live_get_rooms()
        )
        return {room["id"]: room["unread"] for room in rooms}

    def api_menu(self, key):
        response = self.api("GET", "/rooms", key)
        self.assertEqual(response.status_code, 200, response.text)
        return {room["id"]: room["unread"] for room in response.json()["rooms"]}


@tagged("post_install", "-at_install")
class TestInboxRights(InboxMixin, LiveCase):
    """A user never sees a room they cannot read in the menu's data, nor its
    unread messages in the counter."""

    def setUp(self):
        super().setUp()
        for body in ("one", "two", "three"):
            self.room.with_user(self.user_alice)._post_message(body)

    def test_members_only(self):
        self.assertEqual(self.menu(self.user_bob)[self.room.id], 3)
        # carol, a live user outside of the room, has a room of her own
        own = (
            self.env["live.room"]
            .with_user(self.user_carol)
            .live_create_group_room("Carol's", [self.user_alice.id])
        )
        own.with_user(self.user_alice)._post_message("for carol")
        self.assertEqual(self.menu(self.user_carol), {own.id: 1})

    def test_a_manager_lists_only_the_rooms_they_are_in(self):
        """Administrators may read every room, but their inbox is theirs."""
        Room = self.env["live.room"].with_user(self.user_manager)
        self.assertIn(self.room, Room.search([]))
        self.assertNotIn(self.room.id, self.menu(self.user_manager))

    def test_leaving_takes_the_room_and_its_count_away(self):
        self.assertEqual(self.menu(self.user_bob)[self.room.id], 3)
        self.room.with_user(self.user_bob).live_remove_member(self.user_bob.id)
        self.assertNotIn(self.room.id, self.menu(self.user_bob))

    def test_archived_rooms_leave_the_inbox(self):
        self.room.sudo().active = False
        self.assertNotIn(self.room.id, self.menu(self.user_bob))

    def test_rooms_of_a_company_out_of_the_active_ones(self):
        """A member working in another company (the company switcher) sees
        neither the room nor its unread messages until they switch back."""
        other = self.env["res.company"].create({"name": "Live Other Co"})
        main = self.env.company
        for user in (self.user_alice, self.user_bob):
            user.write({"company_ids": [Command.link(other.id)]})
        self.room.sudo().company_id = other
        self.assertEqual(
            self.menu(self.user_bob, allowed_company_ids=[main.id, other.id])[
                self.room.id
            ],
            3,
        )
        self.assertNotIn(
            self.room.id, self.menu(self.user_bob, allowed_company_ids=[main.id])
        )

    def test_not_a_live_user(self):
        """Without the Live Messaging group there is no inbox at all."""
        with self.assertRaises(AccessError):
            self.menu(self.user_portal)


@tagged("post_install", "-at_install")
class TestInboxRightsApi(InboxMixin, LiveApiCase):
    """The same through the REST API (``GET /rooms``, what an external app or
    a mobile app would show as its inbox)."""

    def test_members_only(self):
        for body in ("one", "two"):
            self.room.with_user(self.user_alice)._post_message(body)
        self.assertEqual(self.api_menu(self.key_bob)[self.room.id], 2)
        self.assertNotIn(self.room.id, self.api_menu(self.key_carol))
        self.assertNotIn(self.room.id, self.api_menu(self.key_manager))
        # nor one by one
        response = self.api("GET", f"/rooms/{self.room.id}", self.key_carol)
        self.assertIn(response.status_code, (403, 404))
        self.assertNotIn("unread", response.text)

    def test_leaving_takes_the_room_away(self):
        self.room.with_user(self.user_alice)._post_message("one")
        self.room.with_user(self.user_bob).live_remove_member(self.user_bob.id)
        self.assertNotIn(self.room.id, self.api_menu(self.key_bob))
