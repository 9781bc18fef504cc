import {
    click,
    contains,
    patchBrowserNotification,
    start,
    startServer,
} from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { getService, patchWithCleanup } from "@web/../tests/web_test_helpers";
import { createTeamRoom, defineLiveModels } from "../live_test_helpers";

describe.current.tags("desktop");
defineLiveModels();

function messageBodies() {
    return [...document.querySelectorAll(".o-live-Message-body")].map((el) => el.textContent);
}

test("a gap in the numbers fetches the messages that never arrived", async () => {
    const pyEnv = await startServer();
    const { otherId, roomId } = createTeamRoom({ count: 2 });
    await start();
    await getService("live_messaging.chat").openWindow(roomId);
    await contains(".o-live-Message", { count: 2 });
    // #3 is stored but its notification is lost; #4 comes: 3 is missing
    pyEnv["live.room"]._post(roomId, otherId, "Lost on the way", { push: false });
    pyEnv["live.room"]._post(roomId, otherId, "Pushed");
    await contains(".o-live-Message", { count: 4 });
    expect(messageBodies()).toEqual(["Message 1", "Message 2", "Lost on the way", "Pushed"]);
});

test("after a reconnection, unread counts and missed messages are fetched again", async () => {
    const pyEnv = await startServer();
    const { otherId, roomId } = createTeamRoom({ count: 1 });
    const { otherId: carolId, roomId: salesId } = createTeamRoom({
        name: "Sales",
        otherName: "Carol",
    });
    await start();
    await getService("live_messaging.chat").openWindow(roomId);
    await contains(".o-live-Message", { count: 1 });
    // while the socket was down
    pyEnv["live.room"]._post(roomId, otherId, "While you were offline", { push: false });
    pyEnv["live.room"]._post(salesId, carolId, "Sales news", { push: false });
    pyEnv["live.room"]._post(salesId, carolId, "More sales news", { push: false });
    getService("bus_service").trigger("reconnect");
    await contains(".o-live-Message-body", { text: "While you were offline" });
    await click(".o_menu_systray i[aria-label='Messages']");
    await contains(".o-mail-NotificationItem", {
        text: "Sales",
        contains: [[".o-mail-NotificationItem-counter", { text: "2" }]],
    });
});

test("room pushes update the rooms and make the socket re-subscribe", async () => {
    patchBrowserNotification("denied");
    const pyEnv = await startServer();
    const { roomId } = createTeamRoom({ count: 1 });
    await start();
    patchWithCleanup(getService("bus_service"), {
        forceUpdateChannels: () => expect.step("forceUpdateChannels"),
    });
    const chat = getService("live_messaging.chat");
    await chat.openWindow();
    await contains(".o-live-ChatWindow .o-live-RoomList-item", { count: 1 });
    // added to a new room (by somebody else)
    const [team] = pyEnv["live.room"]._format([roomId]);
    pyEnv["bus.bus"]._sendone("broadcast", "live_messaging/room", {
        room: { ...team, id: 999, name: "Project X", unread: 0, last_seq: 0 },
    });
    await contains(".o-live-ChatWindow .o-live-RoomList-item", { text: "Project X" });
    // renamed
    pyEnv["bus.bus"]._sendone("broadcast", "live_messaging/room", {
        room: { ...team, name: "Team (renamed)" },
    });
    await contains(".o-live-ChatWindow .o-live-RoomList-item", { text: "Team (renamed)" });
    // removed from a room
    pyEnv["bus.bus"]._sendone("broadcast", "live_messaging/room_left", { room_id: 999 });
    await contains(".o-live-ChatWindow .o-live-RoomList-item", { count: 1 });
    expect.verifySteps(["forceUpdateChannels", "forceUpdateChannels", "forceUpdateChannels"]);
    // another tab read the room
    await contains(".o-mail-MessagingMenu-counter", { text: "1" });
    pyEnv["bus.bus"]._sendone("broadcast", "live_messaging/seen", {
        room_id: roomId,
        last_seen_seq: 1,
        unread: 0,
    });
    await contains(".o-mail-MessagingMenu-counter", { count: 0 });
});
