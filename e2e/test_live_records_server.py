"""Live business screens on a real server: real commits, NOTIFY, sockets."""

import time

from livee2e import receive, receive_first

RECORDS = "live_messaging/records"


def _group_id(server, admin, xmlid):
    module, name = xmlid.split(".")
    [data] = server.call(
        admin,
        "ir.model.data",
        "search_read",
        [("module", "=", module), ("name", "=", name)],
        ["res_id"],
    )
    return data["res_id"]


def test_sale_order_change_reaches_watchers_who_may_read_it(server, admin):
    stamp = str(int(time.time() * 1000))
    own_docs = [
        _group_id(server, admin, "base.group_user"),
        _group_id(server, admin, "sales_team.group_sale_salesman"),
    ]
    users = {}
    for name in ("seller", "other"):
        login = f"e2e_live_{name}_{stamp}"
        uid = server.call(
            admin,
            "res.users",
            "create",
            {
                "name": f"E2E Live {name}",
                "login": login,
                "password": login,
                "groups_id": [(6, 0, own_docs)],
            },
        )
        users[name] = (uid, server.session(login))
    (seller_id, s_seller), (_other_id, s_other) = users["seller"], users["other"]
    for http in (s_seller, s_other):
        watched = server.call(
            http, "live.record.watch", "live_watch", ["sale.order"], f"e2e-{stamp}"
        )
        assert watched["models"] == ["sale.order"]
    ws_seller = server.websocket(s_seller)
    ws_other = server.websocket(s_other)
    time.sleep(0.5)  # let the subscriptions land
    partner_id = server.call(admin, "res.partner", "create", {"name": "E2E Buyer"})
    started = time.monotonic()
    order_id = server.call(
        admin,
        "sale.order",
        "create",
        {"partner_id": partner_id, "user_id": seller_id},
    )
    notif, _elapsed = receive_first(ws_seller, RECORDS, timeout=2.0)
    total = time.monotonic() - started
    assert notif["message"]["payload"] == {
        "model": "sale.order",
        "created": [order_id],
        "updated": [],
        "deleted": [],
    }
    assert total < 1.0, f"create-to-push took {total:.3f}s"
    assert not receive(ws_other, 1.0, RECORDS), "the other seller cannot read it"
    # confirmed by the admin: one notification for the whole transaction
    server.call(admin, "sale.order", "action_confirm", [order_id])
    got = receive(ws_seller, 1.5, RECORDS)
    assert [n["message"]["payload"]["updated"] for n in got] == [[order_id]]
    # the seller closes the view: nothing more
    server.call(
        s_seller, "live.record.watch", "live_unwatch", ["sale.order"], f"e2e-{stamp}"
    )
    server.call(admin, "sale.order", "write", [order_id], {"note": "after closing"})
    assert not receive(ws_seller, 1.0, RECORDS)
    for ws in (ws_seller, ws_other):
        ws.close()
