"""Publishing through the production layout (scenario ``publishing`` of run.py).

Issue 13's four measurements, in one run, against one server (node A: two HTTP
workers and the gevent worker) reached through the reverse proxy of
``tools/nginx/live_messaging.conf`` (``Proxy``; the server's ports directly when
nginx is not installed, which the report says):

a. ``single``: N sequential posts against N ``GET /live/api/v1/me``,
   interleaved, p50/p99 and the ratio of the p50s (target: at most 1.5);
b. ``batched``: messages posted through ``POST /live/api/v1/batch`` and
   delivered to one websocket subscriber: messages/s from the first post to
   the last delivery, every one received (target: at least 5,000/s);
c. ``spread``: 50 concurrent single-post publishers over 50 rooms: messages/s,
   errors by kind (refused connections apart), every accepted message stored
   and delivered (target: at least 300/s, nothing lost, nothing refused);
d. ``one_room``: 50 concurrent publishers on one room: no 4xx/5xx, the room's
   ``seq`` gapless, throughput against one publisher's on the same room.
"""

import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections import Counter

import fanout
import psutil
import requests
import stats

NGINX_EXAMPLE = "nginx/live_messaging.conf"
MARK_RE = re.compile(r"bench (-?\d+) ")
NGINX_MAIN = """\
worker_processes 1;
{user}pid {run}/nginx.pid;
error_log {run}/error.log warn;
events {{
    worker_connections 4096;
}}
http {{
    access_log off;
    client_body_temp_path {run}/client_body;
    proxy_temp_path {run}/proxy;
    fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    include {run}/live_messaging.conf;
}}
"""


def say(message):
    print(f"[bench] {message}", flush=True)


class Proxy:
    """nginx running ``tools/nginx/live_messaging.conf`` in front of a node,
    on ``port``: the example's upstreams and ``listen`` replaced, nothing else."""

    def __init__(self, tools, run_dir, node, port):
        self.binary = shutil.which("nginx") or (
            "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None
        )
        self.run = run_dir / "nginx"
        self.port = port
        self.node = node
        self.url = f"http://127.0.0.1:{port}"
        self.http_port = port
        self.gevent_port = port
        self.proc = None
        self.example = tools / NGINX_EXAMPLE

    def render(self):
        text = self.example.read_text()
        text = text.replace("127.0.0.1:8069", f"127.0.0.1:{self.node.http_port}")
        text = text.replace("127.0.0.1:8072", f"127.0.0.1:{self.node.gevent_port}")
        text = text.replace("listen 80;", f"listen 127.0.0.1:{self.port};")
        return text

    def start(self):
        if not self.binary:
            return False
        self.run.mkdir(parents=True, exist_ok=True)
        (self.run / "live_messaging.conf").write_text(self.render())
        # as root, nginx's workers would run as nobody: keep them root here
        user = "user root;\n" if os.geteuid() == 0 else ""
        conf = self.run / "nginx.conf"
        conf.write_text(NGINX_MAIN.format(run=self.run, user=user))
        self.proc = subprocess.Popen(
            [
                self.binary,
                "-p",
                str(self.run),
                "-e",
                str(self.run / "error.log"),
                "-c",
                str(conf),
                "-g",
                "daemon off;",
            ],
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"nginx exited ({self.proc.returncode}); see {self.run}/error.log"
                )
            try:
                if requests.get(f"{self.url}/web/health", timeout=2).ok:
                    return True
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"nginx did not answer on {self.url}")

    def stop(self):
        if not self.proc or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGQUIT)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def error_kind(exc):
    """A client-side failure, by kind: a refused connection is what the issue
    counts apart."""
    text = str(exc)
    if "Connection refused" in text or "Errno 111" in text:
        return "refused"
    if isinstance(exc, requests.Timeout):
        return "timeout"
    return type(exc).__name__


class Poster:
    """One client (its own HTTP connection) posting single messages."""

    def __init__(self, url, key):
        self.base = f"{url}/live/api/v1"
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {key}"

    def post(self, room_id, seq):
        """(status or error kind, the message's room seq or None)."""
        try:
            response = self.http.post(
                f"{self.base}/rooms/{room_id}/messages",
                json={"body": f"bench {seq} {time.time():.6f}"},
                timeout=120,
            )
        except requests.RequestException as exc:
            return error_kind(exc), None
        if response.status_code in (200, 201):
            return response.status_code, response.json().get("seq")
        return response.status_code, response.text[:300]


