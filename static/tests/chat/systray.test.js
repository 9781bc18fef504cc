import { click, contains, start, startServer } from "@mail/../tests/mail_test_helpers";
import { beforeEach, describe, expect, test } from "@odoo/hoot";
import { browser } from "@web/core/browser/browser";
import {
    getService,
    makeServerError,
    onRpc,
    serverState,
} from "@web/../tests/web_test_helpers";
import { createTeamRoom, defineLiveModels, withoutDiscussMenu } from "../live_test_helpers";

describe.current.tags("desktop");
defineLiveModels();
// the systray's own chat button is for databases without Discuss (with it, the
// rooms are in Discuss's messaging menu: static/tests/discuss/)
beforeEach(withoutDiscussMenu);

test("the systray shows the total unread count, updated live", async () => {
    const pyEnv = await startServer();
    const { otherId, roomId } = createTeamRoom({ count: 2 });
    const { roomId: otherRoomId } = createTeamRoom({ name: "Sales", otherName: "Carol", count: 1 });
    await start();
    await contains(".o-live-SystrayItem-badge", { text: "3" });
    // a message of somebody else, pushed on the bus: one more unread
    pyEnv["live.room"]._post(roomId, otherId, "Are you there?");
    await contains(".o-live-SystrayItem-badge", { text: "4" });
    // writing is reading (from another tab, or an app): the room is read
    pyEnv["live.room"]._post(otherRoomId, serverState.userId, "Mine");
    await contains(".o-live-SystrayItem-badge", { text: "3" });
    const unread = Object.fromEntries(
        pyEnv["live.room"].live_get_rooms().map((room) => [room.name, room.unread])
    );
    expect(unread).toEqual({ Team: 3, Sales: 0 });
});

test("the systray button opens the chat window; a room shown there is read", async () => {
    const pyEnv = await startServer();
    const { otherId, roomId } = createTeamRoom({ count: 2 });
    createTeamRoom({ name: "Sales", otherName: "Carol", count: 1 });
    await start();
    await contains(".o-live-SystrayItem-badge", { text: "3" });
    await click(".o-live-SystrayItem button");
    await contains(".o-live-ChatWindow .o-live-RoomList-item", { count: 2 });
    await contains(".o-live-RoomList-item.o-unread", { count: 2 });
    await click(".o-live-RoomList-item", { text: "Team" });
    await contains(".o-live-ChatWindow .o-live-Message", { count: 2 });
    await contains(".o-live-ChatWindow-title", { text: "Team" });
    // shown, hence read: the server's cursor moved, the count went down
    await contains(".o-live-SystrayItem-badge", { text: "1" });
    const member = pyEnv["live.room.member"].search_read([
        ["room_id", "=", roomId],
        ["user_id", "=", serverState.userId],
    ])[0];
    expect(member.last_seen_seq).toBe(2);
    // a new message in the room on screen is read at once, not counted
    pyEnv["live.room"]._post(roomId, otherId, "Live one");
    await contains(".o-live-ChatWindow .o-live-Message", { count: 3 });
    await contains(".o-live-Message-body", { text: "Live one" });
    await contains(".o-live-SystrayItem-badge", { text: "1" });
    // the window state is kept per database and user (a reload shows it again)
    const saved = JSON.parse(
        browser.localStorage.getItem(`live_messaging.chat_ui.test.${serverState.userId}`)
    );
    expect(saved.window).toEqual({ open: true, folded: false, roomId });
    // fold, back, close
    await click(".o-live-ChatWindow-fold");
    await contains(".o-live-ChatWindow.o-folded");
    await contains(".o-live-ChatWindow-unread", { text: "1" });
    await click(".o-live-ChatWindow-header");
    await click(".o-live-ChatWindow-back");
    await contains(".o-live-ChatWindow .o-live-RoomList-item", { count: 2 });
    await click(".o-live-ChatWindow-close");
    await contains(".o-live-ChatWindow", { count: 0 });
});

test("the chat window comes back as it was after a reload", async () => {
    await startServer();
    const { roomId } = createTeamRoom({ count: 1 });
    browser.localStorage.setItem(
        `live_messaging.chat_ui.test.${serverState.userId}`,
        JSON.stringify({ window: { open: true, folded: false, roomId } })
    );
    await start();
    await contains(".o-live-ChatWindow-title", { text: "Team" });
    await contains(".o-live-ChatWindow .o-live-Message-body", { text: "Message 1" });
});

test("no chat button for a user who may not chat", async () => {
    await startServer();
    onRpc("live.room", "live_get_rooms", () => {
        throw makeServerError({ type: "AccessError", description: "Not a live user" });
    });
    await start();
    await contains(".o_menu_systray");
    await contains(".o-live-SystrayItem", { count: 0 });
    expect(getService("live_messaging.chat").state.unavailable).toBe(true);
});
