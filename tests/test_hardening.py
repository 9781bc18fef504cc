"""Issue 11: no outbound fetch, no regex freeze, no 500 on bad input, limits
that hold, rooms that should not exist, one body contract, idempotency keys
that cannot be reused for another request."""

import http.server
import json
import threading
import time

from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged

from odoo.addons.live_messaging.models.live_message import IdempotencyMismatch
from odoo.addons.live_messaging.utils.schema import PayloadSchemaError

from .common import LiveCase
from .common_api import LiveApiCase

EVENTS = "live_messaging/events"


class CountingServer:
    """A loopback HTTP server that counts the requests it gets (a schema
    fetched from it would be one) and answers slowly, as the attack did."""

    def __init__(self, delay=2.0):
        hits = self.hits = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                hits.append(self.path)
                time.sleep(delay)
                body = json.dumps({"type": "string", "title": "REMOTE SECRET"})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def nested(depth, leaf=1):
    value = leaf
    for _index in range(depth - 1):
        value = {"a": value}
    return {"a": value}


class SchemaMixin:
    def counting_server(self):
        server = CountingServer()
        self.addCleanup(server.close)
        return server

    def store_schema_unchecked(self, topic, schema):
        """A schema stored before these checks existed (no constraint ran)."""
        self.env.cr.execute(
            "UPDATE live_topic SET json_schema = %s WHERE id = %s",
            [json.dumps(schema), topic.id],
        )
        topic.invalidate_recordset(["json_schema"])


