import json

from odoo.tests import tagged

from .common import LiveSupportMixin
from .common_api import LiveApiCase

MESSAGE = "live_messaging/message"
TYPING = "live_messaging/typing"


@tagged("post_install", "-at_install")
class TestApiSupport(LiveSupportMixin, LiveApiCase):
    """The visitor's public routes and websocket, the agents' API routes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_support_agents()
        cls.key_sam = cls.api_key(cls.agent_sam, "Sam's desk")
        cls.key_tess = cls.api_key(cls.agent_tess, "Tess's desk")

    def join(self, name="Vic", message=None):
        body = {"name": name}
        if message:
            body["message"] = message
        response = self.api("POST", "/support/join", json_body=body)
        self.assertEqual(response.status_code, 201, response.text)
        return response.json()

    def rooms_of(self, notifications):
        return {n["message"]["payload"].get("room_id") for n in notifications}

    def visitor(self, path, token, **body):
        return self.api("POST", f"/support/{path}", json_body=dict(body, token=token))

    def test_visitor_page(self):
        response = self.url_open("/live/support")
        self.assertEqual(response.status_code, 200)
        self.assertIn("text/html", response.headers["Content-Type"])
        self.assertIn("/live_messaging/static/visitor/visitor.js", response.text)
        script = self.url_open("/live_messaging/static/visitor/visitor.js")
        self.assertEqual(script.status_code, 200)
        self.assertIn("live.support_", script.text)

    def test_join_post_history(self):
        joined = self.join("Vic", "Where is my parcel?")
        self.assertTrue(joined["channel"].startswith("live.support_"))
        self.assertEqual(joined["state"], "waiting")
        # no cookie for a visitor: the token is their identity
        response = self.visitor("messages", joined["token"], body="Hello?")
        self.assertEqual(response.status_code, 201, response.text)
        self.assertEqual(response.json()["author"]["name"], "Vic")
        response = self.api(
            "POST",
            "/support/history",
            json_body={},
            headers={"X-Live-Visitor-Token": joined["token"]},
        )
        self.assertEqual(response.status_code, 200, response.text)
        history = response.json()
        self.assertEqual(
            [m["body"] for m in history["messages"] if m["kind"] == "chat"],
            ["Where is my parcel?", "Hello?"],
        )
        # a retry with the same client id: 200 and the first message
        for status in (201, 200):
            response = self.visitor(
                "messages", joined["token"], body="Once", client_id="abc-1"
            )
            self.assertEqual(response.status_code, status, response.text)

    def test_bad_input_is_refused_clearly(self):
        cases = [
            ("/support/join", b"{not json", 400, "bad_request"),
            ("/support/join", json.dumps({"name": ""}).encode(), 400, "bad_request"),
            ("/support/join", json.dumps({"name": "  \t "}).encode(), 422, None),
            ("/support/join", json.dumps({"nom": "x"}).encode(), 400, "bad_request"),
            ("/support/history", b"{}", 400, "bad_request"),
            ("/support/history", b'{"token": "nope-nope-nope-nope"}', 404, None),
            ("/support/messages", b'{"token": "x", "body": 3}', 400, None),
        ]
        for path, data, status, code in cases:
            with self.subTest(path=path, data=data):
                response = self.api(
                    "POST",
                    path,
                    data=data,
                    headers={"Content-Type": "application/json"},
                )
                self.assert_api_error(response, status, code)
        joined = self.join()
        response = self.visitor("messages", joined["token"], body="x" * 5000)
        self.assert_api_error(response, 422)
        response = self.api(
            "POST",
            "/support/messages",
            data=b"x" * (2 * 1024 * 1024),
            headers={"Content-Type": "application/json"},
        )
        self.assert_api_error(response, 413)
        # nothing was lost: the chat goes on
        response = self.visitor("messages", joined["token"], body="still here")
        self.assertEqual(response.status_code, 201, response.text)

    def test_join_rate_limit(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "live_messaging.support_join_rate_limit", "2"
        )
        self.assertEqual(
            self.env["live.support.session"]._int_param(
                "live_messaging.support_join_rate_limit", 5
            ),
            2,
        )
        self.join()
        self.join()
        response = self.api("POST", "/support/join", json_body={"name": "Spam"})
        self.assert_api_error(response, 429, "rate_limited")
        self.assertGreater(int(response.headers["Retry-After"]), 0)

    def test_agents_claim_once(self):
        joined = self.join()
        response = self.api("GET", "/support/queue", self.key_sam)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertIn(
            joined["session_id"], [s["id"] for s in response.json()["sessions"]]
        )
        path = f"/support/sessions/{joined['session_id']}/claim"
        response = self.api("POST", path, self.key_sam)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["agent"], "Sam Agent")
        response = self.api("POST", path, self.key_tess)
        self.assert_api_error(response, 409, "already_taken")
        # no agent: forbidden; unknown chat: 404
        self.assert_api_error(self.api("POST", path, self.key_alice), 403)
        self.assert_api_error(
            self.api("POST", "/support/sessions/999999/claim", self.key_sam), 404
        )
        response = self.visitor("history", joined["token"])
        self.assertEqual(response.json()["agent"], "Sam Agent")
        close = f"/support/sessions/{joined['session_id']}/close"
        self.assert_api_error(self.api("POST", close, self.key_tess), 403)
        response = self.api("POST", close, self.key_sam)
        self.assertEqual(response.status_code, 200, response.text)
        response = self.visitor("messages", joined["token"], body="hello?")
        self.assert_api_error(response, 409, "closed")
        response = self.visitor("history", joined["token"])
        self.assertEqual(response.json()["state"], "closed")
        self.assertIn("notice", response.json())

    def test_visitor_websocket_gets_the_chat_live(self):
        joined = self.join("Vic")
        session = self.env["live.support.session"].browse(joined["session_id"])
        room = session.room_id
        session.with_user(self.agent_sam).live_claim()
        ws = self.connect_as(None, [joined["channel"]])
        # another visitor's token gets none of it, nor does a guessed room id
        other = self.join("Eve")
        ws_eve = self.connect_as(None, [other["channel"], f"live.room_{room.id}"])
        ws_nobody = self.connect_as(None, ["live.support_" + "x" * 43])
        room.with_user(self.agent_sam).live_post_message("Hello Vic")
        self.trigger_notification_dispatching([room])
        bodies = [n["message"]["payload"]["body"] for n in self.receive(ws, 1, MESSAGE)]
        self.assertIn("Hello Vic", bodies)
        room.with_user(self.agent_sam).live_set_typing(True)
        self.trigger_notification_dispatching([room])
        notif, _elapsed = self.receive_first(ws, TYPING)
        self.assertEqual(notif["message"]["payload"]["name"], "Sam Agent")
        self.assertNotIn(room.id, self.rooms_of(self.receive(ws_eve, 0.5)))
        self.assertEqual(self.receive(ws_nobody, 0.5, MESSAGE), [])
        # the visitor posts over HTTP; the agent's socket gets it with typing
        ws_sam = self.connect_as(self.agent_sam)
        self.visitor("typing", joined["token"], is_typing=True)
        response = self.visitor("messages", joined["token"], body="Hi Sam")
        self.assertEqual(response.status_code, 201, response.text)
        self.trigger_notification_dispatching([room])
        received = self.receive(ws_sam, 1.0)
        types = [n["message"]["type"] for n in received]
        self.assertIn(TYPING, types)
        bodies = [
            n["message"]["payload"]["body"]
            for n in received
            if n["message"]["type"] == MESSAGE
        ]
        self.assertEqual(bodies[-1], "Hi Sam")
        self.assertNotIn(room.id, self.rooms_of(self.receive(ws_eve, 0.5)))

    def test_another_visitors_token_reads_nothing(self):
        vic = self.join("Vic", "secret order number 123")
        eve = self.join("Eve")
        response = self.visitor("history", eve["token"])
        bodies = [m["body"] for m in response.json()["messages"]]
        self.assertNotIn("secret order number 123", bodies)
        self.assertEqual(response.json()["session_id"], eve["session_id"])
        # a public caller cannot read rooms through the authenticated API
        response = self.api("GET", f"/rooms/{vic['room_id']}/messages")
        self.assert_api_error(response, 401)
        forged = vic["token"][:8] + eve["token"][8:]
        self.assert_api_error(self.visitor("history", forged), 404)
