from contextlib import contextmanager

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import SQL

from .common import LiveCase


@tagged("post_install", "-at_install")
class TestHistory(LiveCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        room = cls.room.with_user(cls.user_alice)
        cls.ids = [room._post_message(f"m{i}").id for i in range(120)]

    def fetch(self, **kwargs):
        return self.room.with_user(self.user_bob).live_fetch_messages(**kwargs)

    def test_walk_back_from_newest(self):
        seen = []
        page = self.fetch(limit=50)
        while True:
            ids = [m["id"] for m in page["messages"]]
            self.assertEqual(ids, sorted(ids), "each page reads oldest first")
            seen = ids + seen
            if not page["has_more"]:
                break
            page = self.fetch(before=ids[0], limit=50)
        self.assertEqual(seen, self.ids)

    def test_walk_forward(self):
        page = self.fetch(after=0, limit=50)
        self.assertEqual([m["id"] for m in page["messages"]], self.ids[:50])
        self.assertTrue(page["has_more"])
        page = self.fetch(after=self.ids[99], limit=50)
        self.assertEqual([m["id"] for m in page["messages"]], self.ids[100:])
        self.assertFalse(page["has_more"])
        page = self.fetch(after=self.ids[-1])
        self.assertEqual(page, {"messages": [], "has_more": False})

    def test_boundaries(self):
        # exactly one page left: no more
        page = self.fetch(before=self.ids[50], limit=50)
        self.assertEqual([m["id"] for m in page["messages"]], self.ids[:50])
        self.assertFalse(page["has_more"])
        page = self.fetch(before=self.ids[51], limit=50)
        self.assertTrue(page["has_more"])
        self.assertEqual(len(self.fetch()["messages"]), 50, "default limit")
        self.assertEqual(len(self.fetch(limit=1000)["messages"]), 120, "cap is 200")
        self.assertEqual(self.fetch(limit=1)["messages"][0]["id"], self.ids[-1])

    def test_bad_cursors(self):
        for kwargs in (
            {"limit": 0},
            {"limit": -5},
            {"limit": "ten"},
            {"before": "x"},
            {"after": -1},
            {"before": 5, "after": 1},
        ):
            with self.subTest(**kwargs), self.assertRaises(ValidationError):
                self.fetch(**kwargs)

    def test_keyset_not_offset(self):
        """A page is one keyset query on the id, whatever its depth."""
        queries = []
        with contextmanager(self._patchExecute)(queries):
            self.env["live.message"].sudo()._fetch_page(
                [("room_id", "=", self.room.id)], before=self.ids[10], limit=5
            )
        searches = [
            q
            for q in queries
            if q.lstrip().upper().startswith("SELECT")
            and "LIMIT" in q.upper()
            and "live_message" in q
        ]
        self.assertTrue(searches)
        self.assertFalse([q for q in queries if "OFFSET" in q.upper()], queries)
        self.assertIn('"live_message"."id" <', searches[0])


@tagged("post_install", "-at_install")
class TestHistoryIndexes(LiveCase):
    """A page of history reads one index range, however many messages the
    other rooms (or topics) hold: the plan of a quiet room's page in a table
    full of a busy room's messages."""

    BUSY = 30000

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        room = cls.room.with_user(cls.user_alice)
        for i in range(3):
            room._post_message(f"quiet {i}")
        Topic = cls.env["live.topic"].sudo()
        cls.topic = Topic.create({"name": "test/quiet"})
        cls.topic._publish({"n": 1})
        busy_room = room.live_create_group_room("Busy", [cls.user_bob.id])
        busy_topic = Topic.create({"name": "test/busy"})
        cls.env.flush_all()
        # the busy ones come after: a scan of the newest ids meets theirs first
        for target, target_id in (
            ("room_id", busy_room.id),
            ("topic_id", busy_topic.id),
        ):
            cls.env.cr.execute(
                SQL(
                    """
                    INSERT INTO live_message (%s, seq, kind, body, create_date)
                    SELECT %s, n, %s, 'busy', now() AT TIME ZONE 'UTC'
                      FROM generate_series(1, %s) AS n
                    """,
                    SQL.identifier(target),
                    target_id,
                    "chat" if target == "room_id" else "event",
                    cls.BUSY,
                )
            )
        cls.env.cr.execute("ANALYZE live_message")

    def assert_index_range(self, domain, index, **kwargs):
        Message = self.env["live.message"].sudo()
        limit = 50
        if kwargs.get("after") is not None:
            domain = [*domain, ("id", ">", kwargs["after"])]
            order = "id asc"
        else:
            if kwargs.get("before") is not None:
                domain = [*domain, ("id", "<", kwargs["before"])]
            order = "id desc"
        query = Message._search(domain, order=order, limit=limit + 1)
        self.env.cr.execute(SQL("EXPLAIN %s", query.select()))
        plan = "\n".join(row[0] for row in self.env.cr.fetchall())
        # read in the page's order from the target's range of the index
        direction = " Backward" if order == "id desc" else ""
        self.assertRegex(plan, rf"Index (Only )?Scan{direction} using {index} ")
        self.assertNotIn("Sort", plan)
        self.assertNotIn("Seq Scan", plan)
        # and the page is the quiet one's
        page = Message._fetch_page(domain[:1], **kwargs)
        self.assertNotIn("busy", [m["body"] for m in page["messages"]])

    def test_room_page_is_an_index_range(self):
        domain = [("room_id", "=", self.room.id)]
        last = self.room.last_message_id.id
        for kwargs in ({}, {"before": last}, {"after": 0}):
            with self.subTest(**kwargs):
                self.assert_index_range(
                    domain, "live_message_room_id_id_index", **kwargs
                )

    def test_topic_page_is_an_index_range(self):
        domain = [("topic_id", "=", self.topic.id)]
        for kwargs in ({}, {"after": 0}):
            with self.subTest(**kwargs):
                self.assert_index_range(
                    domain, "live_message_topic_id_id_index", **kwargs
                )
