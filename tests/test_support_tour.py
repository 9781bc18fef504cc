from odoo.tests import tagged

from .common import LiveHttpCase, LiveSupportMixin


@tagged("post_install", "-at_install")
class TestSupportTour(LiveSupportMixin, LiveHttpCase):
    """An agent claims a visitor from the Support Queue screen, in Chromium,
    with a live bus: the queue follows joins and other agents' claims."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_support_agents()

    def test_agent_claims_from_the_queue_screen(self):
        Session = self.env["live.support.session"]
        vic, _token = self.visitor_join("Vic Visitor", "Where is my parcel?")
        tim, _token = self.visitor_join("Tim Taken")
        agents = self.env.ref("live_messaging.group_live_support_agent")

        def others_act(env):
            # a visitor joins and Tess claims Tim while Sam watches the queue
            env["live.support.session"]._visitor_join("Lou Late", "Hi", ip="10.1.1.1")
            tim.with_env(env).with_user(self.agent_tess).live_claim()

        self.in_background(others_act, when=lambda: self.is_subscribed(agents))

        with self.live_bus():
            self.start_tour(
                "/odoo/action-live_messaging.live_support_queue_action",
                "live_messaging_support_claim",
                login=self.agent_sam.login,
            )
        self.env.invalidate_all()
        self.assertEqual(vic.agent_id, self.agent_sam)
        self.assertEqual(vic.state, "active")
        self.assertEqual(tim.agent_id, self.agent_tess)
        self.assertTrue(Session.search([("visitor_name", "=", "Lou Late")]))
        reply = vic.room_id.message_ids.filtered(
            lambda m: m.body == "Hello Vic, let me check"
        )
        self.assertEqual(reply.author_id, self.agent_sam)
