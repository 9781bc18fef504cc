"""The live bus dispatcher: one per server process (threaded server, gevent
worker), serving the websockets of that process.

- It keeps **one LISTEN connection** (``imbus`` and ``live_messaging_control``)
  of its own, outside the cursor pool, on the ``postgres`` database as Odoo
  does, with ``application_name`` ``odoo-live-bus-<pid>``.
- On NOTIFY (coalesced), and at least every ``SWEEP_SECONDS`` while it has
  sockets, it runs a **cycle** per database: one query fetches the new
  ``bus.bus`` rows (``id > last OR id IN gaps``, see ``router.py``) for all
  the sockets of the process, each row is serialised once and routed in
  memory (``Router.route``); control rows are applied in stream order.
- Each socket's session or API key is held as a **lease** of at most
  ``LEASE_SECONDS``, renewed in batch within a cycle (session files re-read
  only when they change, one query for the session tokens of all users, one
  for all API keys) and ended at once by control notifications.
- Sockets send from their own thread or greenlet (``serve``): the dispatcher
  never writes to a socket.
- Failures (LISTEN connection lost, a fetch failing) are retried within
  ``RETRY_MAX`` seconds with backoff, and the stream resumes from its
  position: nothing is lost, there is no 50-second silence.

In Odoo's test mode (a registry in test mode: WebsocketCase, tours) nothing is
committed nor NOTIFYed: the dispatcher then runs no cycle of its own; a poke
of a socket (``WebsocketCase.trigger_notification_dispatching``) makes the
poked socket run one coalesced cycle (the first poked socket fetches for all,
the others find it done), in the test's transaction.
"""

import functools
import hmac
import json
import logging
import os
import selectors
import socket
import threading
import time
from contextlib import closing, suppress
from datetime import timedelta
from hashlib import sha256

import psycopg2
import psycopg2.extensions

import odoo
from odoo import SUPERUSER_ID, api, fields
from odoo.modules.registry import Registry
from odoo.tools import SQL, consteq

from odoo.addons.bus.models.bus import (
    TIMEOUT,
    channel_with_db,
    dispatch,
    hashable,
    json_dump,
    stop_event,
)
from odoo.addons.bus.websocket import CloseCode, ConnectionState

from . import control
from .router import SESSION_EXPIRED, Router, Subscriber, wires

_logger = logging.getLogger(__name__)

LEASE_SECONDS = 5.0
# leases are renewed when they end within this margin: every few seconds
LEASE_MARGIN = 2.5
SWEEP_SECONDS = 1.0
RETRY_MIN = 0.1
RETRY_MAX = 5.0
# the LISTEN connection is probed when silent for that long
PROBE_SECONDS = 30.0
# rows per fetch: below a socket's outbox bound, so that a socket that keeps
# up is never closed by a burst (its frames go out between batches)
FETCH_BATCH = 500
# ids below the highest one, when a stream starts, that were not visible
# then (in flight) are watched as gaps
START_WINDOW = 1000
APPLICATION_NAME = "odoo-live-bus-%d"

PARAM_ENABLED = "live_messaging.bus_dispatcher"
PARAM_MAX_ITEMS = "live_messaging.bus_outbox_max"
PARAM_MAX_BYTES = "live_messaging.bus_outbox_max_bytes"
DEFAULT_MAX_ITEMS = 1000
DEFAULT_MAX_BYTES = 8 << 20

FETCH_SQL = """
    SELECT id, channel, message
      FROM bus_bus
     WHERE id > %(last)s OR id = ANY(%(gaps)s)
  ORDER BY id
     LIMIT %(limit)s
"""


def channel_key(channel):
    """The key of a subscribed channel (a tuple as ``dispatch.subscribe``
    makes them): its JSON, exactly as ``bus.bus.channel`` stores it."""
    return json_dump(list(channel))


