"""The live bus dispatcher with real websockets (WebsocketCase).

In Odoo's test mode nothing is committed nor NOTIFYed: each
``trigger_notification_dispatching`` runs the precommit hooks (the bus rows
appear in the test's transaction) and pokes the sockets of the given channels;
the first poked socket then runs one fetch cycle for all of them, exactly what
the dispatcher does on a NOTIFY."""

import datetime
import os
import time

import odoo.http
from odoo.tests import tagged

from odoo.addons.bus.websocket import CloseCode
from odoo.addons.live_messaging.bus.dispatcher import dispatcher
from odoo.addons.live_messaging.bus.limits import counter

from .common import ws_client
from .common_api import LiveApiCase

MESSAGE = "live_messaging/message"
EVENTS = "live_messaging/events"


class DispatcherCase(LiveApiCase):
    def set_param(self, key, value):
        self.env["ir.config_parameter"].sudo().set_param(key, value)

    def bodies(self, ws, timeout=1.0):
        return [
            n["message"]["payload"]["body"] for n in self.receive(ws, timeout, MESSAGE)
        ]

    def assert_closed(self, ws, code, within=5.0, poke=None):
        """``ws`` is closed by the server with ``code`` within ``within``
        seconds; ``poke`` (channels) is poked every half second meanwhile,
        as the dispatcher's sweep does on a real server."""
        deadline = time.monotonic() + within
        while True:
            ws.settimeout(0.5)
            try:
                opcode, data = ws.recv_data()
            except ws_client.WebSocketTimeoutException:
                self.assertLess(
                    time.monotonic(), deadline, f"not closed within {within}s"
                )
                if poke:
                    self.trigger_notification_dispatching(poke)
                continue
            if opcode == ws_client.ABNF.OPCODE_CLOSE:
                self.assertEqual(int.from_bytes(data[:2], "big"), code)
                return
            self.assertNotEqual(opcode, ws_client.ABNF.OPCODE_TEXT, data)

    def routed(self, ws_count):
        """The routed subscribers of this database (one per open socket)."""
        subs = [
            s
            for s in dispatcher.subscribers(self.env.cr.dbname)
            if s.close_code is None
        ]
        self.assertEqual(len(subs), ws_count)
        return subs


