"""The NATS bridge on real Odoo servers and a real nats-server (its own, so that
it can be stopped): exactly once and in order across two nodes, a NATS restart
and an Odoo crash, and inbound feeds with their dead letters.

The e2e session server runs no cron; the nodes started here do (threaded, one
cron thread each), and the bridge's runner is started in them as the
scheduled action "Run manually" does."""

import json
import threading
import time
from collections import Counter

import pytest
from apie2e import db_connect
from livee2e import Server
from natse2e import (
    NatsServer,
    OdooNode,
    add_stream,
    consumer_pending,
    js_call,
    publish,
    stream_count,
    stream_messages,
    wait_until,
)

TOKEN = str(int(time.time() * 1000))[-7:]
PREFIX = f"lme2e{TOKEN}"
STREAM = f"LME2E_{TOKEN}"
STREAM_IN = f"LME2E_IN_{TOKEN}"
IN_SUBJECT = f"lme2ein{TOKEN}"


@pytest.fixture(scope="module")
def nats_server(tmp_path_factory):
    server = NatsServer(tmp_path_factory.mktemp("nats-store"))
    server.start()
    add_stream(server.url, STREAM, [f"{PREFIX}.>"])
    add_stream(server.url, STREAM_IN, [f"{IN_SUBJECT}.>"])
    yield server
    server.stop()


@pytest.fixture(scope="module")
def bridge(server, admin, nats_server, request):
    """The e2e database configured for the test server, and two nodes
    running the bridge."""
    params = {
        "servers": nats_server.url,
        "stream": STREAM,
        "subject_prefix": PREFIX,
        "retry_max_seconds": "2",
    }
    for key, value in params.items():
        server.call(
            admin,
            "ir.config_parameter",
            "set_param",
            f"live_messaging.nats_{key}",
            value,
        )
    nodes = [OdooNode(request, "a"), OdooNode(request, "b")]
    try:
        for node in nodes:
            node.start()
            start_runner(server, node)
        yield nodes
    finally:
        for node in nodes:
            node.stop()
        server.call(
            admin, "ir.config_parameter", "set_param", "live_messaging.nats_servers", ""
        )
        for model in ("live.nats.mirror", "live.nats.feed"):
            ids = server.call(
                admin, model, "search", [], context={"active_test": False}
            )
            server.call(admin, model, "unlink", ids)


def start_runner(server, node):
    """Run the bridge's scheduled action on ``node`` (starts its runner)."""
    session = node_session(server, node)
    cron_id = session.node.call(
        session,
        "ir.model.data",
        "search_read",
        [["module", "=", "live_messaging"], ["name", "=", "ir_cron_nats_bridge"]],
        ["res_id"],
    )[0]["res_id"]
    session.node.call(session, "ir.cron", "method_direct_trigger", [cron_id])
    wait_until(lambda: worker(server, session, node), 30, f"runner of node {node.name}")


def node_session(server, node):
    """An admin session on ``node``; ``session.node.call`` calls through it."""
    node_server = Server(node.url, server.db)
    session = node_server.session("admin", "admin")
    session.node = node_server
    return session


def worker(server, admin, node):
    rows = server.call(
        admin,
        "live.nats.worker",
        "search_read",
        [["name", "=", node.worker_name]],
        ["sent_count", "duplicate_count", "feeds", "heartbeat_at", "last_error"],
    )
    return rows and rows[0]


def topic(server, admin, name):
    return server.call(admin, "live.topic", "create", {"name": name})


def publish_events(server, session, topic_id, count, tag):
    return [
        server.call(
            session, "live.topic", "live_publish", [topic_id], {"tag": tag, "n": n}
        )
        for n in range(count)
    ]


def check_stream(url, expected):
    """The stream holds each event of ``expected`` ({topic name: [events]})
    exactly once, each topic's in order, with its headers and payload."""
    # events only (dead letters are deduplicated within the window only)
    messages = [m for m in stream_messages(url, STREAM) if "Live-Event-Id" in m[1]]
    ids = Counter(headers["Nats-Msg-Id"] for _s, headers, _d in messages)
    doubled = {key: count for key, count in ids.items() if count > 1}
    assert not doubled, f"sent more than once: {doubled}"
    for name, events in expected.items():
        got = [m for m in messages if m[1].get("Live-Topic") == name]
        assert [h["Nats-Msg-Id"] for _s, h, _d in got] == [str(e["id"]) for e in events]
        assert [int(h["Live-Seq"]) for _s, h, _d in got] == [e["seq"] for e in events]
        assert [json.loads(d) for _s, _h, d in got] == [e["payload"] for e in events]
        assert {s for s, _h, _d in got} == {f"{PREFIX}.{name.replace('/', '.')}"}
    return messages