class LiveSubscriber(Subscriber):
    """A routed websocket: the router's subscriber, with what the dispatcher
    needs to know of its session."""

    __slots__ = (
        "catchup",
        "context",
        "db",
        "key_id",
        "live_channels",
        "poke_mark",
        "router",
        "sid",
        "sid_hash",
        "stamp",
        "subscribed",
        "token",
        "uid",
        "ws",
    )

    def __init__(self, ws, db, session, router, **kwargs):
        super().__init__(None, **kwargs)
        self.socket = self
        self.ws = ws
        self.db = db
        self.router = router
        self.sid = session.sid
        self.sid_hash = control.sid_hash(session.sid)
        self.uid = session.uid
        self.token = session.get("session_token")
        self.key_id = session.get("live_api_key_id") or None
        self.context = dict(session.context)
        self.stamp = None  # the session file's (mtime, inode) when last read
        self.live_channels = frozenset()
        self.catchup = None  # cycle count when it asked for a catch-up
        self.subscribed = False
        self.poke_mark = None

    def wake(self):
        """The router has something for this socket (once until drained).

        Fast path: when nobody is writing to the socket, the frames are sent
        right here without blocking (``MSG_DONTWAIT``), each built once for
        all sockets; this spares the socket's own thread or greenlet a wake-up
        per message. Whatever cannot go at once (the socket is busy, its
        buffer is full, it must close, run a cycle or catch up) is left to the
        socket's own thread or greenlet, woken with one byte on Odoo's socket
        pair (which ``get_messages`` selects on): that one may block, nobody
        else does."""
        ws = self.ws
        if ws.state is not ConnectionState.OPEN:
            return
        deferred = getattr(_cycle_wakes, "subs", None)
        if deferred is not None:
            deferred.append(self)  # once the cycle's cursor is closed
            return
        if self.poke_mark is None and self.catchup is None and self.send_now():
            return
        self.poke()

    def poke(self):
        with suppress(OSError):  # closing
            self.ws._Websocket__notif_sock_w.send(b"x")

    def send_now(self):
        """Send the outbox without blocking; False when the socket's own
        thread must take over."""
        ws = self.ws
        lock = ws._live_send_lock
        if not lock.acquire(blocking=False):
            return False
        try:
            if ws.state is not ConnectionState.OPEN:
                return True  # closing: nothing more goes out
            if ws._live_partial:
                return False
            notifications, code = self.router.drain(self)
            if code is not None:
                return False
            pending = list(wires(notifications))
            sock = ws._Websocket__socket
            while pending:
                data = pending.pop(0)
                sent = _send_nowait(sock, data)
                if sent < len(data):
                    ws._live_partial = b"".join([data[sent:], *pending])
                    return False
            return True
        finally:
            lock.release()

    def __repr__(self):
        return f"<LiveSubscriber {self.db} uid={self.uid} key={self.key_id}>"


# Odoo's own methods, set by patch.py before anything runs
_original = {}
# the sockets a running cycle woke, woken once its cursor is closed: nothing
# is sent before (in Odoo's test mode, a test would otherwise write into the
# cycle's test cursor, whose closing rolls it back)
_cycle_wakes = threading.local()


