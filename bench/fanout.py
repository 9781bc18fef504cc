"""Fan-out of the live bus dispatcher (bus/dispatcher.py): on vs off, against
Discuss, in the same run (scenario ``dispatcher`` of run.py).

Two kinds of publishers:

- the REST API (``LivePublisher`` of run.py) and Discuss's ``message_post``
  over JSON-RPC: what an app or a user does; the latency then includes Odoo's
  request cycle (the post itself);
- ``BusPublisher``: the bus row written and committed directly, then NOTIFYed
  on a kept connection, as ``bus.bus._sendone`` does at commit: the latency is
  the delivery's alone (commit, NOTIFY, dispatcher, sockets), whatever the
  cost of the request that produced it.

The dispatcher is switched with its system parameter
(``live_messaging.bus_dispatcher``), written by SQL with the cache signal Odoo
uses, so that the running servers see it; it applies to the sockets that
subscribe after the switch.
"""

import json
import time

import psycopg2
import psycopg2.extensions
import stats

PARAM = "live_messaging.bus_dispatcher"


def connect(bench, dbname):
    params = {"dbname": dbname}
    for key in ("host", "port", "user", "password"):
        value = getattr(bench.db_opts, f"db_{key}")
        if value:
            params[key] = value
    connection = psycopg2.connect(**params)
    connection.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
    return connection


def set_param(bench, key, value):
    """Set a system parameter of the benchmark's database as Odoo would see
    it: the row, then the ``default`` cache signal (the running servers clear
    their caches at their next request)."""
    connection = connect(bench, bench.db)
    try:
        cursor = connection.cursor()
        cursor.execute(
            "UPDATE ir_config_parameter SET value = %s WHERE key = %s", [value, key]
        )
        if not cursor.rowcount:
            cursor.execute(
                "INSERT INTO ir_config_parameter (key, value) VALUES (%s, %s)",
                [key, value],
            )
        cursor.execute("SELECT nextval('base_cache_signaling_default')")
    finally:
        connection.close()


def set_dispatcher(bench, on):
    set_param(bench, PARAM, "1" if on else "0")
    time.sleep(1.0)  # let the workers' next requests see it


class BusPublisher:
    """Writes the bus row of a ``live_messaging/message`` to ``channel``,
    commits, then NOTIFYs ``imbus`` on the ``postgres`` database (kept
    connections): the delivery path alone. The marker's time is taken before
    the insert."""

    label = "bus row + NOTIFY (delivery alone)"

    def __init__(self, bench, channel):
        self.channel = json.dumps(channel, separators=(",", ":"))
        self.payload = json.dumps([channel])
        self.data = connect(bench, bench.db)  # autocommit: the insert commits
        self.notify = connect(bench, "postgres")

    def post(self, seq):
        sent = time.time()
        message = json.dumps(
            {
                "type": "live_messaging/message",
                "payload": {"body": f"bench {seq} {sent:.6f}"},
            },
            separators=(",", ":"),
        )
        with self.data.cursor() as cursor:
            cursor.execute(
                "INSERT INTO bus_bus (channel, message, create_uid, write_uid,"
                " create_date, write_date) VALUES (%s, %s, 1, 1,"
                " now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc')",
                [self.channel, message],
            )
        with self.notify.cursor() as cursor:
            cursor.execute("SELECT pg_notify('imbus', %s)", [self.payload])
        return True, 201

    def close(self):
        self.data.close()
        self.notify.close()


ROW_HEADERS = [
    "sockets",
    "publisher",
    "dispatcher",
    "messages",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "max ms",
    "post p50 ms",
    "lost",
    "closed",
]


def latency_columns(run):
    """The columns every latency table shows of a run, after its labels."""
    return (
        run["messages"],
        run["latency"]["p50"],
        run["latency"]["p95"],
        run["latency"]["p99"],
        run["latency"]["max"],
        run["post_rtt"]["p50"],
        run["lost"],
        ", ".join(f"{k}×{v}" for k, v in run["closed"].items()) or "none",
    )


def rows(runs):
    return [
        (
            run["subscribers"],
            run["publisher"],
            "on" if run["dispatcher"] else "off",
            *latency_columns(run),
        )
        for run in runs
    ]


