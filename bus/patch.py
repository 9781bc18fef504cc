"""Where the live bus dispatcher plugs into Odoo 18's bus (no hook exists for
it): Odoo's classes are patched in place, once, when the addon is imported.

The objects stay Odoo's own: ``odoo.addons.bus.models.bus.dispatch`` (bound at
import by websocket.py, ir_websocket.py and Odoo's bus tests) is the same
``ImDispatch`` thread, and ``Websocket`` the same class; only these methods
change:

- ``ImDispatch.run``: runs ``Dispatcher.run`` (one LISTEN connection, fetch
  once per wake-up, retries within seconds instead of sleeping 50 s). It also
  pokes the sockets that are not routed, as Odoo's loop does.
  ``ImDispatch.start`` is serialised (every subscribe starts it lazily).
- ``ImDispatch.subscribe`` / ``unsubscribe``: a socket of a database with the
  addon and the dispatcher on is routed (``Dispatcher.attach``); Odoo's
  channel map (``_channels_to_ws``) is kept up to date for every socket, as
  Odoo's tests and ``onclose`` hooks read it.
- ``Websocket.subscribe``, ``trigger_notification_dispatching``,
  ``_dispatch_bus_notifications``, ``_send_frame``: a routed socket gets its
  frames sent by the dispatcher without blocking when nothing else writes to
  it, else drains its outbox from its own thread (writes are serialised by a
  lock per socket); a poke that does not come from the dispatcher runs one
  coalesced cycle. Sockets not routed keep Odoo's code.
- ``Websocket.__init__`` / ``_terminate`` and
  ``WebsocketConnectionHandler.open_connection``: the websocket limits per
  user and per API key (``limits.py``).
- ``FilesystemSessionStore.delete`` / ``delete_from_identifiers``: a deleted
  session ends the lease of its sockets at once.
- ``odoo.addons.bus.websocket.acquire_cursor`` and
  ``WebsocketRequest.serve_websocket_message``: a socket waits up to 10 s for
  a cursor (Odoo gives up after about 1 s, or at once in ``check_signaling``,
  and closes it with 1013: its client then reconnects, a whole handshake).

The addon need not be loaded server-wide: Odoo imports it before serving the
first request (hence the first websocket handshake) of a database where it is
installed. In a process that served websockets of another database before
that, Odoo's loop may already run in ``dispatch``: the dispatcher then runs in
a thread of its own, and pokes from Odoo's loop are ignored by routed sockets.
"""

import logging
import random
import threading
import time
from contextlib import suppress

from psycopg2.pool import PoolError

from odoo import http
from odoo.modules.registry import Registry

from odoo.addons.bus import websocket as websocket_module
from odoo.addons.bus.models import bus as bus_module
from odoo.addons.bus.models.bus import ImDispatch, channel_with_db, hashable
from odoo.addons.bus.websocket import (
    Websocket,
    WebsocketConnectionHandler,
    WebsocketRequest,
    wsrequest,
)

from . import limits
from .dispatcher import _original, dispatcher, send_frame

_logger = logging.getLogger(__name__)

_state = {
    # Odoo's own loop already runs in ``dispatch`` (started before this import)
    "odoo_loop": bus_module.dispatch.is_alive(),
    "own_thread": None,
}
_start_lock = threading.Lock()


def _ensure_running(dispatch):
    """Start the dispatcher: in Odoo's ``dispatch`` thread (which runs the
    patched ``run``), or in a thread of its own when Odoo's loop runs there."""
    with suppress(RuntimeError):
        if not dispatch.is_alive():
            dispatch.start()
    if not _state["odoo_loop"]:
        return
    with _start_lock:
        thread = _state["own_thread"]
        if thread is None or not thread.is_alive():
            thread = threading.Thread(
                target=dispatcher.run, daemon=True, name="live_messaging.bus"
            )
            _state["own_thread"] = thread
            thread.start()


# ----------------------------------------------------------------------
# ImDispatch
# ----------------------------------------------------------------------