def stored_seqs(bench, room_ids, after_ids):
    """The benchmark markers of the messages stored in ``room_ids`` since
    ``after_ids`` (room -> max message id before), and each room's ``seq``
    values of those messages."""
    connection = fanout.connect(bench, bench.db)
    try:
        cursor = connection.cursor()
        markers, seqs = set(), {}
        for room_id in room_ids:
            cursor.execute(
                "SELECT seq, body FROM live_message WHERE room_id = %s AND id > %s"
                " ORDER BY seq",
                [room_id, after_ids.get(room_id, 0)],
            )
            rows = cursor.fetchall()
            seqs[room_id] = [seq for seq, _body in rows]
            for _seq, body in rows:
                match = MARK_RE.search(body or "")
                if match:
                    markers.add(int(match.group(1)))
        return markers, seqs
    finally:
        connection.close()


def max_ids(bench, room_ids):
    connection = fanout.connect(bench, bench.db)
    try:
        cursor = connection.cursor()
        cursor.execute(
            "SELECT room_id, max(id) FROM live_message WHERE room_id = ANY(%s)"
            " GROUP BY room_id",
            [list(room_ids)],
        )
        return dict(cursor.fetchall())
    finally:
        connection.close()


def _cpu(proc):
    try:
        times = proc.cpu_times()
        return times.user + times.system
    except psutil.NoSuchProcess:
        return 0.0


def cpu_snapshot(bench, proxy):
    """CPU seconds used so far, by part: node A's HTTP workers (and master),
    its gevent worker, nginx, PostgreSQL (every backend: other databases
    too), this client process, and the whole machine (busy)."""
    node = bench.nodes[0]
    parts = Counter()
    root = psutil.Process(node.proc.pid)
    gevent = node.gevent_process()
    for proc in [root, *root.children(recursive=True)]:
        key = "odoo_gevent" if gevent and proc.pid == gevent.pid else "odoo_http"
        parts[key] += _cpu(proc)
    if proxy is not None and proxy.proc:
        nginx = psutil.Process(proxy.proc.pid)
        for proc in [nginx, *nginx.children(recursive=True)]:
            parts["nginx"] += _cpu(proc)
    for proc in psutil.process_iter(["name", "ppid"]):
        if proc.info["name"] != "postgres":
            continue
        parts["postgres"] += _cpu(proc)
        try:
            if psutil.Process(proc.info["ppid"]).name() != "postgres":
                # the postmaster: its exited backends' CPU too (a backend's
                # moves there when it ends, e.g. the bus's NOTIFY connections)
                times = proc.cpu_times()
                parts["postgres"] += times.children_user + times.children_system
        except psutil.NoSuchProcess:
            pass
    parts["client"] = _cpu(psutil.Process())
    machine = psutil.cpu_times()
    parts["machine"] = machine.user + machine.system + getattr(machine, "steal", 0)
    return parts


def cpu_per_message(before, after, messages):
    """Milliseconds of CPU per message, by part."""
    if not messages:
        return {}
    return {
        key: round((after[key] - before[key]) * 1000 / messages, 2) for key in after
    }


def gapless(values):
    return bool(values) and values == list(range(values[0], values[0] + len(values)))


