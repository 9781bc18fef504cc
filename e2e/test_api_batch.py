"""Batches (POST /batch) on a real server: concurrent batches naming the same
rooms in opposite orders, and what one batch sends to the live bus."""

import json
import select
import threading
import time

import requests
from apie2e import db_connect, make_api_key, new_user

THREADS = 4
BATCHES = 5
PER_ROOM = 2


def _user_key(server, admin, name):
    # a user of its own: other tests count what the shared e2e users receive
    return make_api_key(server, new_user(server, admin, "e2e_batch", name)[1]).key


def _rooms(base, headers, count):
    rooms = []
    for index in range(count):
        response = requests.post(
            f"{base}/rooms",
            json={"type": "group", "name": f"e2e batch {index}"},
            headers=headers,
            timeout=30,
        )
        assert response.status_code == 201, response.text
        rooms.append(response.json()["id"])
    return rooms


def _deadlocks(connection, db):
    with connection.cursor() as cr:
        cr.execute("SELECT pg_stat_clear_snapshot()")
        cr.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = %s", [db])
        return cr.fetchone()[0]


def test_concurrent_batches_in_opposite_orders(server, admin, pytestconfig):
    """Batches lock their rooms in one order, whatever the order of their
    items: no deadlock (PostgreSQL counts them), every item written once, and
    each room's sequence without gap."""
    headers = {"Authorization": f"Bearer {_user_key(server, admin, 'order')}"}
    base = f"{server.url}/live/api/v1"
    rooms = _rooms(base, headers, 3)
    connection = db_connect(pytestconfig.getoption("--server-config"), server.db)
    answers = []
    lock = threading.Lock()

    def send(index):
        order = rooms if index % 2 else list(reversed(rooms))
        with requests.Session() as http:
            for batch in range(BATCHES):
                items = [
                    {"room_id": room, "body": f"b {index}.{batch}.{room}.{n}"}
                    for room in order
                    for n in range(PER_ROOM)
                ]
                response = http.post(
                    f"{base}/batch", json={"items": items}, headers=headers, timeout=120
                )
                with lock:
                    answers.append((response.status_code, response.text))

    try:
        before = _deadlocks(connection, server.db)
        threads = [threading.Thread(target=send, args=(i,)) for i in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        refused = [(status, text[:300]) for status, text in answers if status != 200]
        assert not refused, refused
        statuses = [
            result["status"]
            for _status, text in answers
            for result in json.loads(text)["results"]
        ]
        assert statuses == [201] * (THREADS * BATCHES * PER_ROOM * len(rooms))
        # the statistics reach the view within a second or so
        time.sleep(1.5)
        assert _deadlocks(connection, server.db) == before
    finally:
        connection.close()
    expected = THREADS * BATCHES * PER_ROOM
    for room in rooms:
        page = requests.get(
            f"{base}/rooms/{room}/messages?limit=200", headers=headers, timeout=30
        ).json()
        chat = [m for m in page["messages"] if m["body"].startswith("b ")]
        assert len(chat) == expected
        assert len({m["body"] for m in chat}) == expected
        seqs = [m["seq"] for m in page["messages"]]
        assert seqs == list(range(1, len(seqs) + 1))


def test_one_notify_for_a_batch(server, admin, pytestconfig):
    """The bus rows of a whole batch are announced by one NOTIFY (Odoo's bus
    sends one per transaction, naming every channel)."""
    headers = {"Authorization": f"Bearer {_user_key(server, admin, 'notify')}"}
    base = f"{server.url}/live/api/v1"
    rooms = _rooms(base, headers, 2)
    # Odoo notifies on the postgres database
    listener = db_connect(pytestconfig.getoption("--server-config"), "postgres")
    try:
        listener.cursor().execute("LISTEN imbus")
        items = [
            {"room_id": room, "body": f"n {room}.{n}"}
            for room in rooms
            for n in range(3)
        ]
        response = requests.post(
            f"{base}/batch", json={"items": items}, headers=headers, timeout=60
        )
        assert response.status_code == 200, response.text
        assert response.json()["created"] == 6
        channels = []
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            if select.select([listener], [], [], 0.2)[0]:
                listener.poll()
                while listener.notifies:
                    notify = listener.notifies.pop(0)
                    named = json.loads(notify.payload)
                    ours = [
                        channel
                        for channel in named
                        if isinstance(channel, list)
                        and channel[1:3] in ([["live.room", room] for room in rooms])
                    ]
                    if ours:
                        channels.append(ours)
        assert len(channels) == 1, channels
        assert sorted(channel[2] for channel in channels[0]) == sorted(rooms)
    finally:
        listener.close()
