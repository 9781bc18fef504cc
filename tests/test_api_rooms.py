import json

from odoo.tests import tagged

from odoo.addons.bus.models.bus import channel_with_db, json_dump

from .common_api import LiveApiCase

MESSAGE = "live_messaging/message"


@tagged("post_install", "-at_install")
class TestApiRooms(LiveApiCase):
    """Rooms and messages through /live/api/v1, as an external app."""

    def messages_url(self, room=None):
        return f"/rooms/{(room or self.room).id}/messages"

    def test_list_rooms_with_unread_and_last_message(self):
        self.room.with_user(self.user_bob)._post_message("one")
        last = self.room.with_user(self.user_bob)._post_message("two")
        response = self.api("GET", "/rooms", self.key_alice)
        self.assertEqual(response.status_code, 200, response.text)
        rooms = {room["id"]: room for room in response.json()["rooms"]}
        self.assertIn(self.room.id, rooms)
        self.assertEqual(rooms[self.room.id]["unread"], 2)
        self.assertEqual(rooms[self.room.id]["last_message_id"], last.id)
        self.assertEqual(rooms[self.room.id]["last_seq"], last.seq)
        # carol is in no room with them
        response = self.api("GET", "/rooms", self.key_carol)
        self.assertNotIn(self.room.id, [r["id"] for r in response.json()["rooms"]])

    def test_get_room_403_404(self):
        response = self.api("GET", f"/rooms/{self.room.id}", self.key_bob)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["name"], "Team")
        # another user's room: it exists, carol may not read it
        self.assert_api_error(
            self.api("GET", f"/rooms/{self.room.id}", self.key_carol), 403, "forbidden"
        )
        for path in (
            f"/rooms/{self.room.id}/messages",
            f"/rooms/{self.room.id}/read",
        ):
            method = "GET" if path.endswith("messages") else "POST"
            with self.subTest(path=path):
                self.assert_api_error(self.api(method, path, self.key_carol), 403)
        missing = self.env["live.room"].sudo().search([], order="id desc", limit=1)
        for room_id in (missing.id + 1000, 2**31 - 1, 2**31, 10**30, 0):
            with self.subTest(room_id=room_id):
                self.assert_api_error(
                    self.api("GET", f"/rooms/{room_id}", self.key_bob), 404
                )

    def test_create_group_room(self):
        response = self.api(
            "POST",
            "/rooms",
            self.key_alice,
            json_body={
                "type": "group",
                "name": "Checkout",
                "description": "Orders of the shop",
                "member_ids": [self.user_carol.id],
            },
        )
        self.assertEqual(response.status_code, 201, response.text)
        room = response.json()
        self.assertEqual(room["type"], "group")
        self.assertEqual(
            {m["id"] for m in room["members"]},
            {self.user_alice.id, self.user_carol.id},
        )
        created = self.env["live.room"].browse(room["id"])
        self.assertEqual(created.description, "Orders of the shop")
        self.assertEqual(created.create_uid, self.user_alice)

    def test_create_room_refusals_change_nothing(self):
        Room = self.env["live.room"].sudo()
        before = Room.search_count([])
        cases = [
            # (body, status, path)
            ({"type": "group"}, 400, "/name"),
            ({"type": "party", "name": "x"}, 400, "/type"),
            ({"name": "x"}, 400, ""),
            ({"type": "group", "name": "x", "member_ids": "all"}, 400, "/member_ids"),
            ({"type": "group", "name": "x", "member_ids": [0]}, 400, "/member_ids/0"),
            ({"type": "group", "name": "  "}, 422, None),
            ({"type": "group", "name": "x", "member_ids": [2**31 - 2]}, 422, None),
            # portal users cannot chat
            (
                {"type": "group", "name": "x", "member_ids": [self.user_portal.id]},
                422,
                None,
            ),
            ({"type": "direct"}, 400, "/user_id"),
            ({"type": "direct", "user_id": self.user_alice.id}, 422, None),
            ({"type": "direct", "user_id": self.user_portal.id}, 422, None),
            ([1, 2], 400, ""),
        ]
        for body, status, path in cases:
            with self.subTest(body=body):
                response = self.api("POST", "/rooms", self.key_alice, json_body=body)
                error = self.assert_api_error(response, status)
                if path is not None:
                    self.assertEqual(error["path"], path)
        self.assert_api_error(
            self.api(
                "POST",
                "/rooms",
                self.key_alice,
                data="{not json",
                headers={"Content-Type": "application/json"},
            ),
            400,
            "bad_request",
        )
        self.assert_api_error(self.api("POST", "/rooms", self.key_alice), 400)
        self.assertEqual(Room.search_count([]), before)

    def test_create_direct_room_201_then_200(self):
        body = {"type": "direct", "user_id": self.user_carol.id}
        first = self.api("POST", "/rooms", self.key_alice, json_body=body)
        self.assertEqual(first.status_code, 201, first.text)
        self.assertEqual(first.json()["type"], "direct")
        self.assertEqual(first.json()["name"], "Carol")
        again = self.api("POST", "/rooms", self.key_alice, json_body=body)
        self.assertEqual(again.status_code, 200, again.text)
        self.assertEqual(again.json()["id"], first.json()["id"])
        # the other side gets the same room
        body = {"type": "direct", "user_id": self.user_alice.id}
        theirs = self.api("POST", "/rooms", self.key_carol, json_body=body)
        self.assertEqual(theirs.status_code, 200)
        self.assertEqual(theirs.json()["id"], first.json()["id"])

    def test_post_message_and_idempotent_retry(self):
        body = {"body": "Order 42 paid", "client_id": "order-42-paid"}
        response = self.api("POST", self.messages_url(), self.key_alice, json_body=body)
        self.assertEqual(response.status_code, 201, response.text)
        message = response.json()
        self.assertEqual(message["body"], "Order 42 paid")
        self.assertEqual(message["author"]["id"], self.user_alice.id)
        self.assertEqual(message["author"]["app"], "Checkout app")
        self.assertEqual(message["client_id"], "order-42-paid")
        self.assertEqual(message["seq"], self.room.last_seq)
        # pushed live to the room, as any message
        self.assertEqual(self.pushed_bodies(), ["Order 42 paid"])
        # the retry (same client_id, same author) returns the first message
        retry = self.api("POST", self.messages_url(), self.key_alice, json_body=body)
        self.assertEqual(retry.status_code, 200, retry.text)
        self.assertEqual(retry.json()["id"], message["id"])
        self.assertEqual(
            self.env["live.message"].search_count(
                [("room_id", "=", self.room.id), ("client_id", "=", "order-42-paid")]
            ),
            1,
        )
        self.assertEqual(self.pushed_bodies(), [])
        # the same client_id from another author is another message
        other = self.api("POST", self.messages_url(), self.key_bob, json_body=body)
        self.assertEqual(other.status_code, 201)
        self.assertNotEqual(other.json()["id"], message["id"])
        # with a JSON payload, and text beyond ASCII
        response = self.api(
            "POST",
            self.messages_url(),
            self.key_alice,
            json_body={"body": "Commande payée ✓ 注文", "payload": {"order_id": 42}},
        )
        self.assertEqual(response.status_code, 201)
        self.assertEqual(response.json()["payload"], {"order_id": 42})
        self.assertEqual(response.json()["body"], "Commande payée ✓ 注文")

    def pushed_bodies(self):
        """Bodies pushed to the room since the last call."""
        bodies = [p["body"] for p in self.pushed_to_room()]
        self.env["bus.bus"].sudo().search([]).unlink()
        return bodies

    def pushed_to_room(self):
        self.env.cr.precommit.run()
        channel = json_dump(channel_with_db(self.env.cr.dbname, self.room))
        return [
            json.loads(n.message)["payload"]
            for n in self.env["bus.bus"].sudo().search([("channel", "=", channel)])
            if json.loads(n.message)["type"] == MESSAGE
        ]

    def test_post_message_refusals_change_nothing(self):
        self.pushed_bodies()
        count = len(self.room.sudo().message_ids)
        self.env["ir.config_parameter"].sudo().set_param(
            "live_messaging.api_max_body_bytes", "8192"
        )
        self.env.flush_all()
        cases = [
            # (key, data, headers, status, code)
            (self.key_alice, {"body": ""}, {}, 422, "unprocessable"),
            (self.key_alice, {"body": "x" * 5000}, {}, 422, "unprocessable"),
            (self.key_alice, {"body": 42}, {}, 400, "bad_request"),
            (self.key_alice, {"text": "hi"}, {}, 400, "bad_request"),
            (self.key_alice, {"body": "x", "client_id": "no spaces"}, {}, 400, None),
            (self.key_alice, {"body": "x", "payload": [1]}, {}, 400, None),
            (self.key_alice, ["body"], {}, 400, None),
            (self.key_alice, '{"body": "x"', {}, 400, "bad_request"),
            (self.key_alice, '{"body": NaN}', {}, 400, "bad_request"),
            (self.key_alice, "[" * 100000, {}, 413, "payload_too_large"),
            (self.key_alice, {"body": "y" * 9000}, {}, 413, "payload_too_large"),
            (
                self.key_alice,
                '{"body": "x"}',
                {"Content-Type": "text/plain"},
                415,
                "unsupported_media_type",
            ),
            (self.key_carol, {"body": "intruder"}, {}, 403, "forbidden"),
        ]
        for key, data, headers, status, code in cases:
            with self.subTest(data=str(data)[:40], status=status):
                kwargs = {"headers": headers}
                if isinstance(data, str):
                    kwargs["data"] = data.encode()
                    kwargs["headers"] = {"Content-Type": "application/json", **headers}
                else:
                    kwargs["json_body"] = data
                response = self.api("POST", self.messages_url(), key, **kwargs)
                self.assert_api_error(response, status, code)
        self.assertEqual(len(self.room.sudo().message_ids), count)
        self.assertEqual(self.pushed_bodies(), [])
        # oversized body announced by Content-Length, refused before reading
        response = self.api(
            "POST",
            self.messages_url(),
            self.key_alice,
            data=b"x" * 8193,
            headers={"Content-Type": "application/json"},
        )
        self.assert_api_error(response, 413)

    def test_post_in_archived_room_is_409(self):
        self.room.sudo().active = False
        self.env.flush_all()
        response = self.api(
            "POST", self.messages_url(), self.key_alice, json_body={"body": "hello?"}
        )
        self.assert_api_error(response, 409, "conflict")
        # its history stays readable
        response = self.api("GET", self.messages_url(), self.key_alice)
        self.assertEqual(response.status_code, 200)

    def test_history_pagination(self):
        Room = self.env["live.room"]
        room = Room.with_user(self.user_alice).live_create_group_room(
            "Busy", [self.user_bob.id]
        )
        ids = [
            room.with_user(self.user_bob)._post_message(f"m{i}").id for i in range(205)
        ]
        self.env.flush_all()
        url = self.messages_url(room)

        def page(**params):
            response = self.api("GET", url, self.key_alice, params=params)
            self.assertEqual(response.status_code, 200, response.text)
            data = response.json()
            return [m["id"] for m in data["messages"]], data["has_more"]

        # default: the newest 50, oldest first
        got, more = page()
        self.assertEqual(got, ids[-50:])
        self.assertTrue(more)
        # the limit is capped at 200
        got, more = page(limit=1000)
        self.assertEqual(got, ids[-200:])
        self.assertTrue(more)
        # backwards with before=, until the start
        got, more = page(before=ids[3], limit=3)
        self.assertEqual(got, ids[:3])
        self.assertFalse(more)
        got, more = page(before=ids[4], limit=3)
        self.assertEqual(got, ids[1:4])
        self.assertTrue(more)
        # forwards with after=, until the end
        got, more = page(after=ids[-4], limit=3)
        self.assertEqual(got, ids[-3:])
        self.assertFalse(more)
        got, more = page(after=ids[-5], limit=3)
        self.assertEqual(got, ids[-4:-1])
        self.assertTrue(more)
        got, more = page(after=ids[-1])
        self.assertEqual((got, more), ([], False))
        got, more = page(after=0, limit=1)
        self.assertEqual((got, more), (ids[:1], True))
        # the seq numbers of a page follow each other
        response = self.api(
            "GET", url, self.key_alice, params={"after": ids[9], "limit": 5}
        )
        self.assertEqual(
            [m["seq"] for m in response.json()["messages"]], [11, 12, 13, 14, 15]
        )
        for params in (
            {"limit": 0},
            {"limit": -1},
            {"limit": "ten"},
            {"after": "1.5"},
            {"before": -3},
            {"after": 2**31},
            {"after": ids[0], "before": ids[-1]},
        ):
            with self.subTest(params=params):
                response = self.api("GET", url, self.key_alice, params=params)
                self.assert_api_error(response, 400, "bad_request")

    def test_mark_read(self):
        first = self.room.with_user(self.user_bob)._post_message("one")
        self.room.with_user(self.user_bob)._post_message("two")
        self.room.with_user(self.user_bob)._post_message("three")
        url = f"/rooms/{self.room.id}/read"
        response = self.api(
            "POST", url, self.key_alice, json_body={"message_id": first.id}
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(
            response.json(),
            {"room_id": self.room.id, "last_seen_seq": first.seq, "unread": 2},
        )
        # no body: up to the last message
        response = self.api("POST", url, self.key_alice)
        self.assertEqual(response.json()["unread"], 0)
        self.assertEqual(response.json()["last_seen_seq"], self.room.last_seq)
        # never backwards
        response = self.api(
            "POST", url, self.key_alice, json_body={"message_id": first.id}
        )
        self.assertEqual(response.json()["last_seen_seq"], self.room.last_seq)
        other = (
            self.env["live.room"]
            .with_user(self.user_bob)
            .live_create_group_room("Other", [self.user_alice.id])
        )
        elsewhere = other.with_user(self.user_bob)._post_message("elsewhere")
        self.env.flush_all()
        response = self.api(
            "POST", url, self.key_alice, json_body={"message_id": elsewhere.id}
        )
        self.assert_api_error(response, 422)
        response = self.api("POST", url, self.key_alice, json_body={"message_id": "x"})
        self.assert_api_error(response, 400)
