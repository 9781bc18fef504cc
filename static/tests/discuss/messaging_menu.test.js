import {
    click,
    contains,
    patchBrowserNotification,
    start,
    startServer,
    triggerEvents,
} from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import {
    Command,
    getService,
    mockService,
    serverState,
    withUser,
} from "@web/../tests/web_test_helpers";
import { rpc } from "@web/core/network/rpc";
import { createDirectRoom, createTeamRoom, createUser, defineLiveModels } from "../live_test_helpers";

describe.current.tags("desktop");
defineLiveModels();

const MENU = ".o_menu_systray i[aria-label='Messages']";
const ROOM_ITEM = ".o-mail-NotificationItem:has(.o-live-MessagingMenu-room)";

function liveItemNames() {
    return [...document.querySelectorAll(".o-mail-MessagingMenu-list .o-mail-NotificationItem-name")]
        .map((el) => el.textContent.trim());
}

test("rooms are in Discuss's messaging menu, and its counter counts them: one inbox", async () => {
    patchBrowserNotification("denied");
    const pyEnv = await startServer();
    // a Discuss conversation with something unread
    const janeId = pyEnv["res.partner"].create({ name: "Jane" });
    const channelId = pyEnv["discuss.channel"].create({
        name: "General",
        channel_member_ids: [
            Command.create({
                fold_state: "closed",
                message_unread_counter: 1,
                partner_id: serverState.partnerId,
            }),
            Command.create({ partner_id: janeId }),
        ],
    });
    pyEnv["mail.message"].create({
        author_id: janeId,
        body: "first message",
        message_type: "comment",
        model: "discuss.channel",
        res_id: channelId,
    });
    const { otherId, roomId } = createTeamRoom({ count: 2 });
    createTeamRoom({ name: "Sales", otherName: "Carol", count: 1 });
    createTeamRoom({ name: "Quiet", otherName: "Quinn" });
    await start();
    // Discuss's channel (1) + two rooms with unread messages: one per conversation
    await contains(".o-mail-MessagingMenu-counter", { text: "3" });
    // no second chat button in the navbar
    await contains(".o-live-SystrayItem", { count: 0 });
    await click(MENU);
    await contains(ROOM_ITEM, { count: 3 });
    await contains(`${ROOM_ITEM}:has(.o-mail-NotificationItem-counter)`, { count: 2 });
    await contains(ROOM_ITEM, {
        text: "Team",
        contains: [
            [".o-mail-NotificationItem-counter", { text: "2" }],
            [".o-mail-NotificationItem-text", { text: "Bob: Message 2" }],
        ],
    });
    // unread rooms before Discuss's conversations, the others after them
    await contains(".o-mail-NotificationItem", { text: "General" });
    expect(liveItemNames()).toEqual(["Sales", "Team", "General", "Quiet"]);
    // a new message from somebody else: the counter follows, live
    pyEnv["live.room"]._post(roomId, otherId, "Are you there?");
    await contains(ROOM_ITEM, {
        text: "Team",
        contains: [[".o-mail-NotificationItem-counter", { text: "3" }]],
    });
    await contains(".o-mail-MessagingMenu-counter", { text: "3" });
    // writing is reading (another tab, an app): one conversation less
    pyEnv["live.room"]._post(roomId, serverState.userId, "Here I am <3 & ready");
    await contains(".o-mail-MessagingMenu-counter", { text: "2" });
    await contains(ROOM_ITEM, {
        text: "Team",
        // as typed: the stored body's entities are not shown
        contains: [[".o-mail-NotificationItem-text", { text: "You: Here I am <3 & ready" }]],
    });
});

test("a room opens in the chat window, where it is read", async () => {
    patchBrowserNotification("denied");
    const pyEnv = await startServer();
    const { roomId } = createTeamRoom({ count: 2 });
    await start();
    await contains(".o-mail-MessagingMenu-counter", { text: "1" });
    await click(MENU);
    await click(ROOM_ITEM, { text: "Team" });
    await contains(".o-mail-MessagingMenu", { count: 0 });
    await contains(".o-live-ChatWindow-title", { text: "Team" });
    await contains(".o-live-ChatWindow .o-live-Message", { count: 2 });
    await contains(".o-mail-MessagingMenu-counter", { count: 0 });
    const [member] = pyEnv["live.room.member"].search_read([
        ["room_id", "=", roomId],
        ["user_id", "=", serverState.userId],
    ]);
    expect(member.last_seen_seq).toBe(2);
    // Discuss's own chat window was not used
    await contains(".o-mail-ChatWindow", { count: 0 });
});

