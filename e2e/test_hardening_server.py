"""Issue 11 against real servers: rate limits that hold across processes (the
session's threaded server and a second one with ``--workers 2`` on the same
database), the support join limit under 20 parallel joins, a pathological
pattern that blocks nobody, and the body contract and idempotency keys through
the Python client."""

import shlex
import subprocess
import threading
import time
from collections import Counter

import pytest
import requests
from apie2e import db_connect, make_api_key, new_user, remove_api_key
from live_messaging_client import ApiError, Client, unescape_body
from livee2e import Server, free_port, stop, wait_http

API = "/live/api/v1"


@pytest.fixture(scope="module")
def prefork(request, server):
    """A second Odoo on the same database, as production runs it: two HTTP
    worker processes (and the gevent one), on ports of its own."""
    config = request.config
    log = config.getoption("--server-log")
    port = free_port()
    args = shlex.split(config.getoption("--server-cmd")) + [
        "-c",
        config.getoption("--server-config"),
        "-d",
        config.getoption("--server-db"),
        "--http-interface=127.0.0.1",
        f"--http-port={port}",
        f"--gevent-port={free_port()}",
        "--workers=2",
        "--max-cron-threads=0",
        f"--logfile={log + '.prefork' if log else '/dev/null'}",
    ]
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL)
    try:
        wait_http(f"{url}/web/health", proc, log and log + ".prefork")
        yield url
    finally:
        stop(proc)


@pytest.fixture
def params(server, admin):
    """Set system parameters for one test; the previous values come back."""
    saved = {}

    def set_param(name, value):
        if name not in saved:
            saved[name] = server.call(admin, "ir.config_parameter", "get_param", name)
        server.call(admin, "ir.config_parameter", "set_param", name, value)

    yield set_param
    for name, value in saved.items():
        server.call(admin, "ir.config_parameter", "set_param", name, value or False)


@pytest.fixture
def database(request):
    connection = db_connect(
        request.config.getoption("--server-config"),
        request.config.getoption("--server-db"),
    )
    yield connection
    connection.close()


def fresh_key(server, admin, name):
    return make_api_key(server, new_user(server, admin, "e2e", name)[1]).key


