"""The live bus dispatcher on a real server: real commits, NOTIFY, its LISTEN
connection killed under it, revocations and membership changes seen by the
open sockets."""

import struct
import threading
import time

import pytest
import websocket
from apie2e import db_connect, make_api_key, remove_api_key
from livee2e import frames

MESSAGE = "live_messaging/message"


@pytest.fixture
def users(server, admin):
    """Fresh users for each test (password = login): the bus replays the last
    50 s to a new socket subscribing with last=0, so the users shared by the
    other e2e tests must not get these tests' messages."""
    stamp = time.time_ns()
    result = {}
    for name in ("ana", "ben", "cid"):
        login = f"e2e_bus_{name}_{stamp}"
        uid = server.call(
            admin,
            "res.users",
            "create",
            {"name": f"Bus {name.title()}", "login": login, "password": login},
        )
        result[name] = (uid, login)
    return result


def listen_backends(pytestconfig, server):
    """Backend pids of the server's LISTEN connection (it names itself)."""
    connection = db_connect(pytestconfig.getoption("--server-config"), "postgres")
    try:
        cursor = connection.cursor()
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s",
            [f"odoo-live-bus-{server.pid}"],
        )
        return [row[0] for row in cursor.fetchall()]
    finally:
        connection.close()


def terminate(pytestconfig, pid):
    connection = db_connect(pytestconfig.getoption("--server-config"), "postgres")
    try:
        connection.cursor().execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        connection.close()


def closed_with(ws, timeout):
    """The close code the server sends within ``timeout`` seconds (None if
    the socket stays open); notifications before it are returned too."""
    deadline = time.monotonic() + timeout
    got = []
    while (remaining := deadline - time.monotonic()) > 0:
        ws.settimeout(remaining)
        try:
            opcode, data = ws.recv_data()
        except websocket.WebSocketTimeoutException:
            break
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return struct.unpack("!H", data[:2])[0], got
        if opcode == websocket.ABNF.OPCODE_TEXT:
            got.append(data)
    return None, got


def bodies_until(ws, expected, timeout):
    """Message bodies received until all of ``expected`` came (or timeout)."""
    got = []
    deadline = time.monotonic() + timeout
    while set(expected) - set(got) and time.monotonic() < deadline:
        for batch in frames(ws, min(0.5, max(0.01, deadline - time.monotonic()))):
            got += [
                n["message"]["payload"]["body"]
                for n in batch
                if n["message"]["type"] == MESSAGE
            ]
    return got


def test_listen_connection_killed_nothing_lost(server, users, pytestconfig):
    """Its LISTEN backend terminated while messages are posted: the
    dispatcher reconnects within a second and catches up from its position;
    every socket gets every message, once, in order, within 5 s."""
    (_ana_id, ana), (ben_id, ben), (cid_id, cid) = (
        users["ana"],
        users["ben"],
        users["cid"],
    )
    s_ana, s_ben, s_cid = (server.session(login) for login in (ana, ben, cid))
    room_id = server.call(
        s_ana, "live.room", "live_create_group_room", "LISTEN kill", [ben_id, cid_id]
    )
    sockets = [server.websocket(s) for s in (s_ben, s_ben, s_cid)]
    server.call(s_ana, "live.room", "live_post_message", [room_id], "warm-up")
    for ws in sockets:
        assert "warm-up" in bodies_until(ws, ["warm-up"], 5)
    (before,) = listen_backends(pytestconfig, server)
    bodies = [f"during {n}" for n in range(30)]
    errors = []

    def post():
        try:
            for body in bodies:
                server.call(s_ana, "live.room", "live_post_message", [room_id], body)
                time.sleep(0.03)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    poster = threading.Thread(target=post)
    poster.start()
    time.sleep(0.3)
    terminate(pytestconfig, before)
    poster.join(60)
    assert not errors, errors
    posted_at = time.monotonic()
    for ws in sockets:
        got = bodies_until(ws, bodies, 5.0)
        assert got == bodies, f"missing {sorted(set(bodies) - set(got))}"
    assert time.monotonic() - posted_at < 5.0
    after = listen_backends(pytestconfig, server)
    assert len(after) == 1 and after != [before], (before, after)
    for ws in sockets:
        ws.close()


def test_removed_key_and_logout_close_the_sockets(server, users):
    """4001 within 5 s, with nothing delivered after the revocation."""
    (_ana_id, ana), (ben_id, ben) = users["ana"], users["ben"]
    s_ana = server.session(ana)
    room_id = server.call(
        s_ana, "live.room", "live_create_group_room", "Revocations", [ben_id]
    )
    app = make_api_key(server, ben)
    ws_app = websocket.create_connection(
        server.url.replace("http://", "ws://") + "/live/api/v1/websocket",
        header=[f"Authorization: Bearer {app.key}"],
        timeout=5,
    )
    ws_app.send('{"event_name": "subscribe", "data": {"channels": [], "last": 0}}')
    s_ben = server.session(ben)
    ws_browser = server.websocket(s_ben)
    server.call(s_ana, "live.room", "live_post_message", [room_id], "before")
    for ws in (ws_app, ws_browser):
        assert "before" in bodies_until(ws, ["before"], 5)
    started = time.monotonic()
    remove_api_key(server, app)
    server.call(s_ana, "live.room", "live_post_message", [room_id], "after key")
    code, got = closed_with(ws_app, 5.0)
    assert code == 4001, (code, got)
    assert not any(b"after key" in data for data in got)
    assert time.monotonic() - started < 5.0
    # the browser session of the same user is not concerned
    assert "after key" in bodies_until(ws_browser, ["after key"], 5)
    started = time.monotonic()
    s_ben.get(f"{server.url}/web/session/logout", timeout=10)
    code, _got = closed_with(ws_browser, 5.0)
    assert code == 4001
    assert time.monotonic() - started < 5.0


def test_removed_member_gets_nothing_more(server, users):
    (_ana_id, ana), (ben_id, ben) = users["ana"], users["ben"]
    s_ana, s_ben = server.session(ana), server.session(ben)
    room_id = server.call(
        s_ana, "live.room", "live_create_group_room", "Leaving", [ben_id]
    )
    ws_ben = server.websocket(s_ben)
    server.call(s_ana, "live.room", "live_post_message", [room_id], "hello")
    assert "hello" in bodies_until(ws_ben, ["hello"], 5)
    server.call(s_ana, "live.room", "live_remove_member", [room_id], ben_id)
    server.call(s_ana, "live.room", "live_post_message", [room_id], "behind ben's back")
    got = [n for batch in frames(ws_ben, 1.5) for n in batch]
    types = [n["message"]["type"] for n in got]
    assert "live_messaging/room_left" in types
    assert MESSAGE not in types, got
    ws_ben.close()
