"""The Python client and the command line against a real server: real
commits, NOTIFY, the bus dispatcher and real sockets cut under the client."""

import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests
from apie2e import CLIENT_DIR, db_connect, make_api_key, new_user, remove_api_key
from live_messaging_client import AuthError, BatchError, Client


@pytest.fixture(scope="module")
def keys(server, e2e_users):
    """An API key of ana (the listening app) and of ben (the publisher)."""
    return {name: make_api_key(server, e2e_users[name][1]) for name in ("ana", "ben")}


@pytest.fixture(scope="module")
def topic(server, admin):
    """A topic every live user may publish on and subscribe to."""
    name = f"shop/e2e-{time.time_ns()}"
    server.call(
        admin,
        "live.topic",
        "create",
        {"name": name, "publish_access": "users", "subscribe_access": "users"},
    )
    return name


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


class Consumer:
    """Runs a listener in a thread and collects what it delivers."""

    def __init__(self, listener):
        self.listener = listener
        self.items = []
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            for delivery in self.listener:
                self.items.append(delivery)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            self.error = exc

    def stop(self):
        self.listener.close()
        self.thread.join(10)
        assert not self.thread.is_alive(), "the listener did not stop"


def test_listen_cut_forget_reconnect_exactly_once(server, keys, topic, pytestconfig):
    ana = Client(server.url, keys["ana"].key, timeout=10)
    ben = Client(server.url, keys["ben"].key, timeout=10)
    listener = ana.listen(topics=[topic], backoff=(0.2, 1.0))
    # a gate in front of (re)connections: the test decides when the client
    # may come back
    gate = threading.Event()
    gate.set()
    connect = listener._connect

    def gated_connect():
        assert gate.wait(20), "the gate was never opened"
        connect()

    listener._connect = gated_connect
    consumer = Consumer(listener)
    try:
        wait_for(lambda: listener.connections == 1, 10, "the first connection")
        first = ben.publish(topic, {"event": "paid", "n": 1})
        wait_for(lambda: len(consumer.items) == 1, 5, "the first event, live")
        assert consumer.items[0].data["id"] == first["id"]
        assert consumer.items[0].data["author"]["app"] == keys["ben"].key_name

        # the connection is cut under the client, which cannot come back yet
        gate.clear()
        listener.websocket.sock.shutdown(socket.SHUT_RDWR)
        wait_for(lambda: listener.websocket is None, 5, "the client to notice")
        missed = [ben.publish(topic, {"event": "paid", "n": n}) for n in (2, 3, 4)]
        # and the bus forgot them (as its garbage collector does after 100 s):
        # only the history can bring them back
        connection = db_connect(pytestconfig.getoption("--server-config"), server.db)
        try:
            connection.cursor().execute("DELETE FROM bus_bus")
        finally:
            connection.close()
        gate.set()
        wait_for(lambda: listener.connections == 2, 10, "the reconnection")
        wait_for(lambda: len(consumer.items) == 4, 5, "the missed events")
        last = ben.publish(topic, {"event": "paid", "n": 5})
        wait_for(lambda: len(consumer.items) == 5, 5, "the last event, live")
        time.sleep(0.5)  # nothing more may come
        assert consumer.error is None, consumer.error
        ids = [first["id"], *(e["id"] for e in missed), last["id"]]
        assert [d.data["id"] for d in consumer.items] == ids
        assert [d.seq for d in consumer.items] == [1, 2, 3, 4, 5]
        assert [d.data["payload"]["n"] for d in consumer.items] == [1, 2, 3, 4, 5]
        assert {d.target for d in consumer.items} == {topic}
    finally:
        gate.set()
        consumer.stop()


def test_revoked_key_ends_the_listener(server, e2e_users, topic):
    cid = make_api_key(server, e2e_users["cid"][1])
    publisher = Client(server.url, make_api_key(server, e2e_users["ben"][1]).key)
    listener = Client(server.url, cid.key).listen(topics=[topic])
    consumer = Consumer(listener)
    try:
        wait_for(lambda: listener.connections == 1, 10, "the connection")
        remove_api_key(server, cid)
        publisher.publish(topic, {"event": "after revocation"})
        wait_for(lambda: not consumer.thread.is_alive(), 10, "the listener to end")
        assert isinstance(consumer.error, AuthError), consumer.error
        assert consumer.items == []
        response = requests.get(
            f"{server.url}/live/api/v1/me",
            headers={"Authorization": f"Bearer {cid.key}"},
            timeout=5,
        )
        assert response.status_code == 401
    finally:
        consumer.stop()


