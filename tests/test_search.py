from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tools import SQL

from .common import LiveCase


@tagged("post_install", "-at_install")
class TestSearch(LiveCase):
    """Server-side search of chat messages, in a room and across the user's
    rooms; never a room or a message the user cannot read."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.room_carol = (
            cls.env["live.room"]
            .with_user(cls.user_carol)
            .live_create_group_room("Carol's corner", [cls.user_bob.id])
        )
        post = cls.env["live.room"].browse
        for room, user, body in [
            (cls.room, cls.user_alice, "The invoice for Deco Addict is ready"),
            (cls.room, cls.user_bob, "Which INVOICE?"),
            (cls.room, cls.user_bob, "100% done, file_v2 attached"),
            (cls.room_carol, cls.user_carol, "Carol's invoice, private"),
            (cls.room_carol, cls.user_bob, "lunch?"),
        ]:
            post(room.id).with_user(user).live_post_message(body)

    def search(self, user, query, room=None, **kwargs):
        rooms = room if room is not None else self.env["live.room"]
        return rooms.with_user(user).live_search_messages(query, **kwargs)

    def bodies(self, page):
        return [m["body"] for m in page["messages"]]

    def test_in_a_room(self):
        page = self.search(self.user_alice, "invoice", self.room)
        self.assertEqual(
            self.bodies(page),
            ["The invoice for Deco Addict is ready", "Which INVOICE?"],
        )
        self.assertFalse(page["has_more"])
        self.assertNotIn("rooms", page)
        # wildcards are text
        self.assertEqual(
            self.bodies(self.search(self.user_alice, "0%", self.room)),
            ["100% done, file_v2 attached"],
        )
        self.assertEqual(
            self.bodies(self.search(self.user_alice, "e_v", self.room)),
            ["100% done, file_v2 attached"],
        )
        self.assertEqual(
            self.bodies(self.search(self.user_alice, "e%v", self.room)), []
        )

    def test_markup_like_text_is_found_as_typed(self):
        """Bodies are stored with &, <, > escaped (the body contract): a query
        is the typed text too, and finds what was typed."""
        self.room.with_user(self.user_alice).live_post_message("use <b> & <i>")
        page = self.search(self.user_bob, " <b> & ", self.room)
        self.assertEqual(self.bodies(page), ["use &lt;b&gt; &amp; &lt;i&gt;"])
        self.assertEqual(self.bodies(self.search(self.user_bob, "&lt;", self.room)), [])

    def test_across_the_users_rooms(self):
        page = self.search(self.user_bob, "invoice")
        self.assertEqual(
            self.bodies(page),
            [
                "The invoice for Deco Addict is ready",
                "Which INVOICE?",
                "Carol's invoice, private",
            ],
        )
        self.assertEqual(
            {r["id"]: r["name"] for r in page["rooms"]},
            {self.room.id: "Team", self.room_carol.id: "Carol's corner"},
        )
        # Alice is not in Carol's room: its messages are not hers to find
        page = self.search(self.user_alice, "invoice")
        self.assertEqual(len(page["messages"]), 2)
        self.assertEqual([r["id"] for r in page["rooms"]], [self.room.id])
        # nor Team's for Carol
        self.assertEqual(
            self.bodies(self.search(self.user_carol, "invoice")),
            ["Carol's invoice, private"],
        )
        # nor anything for somebody in no room (even a manager)
        self.assertEqual(self.search(self.user_manager, "invoice")["messages"], [])

    def test_a_non_member_never_gets_a_hit(self):
        with self.assertRaises(AccessError):
            self.search(self.user_carol, "invoice", self.room)
        with self.assertRaises(AccessError):
            self.search(self.user_portal, "invoice")
        self.room.with_user(self.user_bob).live_remove_member(self.user_bob.id)
        self.assertEqual(
            self.bodies(self.search(self.user_bob, "invoice")),
            ["Carol's invoice, private"],
        )

    def test_deleted_edited_and_system_messages(self):
        Message = self.env["live.message"]
        first, second = Message.search(
            [("room_id", "=", self.room.id), ("body", "ilike", "invoice")], order="id"
        )
        first.with_user(self.user_alice).live_edit("The bill is ready")
        second.with_user(self.user_bob).live_delete()
        self.room._post_system("Somebody about the invoice joined.")
        self.assertEqual(
            self.search(self.user_alice, "invoice", self.room)["messages"], []
        )
        self.assertEqual(
            self.bodies(self.search(self.user_alice, "bill", self.room)),
            ["The bill is ready"],
        )

    def test_pages(self):
        room = self.room.with_user(self.user_alice)
        for index in range(7):
            room.live_post_message(f"report {index}")
        page = self.search(self.user_alice, "report", self.room, limit=3)
        self.assertEqual(self.bodies(page), ["report 4", "report 5", "report 6"])
        self.assertTrue(page["has_more"])
        older = self.search(
            self.user_alice,
            "report",
            self.room,
            limit=3,
            before=page["messages"][0]["id"],
        )
        self.assertEqual(self.bodies(older), ["report 1", "report 2", "report 3"])

    def test_bad_queries(self):
        # "<b>" is text like any other (the body contract); NUL is refused
        for query in ("", " a ", "x" * 201, None, 42, "a\x00b"):
            with self.subTest(query=query), self.assertRaises(ValidationError):
                self.search(self.user_alice, query)

    def test_trigram_index(self):
        """The body has Odoo's trigram index when PostgreSQL has pg_trgm, and
        a search uses it."""
        if not self.registry.has_trigram:
            self.skipTest("PostgreSQL has no pg_trgm here")
        self.env.cr.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = %s",
            ["live_message__body_index"],
        )
        (indexdef,) = self.env.cr.fetchone()
        self.assertIn("gin_trgm_ops", indexdef)
        query = self.env["live.message"]._search(
            self.env["live.message"]._live_search_domain("invoice")[-1:]
        )
        self.env.cr.execute("SET LOCAL enable_seqscan = off")
        try:
            self.env.cr.execute(SQL("EXPLAIN %s", query.select()))
            plan = "\n".join(row[0] for row in self.env.cr.fetchall())
        finally:
            self.env.cr.execute("RESET enable_seqscan")
        self.assertIn("live_message__body_index", plan)