@tagged("post_install", "-at_install")
class TestTopicSchemas(SchemaMixin, LiveCase):
    """Items 1 and 2: schemas never fetch anything, patterns run in linear
    time, a validation has a time limit."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.topic = cls.env["live.topic"].create(
            {
                "name": "hardening/schemas",
                "publish_access": "users",
            }
        )

    def publish(self, payload):
        return self.topic.with_user(self.user_alice).live_publish(payload)

    def test_schemas_referring_outside_are_refused(self):
        server = self.counting_server()
        refused = {
            "remote $ref": {"$ref": f"{server.url}/x.json"},
            "relative $ref under a remote $id": {
                "$id": f"{server.url}/schemas/root.json",
                "properties": {"a": {"$ref": "other.json"}},
            },
            "remote $ref deep inside": {
                "properties": {"a": {"items": {"$ref": f"{server.url}/x.json#/a"}}}
            },
            "a $ref to nothing": {"properties": {"a": {"$ref": "#/$defs/none"}}},
            "a $ref to itself": {"$ref": "#"},
            "a loop of $ref": {
                "$defs": {
                    "a": {"allOf": [{"$ref": "#/$defs/b"}]},
                    "b": {"$ref": "#/$defs/a"},
                },
                "properties": {"x": {"$ref": "#/$defs/a"}},
            },
            "a look-ahead pattern": {"properties": {"a": {"pattern": "(?=a)a"}}},
            "a back-reference pattern": {"patternProperties": {"(a)\\1": {}}},
            "nested 100 levels": nested(100),
        }
        for name, schema in refused.items():
            with self.subTest(name), self.assertRaises(ValidationError) as caught:
                self.topic.json_schema = json.dumps(schema)
                self.topic.flush_recordset()
            self.assertIn("refused", caught.exception.args[0])
        self.assertEqual(server.hits, [], "nothing may be fetched")
        # what stays allowed: references inside the schema, recursion that
        # goes deeper into the payload, the bundled meta-schemas
        allowed = [
            {
                "$id": "https://example.com/order.json",
                "$defs": {"qty": {"$id": "qty.json", "type": "integer"}},
                "properties": {"qty": {"$ref": "qty.json"}},
            },
            {"properties": {"children": {"items": {"$ref": "#"}}}},
            {"$defs": {"a": {"$anchor": "amount", "minimum": 0}}, "$ref": "#amount"},
            {
                "properties": {
                    "schema": {"$ref": "https://json-schema.org/draft/2020-12/schema"}
                }
            },
            {"const": {"$ref": f"{server.url}/only-data"}},
        ]
        for schema in allowed:
            self.topic.json_schema = json.dumps(schema)
            self.topic.flush_recordset()
        self.assertEqual(server.hits, [])

    def test_stored_remote_schema_is_never_fetched(self):
        server = self.counting_server()
        for schema in (
            {"$ref": f"{server.url}/x.json"},
            {"$id": f"{server.url}/a/", "properties": {"x": {"$ref": "y.json"}}},
            {"properties": {"x": {"$ref": "#/nowhere"}}},
            {"properties": {"x": {"$ref": "#/properties/x"}}},
        ):
            self.store_schema_unchecked(self.topic, schema)
            started = time.monotonic()
            with (
                self.subTest(schema=schema),
                self.assertRaises(PayloadSchemaError) as caught,
            ):
                self.publish({"x": "y"})
            self.assertLess(time.monotonic() - started, 1.5, "no remote wait")
            self.assertEqual(caught.exception.code, "schema_invalid")
            self.assertNotIn("REMOTE SECRET", caught.exception.args[0])
        self.assertEqual(server.hits, [])
        self.assertEqual(self.topic.last_seq, 0)

    def test_patterns_run_in_linear_time(self):
        self.topic.json_schema = json.dumps(
            {
                "properties": {"code": {"type": "string", "pattern": "^(a+)+$"}},
                "patternProperties": {"^(x+x+)+y$": {"type": "integer"}},
                "additionalProperties": {"type": "string"},
            }
        )
        evil = "a" * 20000 + "!"
        started = time.monotonic()
        with self.assertRaises(PayloadSchemaError) as caught:
            self.publish({"code": evil})
        self.assertEqual(caught.exception.path, "/code")
        with self.assertRaises(PayloadSchemaError) as caught:
            self.publish({"x" * 5000 + "y": "not an integer"})
        # a key the pattern does not match falls to additionalProperties
        with self.assertRaises(PayloadSchemaError):
            self.publish({"x" * 5000: 12})
        self.assertLess(time.monotonic() - started, 5.0)
        self.publish({"code": "aaaa", "xxy": 3, "other": "fine"})
        self.assertEqual(self.topic.last_seq, 1)

    def test_validation_has_a_time_limit(self):
        # 2^40 branches when nothing matches: only a time limit stops it
        defs = {
            f"a{i}": {"anyOf": [{"$ref": f"#/$defs/a{i + 1}"}] * 2} for i in range(40)
        }
        defs["a40"] = {"type": "string"}
        self.topic.json_schema = json.dumps({"$defs": defs, "$ref": "#/$defs/a0"})
        self.env["ir.config_parameter"].sudo().set_param(
            "live_messaging.schema_time_limit_ms", "200"
        )
        started = time.monotonic()
        with self.assertRaises(PayloadSchemaError) as caught:
            self.publish({"x": 1})
        self.assertEqual(caught.exception.code, "schema_timeout")
        self.assertLess(time.monotonic() - started, 3.0)

    def test_unique_items_is_not_quadratic(self):
        self.topic.json_schema = json.dumps(
            {"properties": {"l": {"uniqueItems": True}}}
        )
        items = [{"n": i} for i in range(5000)]
        started = time.monotonic()
        self.publish({"l": items})
        with self.assertRaises(PayloadSchemaError):
            self.publish({"l": [*items, {"n": 3.0}]})
        self.publish({"l": [1, True, "1", [1], {"1": 1}]})
        self.assertLess(time.monotonic() - started, 5.0)


@tagged("post_install", "-at_install")
class TestBadInputModels(LiveCase):
    """Item 3 at the model layer (what RPC callers reach): refused with the
    path at fault, before anything is written."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.topic = cls.env["live.topic"].create(
            {"name": "hardening/input", "publish_access": "users"}
        )

    def assert_refused(self, func, path=None):
        with self.assertRaises(ValidationError) as caught:
            func()
        if path is not None:
            self.assertEqual(getattr(caught.exception, "path", None), path)
        return caught.exception

    def test_text_postgresql_cannot_store(self):
        room = self.room.with_user(self.user_alice)
        Room = self.env["live.room"].with_user(self.user_alice)
        for bad in ("a\x00b", "x\ud800y", "\udfff"):
            with self.subTest(text=bad):
                self.assert_refused(lambda b=bad: room.live_post_message(b), "/body")
                self.assert_refused(
                    lambda b=bad: room.live_post_message("ok", payload={"k": b}),
                    "/payload/k",
                )
                self.assert_refused(
                    lambda b=bad: room.live_post_message("ok", payload={b: 1})
                )
                self.assert_refused(
                    lambda b=bad: self.topic.with_user(self.user_alice).live_publish(
                        {"list": ["fine", {"deep": b}]}
                    ),
                    "/list/1/deep",
                )
                self.assert_refused(
                    lambda b=bad: Room.live_create_group_room(b, []), "/name"
                )
                self.assert_refused(
                    lambda b=bad: Room.live_create_group_room("ok", [], b),
                    "/description",
                )
                self.assert_refused(
                    lambda b=bad: room.write({"description": b}), "/description"
                )
                self.assert_refused(
                    lambda b=bad: self.topic.write({"description": b}), "/description"
                )
        self.assertEqual(self.room.last_seq, 0)
        self.assertEqual(self.topic.last_seq, 0)
        self.assertEqual(self.env["live.room"].search_count([("name", "=", "ok")]), 0)

    def test_nesting_and_numbers(self):
        publish = self.topic.with_user(self.user_alice).live_publish
        publish(nested(31))
        for depth in (33, 500, 5000):
            with self.subTest(depth=depth):
                error = self.assert_refused(lambda d=depth: publish(nested(d)))
                self.assertIn("nested deeper than 32", error.args[0])
        self.assert_refused(lambda: publish({"x": float("nan")}), "/x")
        self.assert_refused(lambda: publish({"x": [float("inf")]}), "/x/0")
        self.assert_refused(lambda: publish(["not", "an", "object"]))
        self.assertEqual(self.topic.last_seq, 1)


