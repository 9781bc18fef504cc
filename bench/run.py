#!/usr/bin/env python3
"""Benchmarks of live_messaging, measured against Odoo Discuss, on one node and two.

    python3 bench/run.py --smoke   # seconds, tiny sizes (run by tools/test)
    python3 bench/run.py --full    # the issue's sizes; writes bench/RESULTS.md
    python3 bench/run.py --full --only latency,discuss

Odoo is located as tools/serve does (see tools/lmdev.py). The runner copies a
template database with the addon and its demo data installed (made once, on
first use), writes Odoo configurations under .run/bench/, and starts Odoo as in
production: ``--workers 2`` for HTTP and the gevent worker for websockets, on
loopback ports from ``--base-port`` (node A: http, gevent; node B: http+2,
gevent+3; the reverse proxy of tools/nginx/ in front of node A on base+4, for
the publishing scenario). Publishers post through the REST API (API keys),
subscribers are websockets on the gevent port; every message carries
``bench <seq> <time sent>`` and each receiver computes its latency. Servers are
always stopped at the end.

Scenarios (``--only``): latency, throughput, connections, history, discuss,
nodes, sale, dispatcher, publishing. Smoke mode writes .run/bench/smoke.md, never
bench/RESULTS.md; ``--full --only publishing`` rewrites its own section of
bench/RESULTS.md (the others go to .run/bench/full-only.md).
"""

import argparse
import json
import multiprocessing
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import psutil
import requests

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT / "tools"))

import fanout  # noqa: E402
import lmdev  # noqa: E402
import publish  # noqa: E402
import report  # noqa: E402
import stats  # noqa: E402
import wsclient  # noqa: E402

RUN = lmdev.RUN / "bench"
SCENARIOS = (
    "latency",
    "throughput",
    "connections",
    "history",
    "discuss",
    "nodes",
    "sale",
    "dispatcher",
    "publishing",
)
SIZES = {
    "smoke": {
        "subscribers": [1, 3],
        "messages": 10,
        "tp_publishers": [1, 4],
        "tp_seconds": 2,
        "idle": 50,
        "idle_seconds": 3,
        "idle_open_timeout": 60,
        "history": 1000,
        "history_rounds": 5,
        "compare_subscribers": 3,
        "compare_messages": 10,
        "sale_rounds": 20,
        "holders": 1,
        "fanout_subscribers": [3],
        "fanout_messages": 5,
        "fanout_off_messages": 5,
        "pub_rounds": 20,
        "batch_messages": 400,
        "batch_size": 100,
        "batch_publishers": 2,
        "pub_publishers": 8,
        "pub_seconds": 2,
    },
    "full": {
        "subscribers": [1, 100, 1000],
        "messages": 200,
        "tp_publishers": [1, 50],
        "tp_seconds": 20,
        "idle": 10000,
        "idle_seconds": 30,
        "idle_open_timeout": 300,
        "history": 1_000_000,
        "history_rounds": 50,
        "compare_subscribers": 100,
        "compare_messages": 100,
        "sale_rounds": 500,
        "holders": 4,
        "fanout_subscribers": [100, 1000],
        "fanout_messages": 100,
        # Odoo's own path with 1,000 sockets: a few messages show it
        "fanout_off_messages": 10,
        # publishing (publish.py): issue 13's four measurements
        "pub_rounds": 200,
        "batch_messages": 20_000,
        "batch_size": 500,
        "batch_publishers": 2,
        "pub_publishers": 50,
        "pub_seconds": 20,
    },
}
# Odoo options of the benchmark's servers (besides ports and paths): the
# production layout, with pools kept small because PostgreSQL is shared
SERVER_OPTIONS = {
    "workers": "2",
    "max_cron_threads": "0",
    "db_maxconn": "16",
    "db_maxconn_gevent": "20",
    "limit_memory_soft_gevent": str(8 << 30),
    "limit_memory_hard_gevent": str(10 << 30),
    "limit_time_real": "600",
    "log_level": "warn",
    # one database, named by db_name (lmdev.write_config) and no dbfilter:
    # with a dbfilter too, Odoo lists the databases (a cursor on `postgres`)
    # at every request without a session cookie, i.e. every API request and
    # websocket handshake of an app
    "dbfilter": "",
    # behind the proxy (tools/nginx/), as in production; the scenarios that
    # talk to the ports directly send no X-Forwarded-* header: no change
    "proxy_mode": "True",
}


def say(message):
    print(f"[bench] {message}", flush=True)


# ----------------------------------------------------------------------
# Odoo servers
# ----------------------------------------------------------------------


