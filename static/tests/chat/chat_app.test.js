import { click, contains, insertText, start, startServer } from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { getService, serverState } from "@web/../tests/web_test_helpers";
import { createTeamRoom, createUser, defineLiveModels } from "../live_test_helpers";

describe.current.tags("desktop");
defineLiveModels();

function openApp() {
    return getService("action").doAction({ type: "ir.actions.client", tag: "live_messaging.chat_app" });
}

test("the Chat app lists rooms, direct messages and topics", async () => {
    const pyEnv = await startServer();
    createTeamRoom({ count: 2 });
    const carolId = createUser("Carol");
    pyEnv["live.topic"].create({ name: "shop/demo", subscribed: true });
    await start();
    pyEnv["live.room"].live_get_direct_room(carolId);
    await openApp();
    await contains(".o-live-ChatApp-sidebar .o-live-RoomList-item", { count: 2 });
    await contains(".o-live-ChatApp-topic", { text: "shop/demo" });
    await click(".o-live-RoomList-item", { text: "Team" });
    await contains(".o-live-RoomView-name", { text: "Team" });
    await contains(".o-live-ChatApp-main .o-live-Message", { count: 2 });
    await insertText(".o-live-ChatApp-main .o-live-Composer-input", "From the app");
    await click(".o-live-ChatApp-main .o-live-Composer-send");
    await contains(".o-live-ChatApp-main .o-live-Message:not(.o-live-Message-pending)", {
        text: "From the app",
    });
});

test("create a room and start a direct chat from the Chat app", async () => {
    const pyEnv = await startServer();
    const bobId = createUser("Bob Builder");
    await start();
    await openApp();
    await click(".o-live-ChatApp-newRoom");
    await insertText(".o-live-NewRoomDialog-name", "Project Phoenix");
    await insertText(".o-live-NewRoomDialog .o-live-UserPicker-input", "Bob");
    await click(".o-live-UserPicker-result", { text: "Bob Builder" });
    await contains(".o-live-UserPicker-chip", { text: "Bob Builder" });
    await click(".o-live-NewRoomDialog-create");
    await contains(".o-live-RoomView-name", { text: "Project Phoenix" });
    const [room] = pyEnv["live.room"].search_read([["name", "=", "Project Phoenix"]]);
    const members = pyEnv["live.room.member"]
        .search_read([["room_id", "=", room.id]])
        .map((m) => m.user_id[0]);
    expect(members.sort()).toEqual([serverState.userId, bobId].sort());

    await click(".o-live-ChatApp-newDirect");
    await insertText(".o-live-DirectChatDialog .o-live-UserPicker-input", "Bob");
    await click(".o-live-UserPicker-result", { text: "Bob Builder" });
    await contains(".o-live-RoomView-name", { text: "Bob Builder" });
    await contains(".o-live-ChatApp-sidebar .o-live-RoomList-item", { count: 2 });
});

test("a room needs a name", async () => {
    await startServer();
    await start();
    await openApp();
    await click(".o-live-ChatApp-newRoom");
    await click(".o-live-NewRoomDialog-create");
    await contains(".o-live-NewRoomDialog-error", { text: "A room needs a name." });
});

test("topic events pushed while the app is closed are shown once, as new, when it opens", async () => {
    const pyEnv = await startServer();
    const topicId = pyEnv["live.topic"].create({ name: "shop/demo", subscribed: true });
    const otherId = createUser("Shop Bot");
    await start();
    // nobody listens yet: the bridge keeps them (saveHistory)
    pyEnv["live.topic"]._publish(topicId, otherId, { event: "checkout", amount: 12 });
    pyEnv["live.topic"]._publish(topicId, otherId, { event: "refund", amount: 3 });
    const bridge = getService("live_messaging.bridge");
    await getService("live_messaging.chat").openWindow();
    await contains(".o-live-ChatWindow-events", { text: "2 new events on your topics" });
    expect(bridge.countSaved("live_messaging/events")).toBe(2);
    await openApp();
    // replayed in order, and not duplicated by the history fetched from the server
    await contains(".o-live-FeedView .o-live-TopicEvent", { count: 2 });
    await contains(".o-live-TopicEvent.o-new", { count: 2 });
    const texts = [...document.querySelectorAll(".o-live-TopicEvent-payload")].map((el) =>
        JSON.parse(el.textContent).event
    );
    expect(texts).toEqual(["refund", "checkout"]);
    expect(bridge.countSaved("live_messaging/events")).toBe(0);
    // while the app is open, events arrive live
    pyEnv["live.topic"]._publish(topicId, otherId, { event: "live" });
    await contains(".o-live-FeedView .o-live-TopicEvent", { count: 3 });
    await contains(".o-live-TopicEvent.o-new", { count: 2 });
    expect(bridge.countSaved("live_messaging/events")).toBe(0);
});

