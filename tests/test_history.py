from contextlib import contextmanager

from odoo.exceptions import ValidationError
from odoo.tests import tagged

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
