import json

from odoo.tests import tagged

from odoo.addons.bus.models.bus import channel_with_db, json_dump

from .common import LiveHttpCase


@tagged("post_install", "-at_install")
class TestInboxTour(LiveHttpCase):
    """One inbox with Discuss, faces and presence, "seen" and desktop
    notifications, in Chromium with a live bus: Bob's browser runs the tour
    (static/tests/tours/inbox_tour.js); Alice is played by the server, through
    the methods her web client calls (posting, reading) and Odoo's presence."""

    def test_inbox_faces_seen_and_notifications(self):
        alice, bob = self.user_alice, self.user_bob
        Room = self.env["live.room"]
        team = self.room
        direct = Room.with_user(alice).live_get_direct_room(bob.id)
        for body in ("The quote is ready", "Can you check it?"):
            team.with_user(alice).live_post_message(body)
        direct.with_user(alice).live_post_message("Hi Bob")
        # Bob's Discuss holds one unread conversation only (no onboarding by
        # OdooBot, no channel joined by default): the one counter is then known
        if "odoobot_state" in bob._fields:
            bob.odoobot_state = "disabled"
        self.env["discuss.channel.member"].search(
            [("partner_id", "=", bob.partner_id.id)]
        ).unlink()
        # a Discuss chat of theirs with an unread message: the one counter adds it
        chat = (
            self.env["discuss.channel"]
            .with_user(alice)
            .browse(
                self.env["discuss.channel"]
                .with_user(alice)
                .channel_get([bob.partner_id.id])["id"]
            )
        )
        chat.message_post(
            body="Discuss hello",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        self.env["bus.presence"].create({"user_id": alice.id, "status": "online"})
        alice_presence = (alice.partner_id, "presence")

        def bob_wrote():
            if not self.is_subscribed(alice_presence):
                return False
            with self.registry.cursor() as cr:
                cr.execute(
                    "SELECT 1 FROM live_message WHERE room_id = %s AND body = %s",
                    [direct.id, "Hello Alice"],
                )
                return bool(cr.fetchone())

        def alice_reads_then_goes_away(env):
            direct.with_env(env).with_user(alice).live_mark_seen()
            env["bus.presence"].search([("user_id", "=", alice.id)]).status = "away"

        def bob_chose_mentions():
            # (the database only once the browser runs: the test's own thread
            # shares its connection until then)
            if not self.is_subscribed(alice_presence):
                return False
            with self.registry.cursor() as cr:
                cr.execute("SELECT live_notify FROM res_users WHERE id = %s", [bob.id])
                return cr.fetchone()[0] == "mentions"

        def alice_writes(env):
            # a group message first: Bob's choice leaves it silent
            team.with_env(env).with_user(alice).live_post_message("Team news")
            direct.with_env(env).with_user(alice).live_post_message(
                "Are you still there?"
            )

        self.in_background(alice_reads_then_goes_away, when=bob_wrote)
        self.in_background(alice_writes, when=bob_chose_mentions)
        with self.live_bus():
            self.start_tour(
                "/odoo/action-sale.action_orders",
                "live_messaging_inbox",
                login=bob.login,
            )

        bob.invalidate_recordset()
        self.assertEqual(bob.live_notify, "mentions")
        members = {m.user_id: m for m in direct.member_ids}
        # Bob read Alice's last message once back on the tab
        self.assertEqual(members[bob].last_seen_seq, direct.last_seq)
        # Alice's "seen" of Bob's message (seq 2) went to the room's channel
        channel = json_dump(channel_with_db(self.env.cr.dbname, direct))
        seen = [
            json.loads(n.message)["payload"]
            for n in self.env["bus.bus"].sudo().search([("channel", "=", channel)])
            if json.loads(n.message)["type"] == "live_messaging/member_seen"
        ]
        self.assertIn(
            {"room_id": direct.id, "user_id": alice.id, "last_seen_seq": 2}, seen
        )
        # the Team room stays unread for Bob: it was never opened
        self.assertEqual(team.with_user(bob).unread_count, 3)
