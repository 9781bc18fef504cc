import json

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.live_messaging.bus import control

from .common import LiveCase
from .common_api import LiveApiCase

MESSAGE = "live_messaging/message"
EVENTS = "live_messaging/events"


class BatchMixin:
    @classmethod
    def _setup_batch(cls):
        # every event of a batch/* topic is also queued for NATS
        cls.env["live.nats.mirror"].create({"pattern": "batch/*"})
        cls.topic = cls.env["live.topic"].create(
            {
                "name": "batch/orders",
                "publish_access": "users",
                "json_schema": json.dumps(
                    {"type": "object", "required": ["event"]},
                ),
            }
        )
        cls.other_room = (
            cls.env["live.room"]
            .with_user(cls.user_alice)
            .live_create_group_room("Second", [cls.user_bob.id])
        )
        cls.carol_room = (
            cls.env["live.room"]
            .with_user(cls.user_carol)
            .live_create_group_room("Carol's")
        )

    def last_seq(self, room=None):
        self.env.invalidate_all()
        return (room or self.room).sudo().last_seq

    def counts(self):
        """What a batch may write: messages, sequences, bus rows, NATS rows."""
        self.env.flush_all()
        self.env.invalidate_all()
        rooms = self.room | self.other_room
        return {
            "messages": self.env["live.message"].sudo().search_count([]),
            "room_seqs": rooms.sudo().mapped("last_seq"),
            "topic_seq": self.topic.sudo().last_seq,
            "outbox": self.env["live.nats.outbox"].sudo().search_count([]),
            "bus": self.env["bus.bus"].sudo().search_count([]),
        }