class Node:
    """One Odoo server process (prefork: HTTP workers + the gevent worker)."""

    def __init__(self, bench, name, http_port, gevent_port):
        self.bench = bench
        self.name = name
        self.http_port = http_port
        self.gevent_port = gevent_port
        self.url = f"http://127.0.0.1:{http_port}"
        self.log = RUN / f"{name}.log"
        self.proc = None
        opts = SimpleNamespace(
            **vars(bench.db_opts), interface="127.0.0.1", gevent_port=gevent_port
        )
        opts.workers = SERVER_OPTIONS["workers"]
        self.conf = lmdev.write_config(
            bench.odoo,
            opts,
            f"bench/{name}",
            bench.db,
            http_port,
            extra=dict(SERVER_OPTIONS, logfile=str(self.log)),
        )

    def start(self):
        for port in (self.http_port, self.gevent_port):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    raise lmdev.Fatal(
                        f"port {port} is in use: pick another --base-port"
                    )
        self.log.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            self.bench.odoo.cmd + ["-c", str(self.conf), "-d", self.bench.db],
            env=self.bench.odoo.env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def wait_ready(self, timeout=180):
        deadline = time.monotonic() + timeout
        urls = [
            f"{self.url}/web/health",
            f"http://127.0.0.1:{self.gevent_port}/websocket/health",
        ]
        while urls:
            if self.proc.poll() is not None:
                raise lmdev.Fatal(f"{self.name} exited; see {self.log}")
            if time.monotonic() > deadline:
                raise lmdev.Fatal(f"{self.name} not ready in {timeout}s: {self.log}")
            try:
                if requests.get(urls[0], timeout=2).ok:
                    urls.pop(0)
                    continue
            except requests.RequestException:
                pass
            time.sleep(0.5)

    def gevent_process(self):
        for child in psutil.Process(self.proc.pid).children(recursive=True):
            try:
                if "gevent" in child.cmdline():
                    return child
            except psutil.NoSuchProcess:
                continue
        return None

    def stop(self):
        if not self.proc or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        # the gevent worker and HTTP workers are in the node's process group
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass


# ----------------------------------------------------------------------
# Clients: publishers (REST, JSON-RPC) and subscribers (websocket holders)
# ----------------------------------------------------------------------


def marker(seq):
    return f"bench {seq} {time.time():.6f}"


class LivePublisher:
    """Posts to a room through the REST API with an API key."""

    label = "live_messaging (REST → websocket)"

    def __init__(self, node, key, room_id):
        self.url = f"{node.url}/live/api/v1/rooms/{room_id}/messages"
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {key}"
        self.errors = {}  # status -> first answer

    def post(self, seq):
        response = self.http.post(self.url, json={"body": marker(seq)}, timeout=60)
        ok = response.status_code in (200, 201)
        if not ok:
            self.errors.setdefault(response.status_code, response.text[:300])
        return ok, response.status_code


class DiscussPublisher:
    """Posts in a Discuss channel as a logged-in user: ``message_post`` over
    JSON-RPC, as a script using Odoo's external API would."""

    label = "Discuss (message_post → websocket)"

    def __init__(self, node, session, channel_id):
        self.url = f"{node.url}/web/dataset/call_kw/discuss.channel/message_post"
        self.http = session
        self.channel_id = channel_id

    def post(self, seq):
        response = self.http.post(
            self.url,
            json={
                "jsonrpc": "2.0",
                "params": {
                    "model": "discuss.channel",
                    "method": "message_post",
                    "args": [self.channel_id],
                    "kwargs": {
                        "body": marker(seq),
                        "message_type": "comment",
                        "subtype_xmlid": "mail.mt_comment",
                    },
                },
            },
            timeout=60,
        )
        ok = response.ok and "error" not in response.json()
        return ok, response.status_code


def login(node, db, user):
    """A web session of ``user`` (password = login), as the web client has."""
    http = requests.Session()
    response = http.post(
        f"{node.url}/web/session/authenticate",
        json={"jsonrpc": "2.0", "params": {"db": db, "login": user, "password": user}},
        timeout=30,
    )
    response.raise_for_status()
    if "error" in response.json():
        raise lmdev.Fatal(f"login of {user} failed: {response.json()['error']}")
    return http


def live_socket_spec(node, key):
    return {
        "host": "127.0.0.1",
        "port": node.gevent_port,
        "path": "/live/api/v1/websocket",
        "headers": {"Authorization": f"Bearer {key}"},
        "channels": [],
    }


def discuss_socket_spec(node, session, channel_id):
    return {
        "host": "127.0.0.1",
        "port": node.gevent_port,
        "path": "/websocket?version=18.0-2",
        "headers": {"Cookie": f"session_id={session.cookies['session_id']}"},
        "channels": [f"discuss.channel_{channel_id}"],
    }


