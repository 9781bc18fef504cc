"""Concurrent posts to one room through the REST API, on a real server.

Posts to a room are serialised on the room's row (its sequence). They run in
READ COMMITTED: a post waits for the one holding the row, then takes the next
number; none fails with a serialization error, so none is run again by Odoo
(were one run again, it would have to see the same JSON body: the request
stream can be read only once). Every post is accepted, none twice, the numbers
have no gaps."""

import threading
from pathlib import Path

import requests
from apie2e import make_api_key, new_user

PUBLISHERS = 8
POSTS = 5


def _serialization_failures(log):
    if not log or not Path(log).exists():
        return None
    return Path(log).read_text(errors="replace").count("SERIALIZATION_FAILURE")


def test_concurrent_posts_to_one_room(server, admin, pytestconfig):
    # a user of its own: the bus replays recent notifications to new sockets,
    # and other tests count what the shared e2e users receive
    _uid, login = new_user(server, admin, "e2e", "concurrency")
    key = make_api_key(server, login).key
    headers = {"Authorization": f"Bearer {key}"}
    base = f"{server.url}/live/api/v1"
    room = requests.post(
        f"{base}/rooms",
        json={"type": "group", "name": "e2e concurrency"},
        headers=headers,
        timeout=30,
    )
    assert room.status_code == 201, room.text
    url = f"{base}/rooms/{room.json()['id']}/messages"
    log = pytestconfig.getoption("--server-log")
    failures = _serialization_failures(log)
    answers = []
    lock = threading.Lock()

    def publish(index):
        with requests.Session() as http:
            for post in range(POSTS):
                response = http.post(
                    url,
                    json={"body": f"post {index}.{post}"},
                    headers=headers,
                    timeout=60,
                )
                with lock:
                    answers.append((response.status_code, response.text[:300]))

    threads = [threading.Thread(target=publish, args=(i,)) for i in range(PUBLISHERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    refused = [answer for answer in answers if answer[0] != 201]
    assert not refused, refused
    page = requests.get(f"{url}?limit=200", headers=headers, timeout=30).json()
    bodies = [m["body"] for m in page["messages"] if m["body"].startswith("post ")]
    assert sorted(bodies) == sorted(
        f"post {i}.{p}" for i in range(PUBLISHERS) for p in range(POSTS)
    )
    seqs = [m["seq"] for m in page["messages"]]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    if failures is not None:
        # Odoo logs each request it runs again
        assert _serialization_failures(log) == failures