@tagged("post_install", "-at_install")
class TestRoomsThatShouldNotExist(LiveCase):
    """Item 7: direct and group rooms only with people who can chat, of a
    company the creator works for."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.archived = new_test_user(cls.env, "lm_archived", "base.group_user")
        cls.archived.active = False
        cls.bot = cls.env.ref("base.user_root")
        cls.other_company = cls.env["res.company"].create({"name": "LM Elsewhere"})
        cls.stranger = new_test_user(
            cls.env,
            "lm_stranger",
            "base.group_user",
            company_id=cls.other_company.id,
            company_ids=[(6, 0, [cls.other_company.id])],
        )
        cls.both = new_test_user(
            cls.env,
            "lm_both",
            "base.group_user",
            company_ids=[(6, 0, [cls.env.company.id, cls.other_company.id])],
        )

    def test_refused_people(self):
        Room = self.env["live.room"].with_user(self.user_alice)
        before = self.env["live.room"].search_count([])
        for user, reason in (
            (self.archived, "archived"),
            (self.bot, "bot"),
            (self.stranger, "share no company"),
            (self.user_portal, "not Live Messaging users"),
        ):
            with self.subTest(user=user.login):
                with self.assertRaisesRegex(ValidationError, reason):
                    Room.live_get_direct_room(user.id)
                with self.assertRaisesRegex(ValidationError, reason):
                    Room.live_create_group_room("Nope", [user.id])
                with self.assertRaisesRegex(ValidationError, reason):
                    self.room.with_user(self.user_alice).live_add_members([user.id])
        self.assertEqual(self.env["live.room"].search_count([]), before)
        # a colleague who also works for the other company is fine
        direct = Room.live_get_direct_room(self.both.id)
        self.assertFalse(direct.company_id)
        group = Room.live_create_group_room("Both", [self.both.id])
        self.assertEqual(group.member_ids.user_id, self.user_alice | self.both)
        # and the stranger may talk with them, not with alice
        Stranger = self.env["live.room"].with_user(self.stranger)
        Stranger.live_get_direct_room(self.both.id)

    def test_existing_conversation_stays_readable(self):
        Room = self.env["live.room"].with_user(self.user_alice)
        direct = Room.live_get_direct_room(self.user_bob.id)
        self.user_bob.active = False
        self.assertEqual(Room.live_get_direct_room(self.user_bob.id), direct)


@tagged("post_install", "-at_install")
class TestHardeningApi(SchemaMixin, LiveApiCase):
    """Items 1, 3, 4, 8 and 9 through the REST API."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.topic = cls.env["live.topic"].create(
            {
                "name": "hardening/api",
                "publish_access": "users",
                "json_schema": json.dumps({"type": "object"}),
            }
        )
        ICP = cls.env["ir.config_parameter"].sudo()
        ICP.set_param("live_messaging.support_join_rate_limit", "0")
        ICP.set_param("live_messaging.public_rate_limit", "0")

    def post(self, body, key=None, **json_body):
        return self.api(
            "POST",
            f"/rooms/{self.room.id}/messages",
            key or self.key_alice,
            data=body if isinstance(body, bytes) else None,
            json_body=None if isinstance(body, bytes) else dict(json_body, body=body),
            headers={"Content-Type": "application/json"},
        )

    def test_bad_text_and_nesting_answer_4xx_with_path(self):
        room_messages = f"/rooms/{self.room.id}/messages"
        deep = json.dumps(nested(600)).encode()
        cases = [
            ("POST", room_messages, b'{"body": "x\\ud800y"}', 400, "/body"),
            ("POST", room_messages, b'{"body": "a\\u0000b"}', 400, "/body"),
            (
                "POST",
                room_messages,
                b'{"body": "ok", "payload": {"k\\u0000": 1}}',
                400,
                "/payload/k\x00",
            ),
            (
                "POST",
                room_messages,
                b'{"body": "ok", "payload": {"k": ["\\udc00"]}}',
                400,
                "/payload/k/0",
            ),
            ("POST", "/rooms", b'{"type": "group", "name": "n\\u0000"}', 400, "/name"),
            (
                "POST",
                "/rooms",
                b'{"type": "group", "name": "n", "description": "\\ud83d"}',
                400,
                "/description",
            ),
            ("POST", "/topics/hardening/api/publish", deep, 400, None),
            (
                "POST",
                "/topics/hardening/api/publish",
                json.dumps(nested(40)).encode(),
                400,
                None,
            ),
            (
                "POST",
                "/topics/hardening/api/publish",
                json.dumps(nested(33)).encode(),
                422,
                "/a" * 32,
            ),
            (
                "POST",
                "/topics/hardening/api/publish",
                b'{"\\ud800": 1}',
                400,
                "/\ufffd",
            ),
        ]
        rooms_before = self.env["live.room"].sudo().search_count([])
        for method, path, data, status, pointer in cases:
            with (
                self.subTest(path=path, data=data[:60]),
                self.assertNoLogs(level="WARNING"),
            ):
                response = self.api(
                    method,
                    path,
                    self.key_alice,
                    data=data,
                    headers={"Content-Type": "application/json"},
                )
                error = self.assert_api_error(response, status)
                self.assertIn("path", error)
                if pointer is not None:
                    self.assertEqual(error["path"], pointer)
        self.assertEqual(self.room.last_seq, 0)
        self.assertEqual(self.topic.last_seq, 0)
        self.assertEqual(self.env["live.room"].sudo().search_count([]), rooms_before)

    def test_visitor_bad_text(self):
        cases = [
            (b'{"name": "V\\u0000"}', "/name"),
            (b'{"name": "V", "message": "\\ud800"}', "/message"),
        ]
        Session = self.env["live.support.session"].sudo()
        before = Session.search_count([])
        for data, pointer in cases:
            with self.subTest(data=data):
                response = self.api(
                    "POST",
                    "/support/join",
                    data=data,
                    headers={"Content-Type": "application/json"},
                )
                error = self.assert_api_error(response, 400)
                self.assertEqual(error["path"], pointer)
        self.assertEqual(Session.search_count([]), before)

    def test_stored_remote_schema_publish_is_422(self):
        server = self.counting_server()
        self.store_schema_unchecked(self.topic, {"$ref": f"{server.url}/x.json"})
        started = time.monotonic()
        response = self.api(
            "POST", "/topics/hardening/api/publish", self.key_alice, json_body={}
        )
        error = self.assert_api_error(response, 422, "schema_invalid")
        self.assertLess(time.monotonic() - started, 5.0)
        self.assertNotIn("REMOTE SECRET", error["message"])
        self.assertEqual(server.hits, [])

    def test_body_contract_over_the_api(self):
        typed = "a<b, <3 & <img src=x onerror=alert(1)"
        response = self.post(typed)
        self.assertEqual(response.status_code, 201, response.text)
        expected = "a&lt;b, &lt;3 &amp; &lt;img src=x onerror=alert(1)"
        self.assertEqual(response.json()["body"], expected)
        page = self.api("GET", f"/rooms/{self.room.id}/messages", self.key_bob).json()
        self.assertEqual(page["messages"][-1]["body"], expected)
        document = self.api("GET", "/openapi.json").json()
        contract = document["components"]["schemas"]["Message"]["properties"]["body"]
        self.assertIn("`&`, `<` and `>` escaped", contract["description"])

    def test_idempotency_key_reused_for_another_request(self):
        first = self.post("pay 10", client_id="order-1")
        self.assertEqual(first.status_code, 201, first.text)
        self.assertEqual(self.post("pay 10", client_id="order-1").status_code, 200)
        for changed in ({"body": "pay 100"}, {"payload": {"amount": 10}}):
            with self.subTest(changed=changed):
                response = self.post(
                    changed.get("body", "pay 10"),
                    client_id="order-1",
                    **({"payload": changed["payload"]} if "payload" in changed else {}),
                )
                self.assert_api_error(response, 409, "idempotency_mismatch")
        url = "/topics/hardening/api/publish"
        headers = {"Idempotency-Key": "evt-1"}
        response = self.api(
            "POST", url, self.key_alice, json_body={"n": 1}, headers=headers
        )
        self.assertEqual(response.status_code, 201, response.text)
        response = self.api(
            "POST", url, self.key_alice, json_body={"n": 1}, headers=headers
        )
        self.assertEqual(response.status_code, 200, response.text)
        response = self.api(
            "POST", url, self.key_alice, json_body={"n": 2}, headers=headers
        )
        self.assert_api_error(response, 409, "idempotency_mismatch")
        self.assertEqual((self.room.last_seq, self.topic.last_seq), (1, 1))
        # the model method answers the same to RPC callers
        with self.assertRaises(IdempotencyMismatch):
            self.topic.with_user(self.user_alice).live_publish(
                {"n": 3}, client_id="evt-1"
            )

    def test_every_public_route_is_limited(self):
        ICP = self.env["ir.config_parameter"].sudo()
        joined = self.api("POST", "/support/join", json_body={"name": "Vi"}).json()
        token = joined["token"]
        ICP.set_param("live_messaging.public_rate_limit", "10")  # bursts of 10
        self.env.flush_all()
        calls = [
            ("/support/typing", {"token": token, "is_typing": True}),
            ("/support/heartbeat", {"token": token}),
            ("/support/history", {"token": token}),
            ("/support/messages", {"token": token, "body": "hi"}),
        ] * 2 + [("/support/heartbeat", {"token": token})] * 2
        statuses = [
            self.api("POST", path, json_body=body).status_code for path, body in calls
        ]
        self.assertNotIn(429, statuses)
        for path, body in (
            ("/support/typing", {"token": token}),
            ("/support/heartbeat", {"token": token}),
            ("/support/messages", {"token": token, "body": "more"}),
            ("/support/join", {"name": "Again"}),
            ("/openapi.json", None),
        ):
            with self.subTest(path=path):
                response = self.api(
                    "GET" if body is None else "POST", path, json_body=body
                )
                self.assert_api_error(response, 429, "rate_limited")
                self.assertGreaterEqual(int(response.headers["Retry-After"]), 1)

    def test_typing_is_limited_per_chat(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "live_messaging.support_typing_rate_limit",
            "8",  # bursts of 2
        )
        token = self.api("POST", "/support/join", json_body={"name": "Ty"}).json()[
            "token"
        ]
        statuses = [
            self.api("POST", "/support/typing", json_body={"token": token}).status_code
            for _index in range(4)
        ]
        self.assertEqual(statuses, [200, 200, 429, 429])
        self.env.cr.precommit.run()
        typing = [
            notif
            for notif in self.env["bus.bus"].sudo().search([])
            if json.loads(notif.message)["type"] == "live_messaging/typing"
        ]
        self.assertEqual(len(typing), 2)
