import re

from odoo.tests import tagged

from odoo.addons.live_messaging.controllers.api.batch import LiveApiBatchController
from odoo.addons.live_messaging.controllers.api.chat import LiveApiChatController
from odoo.addons.live_messaging.controllers.api.openapi import BASE_PATH, OPERATIONS

from .common import import_test_package
from .common_api import LiveApiCase, false_outside_booleans

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def deref(node, document):
    """``node`` with its local ``$ref`` replaced by what they point to."""
    if isinstance(node, dict):
        if "$ref" in node:
            target = document
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return deref(target, document)
        return {key: deref(value, document) for key, value in node.items()}
    if isinstance(node, list):
        return [deref(value, document) for value in node]
    return node


@tagged("post_install", "-at_install")
class TestApiOpenapi(LiveApiCase):
    def document(self):
        response = self.api("GET", "/openapi.json")  # public: no key
        self.assertEqual(response.status_code, 200, response.text)
        return response.json()

    def test_document_is_valid_openapi(self):
        spec_validator = import_test_package(
            "openapi_spec_validator", "openapi-spec-validator"
        )
        document = self.document()
        spec_validator.validate(document)  # raises on an invalid document
        self.assertEqual(document["openapi"], "3.0.3")
        self.assertEqual(document["servers"][0]["url"], self.base_url() + BASE_PATH)

    def test_document_matches_the_served_routes(self):
        """What Odoo's routing map serves under the base path is exactly what
        the document describes, path by path and method by method."""
        served = {}
        for rule in self.env["ir.http"].routing_map().iter_rules():
            if not rule.rule.startswith(BASE_PATH + "/"):
                continue
            if rule.endpoint.func.__name__ == "api_fallback":
                continue  # the JSON 404/405 of everything else
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len(BASE_PATH) :])
            served.setdefault(path, set()).update(
                set(rule.methods or ()) - IGNORED_METHODS
            )
        documented = {
            path: {method.upper() for method in item}
            for path, item in self.document()["paths"].items()
        }
        self.assertEqual(served, documented)
        self.assertEqual(len(documented), 27)
        # and every documented operation has its handler
        handlers = (LiveApiChatController, LiveApiBatchController)
        for operation in OPERATIONS:
            self.assertTrue(
                any(
                    callable(getattr(cls, f"_op_{operation.operation_id}", None))
                    for cls in handlers
                ),
                operation.operation_id,
            )

    def test_answers_match_the_document(self):
        """Call every operation (successes and errors) and check each answer
        against the document: documented status, JSON body of its schema."""
        schema_validator = import_test_package(
            "openapi_schema_validator", "openapi-schema-validator"
        )
        document = self.document()
        room_url = f"/rooms/{self.room.id}"
        topic = self.env["live.topic"].create(
            {"name": "shop/doc", "publish_access": "users"}
        )
        other_room = (
            self.env["live.room"]
            .with_user(self.user_carol)
            .live_create_group_room("Elsewhere")
        )
        hello = self.room.with_user(self.user_bob)._post_message("hello")
        mine = self.room.with_user(self.user_alice)._post_message("mine")
        photo = self.room.with_user(self.user_alice)._live_upload_attachment(
            "doc.txt", b"some text"
        )
        message_url = f"{room_url}/messages/{mine.id}"
        thumbs = f"{room_url}/messages/{hello.id}/reactions/%F0%9F%91%8D"
        calls = [
            ("GET", "/me", "/me", {}),
            ("GET", "/rooms", "/rooms", {}),
            (
                "POST",
                "/rooms",
                "/rooms",
                {"json_body": {"type": "direct", "user_id": self.user_carol.id}},
            ),
            ("POST", "/rooms", "/rooms", {"json_body": {"type": 1}}),
            ("GET", "/rooms/{room_id}", room_url, {}),
            ("GET", "/rooms/{room_id}", f"/rooms/{other_room.id}", {}),
            ("GET", "/rooms/{room_id}/messages", f"{room_url}/messages", {}),
            (
                "GET",
                "/rooms/{room_id}/messages",
                f"{room_url}/messages",
                {"params": {"limit": "x"}},
            ),
            (
                "POST",
                "/rooms/{room_id}/messages",
                f"{room_url}/messages",
                {"json_body": {"body": "hi", "client_id": "doc-1"}},
            ),
            (
                "POST",
                "/rooms/{room_id}/messages",
                f"{room_url}/messages",
                {"json_body": {"body": "hi", "client_id": "doc-1"}},
            ),
            (
                "POST",
                "/rooms/{room_id}/messages",
                f"{room_url}/messages",
                {"json_body": {"body": ""}},
            ),
            ("POST", "/rooms/{room_id}/read", f"{room_url}/read", {}),
            (
                "GET",
                "/rooms/{room_id}/messages",
                f"{room_url}/messages",
                {"params": {"q": "hello"}},
            ),
            (
                "PATCH",
                "/rooms/{room_id}/messages/{message_id}",
                message_url,
                {"json_body": {"body": "mine, edited"}},
            ),
            (
                "PATCH",
                "/rooms/{room_id}/messages/{message_id}",
                f"{room_url}/messages/{hello.id}",
                {"json_body": {"body": "not mine"}},
            ),
            (
                "PUT",
                "/rooms/{room_id}/messages/{message_id}/reactions/{emoji}",
                thumbs,
                {},
            ),
            (
                "DELETE",
                "/rooms/{room_id}/messages/{message_id}/reactions/{emoji}",
                thumbs,
                {},
            ),
            (
                "POST",
                "/rooms/{room_id}/attachments",
                f"{room_url}/attachments",
                {"json_body": {"name": "a.txt", "data": "aGVsbG8="}},
            ),
            (
                "POST",
                "/rooms/{room_id}/attachments",
                f"{room_url}/attachments",
                {"json_body": {"name": "a.svg", "data": "PHN2Zy8+"}},
            ),
            (
                "GET",
                "/rooms/{room_id}/attachments/{attachment_id}",
                f"{room_url}/attachments/{photo.id}",
                {},
            ),
            (
                "GET",
                "/rooms/{room_id}/attachments/{attachment_id}",
                f"{room_url}/attachments/{photo.id + 1000}",
                {},
            ),
            ("GET", "/messages/search", "/messages/search", {"params": {"q": "hello"}}),
            ("GET", "/messages/search", "/messages/search", {}),
            ("DELETE", "/rooms/{room_id}/messages/{message_id}", message_url, {}),
            ("GET", "/topics", "/topics", {}),
            (
                "POST",
                "/topics/{name}/publish",
                f"/topics/{topic.name}/publish",
                {"json_body": {"n": 1}},
            ),
            ("GET", "/topics/{name}/events", f"/topics/{topic.name}/events", {}),
            ("GET", "/topics/{name}/events", "/topics/nope/events", {}),
            ("POST", "/topics/{name}/subscribe", f"/topics/{topic.name}/subscribe", {}),
            (
                "POST",
                "/topics/{name}/unsubscribe",
                f"/topics/{topic.name}/unsubscribe",
                {},
            ),
        ]
        batch = [
            {"room_id": self.room.id, "body": "batched", "client_id": "doc-b"},
            {"topic": topic.name, "payload": {"n": 2}},
            {"room_id": other_room.id, "body": "not a member"},
        ]
        calls += [
            ("GET", "/batch", "/batch", {}),
            ("POST", "/batch", "/batch", {"json_body": {"items": batch}}),
            (
                "POST",
                "/batch",
                "/batch",
                {"json_body": {"items": batch, "atomic": True}},
            ),
            ("POST", "/batch", "/batch", {"json_body": {"items": []}}),
        ]
        visitor = self.api(
            "POST", "/support/join", json_body={"name": "Doc Visitor"}
        ).json()
        token = {"token": visitor["token"]}
        calls += [
            ("POST", "/support/join", "/support/join", {"json_body": {"name": ""}}),
            ("POST", "/support/history", "/support/history", {"json_body": token}),
            (
                "POST",
                "/support/history",
                "/support/history",
                {"json_body": {"token": "unknown-token-0123456789"}},
            ),
            (
                "POST",
                "/support/messages",
                "/support/messages",
                {"json_body": dict(token, body="hello", client_id="doc-2")},
            ),
            (
                "POST",
                "/support/typing",
                "/support/typing",
                {"json_body": dict(token, is_typing=True)},
            ),
            ("POST", "/support/heartbeat", "/support/heartbeat", {"json_body": token}),
            ("GET", "/support/queue", "/support/queue", {}),
            (
                "POST",
                "/support/sessions/{session_id}/claim",
                f"/support/sessions/{visitor['session_id']}/claim",
                {},
            ),
            ("POST", "/support/leave", "/support/leave", {"json_body": token}),
            (
                "POST",
                "/support/messages",
                "/support/messages",
                {"json_body": dict(token, body="too late")},
            ),
        ]
        seen = set()
        for method, template, url, kwargs in calls:
            with self.subTest(method=method, url=url, kwargs=kwargs):
                response = self.api(method, url, self.key_alice, **kwargs)
                operation = document["paths"][template][method.lower()]
                responses = operation["responses"]
                self.assertIn(str(response.status_code), responses, response.text)
                spec = deref(responses[str(response.status_code)], document)
                if "*/*" in spec["content"]:  # a file: its bytes, its type
                    self.assertEqual(response.content, b"some text")
                    self.assertTrue(
                        response.headers["Content-Type"].startswith("text/plain")
                    )
                    seen.add((method, template))
                    continue
                schema = spec["content"]["application/json"]["schema"]
                schema_validator.OAS30Validator(schema).validate(response.json())
                schemas = document["components"]["schemas"]
                self.assertEqual(
                    false_outside_booleans(response.json(), schema, schemas),
                    [],
                    "false where the document says null",
                )
                seen.add((method, template))
        # every authenticated operation answers 401 as documented
        for path, item in document["paths"].items():
            for method, operation in item.items():
                if operation.get("security") == [] or path == "/websocket":
                    continue
                url = (
                    path.replace("{room_id}", str(self.room.id))
                    .replace("{name}", topic.name)
                    .replace("{session_id}", str(visitor["session_id"]))
                    .replace("{message_id}", str(hello.id))
                    .replace("{attachment_id}", str(photo.id))
                    .replace("{emoji}", "%F0%9F%91%8D")
                )
                response = self.api(method.upper(), url, "wrong-key-0123456789")
                self.assertIn("401", operation["responses"])
                self.assert_api_error(response, 401)
                seen.add((method.upper(), path))
        documented = {
            (method.upper(), path)
            for path, item in document["paths"].items()
            for method in item
        }
        self.assertEqual(
            documented - seen,
            {("GET", "/websocket"), ("GET", "/openapi.json")},
        )
