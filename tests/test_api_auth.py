import datetime

from odoo.tests import tagged

from .common_api import LiveApiCase


@tagged("post_install", "-at_install")
class TestApiAuth(LiveApiCase):
    """Authentication, rate limit and the error envelope of /live/api/v1."""

    def test_me_with_key(self):
        response = self.api("GET", "/me", self.key_alice)
        self.assertEqual(response.status_code, 200, response.text)
        me = response.json()
        self.assertEqual(me["id"], self.user_alice.id)
        self.assertEqual(me["login"], "lm_alice")
        self.assertEqual(me["auth"], "api_key")
        self.assertEqual(me["api_key"]["name"], "Checkout app")
        self.assertTrue(me["is_live_user"])
        self.assertFalse(me["is_live_manager"])
        # an app gets no cookie: the key is its identity
        self.assertNotIn("Set-Cookie", response.headers)
        self.assertEqual(response.headers["Cache-Control"], "no-store")

    def test_401_missing_wrong_malformed(self):
        cases = {
            "missing": {},
            "wrong key": {"Authorization": "Bearer 0123456789abcdef0123"},
            "same index, wrong key": {
                "Authorization": f"Bearer {self.key_alice[:8]}{'0' * 32}"
            },
            "not bearer": {"Authorization": f"Basic {self.key_alice}"},
            "empty bearer": {"Authorization": "Bearer "},
        }
        for label, headers in cases.items():
            with self.subTest(label):
                response = self.api("GET", "/rooms", headers=headers)
                error = self.assert_api_error(response, 401, "unauthorized")
                self.assertIn("Bearer", response.headers["WWW-Authenticate"])
                self.assertNotIn("Set-Cookie", response.headers)
                # never echo a key
                self.assertNotIn(self.key_alice, response.text)
                self.assertNotIn(self.key_alice[:8], error["message"])

    def test_401_revoked_expired_deactivated_or_scoped_key(self):
        Keys = self.env["res.users.apikeys"]
        key = self.api_key(self.user_bob, "to revoke")
        self.assertEqual(self.api("GET", "/me", key).status_code, 200)
        # revoked as the user does it (Preferences > API keys > remove)
        Keys.with_user(self.user_bob).search([("name", "=", "to revoke")])._remove()
        self.assert_api_error(self.api("GET", "/me", key), 401, "unauthorized")

        key = self.api_key(self.user_bob, "to expire")
        self.assertEqual(self.api("GET", "/me", key).status_code, 200)
        self.env.cr.execute(
            "UPDATE res_users_apikeys SET expiration_date = %s WHERE name = %s",
            [datetime.datetime.now() - datetime.timedelta(minutes=1), "to expire"],
        )
        self.assert_api_error(self.api("GET", "/me", key), 401)

        key = self.api_key(self.user_carol, "user leaves")
        self.assertEqual(self.api("GET", "/me", key).status_code, 200)
        self.user_carol.active = False
        self.env.flush_all()
        self.assert_api_error(self.api("GET", "/me", key), 401)

        # keys of another scope (e.g. made by another module) are not for this
        scoped = (
            Keys.with_user(self.user_bob).sudo()._generate("totp_device", "x", None)
        )
        self.assert_api_error(self.api("GET", "/me", scoped), 401)

    def test_browser_session_accepted_and_csrf_safe(self):
        session = self.session_of(self.user_alice)
        cookies = {"session_id": session.sid}
        response = self.api("GET", "/me", cookies=cookies)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["auth"], "session")
        self.assertIsNone(response.json()["api_key"])
        count = len(self.room.sudo().message_ids)
        # a cross-site form can post with the cookie but not as JSON: refused
        for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
            with self.subTest(content_type=content_type):
                headers = {"Content-Type": content_type} if content_type else {}
                response = self.api(
                    "POST",
                    f"/rooms/{self.room.id}/messages",
                    data='{"body": "forged"}',
                    headers=headers,
                    cookies=cookies,
                )
                self.assert_api_error(response, 415, "unsupported_media_type")
        self.assertEqual(len(self.room.sudo().message_ids), count)
        response = self.api(
            "POST",
            f"/rooms/{self.room.id}/messages",
            json_body={"body": "from the browser"},
            cookies=cookies,
        )
        self.assertEqual(response.status_code, 201, response.text)
        self.assertIsNone(response.json()["author"]["app"])

    def test_rate_limit(self):
        ICP = self.env["ir.config_parameter"].sudo()
        ICP.set_param("live_messaging.api_rate_limit", "6")  # 1 every 10 s
        ICP.set_param("live_messaging.api_rate_burst", "2")
        key = self.api_key(self.user_bob, "busy app")
        self.assertEqual(self.api("GET", "/me", key).status_code, 200)
        self.assertEqual(self.api("GET", "/me", key).status_code, 200)
        response = self.api("GET", "/me", key)
        self.assert_api_error(response, 429, "rate_limited")
        self.assertGreaterEqual(int(response.headers["Retry-After"]), 1)
        self.assertLessEqual(int(response.headers["Retry-After"]), 10)
        # a limited request does nothing
        response = self.api(
            "POST", f"/rooms/{self.room.id}/messages", key, json_body={"body": "x"}
        )
        self.assert_api_error(response, 429)
        self.assertNotIn("x", self.room.sudo().message_ids.mapped("body"))
        # another key has its own budget
        self.assertEqual(self.api("GET", "/me", self.key_alice).status_code, 200)
        # 0 disables the limit
        ICP.set_param("live_messaging.api_rate_limit", "0")
        self.env.flush_all()
        self.assertEqual(self.api("GET", "/me", key).status_code, 200)

    def test_unknown_paths_and_methods_are_json(self):
        response = self.api("GET", "/nope", self.key_alice)
        self.assert_api_error(response, 404, "not_found")
        response = self.api("GET", "/rooms/abc", self.key_alice)
        self.assert_api_error(response, 404, "not_found")
        response = self.api("GET", "", self.key_alice)
        self.assert_api_error(response, 404, "not_found")
        response = self.api("DELETE", "/rooms", self.key_alice)
        self.assert_api_error(response, 405, "method_not_allowed")
        self.assertEqual(response.headers["Allow"], "GET, HEAD, POST")
        response = self.api("GET", f"/rooms/{self.room.id}/read", self.key_alice)
        self.assert_api_error(response, 405)
        self.assertEqual(response.headers["Allow"], "POST")
        response = self.api("GET", "/websocket", self.key_alice)
        self.assert_api_error(response, 426, "upgrade_required")

    def test_cors_preflight_lists_every_method(self):
        response = self.api(
            "OPTIONS",
            "/rooms",
            headers={
                "Origin": "https://shop.example.com",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        self.assertEqual(response.status_code, 204)
        self.assertEqual(response.headers["Access-Control-Allow-Origin"], "*")
        methods = response.headers["Access-Control-Allow-Methods"]
        self.assertIn("GET", methods)
        self.assertIn("POST", methods)
        allowed = response.headers["Access-Control-Allow-Headers"]
        self.assertIn("Authorization", allowed)
        self.assertIn("Idempotency-Key", allowed)
        # an app on another origin may read the rate limit and error headers
        response = self.api("GET", "/me", "wrong-key-0123456789")
        self.assertIn("Retry-After", response.headers["Access-Control-Expose-Headers"])
        self.assertIn("X-Error-Code", response.headers["Access-Control-Expose-Headers"])
