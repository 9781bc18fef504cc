"""End-to-end tests against a real Odoo server process.

tools/test copies the freshly installed test database (and its filestore) to a
database of its own, then runs these tests with plain pytest: pytest-odoo runs
everything inside one process, in test cursors that never commit, whereas the
point here is the real path (commits, PostgreSQL NOTIFY, the bus dispatcher
thread, real sockets). The server is started once per session on a free loopback
port.
"""

import shlex
import socket
import subprocess
import time

import pytest
import requests
from livee2e import Server


def pytest_addoption(parser):
    group = parser.getgroup("live_messaging e2e")
    group.addoption("--server-cmd", help="command starting Odoo (odoo-bin)")
    group.addoption("--server-config", help="Odoo configuration file")
    group.addoption("--server-db", help="database the server serves")
    group.addoption("--server-log", help="server log file")


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def server(request):
    cmd = request.config.getoption("--server-cmd")
    config = request.config.getoption("--server-config")
    db = request.config.getoption("--server-db")
    if not (cmd and config and db):
        pytest.fail(
            "run through tools/test (needs --server-cmd/--server-config/--server-db)"
        )
    port = _free_port()
    log = request.config.getoption("--server-log") or "/dev/null"
    args = shlex.split(cmd) + [
        "-c",
        config,
        "-d",
        db,
        "--http-interface=127.0.0.1",
        f"--http-port={port}",
        "--max-cron-threads=0",
        "--workers=0",
        f"--logfile={log}",
    ]
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"Odoo exited with {proc.returncode}; see {log}")
            try:
                if requests.get(f"{url}/web/health", timeout=2).ok:
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"Odoo did not answer on {url} within 120 s; see {log}")
            time.sleep(0.5)
        yield Server(url, db, pid=proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def admin(server):
    return server.session("admin", "admin")


@pytest.fixture(scope="session")
def e2e_users(server, admin):
    """Three fresh internal users (password = login), created through RPC."""
    stamp = str(int(time.time() * 1000))
    users = {}
    for name in ("ana", "ben", "cid"):
        login = f"e2e_{name}_{stamp}"
        uid = server.call(
            admin,
            "res.users",
            "create",
            {"name": f"E2E {name.title()}", "login": login, "password": login},
        )
        users[name] = (uid, login)
    return users
