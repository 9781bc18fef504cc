"""The in-memory half of the live bus: one stream of ``bus.bus`` rows per
database, routed to the subscribers of each channel.

Pure Python on purpose (no Odoo import): the dispatcher (``dispatcher.py``)
fetches rows and hands them to a ``Router``; sockets are seen through the small
interface of ``Subscriber.socket`` (one method, ``wake()``), so that fake sockets
can exercise every rule in unit tests.

The rules:

- **Stream position and gaps.** Row ids come from a sequence, but transactions
  commit in any order: a row may appear after rows with higher ids (it was in
  flight, or it will never appear: rolled back). The router remembers the
  highest id it routed (``last_id``) and every id it skipped below it (a *gap*)
  for ``gap_ttl`` seconds; the dispatcher fetches ``id > last_id OR id IN
  gaps``. A row found in a gap is routed then (late commit); a gap that expires
  was a rollback (or a transaction longer than ``gap_ttl``, whose rows are lost
  for live delivery, as in Odoo's own 10-second window).
- **Exactly once, in stream order.** Each row is routed once, in the order the
  fetches return them (id order within a fetch). A socket that subscribes
  catches up from its own ``last`` id with a query of its own while live rows
  are already collected for it; ``complete_catchup`` merges both and remembers
  the ids the stream has not routed yet (``seen``) to drop them when they come.
- **Backpressure.** Each subscriber has a bounded outbox, drained by the
  socket's own thread or greenlet; one that overflows is closed alone with
  1013 (the client resumes from its last id), nobody waits for it.
- **Leases.** A subscriber gets rows only while its lease (session or API key
  checked recently) runs; routing to an expired lease closes it with 4001.
- **Control rows.** Rows on the control channel are never delivered: the
  router stops at each one and hands it to the dispatcher (membership or
  validity changes), so that the rows after it are routed with the new
  subscriptions.
"""

import struct
import threading
import time

TRY_LATER = 1013
SESSION_EXPIRED = 4001

DEFAULT_GAP_TTL = 15.0
DEFAULT_MAX_GAPS = 10000
DEFAULT_MAX_ITEMS = 1000
DEFAULT_MAX_BYTES = 8 << 20
# frames sent by a socket stay below this size (a notification larger than it
# goes alone in its frame)
FRAME_BYTES = 1 << 20


def encode(notification_id, message):
    """The wire form of one notification, ``{"id": <id>, "message": <message>}``,
    from the row's ``message`` column (already JSON): built once per row."""
    return b'{"id":%d,"message":%s}' % (notification_id, message.encode())


def frames(notifications, limit=FRAME_BYTES):
    """The TEXT frames (JSON arrays) that carry ``notifications`` in order.
    A lone notification's frame is built once for all its sockets."""
    if len(notifications) == 1:
        yield notifications[0].frame
        return
    chunk, size = [], 0
    for notification in notifications:
        if chunk and size + len(notification.data) > limit:
            yield b"[" + b",".join(n.data for n in chunk) + b"]"
            chunk, size = [], 0
        chunk.append(notification)
        size += len(notification.data) + 1
    if chunk:
        yield b"[" + b",".join(n.data for n in chunk) + b"]"


class Notification:
    """One row as sockets get it: its id, channel key and serialised form."""

    __slots__ = ("_frame", "_wire", "channel", "data", "id")

    def __init__(self, notification_id, channel, data):
        self.id = notification_id
        self.channel = channel
        self.data = data
        self._frame = None
        self._wire = None

    @property
    def frame(self):
        """The frame of this notification alone (``[<data>]``), built once."""
        if self._frame is None:
            self._frame = b"[" + self.data + b"]"
        return self._frame

    @property
    def wire(self):
        """That frame as a websocket TEXT frame on the wire, built once."""
        if self._wire is None:
            self._wire = text_frame(self.frame)
        return self._wire


def text_frame(payload):
    """A final, unmasked TEXT frame (server to client) carrying ``payload``."""
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x81, length)
    elif length < 65536:
        header = struct.pack("!BBH", 0x81, 126, length)
    else:
        header = struct.pack("!BBQ", 0x81, 127, length)
    return header + payload


def wires(notifications, limit=FRAME_BYTES):
    """The TEXT frames carrying ``notifications``, as bytes on the wire."""
    if len(notifications) == 1:
        yield notifications[0].wire
        return
    for frame in frames(notifications, limit):
        yield text_frame(frame)

    def __repr__(self):
        return f"<Notification {self.id} {self.channel}>"