class Publishing:
    """The four measurements; ``rt`` is run.py (Holders, warm_up...)."""

    def __init__(self, bench, rt, target):
        self.bench = bench
        self.rt = rt
        self.target = target  # the proxy, or node A itself
        self.size = bench.size
        self.keys = bench.data["keys"]

    def spec(self):
        return self.rt.live_socket_spec(self.target, self.keys["bench_sub"])

    def holders(self):
        holders = self.rt.Holders(self.spec(), 1)
        self.rt.warm_up(
            holders,
            self.rt.LivePublisher(
                self.target, self.keys["bench_pub"], self.bench.data["room"]
            ),
        )
        return holders

    # a. single post against GET /me --------------------------------------

    def single(self):
        rounds = self.size["pub_rounds"]
        poster = Poster(self.target.url, self.keys["bench_pub"])
        room = self.bench.data["room"]
        gets, posts, errors = [], [], Counter()
        # each worker's first requests load caches: not what is measured
        for seq in range(1, 11):
            poster.http.get(f"{poster.base}/me", timeout=60)
            poster.post(room, 800_000_000 + seq)
        for seq in range(1, rounds + 1):
            t0 = time.perf_counter()
            answer = poster.http.get(f"{poster.base}/me", timeout=60)
            gets.append(time.perf_counter() - t0)
            if not answer.ok:
                errors[f"GET {answer.status_code}"] += 1
            t0 = time.perf_counter()
            status, _seq = poster.post(room, 900_000_000 + seq)
            posts.append(time.perf_counter() - t0)
            if status not in (200, 201):
                errors[f"POST {status}"] += 1
        get, post = stats.summarize(gets), stats.summarize(posts)
        return {
            "rounds": rounds,
            "get_me": get,
            "post": post,
            "ratio_p50": stats.ratio(post["p50"], get["p50"]),
            "ratio_p99": stats.ratio(post["p99"], get["p99"]),
            "errors": dict(errors),
        }

    # b. batches to a websocket subscriber ---------------------------------

    def batched(self):
        total, size = self.size["batch_messages"], self.size["batch_size"]
        publishers = self.size["batch_publishers"]
        rooms = self.bench.data["rooms"][:publishers]
        url = f"{self.target.url}/live/api/v1/batch"
        probe = requests.post(
            url,
            json={"atomic": False, "items": []},
            headers={"Authorization": f"Bearer {self.keys['bench_pub']}"},
            timeout=30,
        )
        if probe.status_code == 404:
            return {"missing": True, "note": "POST /live/api/v1/batch answered 404"}
        holders = self.holders()
        sent, errors, lock = [], Counter(), threading.Lock()
        per_publisher = total // publishers

        def publish(index):
            http = requests.Session()
            http.headers["Authorization"] = f"Bearer {self.keys['bench_pub']}"
            base = (index + 1) * 10_000_000
            for start in range(0, per_publisher, size):
                seqs = [
                    base + n
                    for n in range(start + 1, min(start + size, per_publisher) + 1)
                ]
                now = f"{time.time():.6f}"
                items = [
                    {"room_id": rooms[index], "body": f"bench {seq} {now}"}
                    for seq in seqs
                ]
                try:
                    response = http.post(
                        url, json={"atomic": False, "items": items}, timeout=300
                    )
                except requests.RequestException as exc:
                    with lock:
                        errors[error_kind(exc)] += 1
                    continue
                if response.status_code != 200:
                    with lock:
                        errors[str(response.status_code)] += 1
                    continue
                results = response.json().get("results", [])
                with lock:
                    for seq, result in zip(seqs, results, strict=False):
                        if result.get("status") in (200, 201):
                            sent.append(seq)
                        else:
                            errors[f"item {result.get('status')}"] += 1

        try:
            posted = stats.run_threads(publish, publishers)
            drain = self.rt.wait_delivered(holders, len(sent), timeout=60, period=0.05)
            elapsed = posted + drain
        finally:
            received, closed = holders.stop()
        got = received[0] if received else {}
        delivered = set(got) & set(sent)
        return {
            "publishers": publishers,
            "batch_size": size,
            "messages": total,
            "accepted": len(sent),
            "errors": dict(errors),
            "post_seconds": round(posted, 2),
            "accepted_per_s": round(len(sent) / posted, 1) if posted else None,
            "delivered": len(delivered),
            "delivered_per_s": round(len(delivered) / elapsed, 1) if elapsed else None,
            "lost": len(set(sent) - delivered),
            "closed": dict(Counter(closed)),
            "latency": stats.summarize(list(got.values())),
        }

    # c. and d. concurrent single posts -------------------------------------

    def concurrent(self, publishers, rooms, seconds, base):
        """``publishers`` threads post for ``seconds``, publisher i to
        ``rooms[i % len(rooms)]``; one socket receives everything."""
        before = max_ids(self.bench, rooms)
        holders = self.holders()
        accepted, statuses, errors = [], Counter(), {}
        seqs, lock = [], threading.Lock()
        stop_at = None

        def publish(index):
            poster = Poster(self.target.url, self.keys["bench_pub"])
            room = rooms[index % len(rooms)]
            seq = base + (index + 1) * 1_000_000
            while time.monotonic() < stop_at:
                seq += 1
                status, detail = poster.post(room, seq)
                with lock:
                    statuses[str(status)] += 1
                    if status in (200, 201):
                        accepted.append(seq)
                        seqs.append(detail)
                    else:
                        errors.setdefault(str(status), str(detail)[:300])

        try:
            proxy = self.target if isinstance(self.target, Proxy) else None
            cpu_before = cpu_snapshot(self.bench, proxy)
            stop_at = time.monotonic() + seconds
            elapsed = stats.run_threads(publish, publishers)
            cpu_after = cpu_snapshot(self.bench, proxy)
            drain = self.rt.wait_delivered(holders, len(accepted), timeout=60)
        finally:
            received, closed = holders.stop()
        got = received[0] if received else {}
        markers, stored = stored_seqs(self.bench, rooms, before)
        delivered = set(got) & set(accepted)
        bad = {
            k: v
            for k, v in statuses.items()
            if k.isdigit() and int(k) >= 400 or not k.isdigit()
        }
        return {
            "publishers": publishers,
            "rooms": len(rooms),
            "seconds": round(elapsed, 1),
            "accepted": len(accepted),
            "accepted_per_s": round(len(accepted) / elapsed, 1),
            "statuses": dict(statuses),
            "failed": sum(bad.values()),
            "refused": statuses.get("refused", 0),
            "http_4xx_5xx": sum(v for k, v in bad.items() if k.isdigit()),
            "errors": errors,
            "not_stored": len(set(accepted) - markers),
            "delivered": len(delivered),
            "lost": len(set(accepted) - delivered),
            "drain_seconds": round(drain, 2),
            "closed": dict(Counter(closed)),
            "latency": stats.summarize(list(got.values())),
            "cpu_ms_per_message": cpu_per_message(cpu_before, cpu_after, len(accepted)),
            "cpu_cores_busy": round(
                (cpu_after["machine"] - cpu_before["machine"]) / elapsed, 2
            ),
            "gapless": all(gapless(stored[room]) for room in rooms if stored[room]),
            "answers_gapless": len(rooms) > 1 or gapless(sorted(s for s in seqs if s)),
        }

    def floor(self):
        """The same concurrency on ``GET /me``, Odoo's cheapest authenticated
        request: the most requests/s this server and machine answer, whatever
        a post costs."""
        publishers, seconds = self.size["pub_publishers"], self.size["pub_seconds"]
        done, failed, lock = [], Counter(), threading.Lock()
        stop_at = time.monotonic() + seconds

        def get():
            poster = Poster(self.target.url, self.keys["bench_pub"])
            while time.monotonic() < stop_at:
                try:
                    ok = poster.http.get(f"{poster.base}/me", timeout=120).ok
                except requests.RequestException as exc:
                    ok = error_kind(exc)
                with lock:
                    if ok is True:
                        done.append(1)
                    else:
                        failed[str(ok)] += 1

        proxy = self.target if isinstance(self.target, Proxy) else None
        cpu_before = cpu_snapshot(self.bench, proxy)
        elapsed = stats.run_threads(lambda _i: get(), publishers)
        cpu_after = cpu_snapshot(self.bench, proxy)
        return {
            "clients": publishers,
            "seconds": round(elapsed, 1),
            "answered": len(done),
            "per_s": round(len(done) / elapsed, 1),
            "failed": dict(failed),
            "cpu_ms_per_request": cpu_per_message(cpu_before, cpu_after, len(done)),
            "cpu_cores_busy": round(
                (cpu_after["machine"] - cpu_before["machine"]) / elapsed, 2
            ),
        }

    def spread(self):
        publishers = self.size["pub_publishers"]
        rooms = self.bench.data["rooms"][:publishers]
        return self.concurrent(publishers, rooms, self.size["pub_seconds"], 1 << 40)

    def spread_direct(self):
        """The same, straight to Odoo's HTTP port (no proxy): what the proxy
        changes (full mode only)."""
        if self.target is self.bench.nodes[0] or self.bench.mode != "full":
            return None
        proxy, self.target = self.target, self.bench.nodes[0]
        try:
            return self.spread()
        finally:
            self.target = proxy

    def one_room(self):
        room = [self.bench.data["room"]]
        seconds = self.size["pub_seconds"]
        one = self.concurrent(1, room, seconds, 2 << 40)
        many = self.concurrent(self.size["pub_publishers"], room, seconds, 3 << 40)
        return {
            "one": one,
            "many": many,
            "ratio": stats.ratio(many["accepted_per_s"], one["accepted_per_s"]),
        }

    def run(self):
        result = {"proxy": getattr(self.target, "binary", None) is not None}
        names = ("single", "batched", "floor", "spread", "spread_direct", "one_room")
        for name in names:
            say(f"  publishing: {name}")
            result[name] = getattr(self, name)()
            say(f"  -> {strip(result[name])}")
        return result