def find(results, subscribers, publisher, on):
    """The run of ``subscribers`` sockets asked (some may have failed to
    open), ``publisher`` and dispatcher ``on``."""
    for run in (results.get("dispatcher") or {}).get("runs", []):
        if (
            run.get("asked", run["subscribers"]) == subscribers
            and run["publisher"] == publisher
            and run["dispatcher"] == on
        ):
            return run
    return None


def target_rows(results, ok):
    """Rows of the targets table for the dispatcher's figures."""
    out = []
    for publisher, label in (("bus", "delivery"), ("rest", "REST publish")):
        run = find(results, 100, publisher, True)
        if run:
            for key, limit in (("p50", 10.0), ("p99", 30.0)):
                out.append(
                    (
                        f"{label}-to-receive {key}, 100 sockets, dispatcher on",
                        f"≤ {limit:g} ms",
                        f"{run['latency'][key]} ms",
                        ok(run["latency"][key], limit),
                    )
                )
    ours = find(results, 100, "rest", True)
    theirs = find(results, 100, "discuss", False)
    if ours and theirs:
        ratio = stats.ratio(ours["latency"]["p50"], theirs["latency"]["p50"])
        out.append(
            (
                "ours (REST, dispatcher on) / stock Discuss, p50, 100 sockets",
                "≤ 0.20",
                f"× {ratio}",
                ok(ratio, 0.2),
            )
        )
    nodes = results.get("nodes")
    if nodes:
        added = nodes["added_ms"]["p50"]
        out.append(
            (
                "second node, added p50 (dispatcher on)",
                "≤ 2 ms",
                f"{added} ms",
                ok(added, 2.0),
            )
        )
    for publisher in ("bus", "rest"):
        run = find(results, 1000, publisher, True)
        if run:
            clean = not run["lost"] and not run["closed"]
            out.append(
                (
                    f"1,000 sockets ({publisher}): p99, nothing lost, none closed",
                    "≤ 100 ms, 0, 0",
                    f"{run['latency']['p99']} ms, lost {run['lost']}, "
                    f"closed {sum(run['closed'].values())}",
                    ok(run["latency"]["p99"] if clean else float("inf"), 100.0),
                )
            )
    return out


def section(results, out, cmd):
    result = results.get("dispatcher")
    if not result:
        return
    out.append("## Dispatcher on and off, against Discuss\n")
    out.append(
        "Same run, same server, same sockets' client: N websockets of a member "
        "(ours: the API's websocket with an API key; Discuss: `/websocket` with a "
        "session, subscribed to the channel) receive messages published one at a "
        "time (the next one 20 ms after every socket got the previous one). "
        "*rest*: `POST /live/api/v1/rooms/<id>/messages`; *discuss*: "
        "`discuss.channel.message_post` over JSON-RPC; *bus*: the bus row "
        "committed and NOTIFYed directly (the delivery alone, without Odoo's "
        "request cycle). *dispatcher off* is Odoo's own path (each socket polls "
        "the bus); *on* is the live bus dispatcher (one fetch per wake-up). "
        "Latency from just before the publish to the frame's arrival, per "
        "socket; *post p50* is the publish's own round trip.\n"
    )
    out.append(f"Command: {cmd('dispatcher')}\n")
    out.append(stats.markdown_table(ROW_HEADERS, rows(result["runs"])))
    out.append("")
    ratios = []
    asked = {run.get("asked", run["subscribers"]) for run in result["runs"]}
    for subscribers in sorted(asked):
        for publisher in ("rest", "discuss", "bus"):
            on = find(results, subscribers, publisher, True)
            off = find(results, subscribers, publisher, False)
            if on and off:
                ratios.append(
                    (
                        subscribers,
                        publisher,
                        stats.ratio(on["latency"]["p50"], off["latency"]["p50"]),
                        stats.ratio(on["latency"]["p99"], off["latency"]["p99"]),
                    )
                )
    if ratios:
        out.append("On / off, same publisher:\n")
        out.append(
            stats.markdown_table(
                ["sockets", "publisher", "p50 on/off", "p99 on/off"], ratios
            )
        )
        out.append("")
