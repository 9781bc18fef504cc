from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import LiveCase


@tagged("post_install", "-at_install")
class TestMentions(LiveCase):
    """@mentions: stored as user ids, validated to be members, counted apart
    in the unread badge, pushed to the mentioned member's own channel."""

    def post(self, user, body, **kwargs):
        return self.room.with_user(user).live_post_message(body, **kwargs)

    def mentions_pushed(self, user):
        return self.pushed(user.partner_id, "live_messaging/mention")

    def test_mention_is_stored_and_formatted(self):
        data = self.post(
            self.user_alice, "@Bob can you check?", mention_ids=[self.user_bob.id]
        )
        message = self.env["live.message"].browse(data["id"])
        self.assertEqual(message.mention_ids, self.user_bob)
        self.assertEqual(data["mentions"], [{"id": self.user_bob.id, "name": "Bob"}])
        # the room's push carries the mentions too
        (pushed,) = self.pushed(self.room, "live_messaging/message")
        self.assertEqual(pushed["mentions"], data["mentions"])
        # and so does the history
        (history,) = self.room.with_user(self.user_bob).live_fetch_messages()[
            "messages"
        ]
        self.assertEqual(history["mentions"], data["mentions"])

    def test_mentioned_member_is_told_on_their_own_channel(self):
        data = self.post(self.user_alice, "@Bob look", mention_ids=[self.user_bob.id])
        self.assertEqual(
            self.mentions_pushed(self.user_bob),
            [
                {
                    "room_id": self.room.id,
                    "message_id": data["id"],
                    "seq": data["seq"],
                    "author": {"id": self.user_alice.id, "name": "Alice"},
                    "unread_mentions": 1,
                }
            ],
        )
        # the author (mentioning themselves) and the others are not told
        self.assertEqual(self.mentions_pushed(self.user_alice), [])
        self.assertEqual(self.mentions_pushed(self.user_carol), [])

    def test_self_mention_is_neither_told_nor_counted(self):
        self.post(
            self.user_alice, "@Alice note to self", mention_ids=[self.user_alice.id]
        )
        self.assertEqual(self.mentions_pushed(self.user_alice), [])
        (room,) = self.room.with_user(self.user_alice)._format()
        self.assertEqual(room["unread_mentions"], 0)

    def test_only_members_can_be_mentioned(self):
        """A stranger is never told of a room through a mention: the post is
        refused, nothing is stored or pushed, and the error names no one."""
        before = self.room.last_seq
        for mention_ids in ([self.user_carol.id], [self.user_bob.id, 999999]):
            with self.subTest(mention_ids=mention_ids):
                with self.assertRaises(ValidationError) as caught:
                    self.post(self.user_alice, "hi", mention_ids=mention_ids)
                self.assertNotIn("Carol", str(caught.exception))
        for bad in ("3", [True], ["x"], [1.5], list(range(1, 60))):
            with self.subTest(bad=bad), self.assertRaises(ValidationError):
                self.post(self.user_alice, "hi", mention_ids=bad)
        self.room.invalidate_recordset()
        self.assertEqual(self.room.last_seq, before)
        self.assertEqual(self.mentions_pushed(self.user_carol), [])
        self.assertEqual(self.mentions_pushed(self.user_bob), [])
        self.assertEqual(self.bus_notifications(self.room), [])

    def test_a_non_member_never_reads_a_mention(self):
        data = self.post(self.user_alice, "@Bob secret", mention_ids=[self.user_bob.id])
        Message = self.env["live.message"].with_user(self.user_carol)
        self.assertFalse(Message.search([("mention_ids", "in", self.user_bob.ids)]))
        with self.assertRaises(AccessError):
            Message.browse(data["id"]).read(["mention_ids"])
        # Bob, a member, can
        bob_message = self.env["live.message"].with_user(self.user_bob)
        self.assertEqual(
            bob_message.browse(data["id"]).read(["mention_ids"])[0]["mention_ids"],
            [self.user_bob.id],
        )

    def test_unread_mentions_count_apart(self):
        self.post(self.user_alice, "no mention")
        self.post(self.user_alice, "@Bob one", mention_ids=[self.user_bob.id])
        self.post(self.user_alice, "@Bob two", mention_ids=[self.user_bob.id])
        bob_room = self.room.with_user(self.user_bob)
        (state,) = bob_room._format()
        self.assertEqual((state["unread"], state["unread_mentions"]), (3, 2))
        # per member: Alice, who wrote them, has none
        (alice_state,) = self.room.with_user(self.user_alice)._format()
        self.assertEqual(alice_state["unread_mentions"], 0)
        # reading the room clears them
        bob_room.live_mark_seen()
        (state,) = bob_room._format()
        self.assertEqual((state["unread"], state["unread_mentions"]), (0, 0))
        # the rooms list says the same
        (listed,) = [
            r
            for r in self.env["live.room"].with_user(self.user_bob).live_get_rooms()
            if r["id"] == self.room.id
        ]
        self.assertEqual(listed["unread_mentions"], 0)

    def test_replay_does_not_tell_twice(self):
        kwargs = {"client_id": "mention-retry", "mention_ids": [self.user_bob.id]}
        first = self.post(self.user_alice, "@Bob once", **kwargs)
        again = self.post(self.user_alice, "@Bob once", **kwargs)
        self.assertEqual(first["id"], again["id"])
        self.assertEqual(len(self.mentions_pushed(self.user_bob)), 1)

    def test_editing_in_a_mention_tells_the_newly_mentioned_only(self):
        self.room.with_user(self.user_alice).live_add_members([self.user_carol.id])
        data = self.post(self.user_alice, "@Bob hi", mention_ids=[self.user_bob.id])
        self.reset_bus()
        message = self.env["live.message"].with_user(self.user_alice).browse(data["id"])
        edited = message.live_edit(
            "@Bob @Carol hi", mention_ids=[self.user_bob.id, self.user_carol.id]
        )
        self.assertEqual(
            [m["id"] for m in edited["mentions"]],
            [self.user_bob.id, self.user_carol.id],
        )
        self.assertEqual(self.mentions_pushed(self.user_bob), [])
        (told,) = self.mentions_pushed(self.user_carol)
        self.assertEqual(told["message_id"], data["id"])
