from lxml import etree

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import LiveCase


@tagged("post_install", "-at_install")
class TestRecordChat(LiveCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        customer = cls.env["res.partner"].create({"name": "Deco Customer"})
        cls.order = cls.env["sale.order"].create(
            {"partner_id": customer.id, "user_id": cls.user_alice.id}
        )
        # the manager (who may read every order) and bob (who only reads his own
        # orders) follow alice's order; carol neither follows nor sells it
        cls.user_manager.groups_id += cls.env.ref("sales_team.group_sale_manager")
        cls.order.message_subscribe(
            partner_ids=(cls.user_bob | cls.user_manager).partner_id.ids
        )

    def test_chat_button_opens_the_order_room(self):
        """The "Chat" button creates the order's room on first use, with the
        salesperson and the followers who may read the order, and opens it in the
        chat window."""
        order = self.order.with_user(self.user_alice)
        action = order.action_live_chat()
        room = self.env["live.room"].search(
            [("res_model", "=", "sale.order"), ("res_id", "=", order.id)]
        )
        self.assertEqual(len(room), 1)
        self.assertEqual(
            action,
            {
                "type": "ir.actions.client",
                "tag": "live_messaging.open_room",
                "params": {"room_id": room.id},
            },
        )
        self.assertEqual(room.room_type, "record")
        self.assertEqual(room.name, order.display_name)
        # bob follows the order but cannot read it: he is not invited
        self.assertEqual(room.member_ids.user_id, self.user_alice | self.user_manager)
        self.assertFalse(self.pushed(self.user_bob.partner_id, "live_messaging/room"))
        # the members learn of the room on the bus (their clients re-subscribe)
        for user in (self.user_alice, self.user_manager):
            pushed = self.pushed(user.partner_id, "live_messaging/room")
            self.assertEqual([p["room"]["id"] for p in pushed][-1:], [room.id])
        # the second time, the same room
        self.assertEqual(order.action_live_chat()["params"]["room_id"], room.id)
        self.assertEqual(
            self.env["live.room"].search_count(
                [("res_model", "=", "sale.order"), ("res_id", "=", order.id)]
            ),
            1,
        )

    def test_only_readers_of_the_order_may_chat_about_it(self):
        with self.assertRaises(AccessError):
            self.order.with_user(self.user_bob).action_live_chat()

    def test_unread_count_per_user(self):
        order = self.order.with_user(self.user_alice)
        room = self.env["live.room"].browse(
            order.action_live_chat()["params"]["room_id"]
        )
        self.assertEqual(order.live_chat_unread_count, 0)
        room.with_user(self.user_manager)._post_message("The customer called")
        room.with_user(self.user_manager)._post_message("He wants it on Monday")
        order.invalidate_recordset(["live_chat_unread_count"])
        self.assertEqual(order.live_chat_unread_count, 2)
        room.with_user(self.user_alice).live_mark_seen()
        order.invalidate_recordset(["live_chat_unread_count"])
        self.assertEqual(order.live_chat_unread_count, 0)
        # somebody who reads the order but is no member has nothing unread
        self.user_carol.groups_id += self.env.ref("sales_team.group_sale_manager")
        self.assertEqual(
            self.order.with_user(self.user_carol).live_chat_unread_count, 0
        )

    def test_order_form_has_the_chat_button(self):
        arch = self.env["sale.order"].get_views([(False, "form")])["views"]["form"][
            "arch"
        ]
        button = etree.fromstring(arch).xpath(
            "//div[@name='button_box']/button[@name='action_live_chat']"
        )
        self.assertEqual(len(button), 1)
        self.assertEqual(
            button[0].xpath("field/@widget"), ["live_chat_button"], "the live label"
        )
