import json

import requests

from odoo.tests.common import HOST

from odoo.addons.live_messaging.controllers.api.openapi import BASE_PATH

from .common import LiveWebsocketCase, ws_client


class LiveApiCase(LiveWebsocketCase):
    """HTTP calls to ``/live/api/v1`` as an external app would make them: a
    fresh ``requests`` call (no cookie) with ``Authorization: Bearer <key>``,
    the key being an ordinary API key of the user."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key_alice = cls.api_key(cls.user_alice, "Checkout app")
        cls.key_bob = cls.api_key(cls.user_bob, "Bob's phone")
        cls.key_carol = cls.api_key(cls.user_carol, "Carol's app")
        cls.key_manager = cls.api_key(cls.user_manager, "Back office")

    @classmethod
    def api_key(cls, user, name="Test app", expiration_date=None):
        """A new API key of ``user``, as Preferences > New API Key makes it
        (in sudo, as an administrator may, so that it needs no expiry)."""
        return (
            cls.env["res.users.apikeys"]
            .with_user(user)
            .sudo()
            ._generate(None, name, expiration_date)
        )

    def api_url(self, path):
        return f"{self.base_url()}{BASE_PATH}{path}"

    def api(self, method, path, key=None, *, json_body=None, data=None, **kwargs):
        """One request to the API with ``key`` as Bearer token (none when
        ``key`` is None); ``json_body`` is sent as JSON, ``data`` raw."""
        headers = dict(kwargs.pop("headers", {}))
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        if json_body is not None:
            data = json.dumps(json_body)
            headers.setdefault("Content-Type", "application/json")
        return requests.request(
            method,
            self.api_url(path),
            data=data,
            headers=headers,
            timeout=12,
            allow_redirects=False,
            **kwargs,
        )

    def assert_api_error(self, response, status, code=None):
        """``response`` is the JSON error envelope with ``status``; returns
        the error object."""
        self.assertEqual(response.status_code, status, response.text)
        self.assertTrue(
            response.headers["Content-Type"].startswith("application/json"),
            response.headers["Content-Type"],
        )
        error = response.json()["error"]
        self.assertIsInstance(error["message"], str)
        self.assertTrue(error["message"])
        if code:
            self.assertEqual(error["code"], code)
        return error

    def app_websocket(self, key, **kwargs):
        """A websocket opened on ``/live/api/v1/websocket`` with the key as
        Bearer token and no cookie, as an external app does."""
        kwargs.setdefault("timeout", 5)
        ws = ws_client.create_connection(
            f"ws://{HOST}:{self.http_port()}{BASE_PATH}/websocket",
            header=[f"Authorization: Bearer {key}"],
            **kwargs,
        )
        self._websockets.add(ws)
        return ws


def false_outside_booleans(value, schema, schemas, path=""):
    """JSON pointers of the ``false`` values of an API answer that its OpenAPI
    ``schema`` does not type as boolean: Odoo's empty value leaking where JSON
    says null. Free-form objects (an event's payload) are not looked into."""
    while isinstance(schema, dict) and "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
    schema = schema if isinstance(schema, dict) else {}
    if value is False:
        return [] if schema.get("type") == "boolean" else [path or "/"]
    found = []
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        for key, item in value.items():
            if key in properties:
                found += false_outside_booleans(
                    item, properties[key], schemas, f"{path}/{key}"
                )
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += false_outside_booleans(
                item, schema.get("items"), schemas, f"{path}/{index}"
            )
    return found
