"""How many websockets a user, or an API key, may hold open.

``live_messaging.websocket_max_per_user`` (default 50) and
``live_messaging.websocket_max_per_key`` (default 10) are system parameters;
0 lifts the limit. A handshake beyond a limit is refused before the upgrade
with 429 (``too_many_websockets`` on the API's route). Anonymous sockets
(visitors) have no user to count by.

Sockets are counted by the server process that holds them: all websockets of
a node live in its one gevent worker (or in the threaded server), so the
limits hold per node. A slot is taken at the handshake (atomically with the
check) and handed to the websocket that the handshake opens; it is given back
when the socket closes (or after ``RESERVATION_SECONDS`` if the handshake
never opened one).
"""

import threading
import time
import weakref

from werkzeug.exceptions import TooManyRequests

PARAM_PER_USER = "live_messaging.websocket_max_per_user"
PARAM_PER_KEY = "live_messaging.websocket_max_per_key"
DEFAULT_PER_USER = 50
DEFAULT_PER_KEY = 10
RESERVATION_SECONDS = 30.0
RETRY_AFTER = 30


class TooManyWebsockets(TooManyRequests):
    """A handshake beyond a websocket limit."""

    def __init__(self, what, limit):
        super().__init__(
            f"Too many websockets open for this {what} (at most {limit}); "
            "close one or try again later.",
            retry_after=RETRY_AFTER,
        )
        self.what = what
        self.limit = limit


class Slot:
    __slots__ = ("__weakref__", "counted", "deadline", "keys", "released")

    def __init__(self, keys):
        self.keys = keys
        self.deadline = time.monotonic() + RESERVATION_SECONDS
        self.counted = False  # handed to a websocket
        self.released = False


class Counter:
    def __init__(self):
        self._lock = threading.Lock()
        self._slots = {}  # key -> set of slots
        self._pending = threading.local()

    def _live(self, key, now):
        slots = self._slots.get(key, ())
        return sum(1 for s in slots if s.counted or s.deadline > now)

    def reserve(self, db, uid, key_id, per_user, per_key):
        """Take a slot for a handshake of ``uid`` (with API key ``key_id``),
        or raise ``TooManyWebsockets``. The websocket the handshake opens in
        this thread takes it over (``adopt``)."""
        keys = []
        limits = []
        if uid and per_user:
            keys.append((db, "user", uid))
            limits.append(("user", per_user))
        if key_id and per_key:
            keys.append((db, "key", key_id))
            limits.append(("API key", per_key))
        if not keys:
            return None
        now = time.monotonic()
        with self._lock:
            for key, (what, limit) in zip(keys, limits, strict=True):
                if self._live(key, now) >= limit:
                    raise TooManyWebsockets(what, limit)
            slot = Slot(keys)
            for key in keys:
                slots = self._slots.setdefault(key, set())
                # forget reservations that were never used
                for stale in [s for s in slots if not s.counted and s.deadline <= now]:
                    slots.discard(stale)
                slots.add(slot)
        self._pending.slot = slot
        return slot

    def adopt(self, ws):
        """A websocket opens in this thread: it takes the slot its handshake
        reserved, given back when it is collected or closed."""
        slot = getattr(self._pending, "slot", None)
        self._pending.slot = None
        if slot is None or slot.released:
            return
        slot.counted = True
        ws._live_slot = slot
        weakref.finalize(ws, self.release, slot)

    def abandon(self):
        """The handshake failed: its reservation is given back."""
        slot = getattr(self._pending, "slot", None)
        self._pending.slot = None
        if slot is not None:
            self.release(slot)

    def release(self, slot):
        with self._lock:
            if slot.released:
                return
            slot.released = True
            for key in slot.keys:
                slots = self._slots.get(key)
                if slots is not None:
                    slots.discard(slot)
                    if not slots:
                        del self._slots[key]

    def count(self, db, what, ident):
        with self._lock:
            return self._live((db, what, ident), time.monotonic())


counter = Counter()


def limits(env):
    """``(per_user, per_key)`` from the system parameters (0: no limit)."""
    # sudo: ir.config_parameter - reading technical limits
    params = env["ir.config_parameter"].sudo()
    return (
        _int(params.get_param(PARAM_PER_USER), DEFAULT_PER_USER),
        _int(params.get_param(PARAM_PER_KEY), DEFAULT_PER_KEY),
    )


def _int(value, default):
    """An integer system parameter; ``default`` when unset or not a number."""
    if value in (None, False, ""):
        return default
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return default