def strip(value):
    if isinstance(value, dict):
        return {
            k: strip(v)
            for k, v in value.items()
            if k not in ("latency", "errors", "closed", "statuses")
        }
    return value


def problems(result):
    """What the smoke run fails on: lost or unstored messages, a gap in a
    room's seq, a refused or failed connection, a 4xx, a 5xx where publishers
    do not share a room. (On one room, Odoo answers 500 to a post whose transaction
    lost five times in a row to another on the room's counter: a missed target,
    reported by ``targets``, rare enough not to fail a run; see ANALYSIS.md.)"""
    out = []
    if not result:
        return out
    batched = result.get("batched", {})
    if not batched.get("missing") and (
        batched.get("lost") or not batched.get("accepted")
    ):
        out.append(f"publishing batched: lost {batched.get('lost')}")
    for name, run in (
        ("spread", result.get("spread")),
        ("one room, 1", (result.get("one_room") or {}).get("one")),
        ("one room, many", (result.get("one_room") or {}).get("many")),
    ):
        if not run:
            continue
        if not run["accepted"] or run["lost"] or run["not_stored"]:
            out.append(
                f"publishing {name}: accepted {run['accepted']}, lost {run['lost']}, "
                f"not stored {run['not_stored']}"
            )
        if not run["gapless"] or not run["answers_gapless"]:
            out.append(f"publishing {name}: seq not gapless")
        client_errors = any(
            not k.isdigit() or k.startswith("4") for k in run["statuses"]
        )
        server_errors = any(k.startswith("5") for k in run["statuses"])
        if client_errors or (server_errors and run["rooms"] > 1):
            out.append(f"publishing {name}: {run['statuses']}")
    return out


