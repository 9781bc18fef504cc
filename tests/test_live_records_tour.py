from odoo.tests import tagged

from .common import LiveHttpCase


@tagged("post_install", "-at_install")
class TestLiveRecordsTour(LiveHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "LM Tour Customer"})
        cls.orders = cls.env["sale.order"].create(
            [
                {
                    "name": name,
                    "partner_id": cls.customer.id,
                    "user_id": cls.user_alice.id,
                }
                for name in ("LIVE-TOUR-1", "LIVE-TOUR-2")
            ]
        )

    def test_orders_list_refreshes_itself(self):
        """Alice has her quotations open, one selected; elsewhere (another
        user, an API call) LIVE-TOUR-2 is confirmed and LIVE-TOUR-3 created:
        her list shows both without reload and keeps her selection."""
        orders, customer, alice = self.orders, self.customer, self.user_alice

        def elsewhere(env):
            orders[1].with_env(env).action_confirm()
            env["sale.order"].create(
                {"name": "LIVE-TOUR-3", "partner_id": customer.id, "user_id": alice.id}
            )

        # the condition runs in another thread: no ORM there, plain values only
        partner = self.user_alice.partner_id

        def ready():
            # Alice's socket is subscribed, and the tour selected a row (it then
            # subscribes to a marker channel); her list registered as a watcher
            # when it opened, before
            return self.is_subscribed(partner) and self.is_subscribed(
                "live_records_tour_ready"
            )

        self.in_background(elsewhere, when=ready, timeout=90)
        with self.live_bus():
            self.start_tour(
                "/odoo/sales",
                "live_records_sale_order_list",
                login=alice.login,
                timeout=120,
            )


@tagged("post_install", "-at_install")
class TestLiveRecordsSessionInfo(LiveHttpCase):
    def test_session_info_lists_live_models(self):
        self.authenticate(self.user_alice.login, self.user_alice.login)
        info = self.make_jsonrpc_request("/web/session/get_session_info")
        self.assertIn("sale.order", info["live_record_models"])
        self.assertNotIn("res.partner", info["live_record_models"])
        self.assertNotIn("live.record.mixin", info["live_record_models"])
