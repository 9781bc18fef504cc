"""Benchmark code of the NATS bridge that runs inside Odoo (``odoo-bin shell``),
given ``env``; see nats_bridge.py. Each function returns a JSON-serialisable
dict and commits what it made. Never imported by Odoo itself."""

import statistics
import time

from server_side import _user


def setup(env, params):
    """The bridge's settings, a publisher with an API key, the topics (open to
    every live user), and the API rate limit off."""
    icp = env["ir.config_parameter"].sudo()
    icp.set_param("live_messaging.api_rate_limit", "0")
    for key in ("servers", "stream", "subject_prefix"):
        icp.set_param(f"live_messaging.nats_{key}", params[key])
    pub = _user(env, "bench_pub")
    key = (
        env["res.users.apikeys"]
        .with_user(pub)
        .sudo()
        ._generate(None, "bench nats", None)
    )
    Topic = env["live.topic"].sudo()
    topics = {}
    for name in params["topics"]:
        topic = Topic.search([("name", "=", name)]) or Topic.create(
            {"name": name, "publish_access": "users"}
        )
        topics[name] = topic.id
    env.cr.commit()
    return {"key": key, "topics": topics, "uid": pub.id}


def mirror(env, params):
    """Mirror ``pattern`` (on) or not (off)."""
    Mirror = env["live.nats.mirror"].sudo().with_context(active_test=False)
    rule = Mirror.search([("pattern", "=", params["pattern"])])
    if params["on"] and not rule:
        Mirror.create({"pattern": params["pattern"]})
    elif rule:
        rule.active = params["on"]
    env.cr.commit()
    return {"mirrored": params["on"]}


def bulk(env, params):
    """Store ``count`` events on ``topics`` in transactions of ``chunk`` (round
    robin over the topics); each payload carries its index and the time just
    before its transaction commits."""
    topics = env["live.topic"].sudo().browse(params["topic_ids"])
    count, chunk = params["count"], params["chunk"]
    started = time.time()
    index = params.get("first", 0)
    end = index + count
    while index < end:
        size = min(chunk, end - index)
        for position, topic in enumerate(topics):
            mine = [
                i for i in range(index, index + size) if i % len(topics) == position
            ]
            if mine:
                topic._store_events(
                    [{"payload": {"bench": i, "t": time.time()}} for i in mine]
                )
        env.cr.commit()
        index += size
    return {"count": count, "seconds": round(time.time() - started, 3)}


def publish_cost(env, params):
    """Time of one publish and its commit (``_publish`` as the API does), with
    and without mirroring, ``rounds`` each, alternating blocks of 50."""
    topic = env["live.topic"].browse(params["topic_id"]).with_user(params["uid"])
    times = {"off": [], "on": []}
    for _block in range(max(1, params["rounds"] // 50)):
        for mode in ("off", "on"):
            mirror(env, {"pattern": params["pattern"], "on": mode == "on"})
            for _i in range(50):
                t0 = time.perf_counter()
                topic._publish({"bench": -1, "t": time.time()})
                env.cr.commit()
                times[mode].append(time.perf_counter() - t0)
    mirror(env, {"pattern": params["pattern"], "on": True})

    def summary(values):
        ordered = sorted(values)
        return {
            "count": len(values),
            "median_ms": round(statistics.median(values) * 1000, 3),
            "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 3),
        }

    off, on = summary(times["off"]), summary(times["on"])
    # the outbox write alone (INSERT + NOTIFY of one event), rolled back
    env.cr.execute(
        "SELECT id FROM live_message WHERE topic_id = %s AND id NOT IN "
        "(SELECT message_id FROM live_nats_outbox) LIMIT 1",
        [topic.id],
    )
    event = env["live.message"].sudo().browse(env.cr.fetchone()[0])
    Outbox = env["live.nats.outbox"].sudo()
    enqueue = []
    for _i in range(params["rounds"]):
        t0 = time.perf_counter()
        with env.cr.savepoint(flush=False) as savepoint:
            Outbox._enqueue(topic, event, "bench.enqueue")
            enqueue.append(time.perf_counter() - t0)
            savepoint.rollback()
    env.cr.rollback()
    return {
        "enqueue_ms": round(statistics.median(enqueue) * 1000, 3),
        "off": off,
        "on": on,
        "added_ms": round(on["median_ms"] - off["median_ms"], 3),
        "added_pct": round(100 * (on["median_ms"] / off["median_ms"] - 1), 1),
    }
