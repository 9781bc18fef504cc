import importlib
import json
import struct
import threading
import time
from contextlib import contextmanager
from unittest.mock import patch

try:
    import websocket as ws_client
except ImportError:  # WebsocketCase skips itself, and tools/test fails on skips
    ws_client = None

import odoo.http
from odoo import api
from odoo.tests import HttpCase, TransactionCase, new_test_user

from odoo.addons.bus.models.bus import channel_with_db, dispatch, hashable, json_dump
from odoo.addons.bus.tests.common import WebsocketCase
from odoo.addons.bus.websocket import (
    WebsocketConnectionHandler,
    _websocket_instances,
)


def import_test_package(module, package):
    """``module`` of the test-only ``package`` (requirements-test.txt),
    imported inside the test that uses it: Odoo's runner imports the test
    modules of every addon of the database, so an import at module level would
    break every test run of a database with this addon. A missing package
    fails only the tests that need it, with a message naming it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise AssertionError(
            f"this test needs the Python package {package!r}, which is not "
            "installed: pip install -r requirements-test.txt"
        ) from None


class LiveUsersMixin:
    """Users and a room shared by the live_messaging tests.

    alice and bob are members of ``room``; carol is a live user outside of it;
    ``manager`` administers Live Messaging; ``portal`` is no live user at all.
    alice and bob are salespeople who only see their own orders."""

    @classmethod
    def _setup_live_users(cls):
        salesman = "base.group_user,sales_team.group_sale_salesman"
        cls.user_alice = new_test_user(cls.env, "lm_alice", salesman, name="Alice")
        cls.user_bob = new_test_user(cls.env, "lm_bob", salesman, name="Bob")
        cls.user_carol = new_test_user(
            cls.env, "lm_carol", "base.group_user", name="Carol"
        )
        cls.user_manager = new_test_user(
            cls.env,
            "lm_manager",
            "base.group_user,live_messaging.group_live_manager",
            name="Manny Manager",
        )
        cls.user_portal = new_test_user(
            cls.env, "lm_portal", "base.group_portal", name="Polly Portal"
        )
        cls.room = (
            cls.env["live.room"]
            .with_user(cls.user_alice)
            .live_create_group_room("Team", [cls.user_bob.id])
        )


class LiveCase(LiveUsersMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_live_users()

    def setUp(self):
        super().setUp()
        self.reset_bus()

    def reset_bus(self):
        """Forget the notifications queued or stored so far."""
        self.env.cr.precommit.run()
        self.env["bus.bus"].sudo().search([]).unlink()

    def bus_notifications(self, target=None, notification_type=None):
        """What the transaction would push on commit: ``[(channel, type,
        payload)]`` in sending order, optionally for one target (a record, a
        ``(record, subchannel)`` pair or a string) and one type."""
        self.env.cr.precommit.run()
        domain = []
        if target is not None:
            channel = json_dump(channel_with_db(self.env.cr.dbname, target))
            domain.append(("channel", "=", channel))
        result = []
        for notif in self.env["bus.bus"].sudo().search(domain, order="id"):
            message = json.loads(notif.message)
            if notification_type and message["type"] != notification_type:
                continue
            result.append(
                (json.loads(notif.channel), message["type"], message["payload"])
            )
        return result

    def pushed(self, target, notification_type):
        """Payloads of ``notification_type`` pushed to ``target``."""
        return [p for _c, _t, p in self.bus_notifications(target, notification_type)]


class LiveWebsocketCase(LiveUsersMixin, WebsocketCase):
    """Real websockets (websocket-client) on Odoo's ``/websocket``.

    Odoo's test mode sends no NOTIFY: ``trigger_notification_dispatching`` runs
    the precommit hooks and pokes the sockets of the given channels, exactly what
    the bus dispatcher does on a real NOTIFY."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_live_users()

    def setUp(self):
        super().setUp()
        self.env.cr.precommit.run()
        self.env["bus.bus"].sudo().search([]).unlink()

    def connect_as(self, user, channels=(), last=0):
        """A websocket with ``user``'s session (password = login for test users;
        ``None`` for an anonymous one), subscribed with ``channels``/``last``."""
        if user is None:
            ws = self.websocket_connect(cookie="")
        else:
            ws = self.websocket_connect(
                cookie=f"session_id={self.session_of(user).sid}"
            )
        self.subscribe(ws, list(channels), last)
        return ws

    def session_of(self, user, password=None):
        """A web session of ``user`` that stays valid while others are opened
        (``HttpCase.authenticate`` deletes the previous session)."""
        session = self.authenticate(user.login, password or user.login)
        self.session = None  # keep it alive when the next one is opened
        self.addCleanup(odoo.http.root.session_store.delete, session)
        return session

    def _frames(self, ws, timeout):
        """Yield the notification lists ``ws`` receives within ``timeout``
        seconds; control frames are skipped, a close frame fails the test."""
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            ws.settimeout(remaining)
            try:
                opcode, data = ws.recv_data()
            except ws_client.WebSocketTimeoutException:
                return
            if opcode == ws_client.ABNF.OPCODE_CLOSE:
                code = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else None
                self.fail(f"the server closed the socket: {code} {data[2:]!r}")
            if opcode == ws_client.ABNF.OPCODE_TEXT:
                yield json.loads(data)

    def receive(self, ws, timeout=1.0, notification_type=None):
        """Every notification ``ws`` gets within ``timeout`` seconds (the socket
        sends a JSON list per dispatch), optionally of one type."""
        received = [n for frame in self._frames(ws, timeout) for n in frame]
        if notification_type:
            received = [
                n for n in received if n["message"]["type"] == notification_type
            ]
        return received

    def receive_first(self, ws, notification_type, timeout=1.0):
        """The first notification of ``notification_type`` and how long it took;
        fails when none comes within ``timeout`` seconds."""
        started = time.monotonic()
        for frame in self._frames(ws, timeout):
            for notif in frame:
                if notif["message"]["type"] == notification_type:
                    return notif, time.monotonic() - started
        self.fail(f"no {notification_type} notification within {timeout}s")


