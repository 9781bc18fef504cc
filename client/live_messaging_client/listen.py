"""Live side of the client: a websocket loop that never loses anything.

The websocket is Odoo's own bus protocol (``/live/api/v1/websocket`` opened
with the API key). The bus only keeps notifications for about 100 seconds,
and a socket can drop at any time, so the listener does not rely on it alone:

- every room message and topic event carries ``seq``, its number in its room
  or topic (1, 2, 3... without gaps). The listener keeps, per room and topic,
  the id and ``seq`` of the last item it delivered;
- except events of *filtered* topics (record topics: each reader gets only the
  events of records they may read): their ``seq`` is ``null``, there is no gap
  to detect, and they are ordered, deduplicated and resumed by id (events of
  one topic are committed in id order);
- after each (re)connection, and whenever a ``seq`` jumps, it fills the gap
  from the history endpoints (``after=<last id>``);
- it delivers an item only if its ``seq`` is above the last one delivered,
  so each item comes exactly once, in order;
- it reconnects with exponential back-off and jitter, resuming the bus with
  the last notification id it saw (``last``).
"""

import json
import logging
import random
import threading
from dataclasses import dataclass

import websocket

from .client import ApiError, AuthError, unescape_body

_logger = logging.getLogger(__name__)

MESSAGE = "live_messaging/message"
EVENTS = "live_messaging/events"
ROOM = "live_messaging/room"
ROOM_LEFT = "live_messaging/room_left"
TOPIC_SUBSCRIPTION = "live_messaging/topic_subscription"
SESSION_EXPIRED = 4001


@dataclass(frozen=True)
class Delivery:
    """One room message (``kind="message"``, ``target`` the room id) or
    topic event (``kind="event"``, ``target`` the topic name); ``data`` is
    the message or event as the API formats it."""

    kind: str
    target: object
    data: dict

    @property
    def id(self):
        return self.data["id"]

    @property
    def seq(self):
        """The item's number in its room or topic; ``None`` for the events of
        a filtered topic."""
        return self.data["seq"]

    @property
    def text(self):
        """The body as typed (bodies come escaped: see ``unescape_body``)."""
        return unescape_body(self.data.get("body"))


class _Cursor:
    __slots__ = ("id", "seq")

    def __init__(self, id_=0, seq=0):
        self.id = id_
        self.seq = seq