def _run(self):
    dispatcher.run()


def _start(self):
    # every subscribe starts the thread lazily: under gevent, two greenlets
    # could both pass Thread.start's check before the first one has started
    # (the second then dies with a KeyError in threading's bootstrap)
    with _start_lock:
        if self._started.is_set():
            raise RuntimeError("threads can only be started once")
        _original["dispatch_start"](self)


def _subscribe(self, channels, last, db, websocket):
    env = wsrequest.env if wsrequest else None
    sub = dispatcher.attach(websocket, db, env) if env is not None else None
    if sub is None:
        return _original["dispatch_subscribe"](self, channels, last, db, websocket)
    channels = {hashable(channel_with_db(db, c)) for c in channels}
    for channel in channels:
        self._channels_to_ws.setdefault(channel, set()).add(websocket)
    for channel in websocket._channels - channels:
        websockets = self._channels_to_ws.get(channel)
        if websockets is not None:
            websockets.discard(websocket)
            if not websockets:
                self._channels_to_ws.pop(channel, None)
    websocket.subscribe(channels, last)
    _ensure_running(self)


def _unsubscribe(self, websocket):
    for channel in websocket._channels:
        websockets = self._channels_to_ws.get(channel)
        if websockets is not None:
            websockets.discard(websocket)
            if not websockets:
                self._channels_to_ws.pop(channel, None)
    dispatcher.detach(websocket)


# ----------------------------------------------------------------------
# Websocket
# ----------------------------------------------------------------------


def _ws_subscribe(self, channels, last):
    if getattr(self, "_live_sub", None) is None:
        return _original["ws_subscribe"](self, channels, last)
    self._channels = channels
    dispatcher.subscribe(self, channels, last)


def _ws_trigger(self):
    sub = getattr(self, "_live_sub", None)
    if sub is None:
        return _original["trigger"](self)
    if _state["odoo_loop"] and threading.current_thread() is bus_module.dispatch:
        return None  # Odoo's loop: the dispatcher serves this socket
    dispatcher.poke(sub)
    return None


def _ws_send_frame(self, frame):
    if getattr(self, "_live_send_lock", None) is None:
        return _original["ws_send_frame"](self, frame)
    return send_frame(self, frame)


def _ws_dispatch(self):
    if getattr(self, "_live_sub", None) is None:
        return _original["ws_dispatch"](self)
    return dispatcher.serve(self)


def _ws_init(self, *args, **kwargs):
    _original["ws_init"](self, *args, **kwargs)
    limits.counter.adopt(self)


def _ws_terminate(self):
    try:
        return _original["ws_terminate"](self)
    finally:
        slot = getattr(self, "_live_slot", None)
        if slot is not None:
            limits.counter.release(slot)


# ----------------------------------------------------------------------
# Cursors of the websockets
# ----------------------------------------------------------------------

# how long a socket waits for a cursor before Odoo closes it with 1013
CURSOR_PATIENCE = 10.0


def _patiently(func):
    """Call ``func`` until it gets a cursor (PoolError), with backoff, for at
    most ``CURSOR_PATIENCE`` seconds."""
    deadline = time.monotonic() + CURSOR_PATIENCE
    delay = 0.02
    while True:
        try:
            return func()
        except PoolError:
            if time.monotonic() + delay > deadline:
                raise
        time.sleep(random.uniform(delay / 2, delay))
        delay = min(delay * 2, 0.5)


def _serve_websocket_message(self, message):
    """A client's message (``subscribe``...) is retried while the pool has no
    cursor: Odoo's ``check_signaling`` there takes one without retrying, and
    the socket would be closed with 1013 in a burst of handshakes."""
    return _patiently(lambda: _original["serve_message"](self, message))


