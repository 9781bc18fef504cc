"""Writing the benchmark's results: bench/RESULTS.md (full) or a smoke summary."""

import os
import platform
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import fanout
import lmdev
import plots
import publish
import stats

BENCH = Path(__file__).resolve().parent
ANALYSIS = BENCH / "ANALYSIS.md"
TARGETS = {
    "p50": 10.0,
    "p99": 30.0,
    "throughput": 1000,
    "throughput_batched": 5000,
    "sockets": 10000,
    "kb_per_socket": 30,
    "history_sql_ms": 5.0,
    "deep_ratio": 1.2,
    "sale_overhead_pct": 5.0,
}


def machine(bench):
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(
            line.split()[1]
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        ram = f"{int(mem) / 2**20:.1f} GiB"
    except (OSError, StopIteration):
        ram = "?"
    odoo_version = subprocess.run(
        [sys.executable, "-c", "import odoo.release as r; print(r.version)"],
        env=bench.odoo.env,
        capture_output=True,
        text=True,
    ).stdout.strip()
    pg = lmdev.psql_value(bench.odoo, bench.db_opts, "SHOW server_version")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram": ram,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "odoo": odoo_version,
        "postgresql": pg,
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def smoke_problems(results):
    """What makes a smoke run fail: lost messages, no deliveries, sockets
    that did not open, a scenario that produced nothing."""
    problems = []
    for run in results.get("latency", []):
        if run["lost"] or not run["latency"]["count"]:
            problems.append(f"latency {run['subscribers']}: lost {run['lost']}")
    for run in results.get("throughput", []):
        if run["lost"] or not run["accepted"]:
            problems.append(f"throughput {run['publishers']}: lost {run['lost']}")
    conn = results.get("connections")
    if conn and (conn["opened"] < conn["target"] or not conn["delivered"]):
        problems.append(f"connections: {conn['opened']}/{conn['target']} opened")
    for run in (results.get("dispatcher") or {}).get("runs", []):
        if run["lost"] or not run["latency"]["count"]:
            problems.append(
                f"dispatcher {run['subscribers']} {run['publisher']} "
                f"{'on' if run['dispatcher'] else 'off'}: lost {run['lost']}"
            )
    discuss = results.get("discuss")
    if discuss and not all(discuss["ratio"][k] for k in ("p50", "p99")):
        problems.append("discuss: no ratio")
    nodes = results.get("nodes")
    if nodes and nodes["other_node"]["lost"]:
        problems.append(f"nodes: lost {nodes['other_node']['lost']}")
    history = results.get("history")
    if history and history.get("messages", 0) < 1:
        problems.append("history: no messages")
    sale = results.get("sale")
    if sale and not sale.get("on_us_median"):
        problems.append("sale: no timing")
    problems += publish.problems(results.get("publishing"))
    return problems


def _ok(value, limit, higher_is_better=False):
    if value is None:
        return "not measured"
    good = value >= limit if higher_is_better else value <= limit
    return "**met**" if good else "**missed**"


def _cmd(only):
    return f"`python3 bench/run.py --full --only {only}`"


def _latency_by(results, subscribers):
    for run in results.get("latency", []):
        if run["subscribers"] == subscribers:
            return run
    return None


def targets_table(results):
    rows = []
    run = _latency_by(results, 100)
    if run:
        for key in ("p50", "p99"):
            rows.append(
                (
                    f"publish-to-receive {key}, 100 subscribers",
                    f"≤ {TARGETS[key]:g} ms",
                    f"{run['latency'][key]} ms",
                    _ok(run["latency"][key], TARGETS[key]),
                )
            )
    for run in results.get("throughput", []):
        rows.append(
            (
                f"delivered msg/s, nothing lost, {run['publishers']} publisher(s), "
                f"{run['rooms']} room(s)",
                f"≥ {TARGETS['throughput']:,}",
                f"{run['delivered_per_s']} (lost {run['lost']})",
                _ok(
                    run["delivered_per_s"] if not run["lost"] else 0,
                    TARGETS["throughput"],
                    True,
                ),
            )
        )
    if results.get("throughput") and not results.get("publishing"):
        rows.append(
            (
                "delivered msg/s with batching",
                f"≥ {TARGETS['throughput_batched']:,}",
                "see the publishing scenario",
                "not measured",
            )
        )
    for what, goal, measured, met in publish.targets(results.get("publishing")):
        rows.append((what, goal, measured, "**met**" if met else "**missed**"))
    conn = results.get("connections")
    if conn:
        rows.append(
            (
                "websockets on one gevent worker, 1 msg/s each",
                f"≥ {TARGETS['sockets']:,}",
                f"{conn['opened']:,} open, {conn['alive_at_end']:,} alive, "
                f"{conn['delivered']:,}/{conn['expected']:,} delivered",
                _ok(
                    conn["alive_at_end"]
                    if conn["delivered"] == conn["expected"]
                    else 0,
                    TARGETS["sockets"],
                    True,
                ),
            )
        )
        if "within_1s" in conn:
            share = conn["within_1s"] / max(1, conn["expected"]) * 100
            rows.append(
                (
                    "deliveries within 1 s, 1 msg/s to each socket",
                    "≥ 99.9 %",
                    f"{share:.2f} % ({conn['within_1s']:,}/{conn['expected']:,})",
                    _ok(share, 99.9, True),
                )
            )
        rows.append(
            (
                "memory per websocket",
                f"≤ {TARGETS['kb_per_socket']} KB",
                f"{conn['kb_per_connection']} KB",
                _ok(conn["kb_per_connection"], TARGETS["kb_per_socket"]),
            )
        )
    hist = results.get("history")
    if hist:
        worst = max(hist["newest"]["sql_ms_median"], hist["deep"]["sql_ms_median"])
        ratio = hist["deep"]["sql_ms_median"] / hist["newest"]["sql_ms_median"]
        rows.append(
            (
                f"history page SQL at {hist['messages']:,} messages",
                f"< {TARGETS['history_sql_ms']:g} ms",
                f"{worst:.3f} ms",
                _ok(worst, TARGETS["history_sql_ms"]),
            )
        )
        rows.append(
            (
                "deep page vs newest page (SQL)",
                "within 20 %",
                f"× {ratio:.2f}",
                _ok(ratio, TARGETS["deep_ratio"]),
            )
        )
    sale = results.get("sale")
    if sale:
        rows.append(
            (
                "live push cost on sale.order.write, nobody listening",
                f"< {TARGETS['sale_overhead_pct']:g} %",
                f"{sale['overhead_pct']:+.1f} %",
                _ok(sale["overhead_pct"], TARGETS["sale_overhead_pct"]),
            )
        )
    discuss = results.get("discuss")
    if discuss:
        ours = discuss["ours"]["latency"]
        rows.append(
            (
                "vs Discuss (p50 55 ms, p99 69 ms): five times better",
                "ratio ≤ 0.20",
                f"p50 × {discuss['ratio']['p50']}, p99 × {discuss['ratio']['p99']}"
                f" (ours {ours['p50']} / {ours['p99']} ms)",
                _ok(discuss["ratio"]["p50"], 0.2),
            )
        )
    rows += fanout.target_rows(results, _ok)
    return stats.markdown_table(["target", "goal", "measured", "verdict"], rows)


def _latency_rows(runs, label_key="subscribers"):
    return [(run[label_key], *fanout.latency_columns(run)) for run in runs]


LAT_HEADERS = [
    "subscribers",
    "messages",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "max ms",
    "POST p50 ms",
    "lost",
    "closed",
]


def section_latency(results, out):
    runs = results.get("latency")
    if not runs:
        return
    out.append("## 1. Publish-to-receive latency\n")
    out.append(
        "One publisher posts to one room through the REST API (`POST /live/api/v1/"
        "rooms/<id>/messages`, API key), one message at a time: the next one 20 ms "
        "after every socket got the previous one (latency, not queueing); N "
        "websockets (the API's "
        "`/live/api/v1/websocket`, on the gevent port) of a member receive it. "
        "Latency: from just before the POST to the frame's arrival, per socket. "
        "*POST p50* is the REST round trip.\n"
    )
    out.append(f"Command: {_cmd('latency')}\n")
    out.append(stats.markdown_table(LAT_HEADERS, _latency_rows(runs)))
    floor = runs[0].get("api_floor")
    if floor:
        out.append(
            f"\nOdoo's floor, the cheapest authenticated API call (`GET /live/api/v1/"
            f"me`, same key, same run): p50 {floor['p50']} ms, p99 {floor['p99']} "
            "ms.\n"
        )
    out.append("\n![latency CDF by subscribers](latency_subscribers.png)\n")


def section_throughput(results, out):
    runs = results.get("throughput")
    if not runs:
        return
    out.append("## 2. Sustained throughput\n")
    out.append(
        "P threads post as fast as they can for a fixed time, all to one room, "
        "or each to a room of its own; one websocket subscriber (a member of all "
        "the rooms) checks that every accepted message arrived (by its sequence "
        "marker). *Delivered/s* counts until the last one arrived. Refused posts "
        "are not lost messages: the publisher was told (see the answers below).\n"
    )
    out.append(f"Command: {_cmd('throughput')}\n")
    rows = [
        (
            run["publishers"],
            run["rooms"],
            run["seconds"],
            run["accepted"],
            run["accepted_per_s"],
            run["delivered_per_s"],
            run["lost"],
            run["drain_seconds"],
            run["latency"]["p50"],
            run["latency"]["p99"],
            ", ".join(f"{k}×{v}" for k, v in run["refused"].items()) or "none",
        )
        for run in runs
    ]
    out.append(
        stats.markdown_table(
            [
                "publishers",
                "rooms",
                "s",
                "accepted",
                "accepted/s",
                "delivered/s",
                "lost",
                "drain s",
                "latency p50 ms",
                "p99 ms",
                "refused",
            ],
            rows,
        )
    )
    for run in runs:
        for status, text in run.get("errors", {}).items():
            out.append(
                f"\n{run['publishers']} publishers, {run['rooms']} room(s): first "
                f"{status} answer: `{text.strip()[:200]}`"
            )
    out.append(
        "\nBatching: the API has no batch publish (one message per request), so "
        "the 5,000 msg/s batched target is not measured.\n"
    )


def section_connections(results, out):
    conn = results.get("connections")
    if not conn:
        return
    out.append("## 3. Websockets on one gevent worker\n")
    out.append(
        "Client processes (8, asyncio) open the sockets (API key, 3 handshakes at "
        "a time per process, for at most the open timeout), all members of one "
        "room, then one message a second is posted to the room, so each socket "
        "gets 1 message/s. Memory per connection: "
        "RSS growth of the gevent worker process / sockets opened.\n"
    )
    out.append(f"Command: {_cmd('connections')}\n")
    keys = [
        ("sockets asked", "target"),
        ("opened", "opened"),
        ("failed to open (after 5 tries)", "failed_to_open"),
        ("handshakes retried (500: gevent pool full)", "handshakes_retried"),
        ("seconds to open all", "open_seconds"),
        ("alive at the end", "alive_at_end"),
        ("gevent RSS before (MB)", "rss_before_mb"),
        ("gevent RSS with the sockets open (MB)", "rss_open_mb"),
        ("gevent RSS after the messages (MB)", "rss_flowing_mb"),
        ("**KB per connection**", "kb_per_connection"),
        ("messages posted (1/s)", "seconds"),
        ("deliveries expected", "expected"),
        ("deliveries received", "delivered"),
        ("deliveries within 1 s", "within_1s"),
        ("delivery latency p50 (ms)", None),
        ("delivery latency p99 (ms)", None),
        ("gevent worker CPU seconds (whole run)", "gevent_cpu_s"),
        ("gevent worker CPU seconds, messages", "gevent_cpu_messages_s"),
    ]
    rows = []
    for label, key in keys:
        if key:
            rows.append((label, conn.get(key)))
        else:
            rows.append((label, conn["latency"][label.split()[2]]))
    rows.append(
        (
            "closed by the server",
            ", ".join(f"{k}×{v}" for k, v in conn["closed"].items()) or "none",
        )
    )
    out.append(stats.markdown_table(["measure", "value"], rows))
    out.append("\n![latency CDF with many sockets](latency_connections.png)\n")


def section_history(results, out):
    hist = results.get("history")
    if not hist:
        return
    out.append("## 4. History pages\n")
    out.append(
        f"A room of {hist['messages']:,} messages (inserted by one SQL "
        "`INSERT ... SELECT generate_series`, then `ANALYZE`); a page of 50, "
        f"newest, and deep (`before` = the 101st oldest id, {hist['deep_before']}). "
        "SQL: planning + execution time from `EXPLAIN ANALYZE` of the query "
        "`_fetch_page` issues; ORM: `_fetch_page` in the server process "
        "(search + formatting); API: the HTTP round trip of "
        "`GET /live/api/v1/rooms/<id>/messages`.\n"
    )
    out.append(f"Command: {_cmd('history')}\n")
    rows = [
        (
            label,
            hist[label]["sql_ms_median"],
            hist[label]["sql_ms_max"],
            hist[label]["orm_ms_median"],
            hist["api"][label]["p50"],
            hist["api"][label]["p99"],
        )
        for label in ("newest", "deep")
    ]
    out.append(
        stats.markdown_table(
            ["page", "SQL ms p50", "SQL ms max", "ORM ms p50", "API ms p50", "p99"],
            [
                tuple(round(v, 3) if isinstance(v, float) else v for v in r)
                for r in rows
            ],
        )
    )
    out.append("\nQuery and plan (deep page):\n")
    out.append(
        "```sql\n" + hist["deep"]["sql"] + "\n\n" + hist["deep"]["plan"] + "\n```\n"
    )


def section_discuss(results, out):
    discuss = results.get("discuss")
    if not discuss:
        return
    out.append("## 5. Side by side with Discuss\n")
    out.append(
        "The same work in the same run, on the same server: ours is the REST post "
        "to a room received on API-key websockets; theirs is "
        "`discuss.channel.message_post` through JSON-RPC "
        "(`/web/dataset/call_kw`, a logged-in session) received on websockets of "
        "a member's web session subscribed to `discuss.channel_<id>`. Ratio = ours "
        "/ theirs (below 1: we are faster).\n"
    )
    out.append(f"Command: {_cmd('discuss')}\n")
    ours, theirs = discuss["ours"], discuss["theirs"]
    rows = []
    for label, run in (("live_messaging", ours), ("Discuss", theirs)):
        rows.append(
            (
                label,
                run["subscribers"],
                run["latency"]["p50"],
                run["latency"]["p95"],
                run["latency"]["p99"],
                run["post_rtt"]["p50"],
                run["sequential_per_s"],
                run["lost"],
            )
        )
    ratio = discuss["ratio"]
    rows.append(
        (
            "**ratio ours/theirs**",
            "",
            ratio["p50"],
            ratio["p95"],
            ratio["p99"],
            ratio["post_rtt_p50"],
            stats.ratio(ours["sequential_per_s"], theirs["sequential_per_s"]),
            "",
        )
    )
    out.append(
        stats.markdown_table(
            [
                "",
                "subscribers",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "POST p50 ms",
                "sequential posts/s",
                "lost",
            ],
            rows,
        )
    )
    out.append("\n![ours vs Discuss](latency_discuss.png)\n")


def section_nodes(results, out):
    nodes = results.get("nodes")
    if not nodes:
        return
    out.append("## 6. Two nodes\n")
    out.append(
        "Two Odoo server processes (each `--workers 2` + its gevent worker, own "
        "ports) on the same database. Messages are posted on node A; the "
        "subscribers are on node A (same node) or node B (other node). The bus "
        "carries it across: A's commit NOTIFYs `imbus` in PostgreSQL, B's "
        "dispatcher LISTENs.\n"
    )
    out.append(f"Command: {_cmd('nodes')}\n")
    rows = _latency_rows([nodes["same_node"], nodes["other_node"]])
    rows = [("same node (A→A)",) + r[1:] for r in rows[:1]] + [
        ("other node (A→B)",) + r[1:] for r in rows[1:]
    ]
    out.append(stats.markdown_table(["receivers"] + LAT_HEADERS[1:], rows))
    added = nodes["added_ms"]
    out.append(
        f"\nAdded latency on the other node: p50 {added['p50']} ms, p95 "
        f"{added['p95']} ms, p99 {added['p99']} ms "
        f"({nodes['other_node']['subscribers']} subscribers).\n"
    )
    out.append("![same node vs other node](latency_nodes.png)\n")


def section_sale(results, out):
    sale = results.get("sale")
    if not sale:
        return
    out.append("## 7. Live sale-order push when nobody listens\n")
    out.append(
        f"In one server process: `order.write({{'client_order_ref': ...}})` + "
        f"flush, {sale['rounds']} rounds with the push on and off "
        "(`_live_records`), interleaved, rolled back. Listened models at the "
        f"time: {sale['listened_models'] or 'none'}.\n"
    )
    out.append(f"Command: {_cmd('sale')}\n")
    out.append(
        stats.markdown_table(
            ["", "median µs", "mean µs"],
            [
                ("push off", round(sale["off_us_median"]), round(sale["off_us_mean"])),
                ("push on", round(sale["on_us_median"]), round(sale["on_us_mean"])),
                ("overhead", f"{sale['overhead_pct']:+.1f} %", ""),
            ],
        )
    )


def header(bench, machine, command):
    res = bench.results
    load = res["load_during"]
    return [
        "# Benchmarks\n",
        "Generated by `bench/run.py`; the analysis at the end is kept in "
        "`bench/ANALYSIS.md`. Rerun any figure with its command.\n",
        f"- **Command**: `{command}` ({res['seconds']} s)",
        f"- **Date**: {machine['date']}",
        f"- **Machine**: {machine['cpu']}, {machine['cores']} cores, "
        f"{machine['ram']} RAM, {machine['os']}",
        f"- **Software**: Python {machine['python']}, Odoo {machine['odoo']}, "
        f"PostgreSQL {machine['postgresql']}",
        f"- **Load average** (1 min): {res['load_before'][0]} before, "
        f"{load['min']}–{load['max']} (mean {load['mean']}) during, "
        f"{res['load_after'][0]} after. The clients (publishers, thousands of "
        "sockets) share the cores with the servers they measure; anything else "
        "running on the machine shows in the load before.",
        "- **Servers**: Odoo as in production: `--workers 2` (HTTP) + the gevent "
        "worker (websockets, `gevent_port`), `--max-cron-threads 0`, "
        "`db_maxconn 16`, `db_maxconn_gevent 20`, `db_name` without `dbfilter`, "
        "`proxy_mode`, on loopback (the publishing scenario through nginx with "
        "`tools/nginx/live_messaging.conf`); the live bus dispatcher "
        f"{res.get('dispatcher_param', 'on')} (but where a scenario compares "
        "both).\n",
    ]


def write_full(path, bench, machine, command):
    results = bench.results
    _plots(path.parent, results)
    out = header(bench, machine, command)
    out.append("## Targets\n")
    out.append(targets_table(results))
    out.append("")
    for section in (
        section_latency,
        section_throughput,
        section_connections,
        section_history,
        section_discuss,
        section_nodes,
        section_sale,
    ):
        section(results, out)
        out.append("")
    fanout.section(results, out, _cmd)
    if ANALYSIS.exists():
        out.append(ANALYSIS.read_text())
    text = "\n".join(out).rstrip() + "\n"
    # sections written by other runs (bench/nats_bridge.py, --only publishing)
    # stay, unless this run measured them again
    old = path.read_text() if path.exists() else ""
    if results.get("publishing"):
        old = replace_block(
            old, PUBLISHING, section_publishing(bench, machine, command)
        )
    for name in BLOCKS:
        block = get_block(old, name)
        if block:
            text = replace_block(text, name, block)
    path.write_text(text)


# Sections between <!-- name:start --> and <!-- name:end --> in RESULTS.md,
# each written by its own run
PUBLISHING = "publishing"
BLOCKS = (PUBLISHING, "nats-bridge")


def _marks(name):
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def get_block(text, name):
    """The block ``name`` of ``text`` (marks included), or None."""
    start, end = _marks(name)
    if start not in text or end not in text:
        return None
    return start + text.split(start, 1)[1].split(end, 1)[0] + end


def replace_block(text, name, block):
    """``text`` with its block ``name`` replaced by ``block`` (which carries
    its marks), or with ``block`` appended."""
    start, end = _marks(name)
    if start in text and end in text:
        head, rest = text.split(start, 1)
        return head + block + rest.split(end, 1)[1]
    return text.rstrip("\n") + "\n\n" + block + "\n"


def write_publishing(path, bench, machine, command):
    """``--full --only publishing``: its block of RESULTS.md, nothing else."""
    old = path.read_text() if path.exists() else ""
    path.write_text(
        replace_block(old, PUBLISHING, section_publishing(bench, machine, command))
    )


def _one_line(text):
    """An answer's text on one line, without markup (Odoo's error pages)."""
    text = " ".join(re.sub(r"<[^>]*>", " ", text).split())
    return text[:160].replace("|", "/")


def _ms(summary, key):
    return summary.get(key) if summary else None


def section_publishing(bench, machine, command):
    r = bench.results
    pub = r["publishing"]
    load = r["load_during"]
    proxy = (
        "through nginx running `tools/nginx/live_messaging.conf` (the README's "
        "production example)"
        if pub.get("proxy")
        else "**directly** on node A's ports (nginx was not installed)"
    )
    out = [
        _marks(PUBLISHING)[0],
        "## Publishing (issue 13)\n",
        f"Generated by `bench/run.py` (scenario `publishing`, `bench/publish.py`). "
        f"**Command**: `{command}` ({r['seconds']} s), {machine['date']}, "
        f"{machine['cores']} cores, Odoo {machine['odoo']}, PostgreSQL "
        f"{machine['postgresql']}. **Load average** (1 min): "
        f"{r['load_before'][0]} before, {load['min']}–{load['max']} (mean "
        f"{load['mean']}) during, {r['load_after'][0]} after.\n",
        "One server as in the README's *Production configuration*: `--workers 2` "
        "+ the gevent worker, `proxy_mode`, `db_name` without `dbfilter`, "
        f"`db_maxconn 16`, `db_maxconn_gevent 20`, {proxy}. All four "
        "measurements in the same run, one after the other; the client threads "
        "and processes share the cores with the server.\n",
        stats.markdown_table(
            ["target", "goal", "measured", "verdict"],
            [
                (what, goal, measured, "**met**" if met else "**missed**")
                for what, goal, measured, met in publish.targets(pub)
            ],
        ),
        "",
    ]
    single = pub["single"]
    out += [
        f"**a. One request at a time** ({single['rounds']} of each, interleaved, "
        "one keep-alive connection to the proxy):\n",
        stats.markdown_table(
            ["request", "p50 ms", "p95 ms", "p99 ms"],
            [
                (label, _ms(x, "p50"), _ms(x, "p95"), _ms(x, "p99"))
                for label, x in (
                    ("GET /live/api/v1/me", single["get_me"]),
                    ("POST /live/api/v1/rooms/{id}/messages", single["post"]),
                )
            ],
        ),
        "",
    ]
    batched = pub["batched"]
    if batched.get("missing"):
        out.append("**b. Batches**: not measured, " + batched["note"] + ".\n")
    else:
        out += [
            f"**b. Batches to one websocket subscriber**: {batched['messages']:,} "
            f"messages in batches of {batched['batch_size']} "
            f"(`POST /live/api/v1/batch`), {batched['publishers']} publishers "
            f"(a room each), one socket subscribed to all: accepted "
            f"{batched['accepted']:,} in {batched['post_seconds']} s "
            f"({batched['accepted_per_s']:,}/s), delivered {batched['delivered']:,} "
            f"({batched['delivered_per_s']:,}/s from the first post to the last "
            f"delivery), lost {batched['lost']}, errors {batched['errors'] or 'none'}; "
            f"post-to-receive p50 {_ms(batched['latency'], 'p50')} ms, p99 "
            f"{_ms(batched['latency'], 'p99')} ms (from the batch's start).\n",
        ]
    runs = [
        ("c. many rooms", pub["spread"]),
        ("c. many rooms, straight to Odoo (no proxy)", pub.get("spread_direct")),
        ("d. one room, one publisher", pub["one_room"]["one"]),
        ("d. one room, many publishers", pub["one_room"]["many"]),
    ]
    runs = [(label, x) for label, x in runs if x]
    rows = []
    for label, x in runs:
        rows.append(
            (
                label,
                x["publishers"],
                x["rooms"],
                x["seconds"],
                x["accepted"],
                x["accepted_per_s"],
                x["lost"],
                x["not_stored"],
                x["refused"],
                x["http_4xx_5xx"],
                "yes" if x["gapless"] and x["answers_gapless"] else "**no**",
                _ms(x["latency"], "p50"),
                _ms(x["latency"], "p99"),
            )
        )
    out += [
        "**c, d. Concurrent single posts** (each publisher its own connection, "
        "posting back to back; one websocket subscriber checks the deliveries, "
        "the database the stored messages and their `seq`):\n",
        stats.markdown_table(
            [
                "run",
                "publishers",
                "rooms",
                "s",
                "accepted",
                "accepted/s",
                "lost",
                "not stored",
                "refused",
                "4xx/5xx",
                "seq gapless",
                "post-to-receive p50 ms",
                "p99 ms",
            ],
            rows,
        ),
        "",
    ]
    floor = pub.get("floor")
    if floor:
        cpu = floor["cpu_ms_per_request"]
        out.append(
            f"**Odoo's ceiling on this machine**: {floor['clients']} clients "
            f"calling `GET /live/api/v1/me` back to back for {floor['seconds']} s "
            f"got {floor['per_s']} answers/s (failed: {floor['failed'] or 'none'}), "
            f"{cpu.get('odoo_http')} ms of the HTTP workers' CPU and "
            f"{cpu.get('machine')} ms of the machine's per request, "
            f"{floor['cpu_cores_busy']} cores busy: no single-request publishing "
            "goes faster than that here.\n"
        )
    parts = ("odoo_http", "odoo_gevent", "nginx", "postgres", "client", "machine")
    out += [
        "CPU per accepted message, ms, by process while the publishers ran "
        "(PostgreSQL: all its backends, other databases' too; *machine*: every "
        "process, with the busy cores in the last column):\n",
        stats.markdown_table(
            [
                "run",
                "Odoo HTTP workers",
                "gevent worker",
                "nginx",
                "PostgreSQL",
                "client",
                "machine",
                "cores busy",
            ],
            [
                (
                    label,
                    *(x.get("cpu_ms_per_message", {}).get(k) for k in parts),
                    x.get("cpu_cores_busy"),
                )
                for label, x in runs
            ],
        ),
        "",
    ]
    errors = {
        **pub["spread"]["errors"],
        **pub["one_room"]["one"]["errors"],
        **pub["one_room"]["many"]["errors"],
    }
    if errors:
        out.append(
            "Failed answers (first of each kind): "
            + "; ".join(f"`{k}`: {_one_line(v)}" for k, v in errors.items())
            + "\n"
        )
    out.append(_marks(PUBLISHING)[1])
    return "\n".join(out)


def write_smoke(path, bench, machine, command):
    out = header(bench, machine, command)
    if bench.results.get("publishing"):
        out.append(section_publishing(bench, machine, command))
    out.append(targets_table(bench.results))
    problems = smoke_problems(bench.results)
    out.append("\nProblems: " + ("; ".join(problems) if problems else "none"))
    path.write_text("\n".join(out) + "\n")


def _plots(folder, results):
    if results.get("latency"):
        plots.latency_plot(
            folder / "latency_subscribers.png",
            "live_messaging: REST post → websocket, by subscribers",
            {
                f"{r['subscribers']} subscribers": r["_latencies"]
                for r in results["latency"]
            },
        )
    if results.get("connections"):
        conn = results["connections"]
        plots.latency_plot(
            folder / "latency_connections.png",
            f"{conn['opened']:,} sockets on one gevent worker, 1 msg/s each",
            {"deliveries": conn["_latencies"]},
        )
    if results.get("discuss"):
        plots.latency_plot(
            folder / "latency_discuss.png",
            "Same run: live_messaging vs Discuss message_post",
            {
                "live_messaging": results["discuss"]["ours"]["_latencies"],
                "Discuss": results["discuss"]["theirs"]["_latencies"],
            },
        )
    if results.get("nodes"):
        plots.latency_plot(
            folder / "latency_nodes.png",
            "Post on node A, receive on node A or node B",
            {
                "same node": results["nodes"]["same_node"]["_latencies"],
                "other node": results["nodes"]["other_node"]["_latencies"],
            },
        )