class LiveHttpCase(LiveUsersMixin, HttpCase):
    """Browser tests (tours, JS) with a live bus.

    In Odoo's test mode ``/websocket`` answers 503 and nothing is NOTIFYed, so a
    tour gets no bus at all. ``live_bus()`` lets the web client's websocket in (as
    ``WebsocketCase`` does) and plays the dispatcher's part: it pokes every open
    socket every 50 ms, and each socket then polls ``bus.bus`` as it does on a
    real NOTIFY. Requests of the browser share the test cursor, whose "commits"
    run the precommit hooks that create the ``bus.bus`` rows.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_live_users()

    @contextmanager
    def live_bus(self, period=0.05):
        stop = threading.Event()

        def poke():
            while not stop.wait(period):
                for ws in list(_websocket_instances):
                    ws.trigger_notification_dispatching()

        poker = threading.Thread(target=poke, name="live-bus-poker", daemon=True)
        with patch.object(
            WebsocketConnectionHandler, "websocket_allowed", return_value=True
        ):
            poker.start()
            try:
                yield
            finally:
                stop.set()
                poker.join()

    def is_subscribed(self, target):
        """Whether some open socket is subscribed to ``target`` (a record, a
        ``(record, subchannel)`` pair or a string)."""
        channel = hashable(channel_with_db(self.registry.db_name, target))
        return bool(dispatch._channels_to_ws.get(channel))

    def in_background(self, func, *, when=None, timeout=60):
        """Run ``func(env)`` in another thread, in a cursor of its own (a test
        cursor, "committed" at the end like a request), once ``when()`` is true.

        For what "another user" does while the browser is waiting: post a
        message once the browser's socket is subscribed to the room, etc. The
        thread is joined at cleanup; its exception, if any, fails the test."""
        errors = []

        def run():
            try:
                deadline = time.monotonic() + timeout
                while when and not when():
                    if time.monotonic() > deadline:
                        raise TimeoutError("the background condition never came true")
                    time.sleep(0.05)
                with self.registry.cursor() as cr:
                    func(api.Environment(cr, odoo.SUPERUSER_ID, {}))
            except Exception as exc:  # reported by the cleanup below
                errors.append(exc)

        thread = threading.Thread(target=run, name="live-background", daemon=True)
        thread.start()

        def check():
            thread.join(timeout)
            if errors:
                raise errors[0]

        self.addCleanup(check)
        return thread


class LiveSupportMixin:
    """Two support agents (Sam and Tess) and the visitor helpers."""

    @classmethod
    def _setup_support_agents(cls):
        agent = "base.group_user,live_messaging.group_live_support_agent"
        cls.agent_sam = new_test_user(cls.env, "lm_sam", agent, name="Sam Agent")
        cls.agent_tess = new_test_user(cls.env, "lm_tess", agent, name="Tess Agent")
        # a free hand for the tests' joins from the same address
        ICP = cls.env["ir.config_parameter"].sudo()
        ICP.set_param("live_messaging.support_join_rate_limit", "0")
        ICP.set_param("live_messaging.public_rate_limit", "0")

    def visitor_join(self, name="Vic", message=None, ip="10.0.0.1"):
        """A visitor joins: ``(session, token)``."""
        return self.env["live.support.session"]._visitor_join(name, message, ip=ip)