@tagged("post_install", "-at_install")
class TestBatchModel(BatchMixin, LiveCase):
    """``live.publish._publish_batch`` itself: savepoints and what they keep."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_batch()

    def batch(self, items, user=None, **kwargs):
        Publish = self.env["live.publish"].with_user(user or self.user_alice)
        return Publish._publish_batch(items, **kwargs)

    def test_refused_item_keeps_the_notifications_of_the_others(self):
        """Odoo's flushing savepoint clears every precommit hook on rollback:
        the items written before a refused one must still be pushed."""
        self.reset_bus()
        results = self.batch(
            [
                {"room_id": self.room.id, "body": "one"},
                {"room_id": self.room.id, "body": ""},  # refused: empty
                {"topic": self.topic.name, "payload": {"event": "paid"}},
                {"topic": self.topic.name, "payload": {"no": "event"}},  # schema
                {"room_id": self.room.id, "body": "two"},
            ]
        )
        self.assertEqual(
            [result.get("status") for result in results], [201, None, 201, None, 201]
        )
        self.assertEqual(
            [type(result.get("refusal")).__name__ for result in results],
            ["NoneType", "InputError", "NoneType", "PayloadSchemaError", "NoneType"],
        )
        pushed = self.pushed(self.room, MESSAGE)
        self.assertEqual([p["body"] for p in pushed], ["one", "two"])
        # gapless: the refused item gave its number back
        self.assertEqual(pushed[1]["seq"], pushed[0]["seq"] + 1)
        events = self.pushed(self.topic, EVENTS)
        self.assertEqual(
            [e["payload"] for p in events for e in p["events"]], [{"event": "paid"}]
        )

    def test_plain_messages_are_written_together_in_item_order(self):
        """New messages with no mention or file are written per room in one
        statement: numbers and ids follow the items' order in each room, a
        message with a mention in between keeps its place, and the queries do
        not grow with the items."""
        self.reset_bus()
        seq, other_seq = self.last_seq(), self.last_seq(self.other_room)
        items = []
        for index in range(6):
            room = self.room if index % 2 == 0 else self.other_room
            items.append({"room_id": room.id, "body": f"m{index}"})
        items.insert(3, {"room_id": self.room.id, "body": "@", "mentions": []})
        items.insert(
            4,
            {
                "room_id": self.room.id,
                "body": "to bob",
                "mentions": [self.user_bob.id],
            },
        )
        results = self.batch(items)
        self.assertEqual([r.get("status") for r in results], [201] * 8)
        bodies = [r["message"]["body"] for r in results]
        self.assertEqual(bodies, ["m0", "m1", "m2", "@", "to bob", "m3", "m4", "m5"])
        in_room = [
            r["message"] for r in results if r["message"]["room_id"] == self.room.id
        ]
        self.assertEqual(
            [m["seq"] for m in in_room], list(range(seq + 1, seq + 1 + len(in_room)))
        )
        self.assertEqual([m["id"] for m in in_room], sorted(m["id"] for m in in_room))
        other = [
            r["message"] for r in results if r["message"]["room_id"] != self.room.id
        ]
        self.assertEqual(
            [m["seq"] for m in other], [other_seq + 1, other_seq + 2, other_seq + 3]
        )
        self.assertEqual(self.last_seq(), seq + len(in_room))
        self.env.invalidate_all()
        self.assertEqual(self.room.sudo().last_message_id.id, in_room[-1]["id"])
        # pushed once each, in order
        self.assertEqual(
            [p["body"] for p in self.pushed(self.room, MESSAGE)],
            [m["body"] for m in in_room],
        )
        # and stored as answered
        stored = self.env["live.message"].sudo().browse([m["id"] for m in in_room])
        self.assertEqual(stored.mapped("body"), [m["body"] for m in in_room])
        self.assertEqual(stored[-1].author_id, self.user_alice)

        def queries(count):
            plain = [
                {"room_id": self.room.id, "body": f"q{n}", "client_id": f"q{count}-{n}"}
                for n in range(count)
            ]
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            self.assertEqual({r["status"] for r in self.batch(plain)}, {201})
            self.env.flush_all()
            return self.env.cr.sql_log_count - before

        queries(1)  # caches warm
        self.assertEqual(queries(50), queries(5))

    def test_savepoint_forgets_what_a_refusal_queued(self):
        Publish = self.env["live.publish"]
        self.reset_bus()
        self.room._bus_send("live_messaging/test", {"n": 1})
        with self.assertRaises(UserError), Publish._batch_savepoint():
            self.room._bus_send("live_messaging/test", {"n": 2})
            control.notify(self.env, channels=[self.user_bob.id])
            raise UserError(self.env._("refused"))
        # what came before stays, and the hooks still work afterwards
        control.notify(self.env, channels=[self.user_carol.id])
        self.room._bus_send("live_messaging/test", {"n": 3})
        self.assertEqual(
            [p["n"] for p in self.pushed(self.room, "live_messaging/test")], [1, 3]
        )
        controls = [
            payload
            for _channel, kind, payload in self.bus_notifications()
            if kind == control.CONTROL_TYPE
        ]
        self.assertEqual(controls, [{"channels": [self.user_carol.id], "validity": []}])

    def test_atomic_refusal_writes_nothing(self):
        self.reset_bus()
        before = self.counts()
        results = self.batch(
            [
                {"room_id": self.room.id, "body": "one", "client_id": "a-1"},
                {"topic": self.topic.name, "payload": {"event": "paid"}},
                {"room_id": self.other_room.id, "body": "two"},
                {"room_id": self.carol_room.id, "body": "not a member"},
            ],
            atomic=True,
        )
        self.assertEqual(
            [result.get("written", True) for result in results],
            [False, False, False, True],
        )
        self.assertIn("refusal", results[3])
        self.assertEqual(self.counts(), before)
        self.assertFalse(self.bus_notifications())
        # what is queued for the commit after the last flush goes too (the
        # mention's notification, sent once the message is stored)
        results = self.batch(
            [
                {"room_id": self.room.id, "body": "hi", "mentions": [self.user_bob.id]},
                {"room_id": self.carol_room.id, "body": "not a member"},
            ],
            atomic=True,
        )
        self.assertEqual([r.get("written", True) for r in results], [False, True])
        self.assertEqual(self.counts(), before)
        self.assertFalse(self.bus_notifications())
        # the same batch, fixed, is written whole (the client_id was not kept)
        results = self.batch(
            [
                {"room_id": self.room.id, "body": "one", "client_id": "a-1"},
                {"topic": self.topic.name, "payload": {"event": "paid"}},
                {"room_id": self.other_room.id, "body": "two"},
            ],
            atomic=True,
        )
        self.assertEqual([result["status"] for result in results], [201, 201, 201])
        after = self.counts()
        self.assertEqual(after["messages"], before["messages"] + 3)
        self.assertEqual(after["outbox"], before["outbox"] + 1)
        self.assertEqual(after["room_seqs"], [seq + 1 for seq in before["room_seqs"]])

    def test_unknown_topic_of_an_administrator_is_created_with_its_event(self):
        results = self.batch(
            [
                {"topic": "batch/new", "payload": {"event": "x"}},
                {"topic": "batch/new", "payload": {"event": "y"}},
                {"topic": "batch/never", "payload": []},  # refused: not an object
            ],
            user=self.user_manager,
        )
        self.assertEqual([r.get("status") for r in results], [201, 201, None])
        self.assertEqual([r["event"]["seq"] for r in results[:2]], [1, 2])
        Topic = self.env["live.topic"]
        self.assertTrue(Topic.search([("name", "=", "batch/new")]))
        # rolled back with the refused event
        self.assertFalse(Topic.search([("name", "=", "batch/never")]))
        # anybody else: no such topic
        results = self.batch([{"topic": "batch/other", "payload": {}}])
        self.assertEqual(type(results[0]["refusal"]).__name__, "MissingError")


@tagged("post_install", "-at_install")
class TestApiBatch(BatchMixin, LiveApiCase):
    """POST /live/api/v1/batch."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_batch()

    def setUp(self):
        super().setUp()
        self.params = self.env["ir.config_parameter"].sudo()

    def batch(self, items, key=None, atomic=None, **kwargs):
        body = {"items": items}
        if atomic is not None:
            body["atomic"] = atomic
        return self.api(
            "POST", "/batch", key or self.key_alice, json_body=body, **kwargs
        )

    def bus_rows(self):
        self.env.cr.precommit.run()
        return [
            json.loads(notif.message)
            for notif in self.env["bus.bus"].sudo().search([], order="id")
        ]

    def test_results_in_order_with_rights_per_item(self):
        self.env["bus.bus"].sudo().search([]).unlink()
        restricted = self.env["live.topic"].create({"name": "batch/closed"})
        items = [
            {"room_id": self.room.id, "body": "first <b>", "payload": {"k": False}},
            {"topic": self.topic.name, "payload": {"event": "paid"}},
            {"room_id": self.carol_room.id, "body": "not a member"},
            {"room_id": 2**31 - 1, "body": "no such room"},
            {"topic": "batch/nope", "payload": {"event": "x"}},
            {"topic": "bad name!", "payload": {}},
            {"topic": restricted.name, "payload": {}},
            {"topic": self.topic.name, "payload": {"no": "event"}},
            {"room_id": self.room.id, "body": "x", "mentions": [self.user_carol.id]},
            {"room_id": self.other_room.id, "body": "second", "client_id": "o-1"},
        ]
        response = self.batch(items)
        self.assertEqual(response.status_code, 200, response.text)
        answer = response.json()
        results = answer["results"]
        self.assertEqual([r["index"] for r in results], list(range(len(items))))
        self.assertEqual(
            [r["status"] for r in results],
            [201, 201, 403, 404, 404, 404, 403, 422, 422, 201],
        )
        self.assertEqual(
            (answer["created"], answer["replayed"], answer["refused"]), (3, 0, 7)
        )
        self.assertEqual(results[7]["error"]["code"], "schema_mismatch")
        self.assertEqual(results[2]["error"]["code"], "forbidden")
        # the answers of the single routes
        message = results[0]["message"]
        self.assertEqual(message["body"], "first &lt;b&gt;")
        self.assertEqual(message["payload"], {"k": False})
        self.assertEqual(message["author"]["app"], "Checkout app")
        self.assertEqual(message["mentions"], [])
        event = results[1]["event"]
        self.assertEqual((event["kind"], event["topic"]), ("event", self.topic.name))
        self.assertEqual(event["author"]["app"], "Checkout app")
        self.assertEqual(results[9]["message"]["client_id"], "o-1")
        single = self.api(
            "GET", f"/rooms/{self.room.id}/messages", self.key_alice
        ).json()["messages"][-1]
        self.assertEqual(single, message)
        # pushed live: exactly the written ones
        rows = self.bus_rows()
        self.assertEqual(
            [row["payload"]["body"] for row in rows if row["type"] == MESSAGE],
            ["first &lt;b&gt;", "second"],
        )
        self.assertEqual(
            [
                e["payload"]
                for row in rows
                if row["type"] == EVENTS
                for e in row["payload"]["events"]
            ],
            [{"event": "paid"}],
        )

    def test_idempotency_per_item(self):
        items = [
            {"room_id": self.room.id, "body": "once", "client_id": "b-1"},
            {
                "topic": self.topic.name,
                "payload": {"event": "e"},
                "idempotency_key": "k",
            },
            # the same key twice in one batch: the second is a replay
            {"room_id": self.room.id, "body": "once", "client_id": "b-1"},
        ]
        first = self.batch(items).json()
        self.assertEqual([r["status"] for r in first["results"]], [201, 201, 200])
        self.assertEqual(
            first["results"][0]["message"]["id"], first["results"][2]["message"]["id"]
        )
        seq = self.last_seq()
        again = self.batch(
            items
            + [
                {"room_id": self.room.id, "body": "other", "client_id": "b-1"},
                {
                    "topic": self.topic.name,
                    "payload": {"event": "f"},
                    "idempotency_key": "k",
                },
            ]
        ).json()
        self.assertEqual(
            [r["status"] for r in again["results"]], [200, 200, 200, 409, 409]
        )
        self.assertEqual(
            [r["error"]["code"] for r in again["results"][3:]],
            ["idempotency_mismatch"] * 2,
        )
        self.assertEqual(
            again["results"][1]["event"]["id"], first["results"][1]["event"]["id"]
        )
        self.assertEqual(
            (again["created"], again["replayed"], again["refused"]), (0, 3, 2)
        )
        self.assertEqual(self.last_seq(), seq)
        # the single route sees the batch's key
        response = self.api(
            "POST",
            f"/rooms/{self.room.id}/messages",
            self.key_alice,
            json_body={"body": "once", "client_id": "b-1"},
        )
        self.assertEqual(response.status_code, 200, response.text)

    def test_partial_failure_keeps_sequences_gapless(self):
        seq = self.last_seq()
        answer = self.batch(
            [
                {"room_id": self.room.id, "body": "a"},
                {"room_id": self.room.id, "body": "  "},
                {"room_id": self.room.id, "body": "b", "payload": {"x": None}},
                {"room_id": self.room.id, "body": "c", "attachment_ids": [2**31 - 1]},
                {"room_id": self.room.id, "body": "d"},
            ]
        ).json()
        self.assertEqual(
            [r["status"] for r in answer["results"]], [201, 422, 201, 422, 201]
        )
        self.assertEqual(answer["results"][1]["error"]["path"], "/body")
        self.assertEqual(
            [answer["results"][i]["message"]["seq"] for i in (0, 2, 4)],
            [seq + 1, seq + 2, seq + 3],
        )
        self.assertEqual(self.last_seq(), seq + 3)

    def test_atomic_refusal_writes_nothing(self):
        self.bus_rows()
        self.env["bus.bus"].sudo().search([]).unlink()
        before = self.counts()
        items = [
            {"room_id": self.room.id, "body": "one"},
            {"topic": self.topic.name, "payload": {"event": "paid"}},
            {"room_id": self.other_room.id, "body": "two"},
            {"room_id": self.carol_room.id, "body": "refused"},
        ]
        response = self.batch(items, atomic=True)
        error = self.assert_api_error(response, 422, "batch_refused")
        self.assertIn("1 of the 4", error["message"])
        answer = response.json()
        self.assertEqual([r["status"] for r in answer["results"]], [424, 424, 424, 403])
        self.assertEqual(
            {r["error"]["code"] for r in answer["results"][:3]}, {"not_written"}
        )
        self.assertEqual(
            (answer["created"], answer["replayed"], answer["refused"]), (0, 0, 4)
        )
        self.assertEqual(self.counts(), before)
        self.assertEqual(self.bus_rows(), [])
        # atomic and fine: everything is written, the outbox row with the event
        response = self.batch(items[:3], atomic=True)
        self.assertEqual(response.status_code, 200, response.text)
        after = self.counts()
        self.assertEqual(after["messages"], before["messages"] + 3)
        self.assertEqual(after["topic_seq"], before["topic_seq"] + 1)
        self.assertEqual(after["outbox"], before["outbox"] + 1)

    def test_limits(self):
        response = self.api("GET", "/batch", self.key_alice)
        self.assertEqual(response.json(), {"max_items": 1000, "max_bytes": 4194304})
        self.params.set_param("live_messaging.batch_max_items", "3")
        self.params.set_param("live_messaging.batch_max_bytes", "2000")
        self.env.flush_all()
        self.assertEqual(
            self.api("GET", "/batch", self.key_alice).json(),
            {"max_items": 3, "max_bytes": 2000},
        )
        seq = self.last_seq()
        item = {"room_id": self.room.id, "body": "x"}
        self.assert_api_error(self.batch([item] * 4), 413, "payload_too_large")
        big = {"room_id": self.room.id, "body": "x" * 2000}
        self.assert_api_error(self.batch([big]), 413, "payload_too_large")
        # larger than a single post may be, within the batch's limits
        self.params.set_param("live_messaging.batch_max_items", "10")
        self.params.set_param("live_messaging.batch_max_bytes", "100000")
        self.env.flush_all()
        bodies = [{"room_id": self.room.id, "body": "y" * 3900} for _i in range(5)]
        response = self.batch(bodies)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(self.last_seq(), seq + 5)

    def test_rate_limit_counts_every_item(self):
        self.params.set_param("live_messaging.api_rate_limit", "60")
        self.params.set_param("live_messaging.api_rate_burst", "5")
        self.env.flush_all()
        key = self.api_key(self.user_alice, "batcher")
        items = [{"room_id": self.room.id, "body": f"n{i}"} for i in range(10)]
        self.assertEqual(self.batch(items, key).status_code, 200)
        # 10 items of a budget of 5: the debt is paid back first (1 a second)
        response = self.api("GET", "/me", key)
        self.assert_api_error(response, 429, "rate_limited")
        self.assertGreaterEqual(int(response.headers["Retry-After"]), 5)
        response = self.batch(items, key)
        self.assert_api_error(response, 429)

    def test_malformed_is_400(self):
        seq = self.last_seq()
        ok = {"room_id": self.room.id, "body": "x"}
        cases = [
            (None, None),
            ([ok], ""),
            ({}, "/items"),
            ({"items": []}, "/items"),
            ({"items": "x"}, "/items"),
            ({"items": [ok], "atomic": "yes"}, "/atomic"),
            ({"items": [ok, 1]}, "/items/1"),
            ({"items": [ok, {"body": "no room"}]}, "/items/1"),
            ({"items": [{"room_id": self.room.id, "body": 5}]}, "/items/0/body"),
            ({"items": [{"room_id": "1", "body": "x"}]}, "/items/0/room_id"),
            ({"items": [{"room_id": 0, "body": "x"}]}, "/items/0/room_id"),
            ({"items": [dict(ok, client_id="no spaces")]}, "/items/0/client_id"),
            ({"items": [dict(ok, mentions=[True])]}, "/items/0/mentions/0"),
            ({"items": [dict(ok, payload=[1])]}, "/items/0/payload"),
            ({"items": [dict(ok, topic=self.topic.name, payload={})]}, "/items/0"),
            ({"items": [{"topic": self.topic.name}]}, "/items/0"),
            ({"items": [{"topic": 5, "payload": {}}]}, "/items/0/topic"),
            ({"items": [dict(ok, extra=1)]}, "/items/0"),
        ]
        for body, path in cases:
            with self.subTest(body=body):
                response = self.api(
                    "POST",
                    "/batch",
                    self.key_alice,
                    data=json.dumps(body) if body is not None else None,
                    headers={"Content-Type": "application/json"},
                )
                error = self.assert_api_error(response, 400, "bad_request")
                if path is not None:
                    self.assertEqual(error.get("path"), path)
        response = self.api(
            "POST",
            "/batch",
            self.key_alice,
            data='{"items": [',
            headers={"Content-Type": "application/json"},
        )
        self.assert_api_error(response, 400)
        self.assertEqual(self.last_seq(), seq)

    def test_odd_input(self):
        self.params.set_param("live_messaging.payload_max_depth", "6")
        self.env.flush_all()

        def nested(depth):
            value = {}
            for _i in range(depth - 1):
                value = {"a": value}
            return value

        odd = "e\u0301 \u202eRTL\u202c \u200b zw \U0001f600 \u2028 <&> \ufeff"
        response = self.batch(
            [
                {"room_id": self.room.id, "body": odd, "payload": nested(6)},
                {"topic": self.topic.name, "payload": dict(nested(6), event=odd)},
                {"room_id": self.room.id, "body": "x" * 4001},
            ]
        )
        self.assertEqual(response.status_code, 200, response.text)
        results = response.json()["results"]
        self.assertEqual([r["status"] for r in results], [201, 201, 422])
        self.assertEqual(
            results[0]["message"]["body"],
            odd.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"),
        )
        self.assertEqual(results[1]["event"]["payload"]["event"], odd)
        # a payload nested deeper than allowed, a lone surrogate, NUL: the
        # whole request is refused before anything is read further
        for item, path in (
            ({"room_id": self.room.id, "body": "x", "payload": nested(7)}, None),
            ({"topic": self.topic.name, "payload": nested(7)}, None),
            ({"room_id": self.room.id, "body": "\ud800"}, "/items/0/body"),
            ({"topic": self.topic.name, "payload": {"k": "\u0000"}}, None),
        ):
            with self.subTest(item=item):
                response = self.api(
                    "POST",
                    "/batch",
                    self.key_alice,
                    data=json.dumps({"items": [item]}),
                    headers={"Content-Type": "application/json"},
                )
                error = self.assert_api_error(response, 400)
                if path:
                    self.assertEqual(error["path"], path)
        # deeply nested far beyond any limit: refused, never a crash
        deep = "[" * 100000 + "]" * 100000
        response = self.api(
            "POST",
            "/batch",
            self.key_alice,
            data=f'{{"items": {deep}}}',
            headers={"Content-Type": "application/json"},
        )
        self.assert_api_error(response, 400)

    def test_session_and_no_key(self):
        self.assert_api_error(
            self.api("POST", "/batch", json_body={"items": [{}]}), 401
        )
        self.authenticate("lm_bob", "lm_bob")
        response = self.opener.post(
            self.api_url("/batch"),
            json={"items": [{"room_id": self.room.id, "body": "from bob's browser"}]},
            timeout=12,
        )
        self.assertEqual(response.status_code, 200, response.text)
        result = response.json()["results"][0]
        self.assertEqual(result["status"], 201)
        self.assertEqual(result["message"]["author"]["name"], "Bob")
        self.assertIsNone(result["message"]["author"]["app"])