test("the check mark reads a room without opening it", async () => {
    patchBrowserNotification("denied");
    await startServer();
    createTeamRoom({ count: 2 });
    await start();
    await click(MENU);
    await triggerEvents(ROOM_ITEM, ["mouseenter"], { text: "Team" });
    await click(`${ROOM_ITEM} .o-mail-NotificationItem-markAsRead`);
    await contains(".o-mail-MessagingMenu-counter", { count: 0 });
    await contains(`${ROOM_ITEM}:has(.o-mail-NotificationItem-counter)`, { count: 0 });
    await contains(".o-live-ChatWindow", { count: 0 });
});

test("Chats and Channels tabs, and the quick search, filter the rooms too", async () => {
    patchBrowserNotification("denied");
    await startServer();
    createTeamRoom({ count: 1 });
    createDirectRoom({ otherName: "Dana", count: 1 });
    await start();
    await click(MENU);
    await contains(ROOM_ITEM, { count: 2 });
    await click(".o-mail-MessagingMenu-headerFilter", { text: "Chats" });
    await contains(ROOM_ITEM, { count: 1, text: "Dana" });
    await click(".o-mail-MessagingMenu-headerFilter", { text: "Channels" });
    await contains(ROOM_ITEM, { count: 1, text: "Team" });
    await click(".o-mail-MessagingMenu-headerFilter", { text: "All" });
    getService("mail.store").discuss.searchTerm = "dan";
    await contains(ROOM_ITEM, { count: 1, text: "Dana" });
});

test("a direct room shows the other person's face and presence", async () => {
    patchBrowserNotification("denied");
    await startServer();
    const { partnerId } = createDirectRoom({ otherName: "Dana", count: 1, imStatus: "online" });
    await start();
    await click(MENU);
    await contains(ROOM_ITEM, {
        text: "Dana",
        contains: [
            [`img[data-src='/web/image/res.partner/${partnerId}/avatar_128']`],
            [".o-live-ImStatus[data-status='online']"],
            // the other person's own message: no "Dana:" prefix, as Discuss
            [".o-mail-NotificationItem-text", { text: "Direct 1" }],
        ],
    });
});

test("topic events kept while the Chat app is closed are announced in the menu", async () => {
    patchBrowserNotification("denied");
    const pyEnv = await startServer();
    const topicId = pyEnv["live.topic"].create({ name: "shop/demo", subscribed: true });
    const botId = createUser("Shop Bot");
    mockService("action", {
        doAction(action, options) {
            // the Chat app's action record, as the server would load it
            if (action === "live_messaging.live_chat_action") {
                action = { type: "ir.actions.client", tag: "live_messaging.chat_app" };
            }
            return super.doAction(action, options);
        },
    });
    await start();
    pyEnv["live.topic"]._publish(topicId, botId, { event: "checkout" });
    pyEnv["live.topic"]._publish(topicId, botId, { event: "refund" });
    await click(MENU);
    const feedItem = ".o-mail-NotificationItem:has(.o-live-MessagingMenu-feed)";
    await contains(feedItem, {
        contains: [[".o-mail-NotificationItem-text", { text: "2 new events on your topics" }]],
    });
    await click(feedItem);
    await contains(".o-live-FeedView .o-live-TopicEvent.o-new", { count: 2 });
});

test("a Discuss message and a room message add up in the one counter, live", async () => {
    patchBrowserNotification("denied");
    const pyEnv = await startServer();
    const janeId = pyEnv["res.partner"].create({ name: "Jane" });
    const janeUserId = pyEnv["res.users"].create({ partner_id: janeId });
    const channelId = pyEnv["discuss.channel"].create({
        name: "General",
        channel_member_ids: [
            Command.create({ fold_state: "closed", partner_id: serverState.partnerId }),
            Command.create({ partner_id: janeId }),
        ],
    });
    const { otherId, roomId } = createTeamRoom();
    await start();
    await contains(MENU);
    await contains(".o-mail-MessagingMenu-counter", { count: 0 });
    pyEnv["live.room"]._post(roomId, otherId, "From the room");
    await contains(".o-mail-MessagingMenu-counter", { text: "1" });
    withUser(janeUserId, () =>
        rpc("/mail/message/post", {
            post_data: { body: "From Discuss", message_type: "comment" },
            thread_id: channelId,
            thread_model: "discuss.channel",
        })
    );
    await contains(".o-mail-MessagingMenu-counter", { text: "2" });
});
