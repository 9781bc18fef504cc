from urllib.parse import quote

from odoo.tests import HttpCase, tagged

from odoo.addons.web.tests.test_js import unit_test_error_checker


@tagged("post_install", "-at_install")
class TestLiveMessagingJs(HttpCase):
    """The Hoot unit tests of this addon (static/tests/**/*.test.js) in headless
    Chromium, one browser run per feature so that a failure names its feature;
    the filters select this addon's suites only and do not overlap."""

    def run_hoot(self, feature):
        regex = quote(rf"/@live_messaging\/{feature}\//", safe="")
        self.browser_js(
            f"/web/tests?headless&loglevel=2&preset=desktop&timeout=15000"
            f"&filter={regex}",
            "",
            "",
            login="admin",
            timeout=300,
            success_signal="[HOOT] test suite succeeded",
            error_checker=unit_test_error_checker,
        )

    def test_hoot_bridge(self):
        """The message bridge: delivery, localStorage history, replay."""
        self.run_hoot("bridge")

    def test_hoot_chat(self):
        """The chat components: app, systray, composer, record chat."""
        self.run_hoot("chat")

    def test_hoot_live_records(self):
        """Live screens: reload scheduler, live list and kanban views."""
        self.run_hoot("live_records")

    def test_hoot_discuss(self):
        """One inbox: the rooms in Discuss's messaging menu and its counter."""
        self.run_hoot("discuss")

    def test_hoot_presence(self):
        """Faces, presence and "seen" in rooms."""
        self.run_hoot("presence")

    def test_hoot_notifications(self):
        """Desktop notifications, the user's choice, the bell."""
        self.run_hoot("notifications")

    def test_hoot_support(self):
        """The Support Queue screen: live queue pushes, "already taken"."""
        self.run_hoot("support")
