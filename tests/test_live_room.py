from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import LiveCase


@tagged("post_install", "-at_install")
class TestLiveRoom(LiveCase):
    def test_group_room_members(self):
        room = self.room
        self.assertEqual(room.room_type, "group")
        self.assertEqual(room.member_ids.user_id, self.user_alice | self.user_bob)
        owner = room.member_ids.filtered("is_owner")
        self.assertEqual(owner.user_id, self.user_alice)
        self.assertTrue(room.with_user(self.user_bob).is_member)
        self.assertFalse(room.with_user(self.user_carol).is_member)
        mine = (
            self.env["live.room"]
            .with_user(self.user_bob)
            .search([("is_member", "=", True)])
        )
        self.assertIn(room, mine)

    def test_group_room_needs_name_and_live_users(self):
        Room = self.env["live.room"].with_user(self.user_alice)
        with self.assertRaises(ValidationError):
            Room.live_create_group_room("   ")
        with self.assertRaises(ValidationError):
            Room.live_create_group_room("x" * 129)
        with self.assertRaises(ValidationError):
            Room.live_create_group_room("With portal", [self.user_portal.id])

    def test_direct_room_unique_per_pair(self):
        Room = self.env["live.room"]
        ab = Room.with_user(self.user_alice).live_get_direct_room(self.user_bob.id)
        ba = Room.with_user(self.user_bob).live_get_direct_room(self.user_alice.id)
        self.assertEqual(ab, ba)
        self.assertEqual(ab.room_type, "direct")
        self.assertEqual(ab.member_ids.user_id, self.user_alice | self.user_bob)
        # named after the other person, for each viewer
        self.assertEqual(ab.with_user(self.user_alice).display_name, "Bob")
        self.assertEqual(ab.with_user(self.user_bob).display_name, "Alice")
        ac = Room.with_user(self.user_alice).live_get_direct_room(self.user_carol.id)
        self.assertNotEqual(ab, ac)
        with self.assertRaises(ValidationError):
            Room.with_user(self.user_alice).live_get_direct_room(self.user_alice.id)
        with self.assertRaises(ValidationError):
            Room.with_user(self.user_alice).live_get_direct_room(self.user_portal.id)
        # the database itself refuses a second room for the pair
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"):
            with self.env.cr.savepoint():
                Room.sudo().create(
                    {"name": "dup", "room_type": "direct", "direct_key": ab.direct_key}
                )

    def test_direct_room_two_members_only(self):
        room = (
            self.env["live.room"]
            .with_user(self.user_alice)
            .live_get_direct_room(self.user_bob.id)
        )
        with self.assertRaises(AccessError):
            room.with_user(self.user_alice).live_add_members([self.user_carol.id])
        with self.assertRaises(ValidationError):
            room.sudo().write({"member_ids": [(0, 0, {"user_id": self.user_carol.id})]})
        with self.assertRaises(UserError):
            room.with_user(self.user_alice).live_remove_member(self.user_alice.id)

    def test_record_room(self):
        order = (
            self.env["sale.order"]
            .with_user(self.user_alice)
            .create({"partner_id": self.env.ref("base.res_partner_2").id})
        )
        self.assertEqual(order.user_id, self.user_alice)
        Room = self.env["live.room"]
        room = Room.with_user(self.user_alice).live_get_record_room(
            "sale.order", order.id
        )
        self.assertEqual(room.room_type, "record")
        self.assertEqual((room.res_model, room.res_id), ("sale.order", order.id))
        self.assertEqual(room.company_id, order.company_id)
        self.assertIn(self.user_alice, room.member_ids.user_id)
        # opened again (by a manager who can read it): the same room, joined
        self.user_manager.groups_id += self.env.ref("sales_team.group_sale_manager")
        again = Room.with_user(self.user_manager).live_get_record_room(
            "sale.order", order.id
        )
        self.assertEqual(again, room)
        self.assertIn(self.user_manager, room.member_ids.user_id)
        # bob only sees his own orders: no room for him
        with self.assertRaises(AccessError):
            Room.with_user(self.user_bob).live_get_record_room("sale.order", order.id)
        with self.assertRaises(ValidationError):
            Room.with_user(self.user_alice).live_get_record_room("no.such.model", 1)
        with self.assertRaises(ValidationError):
            Room.with_user(self.user_alice).live_get_record_room("sale.order", 0)

    def test_protected_fields(self):
        room = self.room.with_user(self.user_manager)
        for field, value in (("last_seq", 99), ("room_type", "direct")):
            with self.subTest(field=field), self.assertRaises(AccessError):
                room.write({field: value})
        room.write({"name": "Renamed"})
        self.assertEqual(self.room.name, "Renamed")
        # plain users cannot write rooms at all
        with self.assertRaises(AccessError):
            self.room.with_user(self.user_alice).write({"name": "Mine"})

    def test_add_and_remove_members(self):
        room = self.room
        room.with_user(self.user_bob).live_add_members([self.user_carol.id])
        self.assertIn(self.user_carol, room.member_ids.user_id)
        # carol joined after the start: nothing old is unread for her
        self.assertEqual(room.with_user(self.user_carol).unread_count, 0)
        with self.assertRaises(AccessError):
            room.with_user(self.user_bob).live_remove_member(self.user_carol.id)
        room.with_user(self.user_alice).live_remove_member(self.user_carol.id)
        self.assertNotIn(self.user_carol, room.member_ids.user_id)
        self.assertEqual(
            self.pushed(self.user_carol.partner_id, "live_messaging/room_left"),
            [{"room_id": room.id}],
        )
        # outsiders cannot invite themselves
        with self.assertRaises(AccessError):
            room.with_user(self.user_carol).live_add_members([self.user_carol.id])
        room.with_user(self.user_bob).live_remove_member(self.user_bob.id)
        self.assertEqual(room.member_ids.user_id, self.user_alice)

    def test_new_member_is_told_to_subscribe(self):
        self.room.with_user(self.user_alice).live_add_members([self.user_carol.id])
        payloads = self.pushed(self.user_carol.partner_id, "live_messaging/room")
        self.assertTrue(payloads)
        self.assertEqual(payloads[-1]["room"]["id"], self.room.id)
        members = {m["id"] for m in payloads[-1]["room"]["members"]}
        self.assertEqual(
            members, {self.user_alice.id, self.user_bob.id, self.user_carol.id}
        )

    def test_record_rules(self):
        room = self.room
        Room = self.env["live.room"]
        self.assertFalse(Room.with_user(self.user_carol).search([("id", "=", room.id)]))
        with self.assertRaises(AccessError):
            room.with_user(self.user_carol).read(["name"])
        with self.assertRaises(AccessError):
            room.with_user(self.user_carol).live_fetch_messages()
        with self.assertRaises(AccessError):
            room.with_user(self.user_portal).read(["name"])
        self.assertEqual(
            Room.with_user(self.user_manager).search([("id", "=", room.id)]), room
        )
        room.with_user(self.user_alice).live_post_message("secret plans")
        Message = self.env["live.message"]
        self.assertFalse(
            Message.with_user(self.user_carol).search([("room_id", "=", room.id)])
        )
        self.assertEqual(
            len(Message.with_user(self.user_bob).search([("room_id", "=", room.id)])),
            1,
        )
        # members are visible to co-members only
        Member = self.env["live.room.member"]
        self.assertFalse(
            Member.with_user(self.user_carol).search([("room_id", "=", room.id)])
        )
        self.assertEqual(
            len(Member.with_user(self.user_bob).search([("room_id", "=", room.id)])), 2
        )

    def test_multi_company(self):
        other = self.env["res.company"].create({"name": "LM Other Co"})
        insider = new_test_user(
            self.env,
            "lm_insider",
            "base.group_user",
            company_id=other.id,
            company_ids=[(6, 0, [other.id])],
        )
        room = (
            self.env["live.room"]
            .sudo()
            .create({"name": "Other Co room", "company_id": other.id})
        )
        room._add_members(insider)
        # a manager without access to the company does not see its rooms
        self.assertFalse(
            self.env["live.room"]
            .with_user(self.user_manager)
            .search([("id", "=", room.id)])
        )
        # and people of another company cannot join it
        with self.assertRaises(ValidationError):
            room._add_members(self.user_alice)
