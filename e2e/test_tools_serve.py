"""``tools/serve`` on a fresh machine: Odoo 18.0 installed with its own
requirements and nothing else (a virtualenv that does not see the packages
these tests hide, tools/venvs.py), on a copy of the test database.

- the addon's runtime requirements (``requirements.txt``: jsonschema) are
  installed when missing, or one line says what to run;
- ``--workers 2`` runs Odoo as in production (HTTP workers, and the gevent
  worker that serves websockets on its own port), with the listen backlog
  the addon widens. Odoo 18's gevent pin does not
  start with setuptools 65 (Python 3.11's) nor with setuptools >= 82: tools/serve
  installs one that works, or one line says what to run.
"""

import ast
import contextlib
import re
import socket
import subprocess
import time

from livee2e import (
    WS_VERSION,
    Server,
    free_port,
    receive_first,
    stop,
    wait_http,
)

MESSAGE = "live_messaging/message"
NO_INDEX = {"PIP_NO_INDEX": "1"}


def installed(python, name):
    return subprocess.run(
        [
            str(python),
            "-c",
            f"import importlib.metadata as m; print(m.version({name!r}))",
        ],
        capture_output=True,
        text=True,
    ).stdout.strip()


def handshakes(port, count):
    """How many of ``count`` connections opened at once to ``port`` complete
    their handshake within a second, none sending anything."""
    done = 0
    with contextlib.ExitStack() as stack:
        for _i in range(count):
            client = stack.enter_context(socket.socket())
            client.settimeout(1)
            with contextlib.suppress(OSError):
                client.connect(("127.0.0.1", port))
                done += 1
    return done


def test_serve_workers_on_a_fresh_machine(tools, tmp_path):
    """No jsonschema, and the setuptools of Python 3.11 (65): the reported
    failures. tools/serve installs what is missing, and a websocket on the
    gevent port gets a message posted through the HTTP workers, live."""
    python = tools.venv("fresh", hide=["jsonschema", "setuptools"])
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "setuptools==65.5.0"],
        check=True,
    )
    db = tools.copy_db("workers")
    port, gevent_port = free_port(), free_port()
    log = tmp_path / "serve.log"
    proc = tools.serve(
        "--db",
        db,
        "--interface",
        "127.0.0.1",
        "--port",
        port,
        "--gevent-port",
        gevent_port,
        "--workers",
        2,
        python=python,
        log=log,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/web/health", proc, log)
        wait_http(f"http://127.0.0.1:{gevent_port}/websocket/health", proc, log)
        # the addon widens the prefork server's listen backlog (Odoo's own:
        # 8 x workers = 16): forty clients at once all get a connection
        assert handshakes(port, 40) == 40
        server = Server(url, db)
        server.ws_url = f"ws://127.0.0.1:{gevent_port}/websocket?version={WS_VERSION}"
        demo = server.session("demo", "demo")
        admin = server.session("admin", "admin")
        room_id = server.call(admin, "live.room", "live_get_direct_room", demo.uid)
        ws = server.websocket(demo)
        time.sleep(0.5)  # let the subscription land
        sent = server.call(
            admin, "live.room", "live_post_message", [room_id], "Over the gevent port"
        )
        notif, _elapsed = receive_first(ws, MESSAGE, timeout=10)
        ws.close()
        assert notif["message"]["payload"]["id"] == sent["id"]
        assert notif["message"]["payload"]["body"] == "Over the gevent port"
    finally:
        stop(proc)
    output = log.read_text()
    assert "installing the addon's Python requirements: jsonschema" in output, output
    assert "installing setuptools>=70,<82" in output, output
    assert f"websockets on port {gevent_port}" in output, output[-3000:]
    assert installed(python, "jsonschema")
    assert 70 <= int(installed(python, "setuptools").split(".")[0]) < 82


def run_serve(tools, python, *args):
    return subprocess.run(
        [str(tools.lmdev.ROOT / "tools" / "serve"), *tools.args, *map(str, args)],
        env=tools.env(python, **NO_INDEX),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_serve_says_what_to_run_when_requirements_cannot_be_installed(tools):
    python = tools.venv("offline", hide=["jsonschema"])
    result = run_serve(tools, python, "--db", tools.template, "--port", free_port())
    assert result.returncode == 2, result.stdout + result.stderr
    [error] = [line for line in result.stderr.splitlines() if "ERROR" in line]
    assert "jsonschema" in error
    assert "-m pip install -r" in error and "requirements.txt" in error
    assert "External dependency" not in result.stdout + result.stderr


def test_serve_workers_says_what_to_run_when_gevent_cannot_start(tools):
    python = tools.venv("no-setuptools", hide=["setuptools"])
    result = run_serve(
        tools,
        python,
        "--db",
        tools.template,
        "--port",
        free_port(),
        "--gevent-port",
        free_port(),
        "--workers",
        "2",
    )
    assert result.returncode == 2, result.stdout + result.stderr
    [error] = [line for line in result.stderr.splitlines() if "ERROR" in line]
    assert "pkg_resources" in error
    assert "pip install 'setuptools>=70,<82'" in error


def test_requirements_match_the_manifest(tools):
    """The runtime requirements are declared once: requirements.txt names the
    packages of the manifest's external_dependencies, no more, no less."""
    root = tools.lmdev.ROOT
    manifest = ast.literal_eval((root / "__manifest__.py").read_text())
    declared = {
        re.split(r"[<>=!~; \[]", line, maxsplit=1)[0].lower()
        for line in tools.lmdev.requirement_lines(root / "requirements.txt")
    }
    assert declared == {
        name.lower() for name in manifest["external_dependencies"]["python"]
    }