def targets(result):
    """(what, goal, measured, met) rows of the issue's four targets."""
    if not result:
        return []
    rows = []
    single = result["single"]
    rows.append(
        (
            "single post p50 / GET /me p50 (same run)",
            "≤ 1.5",
            f"× {single['ratio_p50']} ({single['post']['p50']} / "
            f"{single['get_me']['p50']} ms)",
            single["ratio_p50"] is not None and single["ratio_p50"] <= 1.5,
        )
    )
    batched = result["batched"]
    if batched.get("missing"):
        rows.append(
            (
                "messages/s to a websocket subscriber, batches",
                "≥ 5,000",
                "no batch endpoint",
                False,
            )
        )
    else:
        rows.append(
            (
                "messages/s delivered to a websocket subscriber, through batches",
                "≥ 5,000, nothing lost",
                f"{batched['delivered_per_s']:,}/s, lost {batched['lost']}",
                (batched["delivered_per_s"] or 0) >= 5000 and not batched["lost"],
            )
        )
    spread = result["spread"]
    rows.append(
        (
            f"{spread['publishers']} publishers over {spread['rooms']} rooms, "
            "single posts",
            "≥ 300/s, nothing lost, none refused",
            f"{spread['accepted_per_s']}/s, lost {spread['lost']}, not stored "
            f"{spread['not_stored']}, refused {spread['refused']}, failed "
            f"{spread['failed']}",
            spread["accepted_per_s"] >= 300
            and not spread["lost"]
            and not spread["not_stored"]
            and not spread["failed"],
        )
    )
    one_room = result["one_room"]
    many = one_room["many"]
    rows.append(
        (
            f"one room, {many['publishers']} publishers",
            "no 4xx/5xx, gapless seq, ≥ one publisher's rate",
            f"{many['http_4xx_5xx']} 4xx/5xx, gapless {many['gapless']}, "
            f"{many['accepted_per_s']}/s vs {one_room['one']['accepted_per_s']}/s "
            f"(× {one_room['ratio']})",
            not many["failed"]
            and many["gapless"]
            and many["answers_gapless"]
            and (one_room["ratio"] or 0) >= 1,
        )
    )
    return rows