def test_command_line_publish_and_listen(server, keys, topic):
    env = dict(
        os.environ,
        PYTHONPATH=str(CLIENT_DIR),
        LIVE_URL=server.url,
        LIVE_DB=server.db,
    )
    cli = [sys.executable, "-m", "live_messaging_client"]
    listen = subprocess.Popen(
        [*cli, "listen", "--topic", topic],
        env=dict(env, LIVE_KEY=keys["ana"].key),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(line) for line in listen.stdout], daemon=True
    ).start()
    try:
        time.sleep(1.0)  # let it connect (a late subscribe is replayed anyway)
        published = subprocess.run(
            [*cli, "publish", "--topic", topic, "--json", '{"event": "from the cli"}'],
            env=dict(env, LIVE_KEY=keys["ben"].key),
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        event = json.loads(published.stdout)
        assert event["payload"] == {"event": "from the cli"}
        got = json.loads(lines.get(timeout=10))
        assert got["kind"] == "event"
        assert got["target"] == topic
        assert got["id"] == event["id"]
        # a bad key: a clear message and exit code 2
        refused = subprocess.run(
            [*cli, "me"],
            env=dict(env, LIVE_KEY="0" * 40),
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert refused.returncode == 2
        assert "invalid, expired or revoked" in refused.stderr
    finally:
        listen.terminate()
        try:
            listen.wait(10)
        except subprocess.TimeoutExpired:
            listen.kill()
            listen.wait(10)


def test_batch_publish_many_and_command_line_file(server, admin, topic, tmp_path):
    # a publisher of its own: a new socket of the shared e2e users is sent the
    # recent notifications of their rooms, which other tests count
    _uid, login = new_user(server, admin, "e2e_batch_client", "ben")
    key = make_api_key(server, login).key
    ben = Client(server.url, key, timeout=30)
    room = ben.create_room("e2e batch client")
    answer = ben.batch(
        [
            {"room_id": room["id"], "body": "one <&>"},
            {"topic": topic, "payload": {"event": "batched"}},
            {"room_id": room["id"] + 10**6, "body": "no such room"},
        ]
    )
    assert [result["status"] for result in answer] == [201, 201, 404]
    assert (answer.created, answer.replayed, answer.refused) == (2, 0, 1)
    assert not answer.ok
    assert answer[0]["message"]["body"] == "one &lt;&amp;&gt;"
    assert answer[1]["event"]["payload"] == {"event": "batched"}
    # atomic: refused whole, with the reasons
    with pytest.raises(BatchError) as refused:
        ben.batch(
            [
                {"room_id": room["id"], "body": "never"},
                {"room_id": room["id"], "body": ""},
            ],
            atomic=True,
        )
    assert refused.value.status == 422
    assert refused.value.code == "batch_refused"
    assert [r["status"] for r in refused.value.results] == [424, 422]
    assert "never" not in [m["body"] for m in ben.iter_history(room["id"])]
    # publish_many: chunked by the server's limit, in order, idempotent
    previous = server.call(
        admin, "ir.config_parameter", "get_param", "live_messaging.batch_max_items"
    )
    server.call(
        admin, "ir.config_parameter", "set_param", "live_messaging.batch_max_items", "3"
    )
    try:
        ben = Client(server.url, key, timeout=30)
        assert ben.batch_limits()["max_items"] == 3
        payloads = [{"event": "many", "n": n} for n in range(7)]
        keys_used = [f"many-{time.time_ns()}-{n}" for n in range(7)]
        results = ben.publish_many(topic, payloads, idempotency_keys=keys_used)
        assert [r["index"] for r in results] == list(range(7))
        assert [r["status"] for r in results] == [201] * 7
        seqs = [r["event"]["seq"] for r in results]
        assert seqs == list(range(seqs[0], seqs[0] + 7))
        again = ben.publish_many(topic, payloads, idempotency_keys=keys_used)
        assert again.replayed == 7
        assert [r["event"]["id"] for r in again] == [r["event"]["id"] for r in results]
        # and by the server's byte limit: 3 items of 700 bytes do not fit in 2000
        server.call(
            admin,
            "ir.config_parameter",
            "set_param",
            "live_messaging.batch_max_bytes",
            "2000",
        )
        ben = Client(server.url, key, timeout=30)
        big = [{"event": "big", "n": n, "pad": "\u00e9" * 110} for n in range(5)]
        results = ben.publish_many(topic, big)
        assert [r["status"] for r in results] == [201] * 5
        assert [r["event"]["payload"]["n"] for r in results] == list(range(5))
        # the command line: a JSON Lines file, events and messages mixed
        lines = [
            {"topic": topic, "payload": {"event": "from a file", "n": 1}},
            {"room_id": room["id"], "body": "from a file"},
            {"topic": topic, "payload": {"event": "from a file", "n": 2}},
            {"topic": "no such topic!", "payload": {}},
        ]
        path = tmp_path / "events.jsonl"
        path.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n")
        env = dict(
            os.environ,
            PYTHONPATH=str(CLIENT_DIR),
            LIVE_URL=server.url,
            LIVE_DB=server.db,
            LIVE_KEY=key,
        )
        cli = [sys.executable, "-m", "live_messaging_client"]
        run = subprocess.run(
            [*cli, "publish", "--file", str(path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 1, run.stderr  # one line was refused
        printed = [json.loads(line) for line in run.stdout.splitlines()]
        assert [p["status"] for p in printed] == [201, 201, 201, 404]
        assert [p["index"] for p in printed] == [0, 1, 2, 3]
        assert "created 3, replayed 0, refused 1" in run.stderr
        # payload lines with --topic
        path.write_text('{"event": "payload only"}\n{"event": "again"}\n')
        run = subprocess.run(
            [*cli, "publish", "--topic", topic, "--file", str(path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        printed = [json.loads(line) for line in run.stdout.splitlines()]
        assert [p["event"]["payload"]["event"] for p in printed] == [
            "payload only",
            "again",
        ]
        bad = tmp_path / "bad.jsonl"
        bad.write_text('{"event": 1}\nnot json\n')
        run = subprocess.run(
            [*cli, "publish", "--topic", topic, "--file", str(bad)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode != 0
        assert "line 2 is not JSON" in run.stderr
    finally:
        for param, value in (
            ("live_messaging.batch_max_items", previous),
            ("live_messaging.batch_max_bytes", False),
        ):
            server.call(
                admin, "ir.config_parameter", "set_param", param, value or False
            )
