from urllib.parse import quote

from odoo.tests import HttpCase, tagged

from odoo.addons.web.tests.test_js import unit_test_error_checker

# only this feature's suites: the addon-wide runner (test_js.py) runs them all
HOOT_FILTER = quote(r"/@live_messaging\/live_records/", safe="")


@tagged("post_install", "-at_install")
class TestLiveRecordsHoot(HttpCase):
    def test_live_records_hoot_suites(self):
        """Hoot suites of the live screens: reload scheduler, live list and
        kanban views against Odoo's mock server and bus."""
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
