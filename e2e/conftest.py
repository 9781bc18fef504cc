"""End-to-end tests against a real Odoo server process.

tools/test copies the freshly installed test database (and its filestore) to a
database of its own, then runs these tests with plain pytest: pytest-odoo runs
everything inside one process, in test cursors that never commit, whereas the
point here is the real path (commits, PostgreSQL NOTIFY, the bus dispatcher
thread, real sockets). The server is started once per session on a free loopback
port.
"""

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest
from livee2e import Server, free_port, stop, wait_http

ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser):
    group = parser.getgroup("live_messaging e2e")
    group.addoption("--server-cmd", help="command starting Odoo (odoo-bin)")
    group.addoption("--server-config", help="Odoo configuration file")
    group.addoption("--server-db", help="database the server serves")
    group.addoption("--server-log", help="server log file")
    group.addoption(
        "--template-db",
        help="installed test database, copied by the tests that run tools/serve",
    )
    group.addoption(
        "--tools-args",
        default="",
        help="options given to tools/serve and tools/lmdev.py (--odoo, --db-host...)",
    )


@pytest.fixture(scope="session")
def server(request):
    cmd = request.config.getoption("--server-cmd")
    config = request.config.getoption("--server-config")
    db = request.config.getoption("--server-db")
    if not (cmd and config and db):
        pytest.fail(
            "run through tools/test (needs --server-cmd/--server-config/--server-db)"
        )
    port = free_port()
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
        wait_http(f"{url}/web/health", proc, None if log == "/dev/null" else log)
        yield Server(url, db, pid=proc.pid)
    finally:
        stop(proc)


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


class Tools:
    """The repository's scripts (``tools/serve``, ``tools/lmdev.py``), run as a
    user runs them, on copies of the installed test database."""

    def __init__(self, template, args, tmp):
        sys.path.insert(0, str(ROOT / "tools"))
        import lmdev  # noqa: PLC0415 - the scripts' own module

        self.lmdev = lmdev
        self.template = template
        self.args = shlex.split(args)
        self.opts = lmdev.parser().parse_args(["serve", *self.args])
        self.odoo = lmdev.Odoo(self.opts.odoo)
        self.tmp = tmp
        self.copies = []

    def copy_db(self, suffix):
        """A fresh copy of the test database (and its filestore)."""
        target = f"{self.template}_{suffix}"
        self.lmdev.copy_db(self.odoo, self.opts, self.template, target)
        self.copies.append(target)
        return target

    def drop_copies(self):
        for db in self.copies:
            self.lmdev.drop_db(self.odoo, self.opts, db)

    def venv(self, name, hide):
        """A virtualenv seeing this machine's packages but ``hide`` (see
        tools/venvs.py): a machine where they were never installed."""
        import venvs  # noqa: PLC0415 - beside lmdev

        return venvs.shadow_venv(self.tmp / name, hide)

    def args_for_odoo(self):
        """The PostgreSQL options of ``--tools-args``, as odoo-bin takes them."""
        return [
            f"--db_{key}={getattr(self.opts, f'db_{key}')}"
            for key in ("host", "port", "user", "password")
            if getattr(self.opts, f"db_{key}")
        ]

    def env(self, python=None, **extra):
        """The environment of a script run with ``python`` (a venv's) as its
        ``python3``."""
        env = dict(self.odoo.env, **extra)
        if python:
            env["PATH"] = f"{Path(python).parent}{os.pathsep}{env['PATH']}"
            env.pop("PYTHONHOME", None)
        return env

    def serve(self, *args, python=None, env=None, log=None):
        """``tools/serve ARGS`` as a process (stopped by the caller), run by
        ``python`` (default: this machine's python3)."""
        out = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115
        return subprocess.Popen(
            [str(ROOT / "tools" / "serve"), *self.args, *map(str, args)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env or self.env(python),
            cwd=ROOT,
        )


@pytest.fixture(scope="session")
def tools(request, tmp_path_factory):
    template = request.config.getoption("--template-db")
    if not template:
        pytest.fail("run through tools/test (needs --template-db)")
    tools = Tools(
        template,
        request.config.getoption("--tools-args"),
        tmp_path_factory.mktemp("tools"),
    )
    yield tools
    tools.drop_copies()
