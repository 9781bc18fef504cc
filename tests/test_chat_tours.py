import json

from odoo import Command
from odoo.tests import tagged

from odoo.addons.bus.models.bus import channel_with_db, json_dump

from .common import LiveHttpCase


@tagged("post_install", "-at_install")
class TestChatTours(LiveHttpCase):
    """The web client in headless Chromium, with a live bus (see
    ``LiveHttpCase.live_bus``). One Chrome runs per test, so a conversation
    between two people is checked from each side in its own test: the sender's
    window is a real browser, and so is the receiver's; the other person is
    played by the server, through the same methods the web client calls."""

    def _bus_payloads(self, target, notification_type):
        channel = json_dump(channel_with_db(self.env.cr.dbname, target))
        notifs = self.env["bus.bus"].sudo().search([("channel", "=", channel)])
        return [
            json.loads(n.message)["payload"]
            for n in notifs
            if json.loads(n.message)["type"] == notification_type
        ]

    def test_send_from_the_systray_window(self):
        """Alice opens the Team room from Discuss's messaging menu in the systray
        (it opens in the chat window), sends a message, then
        goes to another app: the message was stored once, pushed to the room's
        channel (so Bob's open chat gets it, see the next test), and the window
        survived the navigation."""
        with self.live_bus():
            self.start_tour(
                "/odoo", "live_messaging_systray_send", login=self.user_alice.login
            )
        messages = self.room.message_ids.filtered(
            lambda m: m.body == "Hello from the systray"
        )
        self.assertEqual(len(messages), 1)
        self.assertEqual(messages.author_id, self.user_alice)
        self.assertTrue(messages.client_id.startswith("web."))
        pushed = [
            p
            for p in self._bus_payloads(self.room, "live_messaging/message")
            if p["id"] == messages.id
        ]
        self.assertEqual(len(pushed), 1)
        self.assertEqual(pushed[0]["body"], "Hello from the systray")

    def test_open_chat_shows_a_message_live(self):
        """Bob has the Team room open in his chat window; Alice posts (as her
        systray window does, with live_post_message) once Bob's socket listens
        to the room and Bob has read the history; the message appears in Bob's
        window without reload, and is read at once (no unread count)."""
        room = self.room
        room.with_user(self.user_alice).live_post_message("Are you there?")
        bob_member = room.member_ids.filtered(lambda m: m.user_id == self.user_bob)

        def bob_has_the_room_open():
            if not self.is_subscribed(room):
                return False
            with self.registry.cursor() as cr:
                cr.execute(
                    "SELECT last_seen_seq FROM live_room_member WHERE id = %s",
                    [bob_member.id],
                )
                # he read "Are you there?": his window shows the room
                return cr.fetchone()[0] >= 1

        def alice_posts(env):
            room.with_env(env).with_user(self.user_alice).live_post_message(
                "Hi Bob, live from Alice", client_id="alice-tour-1"
            )

        self.in_background(alice_posts, when=bob_has_the_room_open)
        with self.live_bus():
            self.start_tour(
                "/odoo",
                "live_messaging_open_chat_receives",
                login=self.user_bob.login,
            )
        bob_member.invalidate_recordset()
        self.assertEqual(bob_member.last_seen_seq, room.last_seq)
        self.assertEqual(room.with_user(self.user_bob).unread_count, 0)

    def test_topic_event_kept_across_a_reload(self):
        """An event is published on a topic Alice follows while her Chat app
        (the feed, its listener) is closed: the bridge keeps it in
        localStorage, across a page reload, and the feed shows it once, marked
        new, when the app opens."""
        topic = self.env["live.topic"].create(
            {"name": "tour/orders", "subscribe_access": "users"}
        )
        topic.with_user(self.user_alice).live_subscribe()
        # Bob may publish on it
        topic.write({"publish_user_ids": [Command.link(self.user_bob.id)]})

        def bob_publishes(env):
            topic.with_env(env).with_user(self.user_bob).live_publish(
                {"event": "tour-checkout", "amount": 42}
            )

        self.in_background(bob_publishes, when=lambda: self.is_subscribed(topic))
        with self.live_bus():
            self.start_tour(
                "/odoo",
                "live_messaging_feed_after_reload",
                login=self.user_alice.login,
            )
        self.assertEqual(topic.last_seq, 1)