def acquire_cursor(db):
    """Odoo's ``acquire_cursor`` gives up after about one second (10 tries),
    and the socket is closed with 1013: in a burst of handshakes (which hold
    the pool's connections) the subscribe of a new socket then fails and its
    client reconnects, which costs a whole handshake again. Here a socket
    waits up to ``CURSOR_PATIENCE`` seconds, with backoff; its own greenlet
    or thread waits, nobody else."""
    return _patiently(lambda: Registry(db).cursor())


# ----------------------------------------------------------------------
# Handshake: websocket limits
# ----------------------------------------------------------------------


def _open_connection(cls, request, version):
    """Refuse a handshake beyond the user's websocket limit: 429 with
    ``Retry-After`` and no body (the threaded server sends none in answer to
    an upgrade request), the reason in ``X-Error-Code``."""
    try:
        _reserve(request, request.session.uid, None)
    except limits.TooManyWebsockets as exc:
        return http.Response(
            status=exc.code,
            headers={
                "Retry-After": str(limits.RETRY_AFTER),
                "X-Error-Code": "too_many_websockets",
            },
        )
    return _open(cls, request, version)


def open_app_connection(request, uid, key_id):
    """The API's websocket handshake: the limits of the user and of the key
    apply (``limits.TooManyWebsockets``), then Odoo opens the socket."""
    _reserve(request, uid, key_id)
    return _open(
        WebsocketConnectionHandler, request, WebsocketConnectionHandler._VERSION
    )


def _open(cls, request, version):
    try:
        return _original["open_connection"].__func__(cls, request, version)
    except Exception:
        limits.counter.abandon()
        raise


def _reserve(request, uid, key_id):
    # a reservation left by an earlier handshake of this thread that opened
    # no socket is given back first
    limits.counter.abandon()
    if not uid or not request.db:
        return None
    per_user, per_key = limits.limits(request.env)
    return limits.counter.reserve(request.db, uid, key_id, per_user, per_key)


# ----------------------------------------------------------------------
# Sessions deleted in this process
# ----------------------------------------------------------------------


def _store_delete(self, session):
    _original["store_delete"](self, session)
    dispatcher.expire_sessions(sids={session.sid})


def _store_delete_identifiers(self, identifiers):
    _original["store_delete_identifiers"](self, identifiers)
    prefixes = tuple(i for i in identifiers if len(i) >= 42)
    if prefixes:
        dispatcher.expire_sessions(prefixes=prefixes)


def apply():
    if _original:
        return
    store_class = http.FilesystemSessionStore
    _original.update(
        dispatch_subscribe=ImDispatch.subscribe,
        dispatch_start=ImDispatch.start,
        trigger=Websocket.trigger_notification_dispatching,
        ws_subscribe=Websocket.subscribe,
        ws_dispatch=Websocket._dispatch_bus_notifications,
        ws_send_frame=Websocket._send_frame,
        ws_init=Websocket.__init__,
        ws_terminate=Websocket._terminate,
        open_connection=WebsocketConnectionHandler.__dict__["open_connection"],
        store_delete=store_class.delete,
        store_delete_identifiers=store_class.delete_from_identifiers,
        acquire_cursor=websocket_module.acquire_cursor,
        serve_message=WebsocketRequest.serve_websocket_message,
    )
    websocket_module.acquire_cursor = acquire_cursor
    WebsocketRequest.serve_websocket_message = _serve_websocket_message
    ImDispatch.run = _run
    ImDispatch.start = _start
    ImDispatch.subscribe = _subscribe
    ImDispatch.unsubscribe = _unsubscribe
    Websocket.subscribe = _ws_subscribe
    Websocket.trigger_notification_dispatching = _ws_trigger
    Websocket._dispatch_bus_notifications = _ws_dispatch
    Websocket._send_frame = _ws_send_frame
    Websocket.__init__ = _ws_init
    Websocket._terminate = _ws_terminate
    WebsocketConnectionHandler.open_connection = classmethod(_open_connection)
    store_class.delete = _store_delete
    store_class.delete_from_identifiers = _store_delete_identifiers
    _logger.debug("live bus: Odoo's bus patched")