class Holders:
    """Client processes holding ``count`` subscribed websockets together."""

    def __init__(self, spec, count, processes=1, open_timeout=600):
        ctx = multiprocessing.get_context("fork")
        processes = max(1, min(processes, count))
        self.procs = []
        for index in range(processes):
            share = count // processes + (index < count % processes)
            commands, replies = ctx.Queue(), ctx.Queue()
            proc = ctx.Process(
                target=wsclient.hold,
                args=(spec, share, commands, replies),
                daemon=True,
            )
            proc.start()
            self.procs.append((proc, commands, replies))
        self.opened = [r.get(timeout=open_timeout) for _p, _c, r in self.procs]
        self.count = sum(o["opened"] for o in self.opened)
        self.failed = sum(o["failed"] for o in self.opened)
        self.retried = sum(o["retried"] for o in self.opened)
        errors = [e for o in self.opened for e in o["errors"]]
        if self.failed:
            say(f"  {self.failed} sockets failed to open, e.g. {errors[:2]}")

    def ask(self, command, timeout=120):
        for _proc, commands, _replies in self.procs:
            commands.put(command)
        return [replies.get(timeout=timeout) for _p, _c, replies in self.procs]

    def status(self):
        replies = self.ask("status")
        return {
            "alive": sum(r["alive"] for r in replies),
            "closed": [c for r in replies for c in r["closed"]],
            "received": [n for r in replies for n in r["received"]],
            "warm": sum(sum(r["warm"]) for r in replies),
        }

    def stop(self):
        try:
            replies = self.ask("stop")
        finally:
            for proc, _c, _r in self.procs:
                proc.join(timeout=30)
                if proc.is_alive():
                    proc.kill()
        received = [sock for r in replies for sock in r["received"]]
        closed = [c for r in replies for c in r["closed"]]
        return received, closed


def warm_up(holders, publisher, timeout=90):
    """Post warm-up messages until every socket got one (they are then surely
    subscribed), then forget them. Returns the number of warm sockets."""
    deadline = time.monotonic() + timeout
    seq = 0
    warm = 0
    while time.monotonic() < deadline:
        seq -= 1
        publisher.post(seq)
        pause = time.monotonic() + 0.5 + holders.count / 2000
        while time.monotonic() < pause:
            time.sleep(0.2)
            status = holders.status()
            warm = status["warm"]
            if warm >= status["alive"]:
                holders.ask("reset")
                return warm
    holders.ask("reset")
    return warm


