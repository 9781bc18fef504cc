from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from odoo.addons.live_messaging.models.support.live_support_session import (
    SupportError,
)

from .common import LiveCase, LiveSupportMixin


@tagged("post_install", "-at_install")
class TestLiveSupport(LiveSupportMixin, LiveCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_support_agents()
        cls.agents = cls.env.ref("live_messaging.group_live_support_agent")
        cls.Session = cls.env["live.support.session"]

    def test_join_creates_a_waiting_chat_and_tells_the_agents(self):
        session, token = self.visitor_join("Vic", "My order is late")
        self.assertEqual(session.state, "waiting")
        self.assertEqual(session.room_id.room_type, "support")
        self.assertFalse(session.room_id.member_ids)
        # the token is not stored, only its hash and a short prefix
        self.assertNotEqual(session.token_hash, token)
        self.assertEqual(self.Session._find_by_token(token), session)
        self.assertFalse(self.Session._find_by_token(token[:-1] + "x"))
        self.assertEqual(session.first_message, "My order is late")
        [payload] = self.pushed(self.agents, "live_messaging/support_queue")
        self.assertEqual(payload["added"]["id"], session.id)
        self.assertEqual(payload["added"]["name"], "Vic")
        self.assertEqual(payload["added"]["first_message"], "My order is late")
        queue = self.Session.with_user(self.agent_sam).live_queue()
        self.assertIn(session.id, [q["id"] for q in queue])

    def test_join_validates_the_name(self):
        for name in ("", "   ", "x\x00y", "x\ud800y", "x" * 65, 42, None):
            with self.subTest(name=name), self.assertRaises(ValidationError):
                self.visitor_join(name)

    def test_queue_is_for_agents_only(self):
        self.visitor_join()
        with self.assertRaises(AccessError):
            self.Session.with_user(self.user_alice).live_queue()

    def test_claim_joins_the_room_and_empties_every_queue(self):
        session, _token = self.visitor_join()
        self.reset_bus()
        result = session.with_user(self.agent_sam).live_claim()
        self.assertEqual(result["state"], "active")
        self.assertEqual(session.agent_id, self.agent_sam)
        self.assertEqual(session.room_id.member_ids.user_id, self.agent_sam)
        [payload] = self.pushed(self.agents, "live_messaging/support_queue")
        self.assertEqual(payload["removed"], session.id)
        [event] = self.pushed(session.room_id, "live_messaging/support")
        self.assertEqual(event["event"], "claimed")
        queue = self.Session.with_user(self.agent_tess).live_queue()
        self.assertNotIn(session.id, [q["id"] for q in queue])
        # Tess can no longer see it; Sam sees it among his chats
        self.assertFalse(
            self.Session.with_user(self.agent_tess).search([("id", "=", session.id)])
        )
        mine = self.Session.with_user(self.agent_sam).live_my_chats()
        self.assertEqual([c["id"] for c in mine], [session.id])

    def test_second_claim_is_already_taken(self):
        session, _token = self.visitor_join()
        session.with_user(self.agent_sam).live_claim()
        with self.assertRaises(SupportError) as caught:
            session.with_user(self.agent_tess).live_claim()
        self.assertEqual(caught.exception.code, "already_taken")
        self.assertEqual(session.agent_id, self.agent_sam)
        with self.assertRaises(AccessError):
            session.with_user(self.user_alice).live_claim()

    def test_message_exchange_and_typing(self):
        session, _token = self.visitor_join()
        session.with_user(self.agent_sam).live_claim()
        self.reset_bus()
        message = session._visitor_post("Hello?", client_id="c1")
        self.assertEqual(message.author_name, "Vic")
        self.assertFalse(message.author_id)
        # a retry with the same client id posts nothing new
        self.assertEqual(session._visitor_post("Hello?", client_id="c1"), message)
        room = session.room_id.with_user(self.agent_sam)
        reply = room.live_post_message("Hi Vic, how can I help?")
        self.assertEqual(reply["author"]["name"], "Sam Agent")
        bodies = [p["body"] for p in self.pushed(room, "live_messaging/message")]
        self.assertEqual(bodies, ["Hello?", "Hi Vic, how can I help?"])
        self.reset_bus()
        session._visitor_typing(True)
        room.live_set_typing(True)
        typing = self.pushed(room, "live_messaging/typing")
        self.assertEqual(
            [(t["name"], t["visitor"], t["is_typing"]) for t in typing],
            [("Vic", True, True), ("Sam Agent", False, True)],
        )
        # somebody outside of the room cannot pretend to type in it
        with self.assertRaises(AccessError):
            session.room_id.with_user(self.agent_tess).live_set_typing(True)

    def test_expiry_with_a_frozen_clock(self):
        start = fields.Datetime.now()
        with freeze_time(start):
            session, token = self.visitor_join()
            session.with_user(self.agent_sam).live_claim()
            session._visitor_post("Anyone?")
        self.reset_bus()
        with freeze_time(start + timedelta(seconds=119)):
            self.Session._cron_support_housekeeping()
            self.assertEqual(session.state, "active")
        with freeze_time(start + timedelta(seconds=121)):
            self.Session._cron_support_housekeeping()
        self.assertEqual(session.state, "expired")
        self.assertFalse(session.room_id.active, "the room is closed")
        events = self.pushed(session.room_id, "live_messaging/support")
        self.assertIn("expired", [e["event"] for e in events])
        notes = session.room_id.message_ids.filtered(lambda m: m.kind == "system")
        self.assertIn("expired", " ".join(notes.mapped("body")))
        with self.assertRaises(SupportError) as caught:
            session._visitor_post("Still there?")
        self.assertEqual(caught.exception.code, "expired")

    def test_expiry_setting_and_lazy_check(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "live_messaging.support_expiry_seconds", "30"
        )
        start = fields.Datetime.now()
        with freeze_time(start):
            _session, token = self.visitor_join()
        with freeze_time(start + timedelta(seconds=31)):
            # no cron ran: the visitor's return finds it expired all the same
            history = self.Session._visitor_session(
                token, open_only=False
            )._visitor_history()
        self.assertEqual(history["state"], "expired")
        self.assertEqual(history["messages"], [])
        self.assertIn("expired", history["notice"])

    def test_rejoin_gets_the_whole_history(self):
        session, token = self.visitor_join("Vic", "First!")
        session.with_user(self.agent_sam).live_claim()
        session.room_id.with_user(self.agent_sam).live_post_message("Hello")
        session._visitor_post("Thanks")
        history = self.Session._visitor_session(token)._visitor_history()
        self.assertEqual(history["state"], "active")
        self.assertEqual(history["agent"], "Sam Agent")
        chat = [m["body"] for m in history["messages"] if m["kind"] == "chat"]
        self.assertEqual(chat, ["First!", "Hello", "Thanks"])

    def test_rejoin_after_expiry_can_start_again(self):
        start = fields.Datetime.now()
        with freeze_time(start):
            session, token = self.visitor_join()
        with freeze_time(start + timedelta(minutes=5)):
            with self.assertRaises(SupportError) as caught:
                self.Session._visitor_session(token)
            self.assertEqual(caught.exception.code, "expired")
            new_session, new_token = self.visitor_join()
        self.assertNotEqual(new_session, session)
        self.assertEqual(new_session.state, "waiting")

    def test_visitor_left_and_back(self):
        session, _token = self.visitor_join()
        session.with_user(self.agent_sam).live_claim()
        self.reset_bus()
        session._visitor_gone()
        self.assertFalse(session.visitor_present)
        session._visitor_heartbeat()
        self.assertTrue(session.visitor_present)
        events = [
            e["event"] for e in self.pushed(session.room_id, "live_messaging/support")
        ]
        self.assertEqual(events, ["visitor_left", "visitor_back"])

    def test_heartbeat_timeout_detects_a_dead_visitor(self):
        start = fields.Datetime.now()
        with freeze_time(start):
            session, _token = self.visitor_join()
            session.with_user(self.agent_sam).live_claim()
        with freeze_time(start + timedelta(seconds=61)):
            self.Session._cron_support_housekeeping()
        self.assertFalse(session.visitor_present)
        self.assertEqual(session.state, "active")

    def test_leave_and_close(self):
        session, _token = self.visitor_join()
        session._visitor_leave()
        self.assertEqual(session.state, "closed")
        other, _token = self.visitor_join()
        other.with_user(self.agent_sam).live_claim()
        with self.assertRaises(AccessError):
            other.with_user(self.agent_tess).live_close()
        other.with_user(self.agent_sam).live_close()
        self.assertEqual(other.state, "closed")
        with self.assertRaises(SupportError):
            other._visitor_post("Hello?")

    def test_join_rate_limit_per_address(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "live_messaging.support_join_rate_limit", "3"
        )
        for _i in range(3):
            self.visitor_join(ip="10.9.9.9")
        with self.assertRaises(SupportError) as caught:
            self.visitor_join(ip="10.9.9.9")
        self.assertEqual(caught.exception.code, "rate_limited")
        self.assertGreater(caught.exception.retry_after, 0)
        # another address is not concerned
        self.visitor_join(ip="10.9.9.10")

    def test_managers_see_every_chat_with_its_transcript(self):
        session, _token = self.visitor_join("Vic", "Help")
        session.with_user(self.agent_sam).live_claim()
        as_manager = self.Session.with_user(self.user_manager).browse(session.id)
        self.assertEqual(as_manager.agent_id, self.agent_sam)
        self.assertIn("Help", as_manager.message_ids.mapped("body"))
        self.assertGreaterEqual(as_manager.waiting_time, 0)
