"""The live bus router (bus/router.py) with fake sockets: it is pure Python,
so every rule is exercised here without a server, a database or a clock."""

import json

from odoo.tests import BaseCase

from odoo.addons.live_messaging.bus.router import (
    SESSION_EXPIRED,
    TRY_LATER,
    Router,
    Subscriber,
    frames,
)

ROOM = '["db","live.room",1]'
OTHER = '["db","live.room",2]'
CONTROL = '["db","live_messaging.control",0]'


class FakeSocket:
    def __init__(self):
        self.wakes = 0

    def wake(self):
        self.wakes += 1


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def row(notification_id, channel=ROOM, body=None):
    message = json.dumps({"type": "t", "payload": body or f"m{notification_id}"})
    return (notification_id, channel, message)


class TestBusRouter(BaseCase):
    def setUp(self):
        super().setUp()
        self.clock = Clock()
        self.router = Router(control_channel=CONTROL, gap_ttl=15, clock=self.clock)
        self.router.start(100)

    def subscriber(self, *channels, **kwargs):
        sub = Subscriber(FakeSocket(), **kwargs)
        self.router.add(sub)
        self.router.set_channels(sub, channels)
        return sub

    def received(self, sub):
        """What the socket sends now: the ids, decoded from its frames as a
        client would."""
        notifications, code = self.router.drain(sub)
        ids = [n["id"] for frame in frames(notifications) for n in json.loads(frame)]
        return ids, code

    def test_exactly_once_in_order(self):
        sub = self.subscriber(ROOM)
        other = self.subscriber(OTHER)
        rows = [row(101), row(102, OTHER), row(103), row(104)]
        self.assertEqual(self.router.route(rows), 4)
        self.assertEqual(self.received(sub), ([101, 103, 104], None))
        self.assertEqual(self.received(other), ([102], None))
        # a fetch that returns them again (it cannot, but) changes nothing
        self.router.route(rows)
        self.assertEqual(self.received(sub), ([], None))
        # the wire format: one JSON array of {"id", "message": {type, payload}}
        self.router.route([row(105, body={"x": "é"})])
        notifications, _code = self.router.drain(sub)
        self.assertEqual(
            json.loads(next(frames(notifications))),
            [{"id": 105, "message": {"type": "t", "payload": {"x": "é"}}}],
        )

    def test_late_commit_fills_its_gap_once(self):
        sub = self.subscriber(ROOM)
        self.router.route([row(101), row(104)])
        self.assertEqual(self.router.fetch_params(), (104, [102, 103]))
        self.assertEqual(self.received(sub), ([101, 104], None))
        # 103 commits late: found in its gap, routed once
        self.router.route([row(103)])
        self.assertEqual(self.router.fetch_params(), (104, [102]))
        self.assertEqual(self.received(sub), ([103], None))
        self.router.route([row(103)])
        self.assertEqual(self.received(sub), ([], None))
        # 102 never comes (rolled back): forgotten after the gap's time
        self.clock.now += 16
        self.assertEqual(self.router.fetch_params(), (104, []))
        self.assertEqual(self.router.stats["gaps_expired"], 1)
        self.assertEqual(self.router.stats["late"], 1)

    def test_gaps_are_bounded(self):
        router = Router(gap_ttl=15, max_gaps=10, clock=self.clock)
        router.start(0)
        router.route([row(1000)])
        _last, gaps = router.fetch_params()
        self.assertEqual(gaps, list(range(990, 1000)))

    def test_overflow_closes_that_socket_only(self):
        slow = self.subscriber(ROOM, max_items=3)
        fast = self.subscriber(ROOM)
        self.router.route([row(i) for i in range(101, 106)])
        self.assertEqual(self.received(fast), (list(range(101, 106)), None))
        self.assertEqual(self.received(slow), ([], TRY_LATER))
        self.assertEqual(slow.outbox, [])
        # nothing more for it; the others go on
        self.router.route([row(106)])
        self.assertEqual(self.received(slow), ([], TRY_LATER))
        self.assertEqual(self.received(fast), ([106], None))
        self.assertEqual(self.router.stats["overflows"], 1)
        # a byte bound too
        big = self.subscriber(ROOM, max_bytes=100)
        self.router.route([row(107, body="x" * 200)])
        self.assertEqual(self.received(big), ([], TRY_LATER))

    def test_expired_lease_closes_with_4001_and_delivers_nothing(self):
        sub = self.subscriber(ROOM, lease_until=self.clock.now + 5)
        self.router.route([row(101)])
        self.assertEqual(self.received(sub), ([101], None))
        self.assertEqual(self.router.leases_due(margin=6), [sub])
        self.clock.now += 6
        self.router.route([row(102)])
        self.assertEqual(self.received(sub), ([], SESSION_EXPIRED))
        # renewed too late: still closed, still nothing
        self.router.renew(sub, self.clock.now + 5)
        self.router.route([row(103)])
        self.assertEqual(self.received(sub), ([], SESSION_EXPIRED))
        # a lease ended at once (revocation heard) before its time
        other = self.subscriber(ROOM, lease_until=self.clock.now + 5)
        self.router.expire([other])
        self.router.route([row(104)])
        self.assertEqual(self.received(other), ([], SESSION_EXPIRED))

    def test_catchup_merges_with_live_rows_once_in_order(self):
        sub = self.subscriber(ROOM)
        self.assertEqual(self.router.start_catchup(sub, "spec"), 0)
        # the next cycle takes it (a failed one gives it back)
        self.assertEqual(self.router.begin_cycle(), {sub: "spec"})
        self.router.requeue({sub: "spec"})
        self.assertEqual(self.router.begin_cycle(), {sub: "spec"})
        self.assertEqual(self.router.begin_cycle(), {})
        self.assertEqual(self.router.cycles_started, 3)
        # live rows arrive while the cycle's catch-up query runs
        self.router.route([row(101), row(102)])
        self.assertEqual(self.received(sub), ([], None))
        # its query saw 99..102 and 104 (committed, not fetched by the stream
        # yet); 103 is still in flight
        self.router.complete_catchup(
            sub, [row(99), row(100), row(101), row(102), row(104)]
        )
        self.assertEqual(self.received(sub), ([99, 100, 101, 102, 104], None))
        self.assertEqual(sub.seen, {104})
        # the stream then brings 103 and 104: 104 is not sent twice
        self.router.route([row(103), row(104)])
        self.assertEqual(self.received(sub), ([103], None))
        self.assertEqual(sub.seen, set())

    def test_control_rows_are_applied_in_stream_order(self):
        member = self.subscriber(ROOM)
        newcomer = self.subscriber(OTHER)
        seen = []

        def on_control(control_row):
            seen.append(control_row[0])
            self.router.set_channels(member, [OTHER])
            self.router.set_channels(newcomer, [OTHER, ROOM])

        rows = [row(101), row(102, CONTROL), row(103), row(104, OTHER)]
        self.router.route(rows, on_control=on_control)
        self.assertEqual(seen, [102])
        # removed at 102: nothing after it; added at 102: everything after it
        self.assertEqual(self.received(member), ([101, 104], None))
        self.assertEqual(self.received(newcomer), ([103, 104], None))
        # a control row is never delivered, whatever the subscriptions
        spy = self.subscriber(CONTROL)
        self.router.route([row(105, CONTROL)])
        self.assertEqual(self.received(spy), ([], None))

    def test_wakes_are_coalesced_until_drained(self):
        sub = self.subscriber(ROOM)
        self.router.route([row(101)])
        self.router.route([row(102)])
        self.assertEqual(sub.socket.wakes, 1)
        self.received(sub)
        self.router.route([row(103)])
        self.assertEqual(sub.socket.wakes, 2)

    def test_channels_and_removal(self):
        sub = self.subscriber(ROOM)
        self.assertEqual(self.router.set_channels(sub, [ROOM, OTHER]), {OTHER})
        self.assertEqual(self.router.subscribers_of(OTHER), {sub})
        self.assertTrue(self.router.remove(sub))
        self.assertEqual(self.router.subscribers_of(ROOM), set())
        self.router.route([row(101)])
        self.assertEqual(sub.outbox, [])

    def test_stream_restarts_after_stop(self):
        self.router.stop()
        self.assertFalse(self.router.started)
        self.assertEqual(self.router.route([row(101)]), 0)
        self.assertTrue(self.router.start(200, missing={199}))
        self.assertFalse(self.router.start(300))
        self.assertEqual(self.router.fetch_params(), (200, [199]))

    def test_frames_stay_bounded(self):
        sub = self.subscriber(ROOM)
        self.router.route([row(i, body="x" * 400) for i in range(101, 111)])
        notifications, _code = self.router.drain(sub)
        chunks = list(frames(notifications, limit=1000))
        self.assertGreater(len(chunks), 1)
        ids = [n["id"] for chunk in chunks for n in json.loads(chunk)]
        self.assertEqual(ids, list(range(101, 111)))
        self.assertTrue(all(len(chunk) < 1500 for chunk in chunks))