test("events of a filtered topic show no number (no gap to chase)", async () => {
    const pyEnv = await startServer();
    const topicId = pyEnv["live.topic"].create({ name: "sale.order", subscribed: true });
    const plainId = pyEnv["live.topic"].create({ name: "shop/demo", subscribed: true });
    const otherId = createUser("Shop Bot");
    await start();
    await openApp();
    pyEnv["live.topic"]._publish(topicId, otherId, { op: "updated" }, { filtered: true });
    pyEnv["live.topic"]._publish(plainId, otherId, { event: "paid" });
    await contains(".o-live-FeedView .o-live-TopicEvent", { count: 2 });
    await contains(".o-live-TopicEvent-seq", { count: 1, text: "#1" });
});

test("a topic shows its history, can be subscribed to and published on", async () => {
    const pyEnv = await startServer();
    const topicId = pyEnv["live.topic"].create({ name: "shop/demo", description: "Demo shop" });
    for (let index = 1; index <= 35; index++) {
        pyEnv["live.topic"]._publish(topicId, serverState.userId, { n: index });
    }
    await start();
    await openApp();
    await click(".o-live-ChatApp-topic", { text: "shop/demo" });
    await contains(".o-live-TopicView .o-live-TopicEvent", { count: 30 });
    await click(".o-live-TopicView-loadOlder");
    await contains(".o-live-TopicView .o-live-TopicEvent", { count: 35 });
    await contains(".o-live-TopicView-loadOlder", { count: 0 });
    await click(".o-live-TopicView-subscribe", { text: "Subscribe" });
    await contains(".o-live-TopicView-subscribe", { text: "Subscribed" });
    expect(pyEnv["live.topic"].search_read([["id", "=", topicId]])[0].subscribed).toBe(true);
    await insertText(".o-live-TopicView-payload", "not json", { replace: true });
    await click(".o-live-TopicView-publishButton");
    await contains(".o-live-TopicView-error");
    expect(".o-live-TopicView-error").toHaveText(/^This is not valid JSON: /);
    await insertText(".o-live-TopicView-payload", '{"event": "hello"}', { replace: true });
    await click(".o-live-TopicView-publishButton");
    await contains(".o-live-TopicView .o-live-TopicEvent", { count: 36 });
    await contains(".o-live-TopicView-error", { count: 0 });
});

test("invite colleagues to a room, and leave it", async () => {
    const pyEnv = await startServer();
    const { roomId } = createTeamRoom({ count: 1 });
    const daveId = createUser("Dave");
    await start();
    await openApp();
    await click(".o-live-RoomList-item", { text: "Team" });
    await contains(".o-live-RoomView-members", { text: "2 members: Mitchell Admin, Bob" });
    await click(".o-live-RoomView-invite");
    await insertText(".o-live-InviteDialog .o-live-UserPicker-input", "a");
    // members are not offered again
    await contains(".o-live-UserPicker-result", { text: "Dave" });
    await contains(".o-live-UserPicker-result", { count: 0, text: "Bob" });
    await click(".o-live-UserPicker-result", { text: "Dave" });
    await click(".o-live-InviteDialog-invite");
    await contains(".o-live-RoomView-members", { text: "3 members: Mitchell Admin, Bob, Dave" });
    expect(
        pyEnv["live.room.member"].search_count([
            ["room_id", "=", roomId],
            ["user_id", "=", daveId],
        ])
    ).toBe(1);
    await click(".o-live-RoomView-leave");
    await click(".modal-footer button", { text: "Leave" });
    await contains(".o-live-ChatApp-sidebar .o-live-RoomList-item", { count: 0 });
    await contains(".o-live-FeedView");
    expect(
        pyEnv["live.room.member"].search_count([
            ["room_id", "=", roomId],
            ["user_id", "=", serverState.userId],
        ])
    ).toBe(0);
});