@tagged("post_install", "-at_install")
class TestDispatcherSubscriptions(DispatcherCase):
    """Channels gained and lost by open sockets, kept by the server."""

    def test_removed_member_gets_nothing_after_removal(self):
        """Removing a member closes the room to their open sockets at once,
        without their client subscribing again (before, they kept receiving
        the room until it did)."""
        ws_bob = self.connect_as(self.user_bob)
        ws_app = self.app_websocket(self.key_bob)
        self.subscribe(ws_app, [], 0)
        self.room.with_user(self.user_alice).live_remove_member(self.user_bob.id)
        self.room.with_user(self.user_alice)._post_message("after bob left")
        self.trigger_notification_dispatching([self.room, self.user_bob.partner_id])
        for ws in (ws_bob, ws_app):
            got = self.receive(ws, 1.0)
            types = [n["message"]["type"] for n in got]
            self.assertIn("live_messaging/room_left", types)
            self.assertNotIn(MESSAGE, types, got)
        # and later messages neither
        self.room.with_user(self.user_alice)._post_message("still nothing")
        self.trigger_notification_dispatching([self.room])
        self.assertFalse(self.receive(ws_bob, 0.5, MESSAGE))
        self.assertFalse(self.receive(ws_app, 0.5, MESSAGE))

    def test_added_member_and_app_get_the_room_without_subscribing(self):
        ws_carol = self.connect_as(self.user_carol)
        ws_app = self.app_websocket(self.key_carol)
        self.subscribe(ws_app, [], 0)
        self.room.with_user(self.user_alice).live_add_members([self.user_carol.id])
        self.room.with_user(self.user_alice)._post_message("welcome")
        self.trigger_notification_dispatching([self.room, self.user_carol.partner_id])
        for ws in (ws_carol, ws_app):
            self.assertEqual(self.bodies(ws), ["Carol joined the room.", "welcome"])

    def test_new_room_reaches_its_members_sockets(self):
        ws_carol = self.connect_as(self.user_carol)
        room = (
            self.env["live.room"]
            .with_user(self.user_bob)
            .live_create_group_room("Fresh", [self.user_carol.id])
        )
        room.with_user(self.user_bob)._post_message("first words")
        self.trigger_notification_dispatching([room, self.user_carol.partner_id])
        self.assertEqual(self.bodies(ws_carol), ["first words"])

    def test_topic_subscribe_and_unsubscribe_take_effect_at_once(self):
        topic = self.env["live.topic"].create(
            {
                "name": "shop/keep",
                "subscribe_access": "users",
                "publish_access": "users",
            }
        )
        ws_bob = self.connect_as(self.user_bob)
        topic.with_user(self.user_bob).live_subscribe()
        topic.with_user(self.user_alice).live_publish({"n": 1})
        self.trigger_notification_dispatching([topic, self.user_bob.partner_id])
        events = self.receive(ws_bob, 1.0, EVENTS)
        self.assertEqual(
            [e["payload"] for n in events for e in n["message"]["payload"]["events"]],
            [{"n": 1}],
        )
        topic.with_user(self.user_bob).live_unsubscribe()
        topic.with_user(self.user_alice).live_publish({"n": 2})
        self.trigger_notification_dispatching([topic, self.user_bob.partner_id])
        self.assertFalse(self.receive(ws_bob, 0.5, EVENTS))

    def test_losing_the_right_to_read_a_topic_stops_it(self):
        topic = self.env["live.topic"].create(
            {
                "name": "shop/restricted",
                "subscribe_access": "restricted",
                "subscribe_user_ids": [(6, 0, [self.user_bob.id])],
                "publish_access": "users",
            }
        )
        topic.with_user(self.user_bob).live_subscribe()
        ws_bob = self.connect_as(self.user_bob)
        topic.with_user(self.user_alice).live_publish({"n": 1})
        self.trigger_notification_dispatching([topic])
        self.assertTrue(self.receive(ws_bob, 1.0, EVENTS))
        topic.subscribe_user_ids = [(5, 0, 0)]
        topic.with_user(self.user_alice).live_publish({"n": 2})
        self.trigger_notification_dispatching([topic, self.user_bob.partner_id])
        self.assertFalse(self.receive(ws_bob, 0.5, EVENTS))

    def test_manager_naming_a_room_gets_nothing(self):
        """Membership decides, for managers too: REST answers 403 for a room
        the manager is not a member of, and naming it on a socket grants
        nothing either (issue 11, item 5)."""
        response = self.api("GET", f"/rooms/{self.room.id}/messages", self.key_manager)
        self.assert_api_error(response, 403)
        ws_manager = self.connect_as(
            self.user_manager, channels=[f"live.room_{self.room.id}"]
        )
        ws_app = self.app_websocket(self.key_manager)
        self.subscribe(ws_app, [f"live.room_{self.room.id}"], 0)
        self.room.with_user(self.user_alice)._post_message("members only")
        self.trigger_notification_dispatching([self.room])
        self.assertFalse(self.receive(ws_manager, 0.5, MESSAGE))
        self.assertFalse(self.receive(ws_app, 0.5, MESSAGE))
        # once a member, the manager gets it, like anybody
        self.room.with_user(self.user_manager).live_add_members([self.user_manager.id])
        self.room.with_user(self.user_alice)._post_message("now a member")
        self.trigger_notification_dispatching([self.room, self.user_manager.partner_id])
        self.assertIn("now a member", self.bodies(ws_manager))

    def test_dispatcher_off_uses_odoos_path(self):
        """``live_messaging.bus_dispatcher`` = 0: new sockets poll the bus on
        their own, as in Odoo (the benchmark compares both)."""
        self.set_param("live_messaging.bus_dispatcher", "0")
        ws_bob = self.connect_as(self.user_bob)
        self.routed(0)
        self.room.with_user(self.user_alice)._post_message("the old way")
        self.trigger_notification_dispatching([self.room])
        self.assertEqual(self.bodies(ws_bob), ["the old way"])


@tagged("post_install", "-at_install")
class TestDispatcherRevocation(DispatcherCase):
    """Revoked sessions and keys: closed with 4001 within 5 s, and nothing
    delivered after the revocation."""

    def post_and_poke(self, body="after revocation"):
        self.room.with_user(self.user_alice)._post_message(body)
        self.trigger_notification_dispatching([self.room, self.user_bob.partner_id])

    def test_removed_api_key(self):
        key = self.api_key(self.user_bob, "phone 3")
        ws = self.app_websocket(key)
        self.subscribe(ws, [], 0)
        self.env["res.users.apikeys"].with_user(self.user_bob).search(
            [("name", "=", "phone 3")]
        )._remove()
        self.post_and_poke()
        self.assert_closed(ws, CloseCode.SESSION_EXPIRED)

    def test_expired_api_key(self):
        key = self.api_key(self.user_bob, "phone 4")
        ws = self.app_websocket(key)
        self.subscribe(ws, [], 0)
        soon = datetime.datetime.utcnow() + datetime.timedelta(seconds=1)
        self.env.cr.execute(
            "UPDATE res_users_apikeys SET expiration_date = %s WHERE name = %s",
            [soon, "phone 4"],
        )
        # the lease is checked again at once (it would within 5 s)
        dispatcher.router(self.env.cr.dbname).expire(self.routed(1))
        self.assert_closed(
            ws, CloseCode.SESSION_EXPIRED, poke=[self.user_bob.partner_id]
        )

    def test_logout_closes_at_once(self):
        ws = self.connect_as(self.user_bob)
        # the session of the last authentication is the opener's cookie
        self.url_open("/web/session/logout")
        self.assert_closed(ws, CloseCode.SESSION_EXPIRED)

    def test_password_change(self):
        ws = self.connect_as(self.user_bob)
        self.user_bob.write({"password": "a new password 123"})
        self.post_and_poke()
        self.assert_closed(ws, CloseCode.SESSION_EXPIRED)

    def test_archived_user(self):
        ws = self.connect_as(self.user_bob)
        ws_app = self.app_websocket(self.key_bob)
        self.subscribe(ws_app, [], 0)
        self.user_bob.active = False
        self.post_and_poke()
        self.assert_closed(ws, CloseCode.SESSION_EXPIRED)
        self.assert_closed(ws_app, CloseCode.SESSION_EXPIRED)

    def test_session_gone_without_notice_ends_with_its_lease(self):
        """A session deleted elsewhere, unheard of (another process's logout
        whose NOTIFY was missed): the lease (at most 5 s) runs out, the check
        finds the session gone; nothing is delivered meanwhile to a lease
        that ran out."""
        ws = self.connect_as(self.user_bob)
        (sub,) = self.routed(1)
        os.unlink(odoo.http.root.session_store.get_session_filename(sub.sid))
        self.assert_closed(ws, CloseCode.SESSION_EXPIRED, within=7.0, poke=[self.room])


