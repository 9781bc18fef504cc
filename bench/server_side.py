"""Benchmark code that runs inside Odoo (``odoo-bin shell``), given ``env``.

The runner feeds ``odoo-bin shell`` a few lines that import this file and call
one function; each returns a JSON-serialisable dict and commits what it made.
Nothing here is part of the addon: it is never imported by Odoo itself.
"""

import statistics
import time

USERS = ("bench_pub", "bench_sub")


def _user(env, login):
    users = env["res.users"].sudo().with_context(active_test=False)
    user = users.search([("login", "=", login)])
    if not user:
        user = users.create(
            {
                "name": login.replace("_", " ").title(),
                "login": login,
                "password": login,
                "groups_id": [(6, 0, [env.ref("base.group_user").id])],
            }
        )
    return user


def setup(env, params):
    """Users (password = login), their API keys, the rooms, a Discuss channel,
    the API rate limit off, and a room of ``history`` messages inserted by SQL."""
    pub, sub = (_user(env, login) for login in USERS)
    # sudo: ir.config_parameter - the benchmark floods the API on purpose
    env["ir.config_parameter"].sudo().set_param("live_messaging.api_rate_limit", "0")
    # thousands of sockets of one user and one key, on purpose
    for key in ("websocket_max_per_user", "websocket_max_per_key"):
        env["ir.config_parameter"].sudo().set_param(f"live_messaging.{key}", "0")
    keys = {
        user.login: env["res.users.apikeys"]
        .with_user(user)
        .sudo()
        ._generate(None, "bench", None)
        for user in (pub, sub)
    }
    Room = env["live.room"].with_user(pub)
    room = Room.live_create_group_room("Bench live", [sub.id])
    # one room per concurrent publisher, for throughput without contention
    rooms = [
        Room.live_create_group_room(f"Bench live {i}", [sub.id]).id
        for i in range(int(params.get("rooms", 0)))
    ]
    history = Room.live_create_group_room("Bench history", [sub.id])
    channel = (
        env["discuss.channel"].with_user(pub).channel_create("Bench Discuss", None)
    )
    channel.add_members(partner_ids=sub.partner_id.ids, post_joined_message=False)
    count = int(params.get("history", 0))
    if count:
        env.cr.execute(
            """
            INSERT INTO live_message (room_id, seq, kind, body, author_id,
                author_name, create_uid, write_uid, create_date, write_date)
            SELECT %(room)s, g, 'chat', 'history message ' || g, %(uid)s,
                   %(name)s, %(uid)s, %(uid)s,
                   now() - make_interval(secs => %(count)s - g),
                   now() - make_interval(secs => %(count)s - g)
              FROM generate_series(1, %(count)s) g
            """,
            {"room": history.id, "uid": pub.id, "name": pub.name, "count": count},
        )
        env.cr.execute(
            "UPDATE live_room SET last_seq = %s, last_message_id = "
            "(SELECT max(id) FROM live_message WHERE room_id = %s) WHERE id = %s",
            [count, history.id, history.id],
        )
        env.cr.execute("ANALYZE live_message")
    env.cr.commit()
    return {
        "users": {u.login: u.id for u in (pub, sub)},
        "keys": keys,
        "room": room.id,
        "rooms": rooms,
        "history_room": history.id,
        "channel": channel.id,
    }


def history_sql(env, params):
    """What ``_fetch_page`` costs on the history room: the ORM call (newest
    page, deep page) and the SQL it issues, under EXPLAIN ANALYZE."""
    room = env["live.room"].browse(params["room"])
    Message = env["live.message"].sudo()
    env.cr.execute(
        "SELECT min(id), max(id), count(*) FROM live_message WHERE room_id = %s",
        [room.id],
    )
    low, high, count = env.cr.fetchone()
    deep = low + 100  # the page just after the oldest 100 messages
    rounds = int(params.get("rounds", 50))
    result = {"messages": count, "deep_before": deep}
    for label, before in (("newest", None), ("deep", deep)):
        domain = [("room_id", "=", room.id)]
        if before:
            domain.append(("id", "<", before))
        query = Message._search(domain, order="id desc", limit=51)
        sql = query.select()
        plan_times, orm_times = [], []
        plan = []
        for _i in range(rounds):
            env.cr.execute(
                "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql.code, sql.params
            )
            plan = env.cr.fetchone()[0][0]
            plan_times.append(plan["Execution Time"] + plan["Planning Time"])
            env.invalidate_all()
            started = time.perf_counter()
            Message._fetch_page([("room_id", "=", room.id)], before=before, limit=50)
            orm_times.append((time.perf_counter() - started) * 1000)
        env.cr.execute("EXPLAIN " + sql.code, sql.params)
        result[label] = {
            "sql": sql.code,
            "plan": "\n".join(row[0] for row in env.cr.fetchall()),
            "sql_ms_median": statistics.median(plan_times),
            "sql_ms_max": max(plan_times),
            "orm_ms_median": statistics.median(orm_times),
        }
    env.cr.rollback()
    return result


def sale_write(env, params):
    """``sale.order.write`` + flush with the live push on (nobody listening)
    and off (``_live_records = False``), interleaved; rolled back."""
    order = env["sale.order"].search([], limit=1)
    cls = type(order)
    # nobody listens: no open views, no subscribers of the record topic (the
    # demo data has some); rolled back at the end like the writes
    env.cr.execute("DELETE FROM live_record_watch")
    env.cr.execute(
        "DELETE FROM live_topic_subscription WHERE topic_id IN "
        "(SELECT id FROM live_topic WHERE name = 'sale.order')"
    )
    env.invalidate_all()
    env.registry.clear_cache()
    listened = env["live.record.watch"]._live_listened_models()
    rounds = int(params.get("rounds", 200))
    times = {"on": [], "off": []}
    original = cls._live_records
    try:
        for i in range(rounds):
            for mode in ("off", "on") if i % 2 else ("on", "off"):
                cls._live_records = mode == "on"
                started = time.perf_counter()
                order.write({"client_order_ref": f"bench {mode} {i}"})
                env.flush_all()
                times[mode].append((time.perf_counter() - started) * 1e6)
    finally:
        cls._live_records = original
        env.cr.rollback()
    on, off = (statistics.median(times[m]) for m in ("on", "off"))
    return {
        "rounds": rounds,
        "listened_models": sorted(listened),
        "on_us_median": on,
        "off_us_median": off,
        "on_us_mean": statistics.fmean(times["on"]),
        "off_us_mean": statistics.fmean(times["off"]),
        "overhead_pct": (on - off) / off * 100,
    }
