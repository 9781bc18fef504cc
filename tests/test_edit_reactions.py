from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from odoo.addons.live_messaging.models.live_message_reaction import is_emoji

from ..utils.values import rpc_value
from .common import LiveCase


@tagged("post_install", "-at_install")
class TestEditDelete(LiveCase):
    """Edit and delete one's own message: a new event about an existing
    message (same id, same seq), pushed to the room and shown in history."""

    def post(self, user, body="Hello", **kwargs):
        data = self.room.with_user(user).live_post_message(body, **kwargs)
        return self.env["live.message"].with_user(user).browse(data["id"])

    def updates(self):
        return self.pushed(self.room, "live_messaging/message_update")

    def test_edit_keeps_id_and_seq_and_is_pushed(self):
        message = self.post(self.user_alice, "Helo")
        self.post(self.user_bob, "next")
        last_seq = self.room.last_seq
        self.reset_bus()
        data = message.live_edit("Hello")
        self.assertEqual((data["id"], data["seq"]), (message.id, message.seq))
        self.assertEqual(data["body"], "Hello")
        self.assertTrue(data["edited"])
        self.assertRegex(data["edit_date"], r"Z$")
        self.assertFalse(data["deleted"])
        # no new message: the numbering goes on without a gap, nothing posted
        self.room.invalidate_recordset()
        self.assertEqual(self.room.last_seq, last_seq)
        self.assertEqual(self.pushed(self.room, "live_messaging/message"), [])
        # pushes are JSON (null); the public method answers RPC values (False)
        self.assertEqual(rpc_value(self.updates()), [data])
        # history shows the edited text
        history = self.room.with_user(self.user_bob).live_fetch_messages()["messages"]
        self.assertEqual([m["seq"] for m in history], [1, 2])
        self.assertEqual(history[0]["body"], "Hello")
        self.assertTrue(history[0]["edited"])
        self.assertFalse(history[1]["edited"])
        self.assertEqual(self.post(self.user_bob, "after").seq, last_seq + 1)

    def test_edit_without_change_pushes_nothing(self):
        message = self.post(self.user_alice, "Same")
        self.reset_bus()
        self.assertFalse(message.live_edit("Same")["edited"])
        self.assertEqual(self.updates(), [])

    def test_only_the_author_within_the_window(self):
        start = fields.Datetime.now()
        with freeze_time(start):
            message = self.post(self.user_alice, "mine")
        bob_view = message.with_user(self.user_bob)
        with freeze_time(start + timedelta(minutes=5)):
            with self.assertRaises(AccessError):
                bob_view.live_edit("not yours")
            with self.assertRaises(AccessError):
                bob_view.live_delete()
            # a stranger cannot even see it
            with self.assertRaises(AccessError):
                message.with_user(self.user_carol).live_edit("x")
        self.env["ir.config_parameter"].sudo().set_param(
            "live_messaging.edit_window_seconds", "600"
        )
        with freeze_time(start + timedelta(seconds=601)):
            with self.assertRaises(UserError) as caught:
                message.live_edit("too late")
            self.assertIn("10 minutes", str(caught.exception))
            with self.assertRaises(UserError):
                message.live_delete()
            # an administrator may still delete it (moderation)
            message.with_user(self.user_manager).live_delete()
        # 0: no window at all
        self.env["ir.config_parameter"].sudo().set_param(
            "live_messaging.edit_window_seconds", "0"
        )
        with freeze_time(start + timedelta(days=30)):
            other = self.post(self.user_alice, "old")
        self.assertTrue(other.live_edit("still mine")["edited"])
        message.invalidate_recordset()
        self.assertEqual(message.body, "")

    def test_edit_refusals(self):
        message = self.post(self.user_alice, "text")
        with self.assertRaises(ValidationError):
            message.live_edit("   ")
        with self.assertRaises(ValidationError):
            message.live_edit("@Carol", mention_ids=[self.user_carol.id])
        system = self.room._post_system("Somebody joined.")
        with self.assertRaises(UserError):
            system.with_user(self.user_alice).live_edit("hacked")
        # after leaving the room, one's messages are out of reach
        self.room.with_user(self.user_alice).live_remove_member(self.user_alice.id)
        with self.assertRaises(AccessError):
            message.live_edit("from outside")
        message.invalidate_recordset()
        self.assertEqual(message.sudo().body, "text")

    def test_delete_keeps_the_place_and_clears_everything(self):
        message = self.post(
            self.user_alice, "@Bob oops", mention_ids=[self.user_bob.id]
        )
        message.with_user(self.user_bob).live_react("👍")
        self.reset_bus()
        data = message.live_delete()
        self.assertTrue(data["deleted"])
        self.assertEqual(
            (data["body"], data["mentions"], data["reactions"], data["attachments"]),
            ("", [], [], []),
        )
        # pushes are JSON (null); the public method answers RPC values (False)
        self.assertEqual(rpc_value(self.updates()), [data])
        self.assertEqual(data["seq"], message.seq)
        # a deleted mention no longer counts
        (state,) = self.room.with_user(self.user_bob)._format()
        self.assertEqual(state["unread_mentions"], 0)
        # twice is fine, pushes nothing more; a deleted message cannot be edited
        self.reset_bus()
        self.assertTrue(message.live_delete()["deleted"])
        self.assertEqual(self.updates(), [])
        with self.assertRaises(UserError):
            message.live_edit("back")
        with self.assertRaises(UserError):
            message.with_user(self.user_bob).live_react("👍")


