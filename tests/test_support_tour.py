from odoo.tests import tagged

from odoo.addons.bus.models.bus import dispatch

from .common import LiveHttpCase, LiveSupportMixin

VISITOR_JS = """
(async () => {
    const $ = (id) => document.getElementById(id);
    const wait = async (label, check) => {
        const end = Date.now() + 30000;
        while (!check()) {
            if (Date.now() > end) {
                throw new Error("timeout: " + label);
            }
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
    };
    $("name").value = "Bea Browser";
    $("first").value = "Hello from a browser";
    $("join").requestSubmit();
    await wait("joined", () => $("messages").textContent.includes("from a browser"));
    await wait("agent's reply", () => $("messages").textContent.includes("Sam here"));
    await wait("agent named", () => $("status").textContent.includes("Sam Agent"));
    $("body").value = "Thanks Sam";
    $("composer").requestSubmit();
    await wait("own message", () => $("messages").textContent.includes("Thanks Sam"));
    console.log("test successful");
})().catch((error) => console.error("visitor page: " + error.message));
"""


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

    def test_visitor_page_in_a_browser(self):
        """The public page /live/support in Chromium, no login: the visitor
        joins, gets the agent's claim and reply live on the websocket opened
        with the token, and answers."""

        def visitor_room_id():
            rooms = [
                channel[2]
                for channel in list(dispatch._channels_to_ws)
                if len(channel) == 3 and channel[1] == "live.room"
            ]
            return rooms[0] if rooms else None

        def agent_answers(env):
            session = env["live.support.session"].search(
                [("room_id", "=", visitor_room_id())]
            )
            session.with_user(self.agent_sam).live_claim()
            session.room_id.with_user(self.agent_sam).live_post_message(
                "Hi Bea, Sam here"
            )

        self.in_background(agent_answers, when=visitor_room_id)
        with self.live_bus():
            self.browser_js("/live/support", VISITOR_JS, "", timeout=90)
        self.env.invalidate_all()
        session = self.env["live.support.session"].search(
            [("visitor_name", "=", "Bea Browser")]
        )
        self.assertEqual(session.agent_id, self.agent_sam)
        self.assertIn("Thanks Sam", session.room_id.message_ids.mapped("body"))
