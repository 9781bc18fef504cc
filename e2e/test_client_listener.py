"""The listener's ordering rules, without a server: what it does with what the
bus hands it (duplicates, jumps in seq, gaps that history cannot fill). The
history it fills gaps from is a small in-memory stand-in of the client's two
history iterators; the real thing is exercised in test_api_client.py."""

from apie2e import CLIENT_DIR  # noqa: F401 - puts the client on sys.path
from live_messaging_client import Client
from live_messaging_client.listen import EVENTS, MESSAGE, Listener, _Cursor


class HistoryClient(Client):
    """A client whose history is a list (no network)."""

    def __init__(self, events=(), messages=()):
        super().__init__("http://history.invalid", "key")
        self.stored_events = list(events)
        self.stored_messages = list(messages)
        self.fills = 0

    def iter_events(self, topic, *, after=0, page_size=100):
        self.fills += 1
        return iter([e for e in self.stored_events if e["id"] > after])

    def iter_history(self, room_id, *, after=0, page_size=100):
        self.fills += 1
        return iter([m for m in self.stored_messages if m["id"] > after])


def event(seq, id_=None):
    return {"id": id_ or 100 + seq, "seq": seq, "topic": "shop/1", "payload": {}}


def notification(nid, events):
    return {
        "id": nid,
        "message": {"type": EVENTS, "payload": {"topic": "shop/1", "events": events}},
    }


def listener_for(client, last_seq=0):
    listener = Listener(client, topics=["shop/1"])
    listener.cursors[("event", "shop/1")] = _Cursor(100 + last_seq, last_seq)
    return listener


def handle(listener, notif):
    return [d.seq for d in listener._handle(notif)]


def test_duplicates_are_dropped_and_order_kept():
    client = HistoryClient()
    listener = listener_for(client)
    assert handle(listener, notification(1, [event(2), event(1)])) == [1, 2]
    # the bus replays after a reconnection: nothing twice
    assert handle(listener, notification(2, [event(1), event(2)])) == []
    assert handle(listener, notification(3, [event(3)])) == [3]
    assert listener.last_notification_id == 3
    assert client.fills == 0


def test_a_jump_in_seq_is_filled_from_history_first():
    client = HistoryClient(events=[event(n) for n in range(1, 7)])
    listener = listener_for(client, last_seq=2)
    # 3, 4 and 5 were missed: they come first, from history, then 6 once
    assert handle(listener, notification(9, [event(6)])) == [3, 4, 5, 6]
    assert client.fills == 1
    assert handle(listener, notification(10, [event(6)])) == []


def test_a_gap_history_cannot_fill_is_accepted():
    """Record topics only show each subscriber the events of records they can
    read: their seq may jump for good. The listener must neither stall nor
    repeat."""
    client = HistoryClient(events=[event(1), event(4)])
    listener = listener_for(client, last_seq=1)
    assert handle(listener, notification(5, [event(4)])) == [4]
    assert handle(listener, notification(6, [event(5)])) == [5]


def test_filtered_topic_is_ordered_by_id_without_chasing_gaps():
    """Events of a filtered (record) topic carry no seq: the listener orders
    and deduplicates them by id and never looks for a gap (issue 11)."""

    def filtered(id_):
        return {"id": id_, "seq": None, "topic": "shop/1", "payload": {}}

    client = HistoryClient(events=[filtered(5), filtered(9), filtered(12)])
    listener = Listener(client, topics=["shop/1"])
    listener.cursors[("event", "shop/1")] = _Cursor(0, 0)
    got = list(listener._handle(notification(1, [filtered(9), filtered(5)])))
    assert [d.id for d in got] == [5, 9]
    assert [d.seq for d in got] == [None, None]
    assert list(listener._handle(notification(2, [filtered(9)]))) == []
    assert [d.id for d in listener._handle(notification(3, [filtered(40)]))] == [40]
    assert client.fills == 0
    # after a reconnection, history fills from the last id delivered
    client.stored_events.append(filtered(41))
    assert [d.id for d in listener._fill_all()] == [41]


def test_bodies_are_shown_as_typed():
    from live_messaging_client import unescape_body
    from live_messaging_client.listen import Delivery

    assert unescape_body("a&lt;b &lt;3 &amp;lt; &gt;") == "a<b <3 &lt; >"
    delivery = Delivery("message", 7, {"id": 1, "seq": 1, "body": "x &amp;&gt; y"})
    assert delivery.text == "x &> y"


def test_room_messages_and_unknown_rooms():
    messages = [{"id": 10 + n, "seq": n, "room_id": 7, "body": ""} for n in (1, 2)]
    client = HistoryClient(messages=messages)
    listener = Listener(client, rooms=[7])
    listener.cursors[("message", 7)] = _Cursor(0, 0)
    notif = {"id": 1, "message": {"type": MESSAGE, "payload": messages[1]}}
    assert [(d.kind, d.target, d.seq) for d in listener._handle(notif)] == [
        ("message", 7, 1),
        ("message", 7, 2),
    ]
    # a room the listener does not follow is ignored
    other = {
        "id": 2,
        "message": {"type": MESSAGE, "payload": dict(messages[0], room_id=8)},
    }
    assert list(listener._handle(other)) == []