class Subscriber:
    """A socket as the router sees it.

    ``socket`` needs one method, ``wake()``: called (never with the router's
    lock held) when the outbox has something or the subscriber must close,
    once until the socket's own thread calls ``Router.drain``. ``info`` is
    free for the caller."""

    __slots__ = (
        "catching_up",
        "channels",
        "close_code",
        "info",
        "lease_until",
        "max_bytes",
        "max_items",
        "outbox",
        "outbox_bytes",
        "seen",
        "socket",
        "wake_pending",
    )

    def __init__(
        self,
        socket,
        *,
        lease_until=float("inf"),
        max_items=DEFAULT_MAX_ITEMS,
        max_bytes=DEFAULT_MAX_BYTES,
        info=None,
    ):
        self.socket = socket
        self.channels = frozenset()
        self.outbox = []
        self.outbox_bytes = 0
        self.catching_up = False
        self.seen = set()
        self.close_code = None
        self.wake_pending = False
        self.lease_until = lease_until
        self.max_items = max_items
        self.max_bytes = max_bytes
        self.info = info

    def __repr__(self):
        return f"<Subscriber {self.info!r} {len(self.channels)} channels>"


class Router:
    """The stream of one database and its subscribers. Thread-safe: the
    dispatcher routes while sockets subscribe and drain from their own threads.

    ``control_channel`` is the key of the channel whose rows are control rows;
    ``clock`` is ``time.monotonic`` (tests pass their own)."""

    def __init__(
        self,
        *,
        control_channel=None,
        gap_ttl=DEFAULT_GAP_TTL,
        max_gaps=DEFAULT_MAX_GAPS,
        clock=time.monotonic,
    ):
        self.lock = threading.RLock()
        # serialises fetch cycles of this database (dispatcher, pokes)
        self.fetch_lock = threading.Lock()
        self.cycles_started = 0
        self.control_channel = control_channel
        self.gap_ttl = gap_ttl
        self.max_gaps = max_gaps
        self.clock = clock
        self.last_id = None  # None: the stream is not started
        self.gaps = {}  # id -> monotonic deadline
        self.subscribers = set()
        self._by_channel = {}
        # subscribers with ids to drop when the stream brings them
        self._seeing = set()
        # subscribers waiting for a catch-up: {subscriber: what to catch up}
        self._pending = {}
        # no lease ends before this (a lower bound): spares scanning them all
        self._earliest = float("-inf")
        self.stats = {
            "routed": 0,
            "delivered": 0,
            "late": 0,
            "gaps_expired": 0,
            "overflows": 0,
            "revoked": 0,
        }

    # ------------------------------------------------------------------
    # The stream
    # ------------------------------------------------------------------

    @property
    def started(self):
        return self.last_id is not None

    def start(self, last_id, missing=()):
        """Start the stream after ``last_id`` (the highest id when the first
        subscriber came); ``missing`` are ids at or below it that were not
        visible then (in flight, or rolled back): watched as gaps. Returns
        whether this call started it (it may have been started meanwhile)."""
        with self.lock:
            if self.started:
                return False
            self.last_id = last_id
            deadline = self.clock() + self.gap_ttl
            for gap in sorted(missing)[-self.max_gaps :]:
                self.gaps[gap] = deadline
            return True

    def stop(self):
        """Forget the stream (no subscriber left): the next one starts it
        again from the then highest id."""
        with self.lock:
            self.last_id = None
            self.gaps.clear()

    def fetch_params(self):
        """``(last_id, gaps)`` to fetch: rows above ``last_id`` or in ``gaps``
        (expired gaps are dropped first)."""
        with self.lock:
            self._expire_gaps()
            return self.last_id, sorted(self.gaps)

    def _expire_gaps(self):
        now = self.clock()
        expired = [gap for gap, deadline in self.gaps.items() if deadline < now]
        for gap in expired:
            del self.gaps[gap]
        self.stats["gaps_expired"] += len(expired)

    def is_pending(self, notification_id):
        """Whether the stream will still route this id (above the position,
        or a gap)."""
        return (
            self.last_id is None
            or notification_id > self.last_id
            or notification_id in self.gaps
        )

    def _advance(self, notification_id):
        """Move the position over one fetched row; False when the row was
        already routed (it must then be skipped)."""
        if notification_id in self.gaps:
            del self.gaps[notification_id]
            self.stats["late"] += 1
            return True
        if notification_id <= self.last_id:
            return False
        first_missing = max(self.last_id + 1, notification_id - self.max_gaps)
        if first_missing < notification_id:
            deadline = self.clock() + self.gap_ttl
            for gap in range(first_missing, notification_id):
                self.gaps[gap] = deadline
            if len(self.gaps) > self.max_gaps:
                for gap in sorted(self.gaps)[: len(self.gaps) - self.max_gaps]:
                    del self.gaps[gap]
        self.last_id = notification_id
        return True

    def route(self, rows, on_control=None):
        """Route fetched ``rows`` (``(id, channel, message)`` sorted by id, the
        message being the row's JSON text) to the subscribers of their
        channels. At each control row the lock is released and
        ``on_control(row)`` is called before the rows after it are routed.
        Returns the number of rows routed to at least one subscriber."""
        routed = 0
        index, count = 0, len(rows)
        while index < count:
            control_row = None
            touched = set()
            with self.lock:
                if not self.started:
                    return routed
                now = self.clock()
                while index < count:
                    row = rows[index]
                    index += 1
                    notification_id, channel, message = row
                    if not self._advance(notification_id):
                        continue
                    if channel == self.control_channel:
                        control_row = row
                        break
                    subscribers = self._by_channel.get(channel)
                    if not subscribers:
                        continue
                    notification = Notification(
                        notification_id, channel, encode(notification_id, message)
                    )
                    routed += 1
                    for subscriber in list(subscribers):
                        if self._push(subscriber, notification, now):
                            touched.add(subscriber)
                self.stats["routed"] += routed
                self._prune_seen()
            self._wake(touched)
            if control_row is not None and on_control is not None:
                on_control(control_row)
        return routed

    def _push(self, subscriber, notification, now):
        """Queue ``notification`` for ``subscriber`` (lock held); True when the
        subscriber must be woken."""
        if subscriber.close_code is not None:
            return False
        if subscriber.lease_until < now:
            self._close(subscriber, SESSION_EXPIRED)
            return True
        if notification.id in subscriber.seen:
            subscriber.seen.discard(notification.id)
            return False
        if (
            len(subscriber.outbox) >= subscriber.max_items
            or subscriber.outbox_bytes + len(notification.data) > subscriber.max_bytes
        ):
            self.stats["overflows"] += 1
            self._close(subscriber, TRY_LATER)
            return True
        subscriber.outbox.append(notification)
        subscriber.outbox_bytes += len(notification.data)
        self.stats["delivered"] += 1
        return True

    def _prune_seen(self):
        for subscriber in list(self._seeing):
            subscriber.seen = {i for i in subscriber.seen if self.is_pending(i)}
            if not subscriber.seen:
                self._seeing.discard(subscriber)

    # ------------------------------------------------------------------
    # Subscribers
    # ------------------------------------------------------------------

    def add(self, subscriber):
        with self.lock:
            self.subscribers.add(subscriber)
            self._earliest = min(self._earliest, subscriber.lease_until)

    def remove(self, subscriber):
        """Forget ``subscriber`` (its socket closed). Returns whether the
        router has no subscriber left."""
        with self.lock:
            self.subscribers.discard(subscriber)
            self._seeing.discard(subscriber)
            self._pending.pop(subscriber, None)
            self._set_channels(subscriber, frozenset())
            subscriber.outbox = []
            subscriber.outbox_bytes = 0
            return not self.subscribers

    def set_channels(self, subscriber, channels):
        """Subscribe to exactly ``channels`` (keys); returns the channels
        added. A closed subscriber gets none."""
        with self.lock:
            if subscriber.close_code is not None or subscriber not in self.subscribers:
                return frozenset()
            return self._set_channels(subscriber, frozenset(channels))

    def _set_channels(self, subscriber, channels):
        old = subscriber.channels
        for channel in old - channels:
            subscribers = self._by_channel.get(channel)
            if subscribers is not None:
                subscribers.discard(subscriber)
                if not subscribers:
                    del self._by_channel[channel]
        added = channels - old
        for channel in added:
            self._by_channel.setdefault(channel, set()).add(subscriber)
        subscriber.channels = channels
        return added

    def subscribers_of(self, channel):
        with self.lock:
            return set(self._by_channel.get(channel, ()))

    def start_catchup(self, subscriber, spec):
        """Hold the live rows of ``subscriber`` until ``complete_catchup``;
        ``spec`` says what it must catch up (the caller's business). Returns
        the number of cycles started so far: a cycle started after it will
        take the subscriber (``begin_cycle``)."""
        with self.lock:
            subscriber.catching_up = True
            self._pending[subscriber] = spec
            return self.cycles_started

    def begin_cycle(self):
        """Count a new fetch cycle and take the subscribers waiting for a
        catch-up: ``{subscriber: spec}``. Atomic with ``start_catchup``."""
        with self.lock:
            self.cycles_started += 1
            pending, self._pending = self._pending, {}
            return pending

    def requeue(self, pending):
        """A cycle failed: its catch-ups wait for the next one."""
        with self.lock:
            for subscriber, spec in pending.items():
                if subscriber in self.subscribers and subscriber.close_code is None:
                    self._pending.setdefault(subscriber, spec)

    @property
    def has_pending(self):
        return bool(self._pending)

    def complete_catchup(self, subscriber, rows):
        """Deliver ``rows`` (``(id, channel, message)`` sorted by id: what the
        subscriber's own catch-up query found) before the live rows collected
        meanwhile, each id once. Ids the stream has not routed yet are
        remembered, to be dropped when the stream brings them."""
        with self.lock:
            # still catching up if it subscribed again meanwhile
            subscriber.catching_up = subscriber in self._pending
            if subscriber.close_code is not None:
                return
            caught = [
                Notification(i, channel, encode(i, message))
                for i, channel, message in rows
            ]
            ids = {notification.id for notification in caught}
            subscriber.seen |= {i for i in ids if self.is_pending(i)}
            if subscriber.seen:
                self._seeing.add(subscriber)
            outbox = caught + [n for n in subscriber.outbox if n.id not in ids]
            subscriber.outbox = outbox
            subscriber.outbox_bytes = sum(len(n.data) for n in outbox)
            # a catch-up may exceed the bound once: it is the client's backlog,
            # already bounded by what the bus keeps
        self._wake([subscriber])

    def drain(self, subscriber):
        """What the socket must do now, from its own thread: ``(notifications,
        close_code)``. Nothing is returned while a catch-up is running."""
        with self.lock:
            subscriber.wake_pending = False
            if subscriber.close_code is not None:
                subscriber.outbox = []
                subscriber.outbox_bytes = 0
                return [], subscriber.close_code
            if subscriber.catching_up:
                return [], None
            outbox = subscriber.outbox
            subscriber.outbox = []
            subscriber.outbox_bytes = 0
            return outbox, None

    # ------------------------------------------------------------------
    # Leases and closing
    # ------------------------------------------------------------------

    def leases_due(self, margin=0.0):
        """Subscribers whose lease ends within ``margin`` seconds."""
        limit = self.clock() + margin
        with self.lock:
            if self._earliest > limit:
                return []
            leases = [s for s in self.subscribers if s.close_code is None]
            self._earliest = min((s.lease_until for s in leases), default=float("inf"))
            return [s for s in leases if s.lease_until <= limit]

    def renew(self, subscriber, lease_until):
        with self.lock:
            if subscriber.close_code is None:
                subscriber.lease_until = lease_until
                self._earliest = min(self._earliest, lease_until)

    def expire(self, subscribers):
        """End the leases of ``subscribers`` now (a revocation was heard that
        must be checked): nothing is routed to them before a renewal."""
        with self.lock:
            for subscriber in subscribers:
                subscriber.lease_until = float("-inf")
            self._earliest = float("-inf")

    def close(self, subscriber, code):
        """Close ``subscriber`` with ``code``: nothing more is routed to it,
        its outbox is dropped, its socket is woken to close."""
        with self.lock:
            if subscriber.close_code is not None:
                return
            self._close(subscriber, code)
        self._wake([subscriber])

    def _close(self, subscriber, code):
        subscriber.close_code = code
        subscriber.outbox = []
        subscriber.outbox_bytes = 0
        subscriber.seen = set()
        self._seeing.discard(subscriber)
        self._pending.pop(subscriber, None)
        self._set_channels(subscriber, frozenset())
        if code == SESSION_EXPIRED:
            self.stats["revoked"] += 1

    def wake(self, subscriber):
        self._wake([subscriber])

    def _wake(self, subscribers):
        with self.lock:
            waking = [s for s in subscribers if not s.wake_pending]
            for subscriber in waking:
                subscriber.wake_pending = True
        for subscriber in waking:
            subscriber.socket.wake()
