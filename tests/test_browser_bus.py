from odoo.tests import tagged

from .common import LiveHttpCase


@tagged("post_install", "-at_install")
class TestBrowserLiveBus(LiveHttpCase):
    def test_web_client_receives_a_message_live(self):
        """Bob's web client is open; Alice posts from elsewhere; Bob's page gets
        the message through Odoo's own bus_service and websocket, no reload."""
        room = self.room

        def alice_posts(env):
            room.with_env(env).with_user(self.user_alice)._post_message(
                "live in the browser"
            )

        self.in_background(alice_posts, when=lambda: self.is_subscribed(room))
        code = """
            const bus = odoo.__WOWL_DEBUG__.root.env.services.bus_service;
            bus.subscribe("live_messaging/message", (payload) => {
                const { body, author } = payload;
                if (body === "live in the browser" && author.name === "Alice") {
                    console.log("test successful");
                }
            });
            bus.start();
        """
        with self.live_bus():
            self.browser_js(
                "/odoo",
                code,
                ready="odoo.isReady",
                login=self.user_bob.login,
                timeout=60,
            )