def in_parallel(count, func):
    """``func(index)`` in ``count`` threads released together; the results."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index):
        barrier.wait(timeout=30)
        results[index] = func(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_api_rate_limit_holds_across_processes(server, prefork, admin, params):
    """Three processes (the threaded server, two workers of the other) share
    one budget per key: 10 at once, then nothing (1 a minute)."""
    key = fresh_key(server, admin, "rate")
    params("live_messaging.api_rate_limit", "1")
    params("live_messaging.api_rate_burst", "10")
    urls = [server.url, prefork, prefork]

    def calls(index):
        answers = []
        with requests.Session() as http:
            for round_ in range(5):
                response = http.get(
                    f"{urls[(index + round_) % 3]}{API}/me",
                    headers={"Authorization": f"Bearer {key}"},
                    timeout=60,
                )
                answers.append((response.status_code, response.headers))
        return answers

    answers = [a for batch in in_parallel(8, calls) for a in batch]
    statuses = Counter(status for status, _headers in answers)
    assert statuses == {200: 10, 429: 30}, statuses
    for status, headers in answers:
        if status == 429:
            assert int(headers["Retry-After"]) >= 1


def test_a_removed_key_is_refused_by_every_process(server, prefork, admin):
    """API key checks are cached per process: a key removed through one server
    is refused at once by all three processes (the threaded server and both
    workers of the other), whichever served it before and whichever removed
    it."""
    servers = {"threaded": server, "prefork": Server(prefork, server.db)}
    for remover in ("threaded", "prefork"):
        _uid, login = new_user(server, admin, "e2e_revoke", remover)
        http = make_api_key(servers[remover], login)
        headers = {"Authorization": f"Bearer {http.key}"}

        def me(url, headers=headers):
            return requests.get(f"{url}{API}/me", headers=headers, timeout=60)

        # every process has checked (and cached) the key
        for url in (server.url, prefork):
            for _round in range(12):
                assert me(url).status_code == 200
        remove_api_key(servers[remover], http)
        statuses = Counter(
            me(url).status_code for url in [prefork] * 30 + [server.url] * 10
        )
        assert statuses == {401: 40}, (remover, statuses)


def test_support_join_limit_is_atomic(server, prefork, params, database):
    """20 parallel joins from one address, on two servers: exactly the 5 the
    limit allows get in, whoever counts."""
    params("live_messaging.support_join_rate_limit", "5")
    params("live_messaging.public_rate_limit", "0")
    with database.cursor() as cr:
        cr.execute("DELETE FROM live_rate_limit WHERE key LIKE 'support_join:%'")
    urls = [server.url, prefork]

    def join(index):
        response = requests.post(
            f"{urls[index % 2]}{API}/support/join",
            json={"name": f"Parallel {index}"},
            timeout=120,
        )
        return response.status_code, response.headers.get("Retry-After")

    answers = in_parallel(20, join)
    statuses = Counter(status for status, _retry in answers)
    assert statuses == {201: 5, 429: 15}, answers
    assert all(int(retry) >= 1 for status, retry in answers if status == 429)


def test_visitor_typing_is_limited(server, prefork, params):
    """The visitor routes are limited too: a flood of typing events from one
    chat gets only the burst through (each one is a bus notification)."""
    params("live_messaging.public_rate_limit", "0")
    params("live_messaging.support_join_rate_limit", "0")
    params("live_messaging.support_typing_rate_limit", "8")  # bursts of 2
    joined = requests.post(
        f"{server.url}{API}/support/join", json={"name": "Typist"}, timeout=30
    ).json()
    urls = [server.url, prefork]

    def typing(index):
        return requests.post(
            f"{urls[index % 2]}{API}/support/typing",
            json={"token": joined["token"], "is_typing": True},
            timeout=60,
        ).status_code

    assert Counter(in_parallel(30, typing)) == {200: 2, 429: 28}
    # and per address, on every public route
    params("live_messaging.public_rate_limit", "10")
    statuses = [
        requests.post(
            f"{urls[index % 2]}{API}/support/heartbeat",
            json={"token": joined["token"]},
            timeout=30,
        ).status_code
        for index in range(14)
    ]
    assert statuses.count(429) >= 3, statuses


def test_a_pathological_pattern_blocks_nobody(server, admin):
    """`^(a+)+$` against a long string took 12 s at 28 characters (and
    doubled with each one), blocking other requests: matched by RE2 now."""
    key = fresh_key(server, admin, "pattern")
    name = f"e2e/pattern/{time.time_ns()}"
    server.call(
        admin,
        "live.topic",
        "create",
        {
            "name": name,
            "publish_access": "users",
            "json_schema": '{"properties": {"code": {"pattern": "^(a+)+$"}}}',
        },
    )
    headers = {"Authorization": f"Bearer {key}"}
    evil = {"code": "a" * 12000 + "!"}  # under the 16 KiB body limit
    other_times = []

    def publish(_index):
        started = time.monotonic()
        response = requests.post(
            f"{server.url}{API}/topics/{name}/publish",
            json=evil,
            headers=headers,
            timeout=30,
        )
        return response.status_code, response.json(), time.monotonic() - started

    def others():
        for _round in range(5):
            started = time.monotonic()
            response = requests.get(
                f"{server.url}{API}/me", headers=headers, timeout=30
            )
            assert response.status_code == 200
            other_times.append(time.monotonic() - started)

    thread = threading.Thread(target=others)
    thread.start()
    results = in_parallel(3, publish)
    thread.join(timeout=60)
    for status, body, elapsed in results:
        assert status == 422, body
        assert body["error"]["code"] == "schema_mismatch"
        assert body["error"]["path"] == "/code"
        assert elapsed < 10, elapsed
    assert len(other_times) == 5
    assert max(other_times) < 10, other_times


def test_body_contract_and_idempotency_with_the_python_client(server, admin):
    key = fresh_key(server, admin, "client")
    client = Client(server.url, key)
    room = client.create_room("E2E contract")
    typed = "a<b, <3 & &lt;tag&gt; <img src=x onerror=alert(1)"
    posted = client.post(room["id"], typed, client_id="contract-1")
    assert posted["body"] == (
        "a&lt;b, &lt;3 &amp; &amp;lt;tag&amp;gt; &lt;img src=x onerror=alert(1)"
    )
    [message] = [m for m in client.iter_history(room["id"]) if m["kind"] == "chat"]
    assert unescape_body(message["body"]) == typed
    # the same key again: the first message; with another body: a visible bug
    assert client.post(room["id"], typed, client_id="contract-1")["id"] == posted["id"]
    with pytest.raises(ApiError) as caught:
        client.post(room["id"], typed + "!", client_id="contract-1")
    assert (caught.value.status, caught.value.code) == (409, "idempotency_mismatch")
