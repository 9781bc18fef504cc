from urllib.parse import quote

from odoo.tests import HttpCase, tagged

from odoo.addons.web.tests.test_js import unit_test_error_checker

# only the Support Queue's suite (the addon-wide runner, test_js.py, runs it too)
HOOT_FILTER = quote(r"/@live_messaging\/support/", safe="")


@tagged("post_install", "-at_install")
class TestSupportHoot(HttpCase):
    def test_support_queue_hoot_suite(self):
        """Hoot suite of the Support Queue screen: live queue pushes, and the
        "already taken" notification, against Odoo's mock server and bus."""
        self.browser_js(
            "/web/tests?headless&loglevel=2&preset=desktop&timeout=15000"
            f"&filter={HOOT_FILTER}",
            "",
            "",
            login="admin",
            timeout=300,
            success_signal="[HOOT] test suite succeeded",
            error_checker=unit_test_error_checker,
        )
