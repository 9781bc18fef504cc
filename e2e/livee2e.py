"""Helpers of the end-to-end tests: a running server, real HTTP and websocket
clients (requests, websocket-client)."""

import json
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests
import websocket

WS_VERSION = "18.0-2"


class Server:
    def __init__(self, url, db, pid=None):
        self.url = url
        self.db = db
        self.pid = pid  # of the odoo-bin process (threaded: the only one)
        self.ws_url = (
            url.replace("http://", "ws://") + f"/websocket?version={WS_VERSION}"
        )

    def session(self, login, password=None):
        """A logged-in ``requests`` session (cookie ``session_id``)."""
        http = requests.Session()
        response = http.post(
            f"{self.url}/web/session/authenticate",
            json={
                "jsonrpc": "2.0",
                "params": {
                    "db": self.db,
                    "login": login,
                    "password": password or login,
                },
            },
            timeout=30,
        )
        response.raise_for_status()
        body = response.json()
        assert "error" not in body, body
        http.uid = body["result"]["uid"]
        return http

    def call(self, http, model, method, *args, **kwargs):
        """``model.method(*args, **kwargs)`` through JSON-RPC, committed on return."""
        response = http.post(
            f"{self.url}/web/dataset/call_kw/{model}/{method}",
            json={
                "jsonrpc": "2.0",
                "params": {
                    "model": model,
                    "method": method,
                    "args": list(args),
                    "kwargs": kwargs,
                },
            },
            timeout=30,
        )
        response.raise_for_status()
        body = response.json()
        if "error" in body:
            raise RuntimeError(body["error"]["data"]["message"])
        return body["result"]

    def websocket(self, http=None, channels=(), last=0, timeout=5):
        """A websocket-client connection, subscribed; ``http`` gives its cookie."""
        cookie = f"session_id={http.cookies['session_id']}" if http else None
        ws = websocket.create_connection(self.ws_url, cookie=cookie, timeout=timeout)
        ws.send(
            json.dumps(
                {
                    "event_name": "subscribe",
                    "data": {"channels": list(channels), "last": last},
                }
            )
        )
        return ws


def frames(ws, timeout):
    """Yield the notification lists ``ws`` receives within ``timeout`` seconds;
    control frames are skipped, a close frame fails."""
    deadline = time.monotonic() + timeout
    while (remaining := deadline - time.monotonic()) > 0:
        ws.settimeout(remaining)
        try:
            opcode, data = ws.recv_data()
        except websocket.WebSocketTimeoutException:
            return
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            raise AssertionError(f"socket closed by the server: {data!r}")
        if opcode == websocket.ABNF.OPCODE_TEXT:
            yield json.loads(data)


def receive(ws, timeout, notification_type=None):
    """Notifications received within ``timeout`` seconds."""
    got = [notif for batch in frames(ws, timeout) for notif in batch]
    if notification_type:
        got = [n for n in got if n["message"]["type"] == notification_type]
    return got


def receive_first(ws, notification_type, timeout):
    """(notification, seconds) for the first one of that type, or fail."""
    started = time.monotonic()
    for batch in frames(ws, timeout):
        for notif in batch:
            if notif["message"]["type"] == notification_type:
                return notif, time.monotonic() - started
    raise AssertionError(f"no {notification_type} within {timeout}s")


def free_port():
    """A free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(proc, timeout=30):
    """Stop a server process started by a test, and wait for it."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def wait_http(url, proc, log, timeout=120):
    """Wait until ``url`` answers 200; fail if ``proc`` exits first."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            tail = Path(log).read_text()[-3000:] if log else ""
            pytest.fail(f"the server exited with {proc.returncode}:\n{tail}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"{url} did not answer within {timeout} s; see {log}")
        time.sleep(0.5)
