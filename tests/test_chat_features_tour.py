import json

from odoo.tests import tagged

from odoo.addons.bus.models.bus import channel_with_db, json_dump

from .common import LiveHttpCase
from .test_attachments import PNG


@tagged("post_install", "-at_install")
class TestChatFeaturesTour(LiveHttpCase):
    """The chat features in Chromium, with a live bus, from each side of a
    conversation: Alice's browser mentions, sends a picture, edits, reacts and
    searches; Bob's browser gets all of it live while Alice (played by the
    server) acts."""

    def bus_payloads(self, target, notification_type):
        self.env.cr.precommit.run()
        channel = json_dump(channel_with_db(self.env.cr.dbname, target))
        return [
            json.loads(n.message)["payload"]
            for n in self.env["bus.bus"].sudo().search([("channel", "=", channel)])
            if json.loads(n.message)["type"] == notification_type
        ]

    def test_mention_picture_edit_reaction_search(self):
        bobs = self.room.with_user(self.user_bob)._post_message(
            "The delivery for Deco Addict is late"
        )
        self.env["bus.bus"].sudo().search([]).unlink()
        with self.live_bus():
            self.start_tour(
                "/odoo/live-chat",
                "live_messaging_chat_features",
                login=self.user_alice.login,
            )
        self.env.invalidate_all()
        mine = self.room.message_ids.filtered(lambda m: m.author_id == self.user_alice)
        self.assertEqual(len(mine), 1)
        self.assertEqual(mine.body, "@Bob the delivery photo, signed by the customer")
        self.assertTrue(mine.edit_date)
        self.assertEqual(mine.seq, bobs.seq + 1)
        self.assertEqual(self.room.last_seq, mine.seq)
        # the mention, by id
        self.assertEqual(mine.mention_ids, self.user_bob)
        # the picture: the room's, read by its members only
        photo = mine.attachment_ids
        self.assertEqual((photo.name, photo.mimetype), ("delivery.png", "image/png"))
        self.assertEqual((photo.res_model, photo.res_id), ("live.room", self.room.id))
        self.assertEqual(photo.with_user(self.user_bob).raw, PNG)
        self.assertFalse(
            self.env["ir.attachment"]
            .with_user(self.user_carol)
            .search([("id", "=", photo.id)])
        )
        # the reaction on Bob's message
        self.assertEqual(
            [(r.user_id, r.emoji) for r in bobs.reaction_ids],
            [(self.user_alice, "👍")],
        )
        # and what the bus pushed for the others
        (posted,) = [
            p
            for p in self.bus_payloads(self.room, "live_messaging/message")
            if p["id"] == mine.id
        ]
        self.assertEqual(posted["mentions"], [{"id": self.user_bob.id, "name": "Bob"}])
        self.assertEqual(posted["attachments"][0]["id"], photo.id)
        (told,) = self.bus_payloads(self.user_bob.partner_id, "live_messaging/mention")
        self.assertEqual(told["message_id"], mine.id)
        (updated,) = self.bus_payloads(self.room, "live_messaging/message_update")
        self.assertEqual((updated["id"], updated["seq"]), (mine.id, mine.seq))
        (reaction,) = self.bus_payloads(self.room, "live_messaging/reaction")
        self.assertEqual((reaction["message_id"], reaction["emoji"]), (bobs.id, "👍"))

    def test_the_other_side_sees_it_live(self):
        room = self.room
        other = room.with_user(self.user_alice)._post_message("Ship it?")
        room.member_ids.filtered(
            lambda m: m.user_id == self.user_bob
        ).sudo().last_seen_seq = room.last_seq

        def alice_mentions_bob(env):
            alice_room = room.with_env(env).with_user(self.user_alice)
            photo = alice_room._live_upload_attachment("photo.png", PNG)
            alice_room.live_post_message(
                "@Bob here is the photo",
                mention_ids=[self.user_bob.id],
                attachment_ids=photo.ids,
            )

        def bob_reacted():
            # the browser runs (its socket is in): the test's own thread no
            # longer uses the shared test cursor, this one may
            if not self.is_subscribed(room):
                return False
            with self.registry.cursor() as cr:
                cr.execute(
                    "SELECT COUNT(*) FROM live_message_reaction WHERE user_id = %s",
                    [self.user_bob.id],
                )
                return cr.fetchone()[0] > 0

        def alice_edits_reacts_deletes(env):
            Message = env["live.message"].with_user(self.user_alice)
            message = Message.search(
                [("room_id", "=", room.id), ("body", "=", "@Bob here is the photo")]
            )
            message.live_edit(
                "@Bob here is the signed photo", mention_ids=[self.user_bob.id]
            )
            message.live_react("🎉")
            Message.browse(other.id).live_delete()

        self.in_background(alice_mentions_bob, when=lambda: self.is_subscribed(room))
        self.in_background(alice_edits_reacts_deletes, when=bob_reacted)
        with self.live_bus():
            self.start_tour(
                "/odoo",
                "live_messaging_chat_features_receive",
                login=self.user_bob.login,
            )
        self.env.invalidate_all()
        message = room.message_ids.filtered(lambda m: m.mention_ids == self.user_bob)
        self.assertEqual(
            sorted((r.user_id.login, r.emoji) for r in message.reaction_ids),
            [("lm_alice", "🎉"), ("lm_bob", "🎉")],
        )
        self.assertTrue(other.is_deleted)
        # Bob opened the room: his mention is read
        (state,) = room.with_user(self.user_bob)._format()
        self.assertEqual((state["unread"], state["unread_mentions"]), (0, 0))