class Dispatcher:
    """The dispatcher of this server process: a ``Router`` per database it
    serves sockets of, the LISTEN loop (``run``), the fetch cycles."""

    def __init__(self):
        self._lock = threading.Lock()
        self._routers = {}  # db -> Router
        self._dirty = set()
        self._retry_at = {}  # db -> (monotonic time, backoff)
        self._legacy = {}  # db -> count of sockets on Odoo's own path
        self.looping = False
        self._listened = False
        self.stats = {"cycles": 0, "queries": 0, "notifies": 0, "reconnects": 0}

    # ------------------------------------------------------------------
    # Routers and sockets
    # ------------------------------------------------------------------

    def router(self, db):
        with self._lock:
            router = self._routers.get(db)
            if router is None:
                router = self._routers[db] = Router(
                    control_channel=control.control_channel(db)
                )
            return router

    def routers(self):
        with self._lock:
            return dict(self._routers)

    def subscribers(self, db):
        router = self._routers.get(db)
        return list(router.subscribers) if router else []

    def attach(self, ws, db, env):
        """Decide at its first subscribe whether ``ws`` is routed (the addon
        is installed in ``db`` and the dispatcher is on), and if so make its
        subscriber. Returns it, or None for Odoo's own path."""
        sub = getattr(ws, "_live_sub", None)
        if sub is not None or getattr(ws, "_live_legacy", False):
            return sub
        if not self.enabled(env):
            ws._live_legacy = True
            with self._lock:
                self._legacy[db] = self._legacy.get(db, 0) + 1
            return None
        # sudo: ir.config_parameter - reading technical limits
        params = env["ir.config_parameter"].sudo()
        ws._live_send_lock = threading.RLock()
        ws._live_partial = None
        sub = LiveSubscriber(
            ws,
            db,
            ws._session,
            self.router(db),
            # the subscribe request just checked the session (_authenticate)
            lease_until=time.monotonic() + LEASE_SECONDS,
            max_items=_int(params.get_param(PARAM_MAX_ITEMS), DEFAULT_MAX_ITEMS),
            max_bytes=_int(params.get_param(PARAM_MAX_BYTES), DEFAULT_MAX_BYTES),
        )
        ws._live_sub = sub
        self.router(db).add(sub)
        return sub

    @staticmethod
    def enabled(env):
        """Whether the sockets of this database are routed: the addon is
        installed there and ``live_messaging.bus_dispatcher`` is not off."""
        if "live.room" not in env.registry:
            return False
        # sudo: ir.config_parameter - reading a technical switch
        value = env["ir.config_parameter"].sudo().get_param(PARAM_ENABLED, "1")
        return str(value).strip().lower() not in ("0", "false", "off", "no")

    def subscribe(self, ws, channels, last):
        """``ws`` subscribes to ``channels`` (tuples) with the client's
        ``last``: the first time, it catches up from ``last`` (Odoo's
        ``_poll`` rules: 0 means the last 50 seconds); later, each channel it
        gains catches up from the ``last`` it sends. Catch-ups are done by
        the next fetch cycle, all of them in one query."""
        sub = ws._live_sub
        router = self.router(sub.db)
        keys = {channel_key(channel) for channel in channels}
        live = getattr(ws, "_live_channel_keys", None)
        if live is not None:
            sub.live_channels = frozenset(live & keys)
        added = router.set_channels(sub, keys)
        catch = keys if not sub.subscribed else added
        sub.subscribed = True
        if catch:
            sub.catchup = router.start_catchup(sub, (frozenset(catch), last))
        # as in Odoo, a subscribe is followed by a dispatch in the socket's
        # own thread (Odoo's tests wait for it)
        sub.poke()

    def detach(self, ws):
        sub = getattr(ws, "_live_sub", None)
        if sub is None:
            if getattr(ws, "_live_legacy", False):
                ws._live_legacy = False
                with self._lock:
                    self._legacy[ws._db] = self._legacy.get(ws._db, 1) - 1
            return
        router = self._routers.get(sub.db)
        if router is not None and router.remove(sub):
            router.stop()

    def poke(self, sub):
        """A poke that does not come from the dispatcher (Odoo's tests, a
        live bus in tours): the socket runs one coalesced cycle first."""
        router = self.router(sub.db)
        with router.lock:
            sub.poke_mark = router.cycles_started
        # a fresh wake even when one is pending: the mark must be seen
        router.wake(sub)

    # ------------------------------------------------------------------
    # The socket's side (its own thread or greenlet)
    # ------------------------------------------------------------------

    def serve(self, ws):
        """Run by ``Websocket._dispatch_bus_notifications`` of a routed
        socket when it is woken: make sure a cycle ran since it was poked or
        subscribed (coalesced: the first socket runs it for all), then send
        what its outbox holds, or close."""
        sub = ws._live_sub
        router = self.router(sub.db)
        # the wake-up byte(s) of the socket pair (Odoo sends one per wake):
        # from now on, a wake writes a new one
        ws._Websocket__notif_sock_r.recv(4096)
        with router.lock:
            sub.wake_pending = False
            marks = [m for m in (sub.poke_mark, sub.catchup) if m is not None]
            sub.poke_mark = sub.catchup = None
        if marks:
            try:
                self.poke_cycle(sub.db, max(marks))
            except Exception:
                # the dispatcher retries it; the catch-up waits for it
                _logger.warning("live bus: cycle of %s failed", sub.db, exc_info=True)
                with self._lock:
                    self._dirty.add(sub.db)
        with ws._live_send_lock:
            notifications, code = router.drain(sub)
            if code is None and ws.state is ConnectionState.OPEN:
                sock = ws._Websocket__socket
                partial, ws._live_partial = ws._live_partial, None
                if partial:
                    sock.sendall(partial)
                for data in wires(notifications):
                    sock.sendall(data)
        if code is not None and ws.state is ConnectionState.OPEN:
            ws.disconnect(CloseCode(code))

    def poke_cycle(self, db, mark):
        """The cycle a poked or subscribing socket needs: done unless one
        started after ``mark`` (another socket ran it)."""
        router = self.router(db)
        with router.fetch_lock:
            if router.cycles_started > mark:
                return
            self._cycle(db, router)

    # ------------------------------------------------------------------
    # Cycles: fetch once, renew leases, route, catch up
    # ------------------------------------------------------------------

    def run_cycle(self, db):
        router = self._routers.get(db)
        if router is None or not (router.started or router.has_pending):
            return
        with router.fetch_lock:
            self._cycle(db, router)

    def _cycle(self, db, router):
        pending = router.begin_cycle()
        _cycle_wakes.subs = []
        try:
            self._cycle_in_cursor(db, router, pending)
        except Exception:
            router.requeue(pending)
            raise
        finally:
            _flush_wakes(done=True)

    def _cycle_in_cursor(self, db, router, pending):
        # Odoo's own acquire_cursor (about 1 s at most): the dispatcher
        # retries a failed cycle itself, it must not wait 10 s
        with closing(_original["acquire_cursor"](db)) as cr:
            count = cr.sql_log_count
            if not router.started:
                if not pending:
                    return
                # the first socket of this process: the stream starts now, its
                # snapshot is the catch-ups'
                self._start_stream(router, cr)
            else:
                self._fetch_and_route(db, router, cr)
            if pending:
                self._catch_up(router, cr, pending)
            self.stats["cycles"] += 1
            self.stats["queries"] = cr.sql_log_count - count

    def _fetch_and_route(self, db, router, cr):
        on_control = functools.partial(self._on_control, db, cr, {})
        while True:
            last, gaps = router.fetch_params()
            if last is None:
                return
            cr.execute(FETCH_SQL, {"last": last, "gaps": gaps, "limit": FETCH_BATCH})
            rows = cr.fetchall()
            due = router.leases_due(LEASE_MARGIN)
            if due:
                self.renew(db, cr, due)
            router.route(rows, on_control=on_control)
            if len(rows) < FETCH_BATCH:
                return
            # a long backlog: what was routed goes out, the next batch comes
            # in a new transaction
            cr.rollback()
            _flush_wakes()

    @staticmethod
    def _catch_up(router, cr, pending):
        """What the subscribing sockets missed on the channels they just
        gained (Odoo's ``_poll`` rules, each from its own ``last``), in one
        query for all of them, merged with the live rows collected for them
        meanwhile."""
        since = fields.Datetime.now() - timedelta(seconds=TIMEOUT)
        keys = set().union(*(spec[0] for spec in pending.values()))
        lasts = [spec[1] for spec in pending.values() if spec[1]]
        conditions = []
        if lasts:
            conditions.append(SQL("id > %s", min(lasts)))
        if len(lasts) < len(pending):
            conditions.append(SQL("create_date > %s", since))
        cr.execute(
            SQL(
                "SELECT id, channel, message, create_date FROM bus_bus"
                " WHERE channel = ANY(%s) AND (%s) ORDER BY id",
                list(keys),
                SQL(" OR ").join(conditions),
            )
        )
        rows = cr.fetchall()
        for sub, (sub_keys, last) in pending.items():
            router.complete_catchup(
                sub,
                [
                    (i, channel, message)
                    for i, channel, message, created in rows
                    if channel in sub_keys and (i > last if last else created > since)
                ],
            )

    @staticmethod
    def _start_stream(router, cr):
        cr.execute("SELECT COALESCE(max(id), 0) FROM bus_bus")
        last = cr.fetchone()[0]
        low = max(0, last - START_WINDOW)
        cr.execute("SELECT id FROM bus_bus WHERE id > %s", [low])
        present = {row[0] for row in cr.fetchall()}
        router.start(last, set(range(low + 1, last + 1)) - present)

    def _on_control(self, db, cr, state, row):
        try:
            payload = json.loads(row[2])["payload"]
        except (ValueError, KeyError, TypeError):
            _logger.warning("live bus: malformed control row %s", row[0])
            return
        router = self._routers.get(db)
        if router is None:
            return
        if not state.get("signaled"):
            # the ORM is used below: see the other processes' invalidations
            Registry(db).check_signaling(cr)
            state["signaled"] = True
        validity = set(payload.get("validity") or ())
        if validity:
            subs = [s for s in list(router.subscribers) if s.uid in validity]
            if subs:
                self.renew(db, cr, subs)
        channels = set(payload.get("channels") or ())
        if channels:
            subs = [
                s
                for s in list(router.subscribers)
                if s.uid in channels and s.close_code is None and s.subscribed
            ]
            if subs:
                self._recompute_channels(db, cr, router, subs)

    def _recompute_channels(self, db, cr, router, subs):
        """The live channels of ``subs`` again, as their users, with the rules
        of ``ir.websocket._live_channels``; the sockets gain and lose them
        now, without subscribing again."""
        computed = {}
        for sub in subs:
            cache_key = (sub.uid, sub.key_id)
            if cache_key not in computed:
                env = api.Environment(cr, sub.uid, dict(sub.context, lang=None))
                try:
                    records = env["ir.websocket"]._live_channels()
                except Exception:
                    _logger.warning(
                        "live bus: live channels of uid %s failed",
                        sub.uid,
                        exc_info=True,
                    )
                    records = []
                computed[cache_key] = {
                    channel_with_db(db, record) for record in records
                }
            tuples = computed[cache_key]
            live = frozenset(channel_key(channel) for channel in tuples)
            keys = (sub.channels - sub.live_channels) | live
            router.set_channels(sub, keys)
            sub.live_channels = live
            _sync_odoo_channels(sub.ws, db, tuples, sub.live_channels)

    # ------------------------------------------------------------------
    # Leases
    # ------------------------------------------------------------------

    def renew(self, db, cr, subs):
        """Check the sessions (and API keys) of ``subs`` in batch: the session
        file (re-read only when it changed), the session token of every user
        in one query, the API keys in one query. Valid ones get a new lease,
        revoked ones close with 4001."""
        router = self.router(db)
        store = odoo.http.root.session_store
        now = time.monotonic()
        checked = []
        for sub in subs:
            if sub.close_code is not None:
                continue
            path = store.get_session_filename(sub.sid)
            try:
                stat = os.stat(path)
                stamp = (stat.st_mtime_ns, stat.st_ino)
                if stamp != sub.stamp:
                    with open(path, encoding="utf-8") as file:
                        data = json.load(file)
            except FileNotFoundError:
                router.close(sub, SESSION_EXPIRED)  # logged out, rotated, gone
                continue
            except (OSError, ValueError):
                # not readable now (no file descriptor left, written
                # meanwhile): its lease is checked again at the next cycle
                _logger.info("live bus: session of %r unreadable", sub, exc_info=True)
                continue
            if stamp != sub.stamp:
                if not data or data.get("uid") != sub.uid:
                    router.close(sub, SESSION_EXPIRED)
                    continue
                sub.token = data.get("session_token")
                sub.stamp = stamp
            checked.append(sub)
        uids = {sub.uid for sub in checked if sub.uid}
        token_keys = self._token_keys(cr, uids) if uids else {}
        key_ids = {sub.key_id for sub in checked if sub.key_id}
        keys = (
            api.Environment(cr, SUPERUSER_ID, {})["res.users.apikeys"]._live_valid_keys(
                key_ids
            )
            if key_ids
            else {}
        )
        utcnow = fields.Datetime.now()
        for sub in checked:
            lease_until = now + LEASE_SECONDS
            if sub.uid:
                key = token_keys.get(sub.uid)
                expected = key and hmac.new(key, sub.sid.encode(), sha256).hexdigest()
                if not expected or not consteq(expected, sub.token or ""):
                    router.close(sub, SESSION_EXPIRED)
                    continue
            if sub.key_id:
                key = keys.get(sub.key_id)
                if not key or key[0] != sub.uid:
                    router.close(sub, SESSION_EXPIRED)
                    continue
                if key[1]:
                    remaining = (key[1] - utcnow).total_seconds()
                    if remaining <= 0:
                        router.close(sub, SESSION_EXPIRED)
                        continue
                    lease_until = min(lease_until, now + remaining)
            router.renew(sub, lease_until)

    @staticmethod
    def _token_keys(cr, uids):
        """The HMAC key of ``res.users._compute_session_token`` for each of
        ``uids``, in one query (the same fields, for all users at once)."""
        users = api.Environment(cr, SUPERUSER_ID, {})["res.users"]
        params = users.browse(min(uids))._get_session_token_query_params()
        params["where"] = SQL("res_users.id IN %s", tuple(uids))
        cr.execute(
            SQL(
                "SELECT res_users.id, %(select)s FROM %(from)s %(joins)s"
                " WHERE %(where)s GROUP BY %(group_by)s",
                **params,
            )
        )
        # the key is str() of the row, as _compute_session_token makes it
        return {row[0]: str(row[1:]).encode() for row in cr.fetchall()}

    def close_sessions(self, db, hashes):
        """Close at once the sockets of sessions that logged out."""
        router = self._routers.get(db)
        if router is None:
            return
        for sub in list(router.subscribers):
            if sub.sid_hash in hashes:
                router.close(sub, SESSION_EXPIRED)

    def expire_sessions(self, sids=(), prefixes=()):
        """Session files were deleted in this process: the sockets of these
        sessions get nothing more before their lease is checked again."""
        for router in self.routers().values():
            subs = [
                s
                for s in list(router.subscribers)
                if s.sid in sids or any(s.sid.startswith(p) for p in prefixes)
            ]
            if subs:
                router.expire(subs)
                with self._lock:
                    self._dirty.add(next(iter(subs)).db)

    # ------------------------------------------------------------------
    # The loop (in Odoo's dispatch thread, see patch.py)
    # ------------------------------------------------------------------

    def run(self):
        """Listen and dispatch until the server stops, retrying within
        seconds on any error (never Odoo's 50-second sleep)."""
        backoff = RETRY_MIN
        while not stop_event.is_set():
            self._listened = False
            try:
                self._listen()
            except Exception:
                if stop_event.is_set():
                    break
                if self._listened:
                    backoff = RETRY_MIN  # it worked until now: retry at once
                self.stats["reconnects"] += 1
                _logger.warning(
                    "live bus: listener failed, retrying in %.1fs",
                    backoff,
                    exc_info=True,
                )
                stop_event.wait(backoff)
                backoff = min(backoff * 2, RETRY_MAX)

    def _connect(self):
        _dbname, info = odoo.sql_db.connection_info_for("postgres")
        info = dict(info, application_name=APPLICATION_NAME % os.getpid())
        conn = psycopg2.connect(**info)
        conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
        with conn.cursor() as cur:
            cur.execute("LISTEN imbus")
            cur.execute(f"LISTEN {control.NOTIFY_CHANNEL}")
        return conn

    def _listen(self):
        conn = self._connect()
        _logger.info("live bus: listening (pid %s)", os.getpid())
        self._listened = True
        self.looping = True
        try:
            with closing(conn), selectors.DefaultSelector() as selector:
                selector.register(conn, selectors.EVENT_READ)
                # catch up from the streams' positions (after a reconnection)
                self._mark_all_dirty()
                last_heard = time.monotonic()
                next_sweep = last_heard + SWEEP_SECONDS
                while not stop_event.is_set():
                    now = time.monotonic()
                    timeout = max(0.0, next_sweep - now)
                    if self._ready_dirty(now):
                        timeout = 0.0
                    if selector.select(timeout):
                        conn.poll()
                        last_heard = time.monotonic()
                        self._handle_notifies(conn)
                    now = time.monotonic()
                    if now >= next_sweep:
                        next_sweep = now + SWEEP_SECONDS
                        self._mark_all_dirty()
                        if now - last_heard > PROBE_SECONDS:
                            with conn.cursor() as cur:
                                cur.execute("SELECT 1")
                            last_heard = now
                    self._run_dirty(now)
        finally:
            self.looping = False

    def _handle_notifies(self, conn):
        legacy = []
        while conn.notifies:
            notify = conn.notifies.pop()
            self.stats["notifies"] += 1
            try:
                payload = json.loads(notify.payload)
            except ValueError:
                continue
            if notify.channel == control.NOTIFY_CHANNEL:
                if isinstance(payload, dict) and payload.get("sessions"):
                    self.close_sessions(payload.get("db"), set(payload["sessions"]))
                continue
            if not isinstance(payload, list):
                continue
            for channel in payload:
                if not isinstance(channel, list) or not channel:
                    continue
                db = channel[0]
                router = self._routers.get(db)
                if router is not None and (router.started or router.has_pending):
                    with self._lock:
                        self._dirty.add(db)
                if self._legacy.get(db):
                    legacy.append(hashable(channel))
        # Odoo's own path for the sockets not routed
        websockets = set()
        for channel in legacy:
            websockets.update(dispatch._channels_to_ws.get(channel, ()))
        for ws in websockets:
            if getattr(ws, "_live_sub", None) is None:
                ws.trigger_notification_dispatching()

    def _mark_all_dirty(self):
        with self._lock:
            for db, router in self._routers.items():
                if (router.started and router.subscribers) or router.has_pending:
                    self._dirty.add(db)

    def _ready_dirty(self, now):
        with self._lock:
            return any(
                self._retry_at.get(db, (0.0, 0.0))[0] <= now for db in self._dirty
            )

    def _run_dirty(self, now):
        with self._lock:
            ready = [
                db for db in self._dirty if self._retry_at.get(db, (0.0, 0.0))[0] <= now
            ]
            self._dirty.difference_update(ready)
        for db in ready:
            try:
                registry = Registry(db)
                if registry.in_test_mode():
                    continue  # pokes drive the tests' transactions
                self.run_cycle(db)
                self._retry_at.pop(db, None)
            except Exception:
                backoff = min(
                    RETRY_MAX, max(RETRY_MIN, self._retry_at.get(db, (0, 0))[1] * 2)
                )
                self._retry_at[db] = (time.monotonic() + backoff, backoff)
                router = self._routers.get(db)
                if router is not None and (router.subscribers or router.has_pending):
                    with self._lock:
                        self._dirty.add(db)
                _logger.warning(
                    "live bus: cycle of %s failed, retrying in %.1fs",
                    db,
                    backoff,
                    exc_info=True,
                )