@tagged("post_install", "-at_install")
class TestDispatcherCost(DispatcherCase):
    def test_queries_per_wakeup_do_not_grow_with_sockets(self):
        """One fetch cycle per wake-up, whatever the number of sockets: 1, 10
        and 100 sockets cost the same queries (the rows, the session tokens of
        all users at once), and each socket gets the message once."""
        self.set_param("live_messaging.websocket_max_per_user", "0")
        session = self.session_of(self.user_bob)
        cookie = f"session_id={session.sid}"
        sockets = []
        costs = {}
        for count in (1, 10, 100):
            self.env.cr.precommit.run()
            last = self.env["bus.bus"].sudo()._bus_last_id()
            while len(sockets) < count:
                ws = self.websocket_connect(cookie=cookie, ping_after_connect=False)
                self.subscribe(ws, [], last, wait_for_dispatch=False)
                sockets.append(ws)
            deadline = time.monotonic() + 30
            while len(self.routed_quiet()) < count:
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.05)
            # every lease is checked in that wake-up too
            dispatcher.router(self.env.cr.dbname).expire(self.routed_quiet())
            cycles = dispatcher.stats["cycles"]
            body = f"to {count}"
            self.room.with_user(self.user_alice)._post_message(body)
            # all sockets are poked at once, as one NOTIFY wakes them: no
            # cycle starts before the last poke
            with dispatcher.router(self.env.cr.dbname).fetch_lock:
                self.trigger_notification_dispatching([self.room])
            for ws in sockets:
                notif, _elapsed = self.receive_first(ws, MESSAGE, timeout=5)
                self.assertEqual(notif["message"]["payload"]["body"], body)
            self.assertEqual(dispatcher.stats["cycles"] - cycles, 1)
            costs[count] = dispatcher.stats["queries"]
        self.assertEqual(costs[1], costs[10])
        self.assertEqual(costs[1], costs[100])
        self.assertLessEqual(costs[1], 3)

    def routed_quiet(self):
        return [
            s
            for s in dispatcher.subscribers(self.env.cr.dbname)
            if s.close_code is None and s.subscribed and not s.catching_up
        ]


@tagged("post_install", "-at_install")
class TestWebsocketLimits(DispatcherCase):
    """No more websockets than allowed per API key and per user (issue 11,
    item 10): the handshake beyond is refused with 429."""

    def test_per_key(self):
        self.set_param("live_messaging.websocket_max_per_key", "2")
        first = self.app_websocket(self.key_bob)
        self.app_websocket(self.key_bob)
        with self.assertRaises(ws_client.WebSocketBadStatusException) as caught:
            self.app_websocket(self.key_bob)
        self.assertEqual(caught.exception.status_code, 429)
        headers = caught.exception.resp_headers
        self.assertEqual(headers["x-error-code"], "too_many_websockets")
        self.assertTrue(headers["retry-after"])
        # another key of the same user still may
        self.app_websocket(self.api_key(self.user_bob, "another app"))
        # a closed socket gives its slot back
        first.close()
        self.wait_remaining_websocket_connections()
        self.app_websocket(self.key_bob)

    def test_per_user(self):
        self.set_param("live_messaging.websocket_max_per_user", "2")
        self.connect_as(self.user_carol)
        self.app_websocket(self.key_carol)
        for open_one in (
            lambda: self.connect_as(self.user_carol),
            lambda: self.app_websocket(self.key_carol),
        ):
            with self.assertRaises(ws_client.WebSocketBadStatusException) as caught:
                open_one()
            self.assertEqual(caught.exception.status_code, 429)
            headers = caught.exception.resp_headers
            self.assertEqual(headers["x-error-code"], "too_many_websockets")
        self.assertEqual(
            counter.count(self.env.cr.dbname, "user", self.user_carol.id), 2
        )
        # others are not limited by carol's sockets; anonymous ones never
        self.connect_as(self.user_bob)
        for _i in range(3):
            self.connect_as(None)