class Listener:
    """Iterate to receive ``Delivery`` items; ``close()`` (from any thread)
    ends the iteration.

    ``topics``: topic names, subscribed to on start. ``rooms``: ``True`` for
    every room of the user (rooms joined later included), or room ids.
    ``since``: ``{"topic name" or room id: last id already handled}`` to
    resume after a restart (default: from now on). ``backoff``: first and
    largest delay between reconnections, in seconds. ``on_notification``:
    called with every raw bus notification (rooms renamed, read cursors...).
    A revoked key ends the iteration with ``AuthError``."""

    def __init__(
        self,
        client,
        *,
        topics=(),
        rooms=False,
        since=None,
        backoff=(0.5, 30.0),
        receive_timeout=1.0,
        on_notification=None,
    ):
        self.client = client
        self.topics = list(topics)
        self.all_rooms = rooms is True
        self.room_ids = set() if rooms in (True, False, None) else set(rooms)
        self.since = dict(since or {})
        self.backoff = backoff
        self.receive_timeout = receive_timeout
        self.on_notification = on_notification
        self.cursors = {}  # ("event", topic) or ("message", room_id) -> _Cursor
        self.last_notification_id = 0
        self.connections = 0  # how many times a socket was opened
        self.websocket = None
        self._closed = threading.Event()

    # ------------------------------------------------------------------

    def close(self):
        self._closed.set()
        ws = self.websocket
        if ws is not None:
            try:
                ws.close()
            except Exception:  # noqa: BLE001 - closing anyway
                _logger.debug("closing the websocket failed", exc_info=True)

    @property
    def closed(self):
        return self._closed.is_set()

    def __iter__(self):
        self._start()
        failures = 0
        while not self.closed:
            try:
                self._connect()
                failures = 0
                yield from self._fill_all()
                yield from self._receive()
            except AuthError:
                raise
            except websocket.WebSocketBadStatusException as exc:
                if exc.status_code == 401:
                    raise AuthError(401, "unauthorized", str(exc)) from exc
                if self.closed:
                    break
                failures += 1
                self._closed.wait(self._delay(failures))
            except (
                websocket.WebSocketException,
                OSError,
                ApiError,
                ValueError,
            ) as exc:
                if self.closed:
                    break
                if isinstance(exc, _Closed) and exc.code == SESSION_EXPIRED:
                    raise AuthError(401, "unauthorized", "the key was revoked") from exc
                if isinstance(exc, ApiError) and exc.status in (403, 404):
                    raise
                failures += 1
                delay = self._delay(failures)
                _logger.info("live connection lost (%s); retrying in %.1fs", exc, delay)
                self._drop()
                self._closed.wait(delay)
            finally:
                if self.closed:
                    self._drop()
        self._drop()

    def _delay(self, failures):
        first, largest = self.backoff
        return min(largest, first * 2 ** (failures - 1)) * random.uniform(0.5, 1.0)

    # ------------------------------------------------------------------

    def _start(self):
        """Subscribe to the topics and set the cursors (from ``since`` or the
        current end of each stream)."""
        for topic in self.topics:
            self.client.subscribe(topic)
            cursor = _Cursor()
            if topic in self.since:
                cursor.id = int(self.since[topic])
                cursor.seq = self._seq_of(("event", topic), cursor.id)
            else:
                newest = self.client.events(topic, limit=1)["events"]
                if newest:
                    cursor = _Cursor(newest[-1]["id"], newest[-1]["seq"])
            self.cursors[("event", topic)] = cursor
        if self.all_rooms or self.room_ids:
            for room in self.client.rooms():
                if self.all_rooms or room["id"] in self.room_ids:
                    self._track_room(room)

    def _track_room(self, room):
        key = ("message", room["id"])
        if key in self.cursors:
            return
        if room["id"] in self.since:
            after = int(self.since[room["id"]])
            self.cursors[key] = _Cursor(after, self._seq_of(key, after))
        else:
            self.cursors[key] = _Cursor(room["last_message_id"] or 0, room["last_seq"])

    def _seq_of(self, key, item_id):
        """The seq of the item just before ``item_id``'s successor: the seq
        of ``item_id`` itself (0 for the start)."""
        if not item_id:
            return 0
        kind, target = key
        page = (
            self.client.events(target, before=item_id + 1, limit=1)["events"]
            if kind == "event"
            else self.client.history(target, before=item_id + 1, limit=1)["messages"]
        )
        return page[-1]["seq"] if page else 0

    def _connect(self):
        self._drop()
        ws = websocket.create_connection(
            self.client.websocket_url,
            header=[f"{k}: {v}" for k, v in self.client.auth_headers().items()],
            cookie=self.client.cookie_header(),
            timeout=self.client.timeout,
        )
        self.websocket = ws
        self.connections += 1
        self._subscribe()

    def _subscribe(self):
        # the server adds the user's rooms and subscribed topics itself; the
        # bus replays what it still has after ``last``
        self.websocket.send(
            json.dumps(
                {
                    "event_name": "subscribe",
                    "data": {"channels": [], "last": self.last_notification_id},
                }
            )
        )

    def _drop(self):
        ws, self.websocket = self.websocket, None
        if ws is not None:
            try:
                ws.close(timeout=1)
            except Exception:  # noqa: BLE001 - the socket may be dead already
                try:
                    ws.shutdown()
                except Exception:  # noqa: BLE001
                    _logger.debug("dropping the websocket failed", exc_info=True)

    # ------------------------------------------------------------------

    def _receive(self):
        ws = self.websocket
        while not self.closed:
            ws.settimeout(self.receive_timeout)
            try:
                opcode, data = ws.recv_data()
            except websocket.WebSocketTimeoutException:
                continue
            except TimeoutError:
                continue
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                code = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
                raise _Closed(code)
            if opcode != websocket.ABNF.OPCODE_TEXT:
                continue
            for notification in json.loads(data):
                yield from self._handle(notification)

    def _handle(self, notification):
        self.last_notification_id = max(self.last_notification_id, notification["id"])
        kind = notification["message"]["type"]
        payload = notification["message"]["payload"]
        if self.on_notification:
            self.on_notification(notification)
        if kind == MESSAGE:
            yield from self._offer(("message", payload["room_id"]), [payload])
        elif kind == EVENTS:
            yield from self._offer(("event", payload["topic"]), payload["events"])
        elif kind == ROOM:
            room = payload["room"]
            if self.all_rooms and ("message", room["id"]) not in self.cursors:
                self._track_room(room)
            # the socket must be re-subscribed to get a new room's channel
            self._subscribe()
        elif kind in (ROOM_LEFT, TOPIC_SUBSCRIPTION):
            self._subscribe()

    def _offer(self, key, items):
        """Deliver ``items`` of one room or topic, in seq order, each once;
        a jump in seq is filled from history first."""
        cursor = self.cursors.get(key)
        if cursor is None:
            return
        for item in sorted(items, key=_order):
            if not _is_after(item, cursor):
                continue  # delivered already
            if _is_gap(item, cursor):
                yield from self._fill(key)
                if not _is_after(item, cursor):
                    continue
            yield from self._deliver(key, item)

    def _deliver(self, key, item):
        cursor = self.cursors[key]
        cursor.id, cursor.seq = item["id"], item["seq"]
        yield Delivery(key[0], key[1], item)

    def _fill(self, key):
        """Everything after the cursor, from history."""
        kind, target = key
        cursor = self.cursors[key]
        items = (
            self.client.iter_events(target, after=cursor.id)
            if kind == "event"
            else self.client.iter_history(target, after=cursor.id)
        )
        for item in items:
            if _is_after(item, cursor):
                yield from self._deliver(key, item)

    def _fill_all(self):
        for key in list(self.cursors):
            yield from self._fill(key)


def _order(item):
    return item["id"] if item["seq"] is None else item["seq"]


def _is_after(item, cursor):
    """Whether ``item`` comes after the last one delivered: by ``seq``, or by
    id on a filtered topic (no ``seq``)."""
    if item["seq"] is None or cursor.seq is None:
        return item["id"] > cursor.id
    return item["seq"] > cursor.seq


def _is_gap(item, cursor):
    """Whether items were missed before ``item``: only numbered streams tell
    (a filtered topic's numbering is per reader: it has none)."""
    if item["seq"] is None or cursor.seq is None:
        return False
    return item["seq"] > cursor.seq + 1


class _Closed(websocket.WebSocketException):
    """The server closed the socket with ``code``."""

    def __init__(self, code):
        super().__init__(f"closed by the server with code {code}")
        self.code = code
