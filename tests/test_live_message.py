import importlib.util
from pathlib import Path

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from odoo.addons.live_messaging.models.live_message import IdempotencyMismatch
from odoo.addons.live_messaging.utils.text import unescape_body

from .common import LiveCase


@tagged("post_install", "-at_install")
class TestLiveMessage(LiveCase):
    def post(self, user, body, **kwargs):
        return self.room.with_user(user)._post_message(body, **kwargs)

    def test_sequence_without_gaps(self):
        messages = [self.post(self.user_alice, f"m{i}") for i in range(5)]
        self.assertEqual([m.seq for m in messages], [1, 2, 3, 4, 5])
        self.assertEqual(self.room.last_seq, 5)
        self.assertEqual(self.room.last_message_id, messages[-1])
        # a post that fails gives its number back
        with self.assertRaises(ValidationError):
            self.post(self.user_alice, "")
        self.assertEqual(self.post(self.user_bob, "next").seq, 6)

    def test_post_answers_what_is_stored(self):
        """A post writes with SQL and answers from the cache: the answer (and
        what the room and the author's cursor say) is what the database
        holds."""
        member = self.room.member_ids.filtered(lambda m: m.user_id == self.user_alice)
        for kwargs in (
            {},
            {"payload": {"a": [1, None, "x"]}, "client_id": "c-1"},
            {"mention_ids": [self.user_bob.id], "author_app": "App"},
        ):
            with self.subTest(**kwargs):
                message = self.post(self.user_alice, "stored?", **kwargs)
                self.assertTrue(message._live_is_new())
                answer = message._format()
                state = (
                    self.room.last_seq,
                    self.room.last_message_id,
                    member.last_seen_seq,
                )
                self.env.invalidate_all()
                self.assertEqual(message._format(), answer)
                self.assertEqual(
                    (
                        self.room.last_seq,
                        self.room.last_message_id,
                        member.last_seen_seq,
                    ),
                    state,
                )
                self.assertEqual(state, (message.seq, message, message.seq))
        replay = self.post(
            self.user_alice, "stored?", payload={"a": [1, None, "x"]}, client_id="c-1"
        )
        self.assertEqual(replay.seq, 2)

    def test_message_fields(self):
        message = self.post(self.user_alice, "Hello Bob")
        (data,) = message._format()
        self.assertEqual(data["body"], "Hello Bob")
        self.assertEqual(
            data["author"], {"id": self.user_alice.id, "name": "Alice", "app": None}
        )
        self.assertEqual(data["room_id"], self.room.id)
        self.assertEqual(data["kind"], "chat")
        # creation date in UTC, ISO 8601 with an explicit Z
        self.assertRegex(
            data["create_date"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"
        )

    def test_push_on_commit_to_room_channel(self):
        message = self.post(self.user_alice, "pushed")
        sent = self.bus_notifications(notification_type="live_messaging/message")
        self.assertEqual(len(sent), 1)
        channel, _type, payload = sent[0]
        self.assertEqual(channel, [self.env.cr.dbname, "live.room", self.room.id])
        self.assertEqual(payload, message._format()[0])

    def test_unread_counts_are_exact(self):
        bob_room = self.room.with_user(self.user_bob)
        alice_room = self.room.with_user(self.user_alice)
        self.assertEqual(bob_room.unread_count, 0)
        first = self.post(self.user_alice, "one")
        self.post(self.user_alice, "two")
        self.post(self.user_alice, "three")
        bob_room.invalidate_recordset(["unread_count"])
        self.assertEqual(bob_room.unread_count, 3)
        # own messages are never unread, and writing marks the room as read
        alice_room.invalidate_recordset(["unread_count"])
        self.assertEqual(alice_room.unread_count, 0)
        self.assertEqual(bob_room.live_mark_seen(first.id), 2)
        # a cursor never moves backwards
        self.assertEqual(bob_room.live_mark_seen(first.id), 2)
        self.assertEqual(bob_room.live_mark_seen(), 0)
        seen = self.pushed(self.user_bob.partner_id, "live_messaging/seen")
        self.assertEqual(
            seen[-1], {"room_id": self.room.id, "last_seen_seq": 3, "unread": 0}
        )
        # system messages (joins...) do not count
        self.room.with_user(self.user_alice).live_add_members([self.user_carol.id])
        bob_room.invalidate_recordset(["unread_count"])
        self.assertEqual(bob_room.unread_count, 0)
        self.assertEqual(self.room.last_message_id.kind, "system")
        # a message of another room is not there
        with self.assertRaises(ValidationError):
            other = (
                self.env["live.room"]
                .with_user(self.user_bob)
                .live_create_group_room("X")
            )
            bob_room.live_mark_seen(
                other.with_user(self.user_bob)._post_message("x").id
            )

    def test_unread_counts_for_all_rooms_in_one_call(self):
        other = (
            self.env["live.room"]
            .with_user(self.user_alice)
            .live_create_group_room("Other", [self.user_bob.id])
        )
        self.post(self.user_alice, "a")
        other.with_user(self.user_alice)._post_message("b")
        other.with_user(self.user_alice)._post_message("c")
        rooms = (self.room | other).with_user(self.user_bob)
        self.assertEqual(
            rooms._get_unread_counts(self.user_bob), {self.room.id: 1, other.id: 2}
        )
        formatted = {r["id"]: r["unread"] for r in rooms._format()}
        self.assertEqual(formatted, {self.room.id: 1, other.id: 2})

    def test_body_contract(self):
        """The text as typed, with &, < and > escaped; nothing else changed."""
        cases = {
            "<script>alert(1)</script>Hi": "&lt;script&gt;alert(1)&lt;/script&gt;Hi",
            "<img src=x onerror=alert(1)": "&lt;img src=x onerror=alert(1)",
            "&lt;b&gt; typed as is": "&amp;lt;b&amp;gt; typed as is",
            "a<b": "a&lt;b",
            "I <3 it & more": "I &lt;3 it &amp; more",
            "  padded\r\nlines\x07  ": "  padded\r\nlines\x07  ",
            "\u202eright to left, e\u0301": "\u202eright to left, e\u0301",
        }
        for raw, expected in cases.items():
            with self.subTest(raw=raw):
                message = self.post(self.user_alice, raw)
                self.assertEqual(message.body, expected)
                self.assertEqual(message._format()[0]["body"], expected)
                # what a text client shows: exactly what was typed
                self.assertEqual(unescape_body(message.body), raw)
                self.assertEqual(message.body_text, raw)

    def test_bad_bodies_lose_nothing(self):
        self.post(self.user_alice, "kept")
        self.env["ir.config_parameter"].sudo().set_param(
            "live_messaging.body_max_chars", 10
        )
        bad = ["", "   ", None, "x" * 11, 42, ["list"]]
        for body in bad:
            with self.subTest(body=body), self.assertRaises(ValidationError):
                self.post(self.user_alice, body)
        self.assertEqual(self.post(self.user_alice, "x" * 10).seq, 2)
        self.assertEqual(self.room.message_ids.mapped("body"), ["x" * 10, "kept"])

    def test_idempotent_client_id(self):
        first = self.post(self.user_alice, "once", client_id="c-1")
        again = self.post(self.user_alice, "once", client_id="c-1")
        self.assertEqual(first, again)
        self.assertEqual(self.room.last_seq, 1)
        # the same key for another message is a client bug: it shows
        with self.assertRaises(IdempotencyMismatch):
            self.post(self.user_alice, "once (edited)", client_id="c-1")
        with self.assertRaises(IdempotencyMismatch):
            self.post(self.user_alice, "once", client_id="c-1", payload={"a": 1})
        self.assertEqual(self.room.last_seq, 1)
        # another author's key is another message
        other = self.post(self.user_bob, "mine", client_id="c-1")
        self.assertNotEqual(other, first)
        for bad in ("", "x" * 129, "has space", "<script>"):
            with self.subTest(client_id=bad), self.assertRaises(ValidationError):
                self.post(self.user_alice, "x", client_id=bad or 42)

    def test_who_may_post(self):
        with self.assertRaises(AccessError):
            self.post(self.user_carol, "let me in")
        with self.assertRaises(AccessError):
            self.post(self.user_portal, "hi")
        # a manager administers rooms but posts only where they belong
        with self.assertRaises(AccessError):
            self.post(self.user_manager, "hi")
        self.room.sudo().active = False
        with self.assertRaises(UserError):
            self.post(self.user_alice, "archived")
        self.assertEqual(self.room.last_seq, 0)


@tagged("post_install", "-at_install")
class TestBodyMigration(LiveCase):
    """18.0.1.1.0: bodies stored before the body contract are escaped once."""

    def test_stored_bodies_follow_the_contract(self):
        message = self.room.with_user(self.user_alice)._post_message("placeholder")
        old = "a < b & c > d, <3"  # as the former sanitiser left it
        self.env.cr.execute(
            "UPDATE live_message SET body = %s WHERE id = %s", [old, message.id]
        )
        path = Path(__file__).parent.parent / "migrations/18.0.1.1.0/post-migration.py"
        spec = importlib.util.spec_from_file_location("live_migration", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate(self.env.cr, "18.0.1.0.0")
        message.invalidate_recordset(["body"])
        self.assertEqual(message.body, "a &lt; b &amp; c &gt; d, &lt;3")
        self.assertEqual(message.body_text, old)
