from odoo.tests import HttpCase, tagged

from odoo.addons.web.tests.test_js import unit_test_error_checker


@tagged("post_install", "-at_install")
class TestLiveMessagingJs(HttpCase):
    def test_hoot(self):
        """The Hoot unit tests of this addon (static/tests/**/*.test.js: the
        message bridge, the chat components), in headless Chromium. The regex
        filter selects this addon's suites only."""
        self.browser_js(
            "/web/tests?headless&loglevel=2&preset=desktop&timeout=15000"
            "&filter=%2F%40live_messaging%2F",
            "",
            "",
            login="admin",
            timeout=300,
            success_signal="[HOOT] test suite succeeded",
            error_checker=unit_test_error_checker,
        )
