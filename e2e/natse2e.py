"""Helpers of the NATS bridge's end-to-end tests: a nats-server of the tests'
own (its own port and store, stopped and started again at will, never the
machine's shared one), Odoo nodes that run the bridge (cron threads on), and
JetStream reads from the outside.

nats-py is imported inside the functions: without it only these tests fail,
with a message naming the package."""

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

NATS_SERVER_PATHS = ("nats-server", "/usr/sbin/nats-server", "/usr/bin/nats-server")


def nats():
    try:
        import nats as nats_py  # noqa: PLC0415 - optional, see the docstring
        import nats.js.errors  # noqa: F401, PLC0415
    except ImportError:
        pytest.fail("These tests need the Python package nats-py (pip install nats-py)")
    return nats_py


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout, what, period=0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s (last: {value!r})")
        time.sleep(period)


class NatsServer:
    """``nats-server -js`` on a free loopback port, with a store of its own."""

    def __init__(self, store):
        binary = next(filter(None, map(shutil.which, NATS_SERVER_PATHS)), None)
        if not binary:
            pytest.fail(
                "nats-server is not installed (Debian: apt-get install nats-server; "
                ".ci/run installs it)"
            )
        self.binary = binary
        self.store = Path(store)
        self.port = free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [
                self.binary,
                "-a",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-js",
                "-sd",
                str(self.store),
                "-l",
                str(self.store / "nats-server.log"),
            ],
            stdin=subprocess.DEVNULL,
        )

        def up():
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.5).close()
                return True
            except OSError:
                return False

        wait_until(up, 20, f"nats-server on port {self.port}")
        # JetStream answers a little after the port opens
        wait_until(lambda: self._jetstream_ready(), 20, "JetStream of the test server")

    def _jetstream_ready(self):
        try:
            js_call(self.url, lambda js: js.account_info())
            return True
        except Exception:  # noqa: BLE001 - not ready yet
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def js_call(url, fn, timeout=15):
    """``await fn(js)`` on a fresh connection to ``url``."""
    nats_py = nats()

    async def main():
        nc = await nats_py.connect(
            servers=[url], allow_reconnect=False, connect_timeout=2
        )
        try:
            return await fn(nc.jetstream())
        finally:
            await nc.close()

    return asyncio.run(asyncio.wait_for(main(), timeout))


def add_stream(url, name, subjects, duplicate_window=120.0):
    api = nats().js.api

    async def fn(js):
        await js.add_stream(
            name=name,
            subjects=subjects,
            storage=api.StorageType.FILE,
            duplicate_window=duplicate_window,
        )

    js_call(url, fn)


def stream_messages(url, stream):
    """Every message of ``stream``: ``[(subject, headers, data)]``."""
    nats_py = nats()

    async def fn(js):
        info = await js.stream_info(stream)
        found = []
        if info.state.messages:
            for seq in range(info.state.first_seq, info.state.last_seq + 1):
                try:
                    message = await js.get_msg(stream, seq)
                except nats_py.js.errors.NotFoundError:
                    continue
                found.append((message.subject, message.headers or {}, message.data))
        return found

    return js_call(url, fn, timeout=60)


def stream_count(url, stream):
    async def fn(js):
        return (await js.stream_info(stream)).state.messages

    return js_call(url, fn)


def publish(url, subject, bodies):
    async def fn(js):
        for body in bodies:
            await js.publish(subject, body)

    js_call(url, fn)


def consumer_pending(url, stream, consumer):
    async def fn(js):
        info = await js.consumer_info(stream, consumer)
        return info.num_pending, info.num_ack_pending

    return js_call(url, fn)


class OdooNode:
    """A real Odoo server on the e2e database that runs the bridge: threaded,
    one cron thread, started and stopped (or killed) by the test."""

    def __init__(self, request, name):
        cmd = request.config.getoption("--server-cmd")
        self.config = request.config.getoption("--server-config")
        self.db = request.config.getoption("--server-db")
        log = request.config.getoption("--server-log")
        self.log = (
            str(Path(log).with_name(f"e2e-nats-{name}.log")) if log else "/dev/null"
        )
        self.cmd = cmd
        self.name = name
        self.proc = None
        self.port = None
        self.url = None

    def start(self):
        import shlex

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = shlex.split(self.cmd) + [
            "-c",
            self.config,
            "-d",
            self.db,
            "--http-interface=127.0.0.1",
            f"--http-port={self.port}",
            "--max-cron-threads=1",
            "--workers=0",
            f"--logfile={self.log}",
        ]
        self.proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, env=dict(os.environ, TZ="UTC")
        )

        def healthy():
            if self.proc.poll() is not None:
                raise AssertionError(f"Odoo node {self.name} exited; see {self.log}")
            try:
                return requests.get(f"{self.url}/web/health", timeout=2).ok
            except requests.RequestException:
                return False

        wait_until(healthy, 120, f"Odoo node {self.name}", period=0.5)

    @property
    def worker_name(self):
        return f"{socket.gethostname()}:{self.proc.pid}"

    def stop(self, kill=False):
        if not self.proc or self.proc.poll() is not None:
            return
        if kill:
            self.proc.kill()
        else:
            self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
