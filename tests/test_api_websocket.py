import json

import odoo.http
from odoo.tests import tagged

from odoo.addons.bus.websocket import (
    CloseCode,
    ConnectionState,
    _websocket_instances,
)

from .common import ws_client
from .common_api import LiveApiCase

MESSAGE = "live_messaging/message"
EVENTS = "live_messaging/events"


@tagged("post_install", "-at_install")
class TestApiWebsocket(LiveApiCase):
    """``/live/api/v1/websocket``: an app opens Odoo's websocket with its API
    key (no cookie, no password) and gets what a browser of its user gets."""

    def app_session(self):
        """The server-side session of the (only) open app socket."""
        sessions = [
            ws._session
            for ws in list(_websocket_instances)
            if ws.state is ConnectionState.OPEN and ws._session.get("live_api_key_id")
        ]
        self.assertEqual(len(sessions), 1)
        return sessions[0]

    def test_app_socket_gets_rooms_and_topics(self):
        topic = self.env["live.topic"].create(
            {"name": "shop/ws-app", "publish_access": "users"}
        )
        ws = self.app_websocket(self.key_bob)
        # no cookie for the app: its key is its identity
        self.assertNotIn("set-cookie", {k.lower() for k in ws.getheaders()})
        self.subscribe(ws, [], 0)
        session = self.app_session()
        self.assertEqual(session.uid, self.user_bob.id)
        message = self.room.with_user(self.user_alice)._post_message("for the app")
        self.trigger_notification_dispatching([self.room])
        notif, _elapsed = self.receive_first(ws, MESSAGE)
        self.assertEqual(notif["message"]["payload"], message._format()[0])
        # subscribing through the API: the socket is told, re-subscribes (as
        # the Python client does) and gets the topic's events
        response = self.api("POST", "/topics/shop/ws-app/subscribe", self.key_bob)
        self.assertEqual(response.status_code, 200, response.text)
        self.trigger_notification_dispatching([self.user_bob.partner_id])
        notif, _elapsed = self.receive_first(ws, "live_messaging/topic_subscription")
        self.subscribe(ws, [], notif["id"])
        response = self.api(
            "POST", "/topics/shop/ws-app/publish", self.key_alice, json_body={"n": 1}
        )
        self.assertEqual(response.status_code, 201, response.text)
        self.trigger_notification_dispatching([topic])
        notif, _elapsed = self.receive_first(ws, EVENTS)
        self.assertEqual(notif["message"]["payload"]["events"], [response.json()])
        # carol's app gets none of it
        ws_carol = self.app_websocket(self.key_carol)
        self.subscribe(ws_carol, [f"live.room_{self.room.id}"], 0)
        self.room.with_user(self.user_alice)._post_message("not for carol")
        self.trigger_notification_dispatching([self.room, self.user_carol.partner_id])
        self.assertFalse(self.receive(ws_carol, 0.5, MESSAGE))

    def test_handshake_needs_a_valid_key(self):
        for headers in (
            [],
            ["Authorization: Bearer 0123456789abcdef0123456789"],
            [f"Authorization: Basic {self.key_bob}"],
        ):
            with (
                self.subTest(headers=headers),
                self.assertRaises(ws_client.WebSocketBadStatusException) as caught,
            ):
                ws_client.create_connection(
                    self.api_url("/websocket").replace("http://", "ws://"),
                    header=headers,
                    timeout=5,
                )
            self.assertEqual(caught.exception.status_code, 401)
            headers = caught.exception.resp_headers
            self.assertEqual(headers["x-error-code"], "unauthorized")
            self.assertIn("Bearer", headers["www-authenticate"])

    def revoke(self, key_name):
        self.env["res.users.apikeys"].with_user(self.user_bob).search(
            [("name", "=", key_name)]
        )._remove()
        self.env.flush_all()

    def test_revoked_key_closes_at_next_message(self):
        key = self.api_key(self.user_bob, "phone 1")
        ws = self.app_websocket(key)
        self.subscribe(ws, [], 0)
        self.revoke("phone 1")
        ws.send(
            json.dumps({"event_name": "subscribe", "data": {"channels": [], "last": 0}})
        )
        self.assert_close_with_code(ws, CloseCode.SESSION_EXPIRED)

    def test_revoked_key_closes_at_next_notification(self):
        key = self.api_key(self.user_bob, "phone 2")
        ws = self.app_websocket(key)
        self.subscribe(ws, [], 0)
        self.revoke("phone 2")
        self.room.with_user(self.user_alice)._post_message("after revocation")
        self.trigger_notification_dispatching([self.room])
        self.assert_close_with_code(ws, CloseCode.SESSION_EXPIRED)

    def test_app_session_dies_with_its_socket(self):
        ws = self.app_websocket(self.key_bob)
        self.subscribe(ws, [], 0)
        session = self.app_session()
        store = odoo.http.root.session_store
        self.assertEqual(store.get(session.sid).uid, self.user_bob.id)
        ws.close()
        self.wait_remaining_websocket_connections()
        self.assertFalse(store.get(session.sid))
