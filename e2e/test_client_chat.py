"""The chat features through the Python client against a real server: an app
sends a delivery photo with a mention, the mentioned member's socket is told,
files are downloaded by members only; edit, reactions and search."""

import base64
import json
import subprocess
import sys
import time

import pytest
from apie2e import CLIENT_DIR, make_api_key
from live_messaging_client import ApiError, Client
from livee2e import receive, receive_first

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGA"
    "hKmMIQAAAABJRU5ErkJggg=="
)


@pytest.fixture(scope="module")
def chat_users(server, admin):
    """Users of their own (password = login): the session's e2e users' sockets
    would get this module's messages replayed by the bus in other tests."""
    stamp = str(time.time_ns())
    users = {}
    for name in ("ana", "ben", "cid"):
        login = f"e2e_chat_{name}_{stamp}"
        uid = server.call(
            admin,
            "res.users",
            "create",
            {"name": f"Chat {name.title()}", "login": login, "password": login},
        )
        users[name] = (uid, login)
    return users


@pytest.fixture(scope="module")
def clients(server, chat_users):
    return {
        name: Client(
            server.url, make_api_key(server, chat_users[name][1]).key, timeout=10
        )
        for name in ("ana", "ben", "cid")
    }


def test_photo_with_a_mention_then_edit_react_search(server, chat_users, clients):
    ana, ben, cid = clients["ana"], clients["ben"], clients["cid"]
    ben_id = chat_users["ben"][0]
    room = ana.create_room(f"Deliveries {time.time_ns()}", member_ids=[ben_id])
    ws_ben = server.websocket(server.session(chat_users["ben"][1]))
    ws_cid = server.websocket(server.session(chat_users["cid"][1]))
    time.sleep(0.5)  # let the subscriptions land
    message = ana.send_file(
        room["id"], PNG, "@Chat Ben delivered", name="delivery.png", mentions=[ben_id]
    )
    (photo,) = message["attachments"]
    assert (photo["name"], photo["mimetype"], photo["is_image"]) == (
        "delivery.png",
        "image/png",
        True,
    )
    assert message["mentions"] == [{"id": ben_id, "name": "Chat Ben"}]
    # the mention reaches Ben's socket, on his own channel; not Cid's
    told, _elapsed = receive_first(ws_ben, "live_messaging/mention", timeout=3.0)
    assert told["message"]["payload"]["message_id"] == message["id"]
    assert not receive(ws_cid, 1.0, "live_messaging/mention")
    # members download it, nobody else
    assert ben.download(room["id"], photo["id"]) == PNG
    with pytest.raises(ApiError) as refused:
        cid.download(room["id"], photo["id"])
    assert refused.value.status == 403
    # edit: same id and seq, pushed as an update
    edited = ana.edit(room["id"], message["id"], "@Chat Ben delivered and signed")
    assert (edited["id"], edited["seq"], edited["edited"]) == (
        message["id"],
        message["seq"],
        True,
    )
    update, _elapsed = receive_first(
        ws_ben, "live_messaging/message_update", timeout=3.0
    )
    assert update["message"]["payload"]["body"] == "@Chat Ben delivered and signed"
    # reactions, idempotent
    for _attempt in range(2):
        reactions = ben.react(room["id"], message["id"], "👍")["reactions"]
    assert [(r["emoji"], r["count"]) for r in reactions] == [("👍", 1)]
    # search: in the room, across rooms; never for Cid
    hits = ben.search("signed", room_id=room["id"])["messages"]
    assert [m["id"] for m in hits] == [message["id"]]
    page = ben.search("and signed")
    assert message["id"] in [m["id"] for m in page["messages"]]
    assert {"id": room["id"], "name": room["name"]} in page["rooms"]
    assert message["id"] not in [m["id"] for m in cid.search("signed")["messages"]]
    # delete
    assert ana.delete(room["id"], message["id"])["deleted"]
    with pytest.raises(ApiError) as gone:
        ben.download(room["id"], photo["id"])
    assert gone.value.status == 404
    for ws in (ws_ben, ws_cid):
        ws.close()


def test_command_line_sends_and_downloads_a_file(server, clients, tmp_path):
    ana = clients["ana"]
    room = ana.create_room(f"CLI files {time.time_ns()}")
    photo = tmp_path / "photo.png"
    photo.write_bytes(PNG)
    env = {"LIVE_URL": server.url, "LIVE_KEY": ana.key, "PYTHONPATH": str(CLIENT_DIR)}
    command = [sys.executable, "-m", "live_messaging_client"]
    posted = subprocess.run(
        [
            *command,
            "post",
            "--room",
            str(room["id"]),
            "--body",
            "",
            "--file",
            str(photo),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    message = json.loads(posted.stdout)
    (attachment,) = message["attachments"]
    assert (attachment["name"], attachment["mimetype"]) == ("photo.png", "image/png")
    assert ana.history(room["id"])["messages"][-1]["id"] == message["id"]
    output = tmp_path / "copy.png"
    subprocess.run(
        [
            *command,
            "download",
            "--room",
            str(room["id"]),
            "--attachment",
            str(attachment["id"]),
            "--output",
            str(output),
        ],
        env=env,
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert output.read_bytes() == PNG
