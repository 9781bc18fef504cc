"""Live support against the real server: two agents claim the same visitor at
the same moment (one wins, the other gets 409 already_taken), and a visitor's
websocket authenticated by its token only."""

import threading
import time

import pytest
import requests
from livee2e import receive, receive_first

API = "/live/api/v1/support"
RATE_PARAM = "live_messaging.support_join_rate_limit"
PUBLIC_RATE_PARAM = "live_messaging.public_rate_limit"


@pytest.fixture(scope="module")
def agents(server, admin):
    """Two fresh support agents, logged in (password = login)."""
    group_ids = [
        server.call(
            admin,
            "ir.model.data",
            "search_read",
            [("module", "=", module), ("name", "=", name)],
            ["res_id"],
        )[0]["res_id"]
        for module, name in (
            ("base", "group_user"),
            ("live_messaging", "group_live_support_agent"),
        )
    ]
    stamp = str(int(time.time() * 1000))
    sessions = []
    for name in ("ava", "bo"):
        login = f"e2e_agent_{name}_{stamp}"
        server.call(
            admin,
            "res.users",
            "create",
            {
                "name": f"Agent {name.title()}",
                "login": login,
                "password": login,
                "groups_id": [(4, group_id) for group_id in group_ids],
            },
        )
        sessions.append(server.session(login))
    previous = {
        param: server.call(admin, "ir.config_parameter", "get_param", param)
        for param in (RATE_PARAM, PUBLIC_RATE_PARAM)
    }
    for param in previous:
        server.call(admin, "ir.config_parameter", "set_param", param, "0")
    yield sessions
    for param, value in previous.items():
        server.call(admin, "ir.config_parameter", "set_param", param, value or False)


def join(server, name, message=None):
    body = {"name": name}
    if message:
        body["message"] = message
    response = requests.post(f"{server.url}{API}/join", json=body, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()


def support_events(ws, until, timeout):
    """The support events ``ws`` gets, up to ``until`` or ``timeout`` s."""
    events = []
    deadline = time.monotonic() + timeout
    while until not in events and (remaining := deadline - time.monotonic()) > 0:
        try:
            notif, _elapsed = receive_first(ws, "live_messaging/support", remaining)
        except AssertionError:
            break
        events.append(notif["message"]["payload"]["event"])
    return events


def claim(server, http, session_id):
    return http.post(
        f"{server.url}{API}/sessions/{session_id}/claim",
        headers={"Content-Type": "application/json"},
        timeout=60,
    )


def test_claim_race_has_one_winner(server, agents):
    for round_ in range(10):
        visitor = join(server, f"Racer {round_}")
        barrier = threading.Barrier(2)
        results = [None, None]

        def run(index, visitor=visitor, barrier=barrier, results=results):
            barrier.wait()
            results[index] = claim(server, agents[index], visitor["session_id"])

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(90)
        statuses = sorted(r.status_code for r in results)
        assert statuses == [200, 409], [r.text for r in results]
        loser = next(r for r in results if r.status_code == 409)
        assert loser.json()["error"]["code"] == "already_taken"
        winner = next(r for r in results if r.status_code == 200).json()
        history = requests.post(
            f"{server.url}{API}/history", json={"token": visitor["token"]}, timeout=30
        ).json()
        assert history["state"] == "active"
        assert history["agent"] == winner["agent"]


def test_visitor_socket_by_token(server, agents):
    visitor = join(server, "Wanda Socket", "Hello?")
    other = join(server, "Eve Other")
    ws = server.websocket(channels=[visitor["channel"]])
    ws_eve = server.websocket(
        channels=[other["channel"], f"live.room_{visitor['room_id']}"]
    )
    agent = agents[0]
    ws_agent = server.websocket(agent)
    try:
        time.sleep(0.5)  # the subscriptions are processed
        response = claim(server, agent, visitor["session_id"])
        assert response.status_code == 200, response.text
        notif, _elapsed = receive_first(ws, "live_messaging/support", 10)
        assert notif["message"]["payload"]["event"] == "claimed"
        # the agent's socket follows the room it just joined
        ws_agent.close()
        ws_agent = server.websocket(agent)
        time.sleep(0.5)
        server.call(
            agent, "live.room", "live_post_message", [visitor["room_id"]], "Hi Wanda"
        )
        notif, _elapsed = receive_first(ws, "live_messaging/message", 10)
        assert notif["message"]["payload"]["body"] == "Hi Wanda"
        server.call(agent, "live.room", "live_set_typing", [visitor["room_id"]], True)
        notif, _elapsed = receive_first(ws, "live_messaging/typing", 10)
        assert notif["message"]["payload"]["name"].startswith("Agent")
        rooms = {n["message"]["payload"].get("room_id") for n in receive(ws_eve, 1)}
        assert visitor["room_id"] not in rooms
        # the visitor leaves (socket closed): the agent is told
        ws.close()
        assert "visitor_left" in support_events(ws_agent, "visitor_left", 10)
        # back with the same token: the whole history
        history = requests.post(
            f"{server.url}{API}/history", json={"token": visitor["token"]}, timeout=30
        ).json()
        bodies = [m["body"] for m in history["messages"]]
        assert "Hello?" in bodies and "Hi Wanda" in bodies
    finally:
        for sock in (ws, ws_eve, ws_agent):
            sock.close()
