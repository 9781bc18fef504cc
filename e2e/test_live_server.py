"""A real server, real clients: what a deployment does, not a test cursor."""

import time

from livee2e import receive, receive_first

MESSAGE = "live_messaging/message"


def test_health_and_websocket_route(server):
    import requests

    assert requests.get(f"{server.url}/websocket/health", timeout=5).ok


def test_message_reaches_member_live_and_nobody_else(server, e2e_users):
    (_ana_id, ana), (ben_id, ben), (_cid_id, cid) = (
        e2e_users["ana"],
        e2e_users["ben"],
        e2e_users["cid"],
    )
    s_ana, s_ben, s_cid = (server.session(login) for login in (ana, ben, cid))
    room_id = server.call(
        s_ana, "live.room", "live_create_group_room", "E2E room", [ben_id]
    )
    ws_ben = server.websocket(s_ben)
    ws_cid = server.websocket(s_cid, channels=[f"live.room_{room_id}"])
    ws_anon = server.websocket(None, channels=[f"live.room_{room_id}"])
    time.sleep(0.5)  # let the subscriptions land
    started = time.monotonic()
    sent = server.call(
        s_ana, "live.room", "live_post_message", [room_id], "Hello over the wire"
    )
    notif, elapsed = receive_first(ws_ben, MESSAGE, timeout=2.0)
    total = time.monotonic() - started
    assert notif["message"]["payload"]["id"] == sent["id"]
    assert notif["message"]["payload"]["body"] == "Hello over the wire"
    assert total < 1.0, f"post-to-receive took {total:.3f}s"
    assert not receive(ws_cid, 1.0, MESSAGE)
    assert not receive(ws_anon, 0.5, MESSAGE)
    # reconnecting with the last id seen replays what was missed, in order
    ws_ben.close()
    for body in ("missed 1", "missed 2"):
        server.call(s_ana, "live.room", "live_post_message", [room_id], body)
    ws_ben = server.websocket(s_ben, last=notif["id"])
    got = receive(ws_ben, 1.5, MESSAGE)
    assert [n["message"]["payload"]["body"] for n in got] == ["missed 1", "missed 2"]
    for ws in (ws_ben, ws_cid, ws_anon):
        ws.close()


def test_demo_users_direct_room(server):
    """Mitchell Admin writes to Marc Demo in their demo direct room; Marc's
    socket gets it, Lisa's does not."""
    s_admin = server.session("admin", "admin")
    s_demo = server.session("demo", "demo")
    s_lisa = server.session("lisa", "lisa")
    demo_uid = s_demo.uid
    room_id = server.call(s_admin, "live.room", "live_get_direct_room", demo_uid)
    ws_demo = server.websocket(s_demo)
    ws_lisa = server.websocket(s_lisa)
    time.sleep(0.5)
    server.call(s_admin, "live.room", "live_post_message", [room_id], "Hi Marc")
    notif, _elapsed = receive_first(ws_demo, MESSAGE, timeout=2.0)
    assert notif["message"]["payload"]["author"]["id"] == s_admin.uid
    assert not receive(ws_lisa, 1.0, MESSAGE)
    ws_demo.close()
    ws_lisa.close()