def wait_delivered(holders, expected, timeout, period=0.2):
    """Wait until each live socket received ``expected`` messages (or
    ``timeout``); returns the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        status = holders.status()
        if all(n >= expected for n in status["received"]):
            break
        time.sleep(period)
    return time.monotonic() - started


def paced_latency(publisher, spec, subscribers, messages, interval, processes):
    """Publish ``messages`` one at a time to ``subscribers`` sockets, each
    once every socket got the previous one (then ``interval`` later): the
    latency of a message, not of a queue. Every delivery's latency, the POST
    round trips, and what was lost."""
    holders = Holders(spec, subscribers, processes)
    try:
        warm = warm_up(holders, publisher)
        rtts, refused = [], Counter()
        for seq in range(1, messages + 1):
            started = time.perf_counter()
            ok, status = publisher.post(seq)
            rtts.append(time.perf_counter() - started)
            if not ok:
                refused[status] += 1
            # bounded: a socket that never gets it must not stall the run
            wait_delivered(holders, seq, timeout=5, period=0.01)
            time.sleep(interval)
        wait_delivered(holders, messages, timeout=15 + subscribers / 50)
    finally:
        received, closed = holders.stop()
    latencies = [lat for sock in received for lat in sock.values()]
    expected = holders.count * messages
    return {
        "subscribers": holders.count,
        "failed_to_open": holders.failed,
        "handshakes_retried": holders.retried,
        "open_seconds": max(o["open_seconds"] for o in holders.opened),
        "warm": warm,
        "messages": messages,
        "interval_ms": interval * 1000,
        "latency": stats.summarize(latencies),
        "post_rtt": stats.summarize(rtts),
        "sequential_per_s": round(len(rtts) / sum(rtts), 1) if rtts else None,
        "refused": dict(refused),
        "lost": expected - len(latencies),
        "closed": dict(Counter(closed)),
        "_latencies": latencies,
    }


# ----------------------------------------------------------------------
# The benchmark
# ----------------------------------------------------------------------


class LoadSampler(threading.Thread):
    """Samples the 1-minute load average every few seconds."""

    def __init__(self):
        super().__init__(daemon=True)
        self.samples = []
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.wait(5):
            self.samples.append(os.getloadavg()[0])

    def summary(self):
        if not self.samples:
            return {"min": None, "mean": None, "max": None}
        return {
            "min": round(min(self.samples), 2),
            "mean": round(sum(self.samples) / len(self.samples), 2),
            "max": round(max(self.samples), 2),
        }


def odoo_shell(odoo, conf, db, module, function, params):
    """``<module>.<function>(env, params)`` (a module of bench/) run in
    ``odoo-bin shell`` on ``db``; its JSON result."""
    script = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(BENCH)!r})\n"
        f"import {module}\n"
        f"params = json.loads({json.dumps(params)!r})\n"
        f"result = {module}.{function}(env, params)\n"
        "print('BENCH_JSON=' + json.dumps(result))\n"
    )
    result = odoo.run(
        ["shell", "-c", str(conf), "-d", db, "--no-http"]
        + ["--log-level=warn", "--logfile="],
        input=script,
        capture_output=True,
        text=True,
    )
    for line in result.stdout.splitlines():
        if line.startswith("BENCH_JSON="):
            return json.loads(line[len("BENCH_JSON=") :])
    output = (result.stderr or result.stdout)[-3000:]
    raise lmdev.Fatal(f"{module}.{function} failed:\n{output}")


class Bench:
    def __init__(self, opts):
        self.opts = opts
        self.mode = "full" if opts.full else "smoke"
        self.size = dict(SIZES[self.mode])
        if opts.sockets:
            self.size["idle"] = opts.sockets
        self.odoo = lmdev.Odoo(opts.odoo)
        self.db = opts.db
        self.db_opts = SimpleNamespace(
            db_host=opts.db_host,
            db_port=opts.db_port,
            db_user=opts.db_user,
            db_password=opts.db_password,
        )
        self.nodes = []
        self.proxy = None
        self.data = {}
        self.results = {}
        self.scenarios = (
            [s.strip() for s in opts.only.split(",")] if opts.only else SCENARIOS
        )
        unknown = set(self.scenarios) - set(SCENARIOS) - {"profile"}
        if unknown:
            raise lmdev.Fatal(f"unknown scenarios: {', '.join(sorted(unknown))}")

    # -- database -------------------------------------------------------

    def prepare_db(self):
        lmdev.check_postgres(self.odoo, self.db_opts)
        RUN.mkdir(parents=True, exist_ok=True)
        template = self.opts.template
        if lmdev.module_state(self.odoo, self.db_opts, template) != "installed":
            say(f"making the template database {template} (addon + demo data)")
            opts = SimpleNamespace(
                **vars(self.db_opts), interface="127.0.0.1", gevent_port=0, workers=0
            )
            conf = lmdev.write_config(
                self.odoo,
                opts,
                "bench/install",
                template,
                0,
            )
            lmdev.drop_db(self.odoo, self.db_opts, template)
            lmdev.install(self.odoo, conf, template, log=str(RUN / "install.log"))
        say(f"database {self.db}: a copy of {template}")
        lmdev.copy_db(self.odoo, self.db_opts, template, self.db)

    def shell(self, function, params):
        """Run ``server_side.<function>(env, params)`` in ``odoo-bin shell``."""
        return odoo_shell(
            self.odoo, self.nodes[0].conf, self.db, "server_side", function, params
        )

    # -- run ------------------------------------------------------------

    def run(self):
        started = time.monotonic()
        # the servers inherit it (10,000 sockets)
        self.results["nofile"] = wsclient.raise_nofile()
        self.prepare_db()
        # the gevent worker must start (tools/serve --workers does the same)
        self.results["gevent_fix"] = lmdev.ensure_gevent(self.odoo)
        base = self.opts.base_port
        self.nodes = [Node(self, "node_a", base, base + 1)]
        if "nodes" in self.scenarios:
            self.nodes.append(Node(self, "node_b", base + 2, base + 3))
        say("setting up users, API keys, rooms, Discuss channel, history...")
        history = self.size["history"] if "history" in self.scenarios else 0
        t0 = time.monotonic()
        rooms = max(
            self.size["tp_publishers"]
            + [self.size["pub_publishers"], self.size["batch_publishers"]]
        )
        self.data = self.shell("setup", {"history": history, "rooms": rooms})
        self.results["setup_seconds"] = round(time.monotonic() - t0, 1)
        sampler = LoadSampler()
        sampler.start()
        self.results["load_before"] = [round(v, 2) for v in os.getloadavg()]
        try:
            for node in self.nodes:
                node.start()
            for node in self.nodes:
                node.wait_ready()
            say(f"servers ready: {', '.join(n.url for n in self.nodes)}")
            if "publishing" in self.scenarios:
                self.start_proxy()
            fanout.set_dispatcher(self, self.opts.dispatcher == "on")
            self.results["dispatcher_param"] = self.opts.dispatcher
            for name in self.scenarios:
                say(f"--- {name}")
                t0 = time.monotonic()
                self.results[name] = getattr(self, f"scenario_{name}")()
                say(f"--- {name}: {time.monotonic() - t0:.0f}s")
        finally:
            if self.proxy:
                self.proxy.stop()
            for node in self.nodes:
                node.stop()
            sampler.stopped.set()
            # also when interrupted: the report shows what was measured
            self.results["load_during"] = sampler.summary()
            self.results["load_after"] = [round(v, 2) for v in os.getloadavg()]
            self.results["seconds"] = round(time.monotonic() - started)
        if not self.opts.keep_db:
            lmdev.drop_db(self.odoo, self.db_opts, self.db)

    def start_proxy(self):
        """nginx with tools/nginx/live_messaging.conf in front of node A (the
        production layout), on the fifth port; None without nginx."""
        proxy = publish.Proxy(
            ROOT / "tools", RUN, self.nodes[0], self.opts.base_port + 4
        )
        try:
            started = proxy.start()
        except RuntimeError as exc:
            raise lmdev.Fatal(str(exc)) from exc
        if started:
            self.proxy = proxy
            say(f"proxy (nginx, tools/{publish.NGINX_EXAMPLE}): {proxy.url}")
        else:
            say("nginx not found: the publishing scenario talks to node A directly")

    # -- scenarios ------------------------------------------------------

    def live_publisher(self, node=None):
        return LivePublisher(
            node or self.nodes[0], self.data["keys"]["bench_pub"], self.data["room"]
        )

    def live_spec(self, node=None):
        return live_socket_spec(node or self.nodes[0], self.data["keys"]["bench_sub"])

    def latency_interval(self, subscribers):
        """Pause after a message reached every socket, before the next one."""
        return 0.02

    def api_floor(self, rounds):
        """Round trips of the cheapest authenticated API call (``GET /me``):
        Odoo's own cost of a request, below which no post can go."""
        http = self.live_publisher().http
        times = []
        for _i in range(rounds):
            t0 = time.perf_counter()
            http.get(f"{self.nodes[0].url}/live/api/v1/me", timeout=30)
            times.append(time.perf_counter() - t0)
        return stats.summarize(times)

    def scenario_latency(self):
        results = []
        for subscribers in self.size["subscribers"]:
            messages = self.size["messages"]
            if subscribers >= 1000:
                messages = max(10, messages // 10)
            say(f"  {subscribers} subscribers, {messages} messages")
            results.append(
                paced_latency(
                    self.live_publisher(),
                    self.live_spec(),
                    subscribers,
                    messages,
                    self.latency_interval(subscribers),
                    self.size["holders"],
                )
            )
            say(f"  -> {results[-1]['latency']} lost {results[-1]['lost']}")
        results[0]["api_floor"] = self.api_floor(self.size["messages"])
        say(f"  GET /me (Odoo's floor): {results[0]['api_floor']}")
        return results

    def scenario_throughput(self):
        seconds = self.size["tp_seconds"]
        runs = []
        for publishers in self.size["tp_publishers"]:
            runs.append(self.throughput(publishers, seconds, spread=False))
            if publishers > 1:
                runs.append(self.throughput(publishers, seconds, spread=True))
        return runs

    def throughput(self, publishers, seconds, spread):
        """``publishers`` threads post for ``seconds``: all to one room, or
        (``spread``) each to a room of its own; one socket receives them all."""
        rooms = self.data["rooms"][:publishers] if spread else [self.data["room"]]
        say(f"  {publishers} publishers, {len(rooms)} room(s), {seconds}s")
        holders = Holders(self.live_spec(), 1)
        accepted, refused = [], Counter()
        publishers_ = []
        lock = threading.Lock()
        try:
            warm_up(holders, self.live_publisher())
            stop_at = time.monotonic() + seconds

            def publish(index):
                publisher = LivePublisher(
                    self.nodes[0],
                    self.data["keys"]["bench_pub"],
                    rooms[(index - 1) % len(rooms)],
                )
                publishers_.append(publisher)
                seq = index * 10_000_000
                while time.monotonic() < stop_at:
                    seq += 1
                    try:
                        ok, status = publisher.post(seq)
                    except requests.RequestException as exc:
                        ok, status = False, type(exc).__name__
                    with lock:
                        if ok:
                            accepted.append(seq)
                        else:
                            refused[status] += 1

            elapsed = stats.run_threads(publish, publishers, first=1)
            drain = wait_delivered(holders, len(accepted), timeout=30)
        finally:
            received, closed = holders.stop()
        got = received[0] if received else {}
        delivered = set(got) & set(accepted)
        errors = {}
        for publisher in publishers_:
            for status, text in publisher.errors.items():
                errors.setdefault(str(status), text)
        result = {
            "publishers": publishers,
            "rooms": len(rooms),
            "errors": errors,
            "seconds": round(elapsed, 1),
            "accepted": len(accepted),
            "accepted_per_s": round(len(accepted) / elapsed, 1),
            "delivered": len(delivered),
            "delivered_per_s": round(len(delivered) / (elapsed + drain), 1),
            "drain_seconds": round(drain, 2),
            "lost": len(set(accepted) - delivered),
            "refused": {str(k): v for k, v in refused.items()},
            "closed": dict(Counter(closed)),
            "latency": stats.summarize(list(got.values())),
        }
        say(f"  -> {result}")
        return result

    def scenario_connections(self):
        count, seconds = self.size["idle"], self.size["idle_seconds"]
        node = self.nodes[0]
        gevent = node.gevent_process()
        # a few sockets first: the code and caches loaded on first use are
        # not the sockets' memory
        first = Holders(self.live_spec(), 20)
        try:
            warm_up(first, self.live_publisher())
        finally:
            first.stop()
        time.sleep(2)
        rss_before = gevent.memory_info().rss
        say(f"  opening {count} websockets on the gevent worker (pid {gevent.pid})")
        spec = dict(
            self.live_spec(),
            concurrency=3,
            open_timeout=self.size["idle_open_timeout"],
        )
        holders = Holders(spec, count, self.size["holders"] * 2)
        try:
            warm = warm_up(holders, self.live_publisher(), timeout=120)
            time.sleep(2)
            rss_open = gevent.memory_info().rss
            say(f"  {holders.count} open, {warm} warm; 1 message/s for {seconds}s")
            publisher = self.live_publisher()
            cpu_before = gevent.cpu_times()
            next_at = time.monotonic()
            rtts = []
            for seq in range(1, seconds + 1):
                t0 = time.perf_counter()
                publisher.post(seq)
                rtts.append(time.perf_counter() - t0)
                next_at += 1.0
                time.sleep(max(0.0, next_at - time.monotonic()))
            rss_flowing = gevent.memory_info().rss
            cpu = gevent.cpu_times()
            wait_delivered(holders, seconds, timeout=30)
            cpu_after = gevent.cpu_times()
            alive = holders.status()["alive"]
        finally:
            received, closed = holders.stop()
        latencies = [lat for sock in received for lat in sock.values()]
        per_conn = (rss_open - rss_before) / max(1, holders.count)
        result = {
            "target": count,
            "opened": holders.count,
            "failed_to_open": holders.failed,
            "handshakes_retried": holders.retried,
            "open_seconds": round(max(o["open_seconds"] for o in holders.opened), 1),
            "warm": warm,
            "alive_at_end": alive,
            "seconds": seconds,
            "rss_before_mb": round(rss_before / 2**20, 1),
            "rss_open_mb": round(rss_open / 2**20, 1),
            "rss_flowing_mb": round(rss_flowing / 2**20, 1),
            "kb_per_connection": round(per_conn / 1024, 1),
            "gevent_cpu_s": round(cpu.user + cpu.system, 1),
            # while the messages flowed: what the deliveries cost the worker
            "gevent_cpu_messages_s": round(sum(cpu_after[:2]) - sum(cpu_before[:2]), 2),
            "expected": holders.count * seconds,
            "delivered": len(latencies),
            "within_1s": sum(1 for lat in latencies if lat <= 1.0),
            "latency": stats.summarize(latencies),
            "post_rtt": stats.summarize(rtts),
            "closed": dict(Counter(closed)),
            "_latencies": latencies,
        }
        say(f"  -> {strip(result)}")
        return result

    def scenario_history(self):
        rounds = self.size["history_rounds"]
        sql = self.shell(
            "history_sql", {"room": self.data["history_room"], "rounds": rounds}
        )
        http = self.live_publisher().http
        base = f"{self.nodes[0].url}/live/api/v1/rooms/{self.data['history_room']}"
        api = {}
        for label, query in (
            ("newest", "limit=50"),
            ("deep", f"limit=50&before={sql['deep_before']}"),
        ):
            times = []
            for _i in range(rounds):
                t0 = time.perf_counter()
                response = http.get(f"{base}/messages?{query}", timeout=60)
                times.append(time.perf_counter() - t0)
                response.raise_for_status()
                if len(response.json()["messages"]) != 50:
                    raise lmdev.Fatal(f"history page {label}: not 50 messages")
            api[label] = stats.summarize(times)
        sql["api"] = api
        say(
            f"  -> SQL newest {sql['newest']['sql_ms_median']:.3f} ms, "
            f"deep {sql['deep']['sql_ms_median']:.3f} ms; API {api}"
        )
        return sql

    def scenario_discuss(self):
        node = self.nodes[0]
        subscribers = self.size["compare_subscribers"]
        messages = self.size["compare_messages"]
        interval = self.latency_interval(subscribers)
        say(f"  live_messaging: {subscribers} subscribers, {messages} messages")
        ours = paced_latency(
            self.live_publisher(),
            self.live_spec(),
            subscribers,
            messages,
            interval,
            self.size["holders"],
        )
        say(f"  -> {ours['latency']}")
        pub, sub = (login(node, self.db, user) for user in ("bench_pub", "bench_sub"))
        say(f"  Discuss: {subscribers} subscribers, {messages} messages")
        theirs = paced_latency(
            DiscussPublisher(node, pub, self.data["channel"]),
            discuss_socket_spec(node, sub, self.data["channel"]),
            subscribers,
            messages,
            interval,
            self.size["holders"],
        )
        say(f"  -> {theirs['latency']}")
        ratios = {
            key: stats.ratio(ours["latency"][key], theirs["latency"][key])
            for key in ("p50", "p95", "p99")
        }
        ratios["post_rtt_p50"] = stats.ratio(
            ours["post_rtt"]["p50"], theirs["post_rtt"]["p50"]
        )
        return {"ours": ours, "theirs": theirs, "ratio": ratios}

    def scenario_nodes(self):
        node_a, node_b = self.nodes
        # fewer than for Discuss: two gevent workers share the database pool
        subscribers = min(20, self.size["compare_subscribers"])
        messages = self.size["compare_messages"]
        interval = self.latency_interval(subscribers)
        runs = {}
        for label, receiver in (("same_node", node_a), ("other_node", node_b)):
            say(f"  post on {node_a.name}, {subscribers} sockets on {receiver.name}")
            runs[label] = paced_latency(
                self.live_publisher(node_a),
                self.live_spec(receiver),
                subscribers,
                messages,
                interval,
                self.size["holders"],
            )
            say(f"  -> {runs[label]['latency']} lost {runs[label]['lost']}")
        same, other = runs["same_node"]["latency"], runs["other_node"]["latency"]
        runs["added_ms"] = {
            key: None
            if same[key] is None or other[key] is None
            else round(other[key] - same[key], 2)
            for key in ("p50", "p95", "p99")
        }
        return runs

    def scenario_profile(self):
        """Where a post's time goes: py-spy samples node A (its HTTP workers
        and gevent worker) while one publisher posts back to back to a room
        with one subscriber. Only with ``--only profile``."""
        seconds = 20 if self.mode == "full" else 3
        node = self.nodes[0]
        out = RUN / "profile.txt"
        holders = Holders(self.live_spec(), 1)
        try:
            warm_up(holders, self.live_publisher())
            spy = subprocess.Popen(
                [
                    shutil.which("py-spy") or "py-spy",
                    "record",
                    "--format",
                    "raw",
                    "--subprocesses",
                    "--rate",
                    "250",
                    "--duration",
                    str(seconds),
                    "--output",
                    str(out),
                    "--pid",
                    str(node.proc.pid),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            publisher = self.live_publisher()
            rtts = []
            stop_at = time.monotonic() + seconds
            seq = 0
            while time.monotonic() < stop_at:
                seq += 1
                t0 = time.perf_counter()
                publisher.post(seq)
                rtts.append(time.perf_counter() - t0)
            spy.wait(timeout=60)
        finally:
            received, _closed = holders.stop()
        latencies = list(received[0].values()) if received else []
        return {
            "posts": len(rtts),
            "post_rtt": stats.summarize(rtts),
            "latency": stats.summarize(latencies),
            "top": stats.profile_top(out.read_text()) if out.exists() else [],
        }

    def scenario_dispatcher(self):
        """The live bus dispatcher on and off, against Discuss, in one run:
        for each size, each publisher (REST, Discuss's message_post, the bus
        row alone), with the dispatcher on then off (fanout.py)."""
        node = self.nodes[0]
        pub, sub = (login(node, self.db, user) for user in ("bench_pub", "bench_sub"))
        bus = fanout.BusPublisher(self, [self.db, "live.room", self.data["room"]])
        runs = []
        try:
            for subscribers in self.size["fanout_subscribers"]:
                for on in (True, False):
                    fanout.set_dispatcher(self, on)
                    variants = [
                        ("bus", bus, self.live_spec()),
                        ("rest", self.live_publisher(), self.live_spec()),
                    ]
                    if subscribers <= 100:
                        variants.append(
                            (
                                "discuss",
                                DiscussPublisher(node, pub, self.data["channel"]),
                                discuss_socket_spec(node, sub, self.data["channel"]),
                            )
                        )
                    messages = self.size["fanout_messages"]
                    if not on and subscribers > 100:
                        messages = self.size["fanout_off_messages"]
                        variants = variants[1:2]
                    for name, publisher, spec in variants:
                        say(
                            f"  {subscribers} sockets, {name}, dispatcher "
                            f"{'on' if on else 'off'}, {messages} messages"
                        )
                        run = paced_latency(
                            publisher,
                            spec,
                            subscribers,
                            messages,
                            self.latency_interval(subscribers),
                            self.size["holders"],
                        )
                        run.update(publisher=name, dispatcher=on, asked=subscribers)
                        runs.append(run)
                        say(
                            f"  -> {run['latency']} lost {run['lost']} "
                            f"closed {run['closed']}"
                        )
        finally:
            fanout.set_dispatcher(self, True)
            bus.close()
        return {"runs": runs}

    def scenario_publishing(self):
        """Issue 13's publishing targets, through the proxy (publish.py)."""
        target = self.proxy or self.nodes[0]
        return publish.Publishing(self, sys.modules[__name__], target).run()

    def scenario_sale(self):
        result = self.shell("sale_write", {"rounds": self.size["sale_rounds"]})
        say(f"  -> {result}")
        return result


def strip(value):
    """``value`` without the raw samples (keys starting with ``_``)."""
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if not str(k).startswith("_")}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--smoke", action="store_true", help="seconds, tiny sizes")
    mode.add_argument("--full", action="store_true", help="the issue's sizes")
    p.add_argument(
        "--only",
        help=f"comma-separated: {', '.join(SCENARIOS)}; or profile (py-spy)",
    )
    p.add_argument("--db", default="lm_bench", help="database (recreated)")
    p.add_argument(
        "--template",
        default="lm_bench_template",
        help="database with the addon installed, copied (made when missing)",
    )
    p.add_argument(
        "--base-port",
        type=int,
        default=8380,
        help="first of 5 ports (node A: http, gevent; node B: http, gevent; the proxy)",
    )
    p.add_argument("--keep-db", action="store_true", help="keep the database")
    p.add_argument(
        "--dispatcher",
        choices=("on", "off"),
        default="on",
        help="the live bus dispatcher for the scenarios (the dispatcher "
        "scenario compares both itself)",
    )
    p.add_argument(
        "--sockets",
        type=int,
        help="websockets of the connections scenario (default: 10,000 in "
        "--full): what a gevent worker can hold under this machine's open-files "
        "limit (3 descriptors per socket)",
    )
    p.add_argument("--odoo", help="Odoo 18.0 source tree (default: importable odoo)")
    for key in ("host", "port", "user", "password"):
        p.add_argument(f"--db-{key}", help=f"PostgreSQL {key}")
    return p.parse_args(argv)


def _terminated(signum, _frame):
    # raised in the main thread: the finally blocks stop the servers
    raise SystemExit(128 + signum)


def main(argv=None):
    opts = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminated)
    command = shlex.join(["python3", "bench/run.py", *(argv or sys.argv[1:])])
    bench = Bench(opts)
    interrupted = None
    try:
        bench.run()
    except lmdev.Fatal as exc:
        print(f"[bench] ERROR: {exc}", file=sys.stderr)
        return 2
    except (SystemExit, KeyboardInterrupt) as exc:
        if "load_during" not in bench.results:
            raise
        interrupted = exc
        say("interrupted: reporting what was measured")
    machine = report.machine(bench)
    (RUN / f"{bench.mode}.json").write_text(
        json.dumps(
            {"machine": machine, "command": command, "results": strip(bench.results)},
            indent=1,
        )
    )
    if bench.mode == "full" and not opts.only and not interrupted:
        path = BENCH / "RESULTS.md"
        report.write_full(path, bench, machine, command)
    elif bench.mode == "full" and bench.scenarios == ["publishing"]:
        path = BENCH / "RESULTS.md"
        report.write_publishing(path, bench, machine, command)
    elif bench.mode == "full":
        # one figure rerun: next to the others, never over them
        path = RUN / "full-only.md"
        report.write_full(path, bench, machine, command)
    else:
        path = RUN / "smoke.md"
        report.write_smoke(path, bench, machine, command)
    if interrupted:
        return 130
    problems = report.smoke_problems(bench.results)
    say(f"written {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    if problems:
        say("PROBLEMS: " + "; ".join(problems))
        return 1
    say("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
