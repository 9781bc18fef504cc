from odoo.tests import tagged

from odoo.addons.bus.models.bus import dispatch

from .common import LiveHttpCase, LiveSupportMixin

WAIT_JS = """
    const $ = (id) => document.getElementById(id);
    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    const wait = async (label, check) => {
        const end = Date.now() + 30000;
        while (!check()) {
            if (Date.now() > end) {
                throw new Error("timeout: " + label);
            }
            await sleep(100);
        }
    };
    const check = (label, ok) => {
        if (!ok) {
            throw new Error(label);
        }
    };
"""

JOIN_ONCE_JS = (
    "(async () => {"
    + WAIT_JS
    + """
    $("name").value = "Jo Once";
    $("first").value = "Just once";
    const button = $("join").querySelector("button");
    button.click();
    button.click();  // an impatient double click
    await wait("joined", () => $("messages").textContent.includes("Just once"));
    check("the join form is hidden", getComputedStyle($("join")).display === "none");
    check("the chat is shown", getComputedStyle($("chat")).display !== "none");
    button.click();  // and once more, on the hidden form
    $("join").requestSubmit();
    await sleep(1000);
    console.log("test successful");
})().catch((error) => console.error("visitor page: " + error.message));
"""
)

TYPING_JS = (
    "(async () => {"
    + WAIT_JS
    + """
    $("name").value = "Ty Typing";
    $("join").requestSubmit();
    await wait("joined", () => $("status").textContent.includes("Waiting"));
    await wait("agent's reply", () => $("messages").textContent.includes("Sam here"));
    await sleep(300);
    check(
        "nobody is typing once the message came: " + $("typing").textContent,
        $("typing").textContent === ""
    );
    console.log("test successful");
})().catch((error) => console.error("visitor page: " + error.message));
"""
)


@tagged("post_install", "-at_install")
class TestSupportVisitorPage(LiveSupportMixin, LiveHttpCase):
    """The visitor's page /live/support in Chromium (no login)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_support_agents()

    @staticmethod
    def visitor_room_id():
        """The room of the support chat the page's socket follows."""
        rooms = [
            channel[2]
            for channel in list(dispatch._channels_to_ws)
            if len(channel) == 3 and channel[1] == "live.room"
        ]
        return rooms[0] if rooms else None

    def test_start_a_chat_once(self):
        """After "Start a chat" the join form is gone; clicking it again, even
        twice in a row, queues nobody else."""
        with self.live_bus():
            self.browser_js("/live/support", JOIN_ONCE_JS, "", timeout=90)
        sessions = self.env["live.support.session"].search(
            [("visitor_name", "=", "Jo Once")]
        )
        self.assertEqual(len(sessions), 1)
        self.assertEqual(sessions.state, "waiting")

    def test_typing_ends_with_the_message(self):
        """The agent types, then sends: the visitor's "is typing" goes with the
        message, not seconds later."""

        def agent_types_and_answers(env):
            session = env["live.support.session"].search(
                [("room_id", "=", self.visitor_room_id())]
            )
            session.with_user(self.agent_sam).live_claim()
            room = session.room_id.with_user(self.agent_sam)
            room.live_set_typing(True)
            room.live_post_message("Hi, Sam here")

        self.in_background(agent_types_and_answers, when=self.visitor_room_id)
        with self.live_bus():
            self.browser_js("/live/support", TYPING_JS, "", timeout=90)
