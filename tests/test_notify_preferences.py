from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from .common import LiveCase, LiveUsersMixin


@tagged("post_install", "-at_install")
class TestNotifyPreferences(LiveCase):
    """The user's choice for chat notifications is theirs: they read and
    change their own (as Preferences does), nobody else's."""

    def test_own_preferences(self):
        alice = self.user_alice.with_user(self.user_alice)
        self.assertEqual(
            alice._live_notify_preferences(), {"notify": "all", "sound": True}
        )
        alice.write({"live_notify": "mentions", "live_notify_sound": False})
        self.assertEqual(
            self.user_alice._live_notify_preferences(),
            {"notify": "mentions", "sound": False},
        )
        # readable in the Preferences dialog's own way
        (values,) = alice.read(["live_notify", "live_notify_sound"])
        self.assertEqual(values["live_notify"], "mentions")

    def test_not_somebody_elses(self):
        with self.assertRaises(AccessError):
            self.user_bob.with_user(self.user_alice).write({"live_notify": "none"})
        self.assertEqual(self.user_bob.live_notify, "all")

    def test_only_known_choices(self):
        with self.assertRaises(ValueError):
            self.user_alice.with_user(self.user_alice).write({"live_notify": "loud"})
        self.assertEqual(self.user_alice.live_notify, "all")


@tagged("post_install", "-at_install")
class TestNotifyPreferencesSession(LiveUsersMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_live_users()

    def test_the_web_client_gets_the_choice(self):
        self.user_bob.write({"live_notify": "none", "live_notify_sound": False})
        self.authenticate(self.user_bob.login, self.user_bob.login)
        info = self.make_jsonrpc_request("/web/session/get_session_info")
        self.assertEqual(info["live_notify"], {"notify": "none", "sound": False})
        self.authenticate(self.user_alice.login, self.user_alice.login)
        info = self.make_jsonrpc_request("/web/session/get_session_info")
        self.assertEqual(info["live_notify"], {"notify": "all", "sound": True})