def test_two_nodes_send_each_event_once_in_order(server, admin, bridge, nats_server):
    server.call(admin, "live.nats.mirror", "create", {"pattern": f"e2e-{TOKEN}-two/*"})
    names = [f"e2e-{TOKEN}-two/{i}" for i in range(8)]
    topics = {name: topic(server, admin, name) for name in names}
    expected = {name: [] for name in names}
    lock = threading.Lock()
    nodes = {node.name: node for node in bridge}

    def publisher(index):
        # publishers on both nodes, several topics each, at once
        node = bridge[index % 2]
        session = node_session(server, node)
        for name in names[index::4]:
            events = publish_events(
                session.node, session, topics[name], 12, f"p{index}"
            )
            with lock:
                expected[name].extend(events)

    threads = [threading.Thread(target=publisher, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    total = sum(len(events) for events in expected.values())
    assert total == 96
    wait_until(
        lambda: stream_count(nats_server.url, STREAM) >= total, 60, "events mirrored"
    )
    check_stream(nats_server.url, expected)
    # both nodes sent, and JetStream never had to drop a second copy
    stats = wait_until(
        lambda: (
            (rows := [worker(server, admin, node) for node in nodes.values()])
            and sum(row["sent_count"] for row in rows) >= total
            and rows
        ),
        30,
        "workers' reports",
    )
    assert all(row["sent_count"] > 0 for row in stats), stats
    assert sum(row["duplicate_count"] for row in stats) == 0, stats
    assert sum(row["sent_count"] for row in stats) == total, stats
    depth = server.call(admin, "live.nats.outbox", "search_count", [])
    assert depth == 0


def test_nats_restart_nothing_lost_nothing_doubled(server, admin, bridge, nats_server):
    server.call(admin, "live.nats.mirror", "create", {"pattern": f"e2e-{TOKEN}-down/*"})
    name = f"e2e-{TOKEN}-down/1"
    topic_id = topic(server, admin, name)
    before = stream_count(nats_server.url, STREAM)
    events = publish_events(server, admin, topic_id, 5, "up")
    wait_until(
        lambda: stream_count(nats_server.url, STREAM) >= before + 5, 30, "first events"
    )
    nats_server.stop()
    # Odoo takes events while NATS is away; the lag shows on the topic
    events += publish_events(server, admin, topic_id, 10, "down")

    def lag():
        row = server.call(
            admin,
            "live.topic",
            "read",
            [topic_id],
            ["nats_outbox_count", "nats_last_error", "nats_oldest_pending"],
        )[0]
        return row["nats_last_error"] and row

    row = wait_until(lag, 30, "the error on the topic")
    assert row["nats_outbox_count"] == 10
    assert row["nats_oldest_pending"]
    nats_server.start()
    wait_until(
        lambda: server.call(admin, "live.nats.outbox", "search_count", []) == 0,
        60,
        "the outbox drained after NATS came back",
    )
    check_stream(nats_server.url, {name: events})


def test_inbound_feed_once_and_dead_letters(server, admin, bridge, nats_server):
    schema = {
        "type": "object",
        "required": ["sku"],
        "properties": {"sku": {"type": "string"}, "qty": {"minimum": 1}},
    }
    topic_id = server.call(
        admin,
        "live.topic",
        "create",
        {"name": f"e2e-{TOKEN}-in/1", "json_schema": json.dumps(schema)},
    )
    feed_id = server.call(
        admin,
        "live.nats.feed",
        "create",
        {
            "name": "E2E warehouse",
            "subject": f"{IN_SUBJECT}.>",
            "stream": STREAM_IN,
            "topic_id": topic_id,
            "batch_size": 5,
        },
    )
    feed = server.call(
        admin,
        "live.nats.feed",
        "read",
        [feed_id],
        ["consumer_name", "dead_letter_subject"],
    )[0]
    good = [json.dumps({"sku": f"S{i}", "qty": 1}).encode() for i in range(12)]
    bad = [b'{"qty": 1}', b"<xml/>", b'{"sku": "Z", "qty": 0}']
    publish(nats_server.url, f"{IN_SUBJECT}.wh.1", good[:6] + bad + good[6:])

    def last_seq():
        return server.call(admin, "live.topic", "read", [topic_id], ["last_seq"])[0][
            "last_seq"
        ]

    wait_until(lambda: last_seq() == 12, 60, "12 events from NATS")
    history = server.call(
        admin, "live.topic", "live_fetch_events", [topic_id], limit=50
    )
    assert [e["payload"]["sku"] for e in history["messages"]] == [
        f"S{i}" for i in range(12)
    ]
    assert [e["client_id"] for e in history["messages"]][:1] == [f"nats:{STREAM_IN}:1"]
    wait_until(
        lambda: (
            consumer_pending(nats_server.url, STREAM_IN, feed["consumer_name"])
            == (0, 0)
        ),
        30,
        "everything acknowledged",
    )
    letters = [
        m
        for m in stream_messages(nats_server.url, STREAM)
        if m[0] == feed["dead_letter_subject"]
    ]
    assert [data for _s, _h, data in letters] == bad
    assert "/qty" in letters[2][1]["Live-Reject-Reason"]
    assert "JSON" in letters[1][1]["Live-Reject-Reason"]

    # one of the two nodes consumes the feed, not both
    def leaders():
        rows = [worker(server, admin, node) for node in bridge]
        return [
            row for row in rows if row and feed["consumer_name"] in (row["feeds"] or "")
        ]

    wait_until(leaders, 30, "the feed's consumer in a worker's report")
    time.sleep(11)  # a report of each worker since
    assert len(leaders()) == 1, leaders()
    # read again from the start: the same messages make no new event
    server.call(admin, "live.nats.feed", "action_reset_consumer", [feed_id])
    wait_until(
        lambda: _caught_up(nats_server.url, feed["consumer_name"]),
        60,
        "the stream read again",
    )
    assert last_seq() == 12
    counts = server.call(
        admin, "live.nats.feed", "read", [feed_id], ["message_count", "reject_count"]
    )[0]
    assert counts["message_count"] == 12
    letters = [
        m
        for m in stream_messages(nats_server.url, STREAM)
        if m[0] == feed["dead_letter_subject"]
    ]
    assert len(letters) == 3  # dead letters dropped again by their message id
    server.call(admin, "live.nats.feed", "write", [feed_id], {"active": False})


def _caught_up(url, consumer):
    try:
        return consumer_pending(url, STREAM_IN, consumer) == (0, 0)
    except Exception:  # noqa: BLE001 - the consumer is being made again
        return False


def test_odoo_crash_after_publish_beyond_duplicate_window(
    server, admin, bridge, nats_server
):
    """The sender publishes, then dies before recording it; it comes back after
    JetStream's duplicate window (1 s here) has passed: the events must not be
    stored twice."""
    node_a, node_b = bridge
    node_a.stop()
    node_b.stop()
    feeds = server.call(admin, "live.nats.feed", "search", [])
    server.call(admin, "live.nats.feed", "write", feeds, {"active": False})

    async def shrink(js):
        info = await js.stream_info(STREAM)
        info.config.duplicate_window = 1.0
        await js.update_stream(info.config)

    js_call(nats_server.url, shrink)
    server.call(
        admin, "live.nats.mirror", "create", {"pattern": f"e2e-{TOKEN}-crash/*"}
    )
    name = f"e2e-{TOKEN}-crash/1"
    topic_id = topic(server, admin, name)
    # published while no node runs the bridge
    events = publish_events(server, admin, topic_id, 5, "crash")
    before = stream_count(nats_server.url, STREAM)
    connection = db_connect(node_b.config, node_b.db)
    connection.autocommit = False
    with connection.cursor() as cr:
        # the sender may lock and publish, but not delete what it sent
        cr.execute("LOCK TABLE live_nats_outbox IN SHARE MODE")
        node_b.start()
        start_runner(server, node_b)
        wait_until(
            lambda: stream_count(nats_server.url, STREAM) >= before + 5,
            30,
            "published before the crash",
        )
        node_b.stop(kill=True)
    connection.rollback()
    connection.close()
    time.sleep(1.5)  # beyond the duplicate window
    assert server.call(admin, "live.nats.outbox", "search_count", []) == 5
    node_b.start()
    start_runner(server, node_b)
    wait_until(
        lambda: server.call(admin, "live.nats.outbox", "search_count", []) == 0,
        30,
        "the outbox cleared after the restart",
    )
    events += publish_events(server, admin, topic_id, 3, "after")
    wait_until(
        lambda: stream_count(nats_server.url, STREAM) >= before + 8, 30, "later events"
    )
    time.sleep(1)
    check_stream(nats_server.url, {name: events})
