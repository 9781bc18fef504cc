import datetime
import time

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

        # a key expires while in use: its cached check holds the date
        soon = datetime.datetime.utcnow() + datetime.timedelta(seconds=1)
        key = self.api_key(self.user_bob, "to expire", soon)
        self.assertEqual(self.api("GET", "/me", key).status_code, 200)
        time.sleep(max(0, (soon - datetime.datetime.utcnow()).total_seconds()) + 0.1)
        self.assert_api_error(self.api("GET", "/me", key), 401)
        past = datetime.datetime.utcnow() - datetime.timedelta(minutes=1)
        key = self.api_key(self.user_bob, "expired", past)
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

    def test_key_check_is_cached_until_revoked(self):
        """A valid key is checked once per process (no query, no pbkdf2 at
        the next use); a refusal is never cached; what revokes a key or
        changes its user clears the cache."""
        Keys = self.env["res.users.apikeys"]
        cr = self.env.cr

        def check(key):
            before = cr.sql_log_count
            info = Keys._live_check_api_key(key)
            return info, cr.sql_log_count - before

        key = self.api_key(self.user_bob, "cached")
        info, queries = check(key)
        self.assertEqual(info["user_id"], self.user_bob.id)
        self.assertEqual(info["name"], "cached")
        self.assertGreater(queries, 0)
        self.assertEqual(check(key), (info, 0))
        # a wrong key of the same index is looked up at every try
        wrong = key[:8] + ("0" if key[8] != "0" else "1") + key[9:]
        for _attempt in range(2):
            refused, queries = check(wrong)
            self.assertIsNone(refused)
            self.assertGreater(queries, 0)
        self.assertEqual(check(key), (info, 0))
        # the user's password or groups change: checked again, still valid
        for change in (
            {"password": "another password 123"},
            {"groups_id": [(4, self.env.ref("base.group_no_one").id)]},
        ):
            with self.subTest(change=list(change)):
                self.user_bob.write(change)
                again, queries = check(key)
                self.assertEqual(again, info)
                self.assertGreater(queries, 0)
                self.assertEqual(check(key), (info, 0))
        # removed: refused at once
        Keys.with_user(self.user_bob).search([("name", "=", "cached")])._remove()
        self.assertIsNone(check(key)[0])
        # the user is archived: refused at once
        key = self.api_key(self.user_carol, "carol cached")
        self.assertTrue(check(key)[0])
        self.assertEqual(check(key)[1], 0)
        self.user_carol.active = False
        self.assertIsNone(check(key)[0])

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