@tagged("post_install", "-at_install")
class TestReactions(LiveCase):
    def setUp(self):
        super().setUp()
        data = self.room.with_user(self.user_alice).live_post_message("Ship it?")
        self.message = self.env["live.message"].browse(data["id"])
        self.reset_bus()

    def react(self, user, emoji, add=True):
        return self.message.with_user(user).live_react(emoji, add=add)

    def test_react_and_take_back(self):
        self.react(self.user_bob, "👍")
        self.react(self.user_alice, "👍")
        result = self.react(self.user_bob, "🎉")
        self.assertEqual(
            result["reactions"],
            [
                {
                    "emoji": "👍",
                    "count": 2,
                    "users": [
                        {"id": self.user_bob.id, "name": "Bob"},
                        {"id": self.user_alice.id, "name": "Alice"},
                    ],
                },
                {
                    "emoji": "🎉",
                    "count": 1,
                    "users": [{"id": self.user_bob.id, "name": "Bob"}],
                },
            ],
        )
        pushed = self.pushed(self.room, "live_messaging/reaction")
        self.assertEqual(len(pushed), 3)
        self.assertEqual(
            {k: pushed[0][k] for k in ("message_id", "emoji", "user", "added")},
            {
                "message_id": self.message.id,
                "emoji": "👍",
                "user": {"id": self.user_bob.id, "name": "Bob"},
                "added": True,
            },
        )
        self.assertEqual(pushed[-1]["reactions"], result["reactions"])
        # idempotent: again changes and pushes nothing
        self.reset_bus()
        self.react(self.user_bob, "👍")
        self.assertEqual(self.pushed(self.room, "live_messaging/reaction"), [])
        result = self.react(self.user_bob, "👍", add=False)
        self.assertEqual(result["reactions"][0]["count"], 1)
        self.react(self.user_bob, "👍", add=False)
        self.assertEqual(len(self.pushed(self.room, "live_messaging/reaction")), 1)
        # in history, with the message
        (history,) = self.room.with_user(self.user_bob).live_fetch_messages()[
            "messages"
        ]
        self.assertEqual(history["reactions"], result["reactions"])
        # toggling
        toggled = self.message.with_user(self.user_bob).live_toggle_reaction("🎉")
        self.assertEqual([r["emoji"] for r in toggled["reactions"]], ["👍"])

    def test_members_only_and_emojis_only(self):
        with self.assertRaises(AccessError):
            self.react(self.user_carol, "👍")
        Reaction = self.env["live.message.reaction"]
        self.react(self.user_bob, "❤️")
        # a non-member reads no reaction, not even through the ORM
        self.assertFalse(Reaction.with_user(self.user_carol).search([]))
        self.assertEqual(len(Reaction.with_user(self.user_alice).search([])), 1)
        for bad in ("", "hello", "👍 ", "<b>", "1", "👍👍", "👍" * 17, None, 5):
            with self.subTest(bad=bad), self.assertRaises(ValidationError):
                self.react(self.user_bob, bad)

    def test_emoji_check(self):
        for good in ("👍", "❤️", "👍🏽", "🇫🇷", "1️⃣", "👩‍💻", "🏴󠁧󠁢󠁥󠁮󠁧󠁿", "✅"):
            self.assertTrue(is_emoji(good), good)
        for bad in ("a", "1", ":)", " ", "\u200d", "👍a", "\x00", "👍👍", "🇫🇷🇫🇷", "🏽"):
            self.assertFalse(is_emoji(bad), bad)

    def test_reactions_per_user_are_bounded(self):
        emojis = [chr(0x1F600 + i) for i in range(21)]
        for emoji in emojis[:20]:
            self.react(self.user_bob, emoji)
        with self.assertRaises(UserError):
            self.react(self.user_bob, emojis[20])