def _flush_wakes(done=False):
    """Wake the sockets the running cycle routed to (see ``_cycle_wakes``)."""
    woken = _cycle_wakes.subs or []
    _cycle_wakes.subs = None if done else []
    for sub in woken:
        sub.wake()


def _send_nowait(sock, data):
    """Bytes of ``data`` the kernel took at once (0 when the buffer is full);
    never waits, also under gevent (whose sockets otherwise wait)."""
    try:
        if odoo.evented:
            return sock.send(data, socket.MSG_DONTWAIT, 0.0)
        return sock.send(data, socket.MSG_DONTWAIT)
    except (BlockingIOError, InterruptedError):
        return 0
    except OSError:
        return 0  # the socket's own thread meets the error and closes


def send_frame(ws, frame):
    """Odoo's ``Websocket._send_frame`` for a routed socket: under its send
    lock, after the rest of a frame the dispatcher could not finish."""
    with ws._live_send_lock:
        partial, ws._live_partial = ws._live_partial, None
        if partial:
            ws._Websocket__socket.sendall(partial)
        return _original["ws_send_frame"](ws, frame)


def _int(value, default):
    """An integer system parameter; ``default`` when unset or not a number."""
    if value in (None, False, ""):
        return default
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return default


def _sync_odoo_channels(ws, db, live_tuples, live_keys):
    """Keep Odoo's view of the socket's channels (``ws._channels`` and
    ``dispatch._channels_to_ws``, read by Odoo's tests and by ``onclose``
    hooks) in line with what the router now routes to it."""
    sub = ws._live_sub
    old = set(ws._channels)
    keep = {c for c in old if channel_key(c) in sub.channels}
    new = keep | {hashable(c) for c in live_tuples if channel_key(c) in live_keys}
    for channel in new - old:
        dispatch._channels_to_ws.setdefault(channel, set()).add(ws)
    for channel in old - new:
        websockets = dispatch._channels_to_ws.get(channel)
        if websockets is not None:
            websockets.discard(ws)
            if not websockets:
                dispatch._channels_to_ws.pop(channel, None)
    ws._channels = new


dispatcher = Dispatcher()
