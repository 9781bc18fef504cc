import {
    click,
    contains,
    insertText,
    start,
    startServer,
    triggerHotkey,
} from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { advanceTime } from "@odoo/hoot-mock";
import { getService, onRpc, serverState } from "@web/../tests/web_test_helpers";
import {
    mentionCandidates,
    mentionQueryAt,
    mentionsInBody,
    splitBody,
} from "@live_messaging/chat/mentions/mention_text";
import { SEEN_DELAY } from "@live_messaging/core/chat_service";
import { createTeamRoom, createUser } from "../live_test_helpers";
import { defineLiveFeatureModels } from "./chat_features_helpers";

describe.current.tags("desktop");
defineLiveFeatureModels();

test("the @query under the caret, the members it matches", () => {
    expect(mentionQueryAt("hi @bo", 6)).toEqual({ start: 3, query: "bo" });
    expect(mentionQueryAt("@Marc De", 8)).toEqual({ start: 0, query: "Marc De" });
    // an email is no mention; nor a query over a line end
    expect(mentionQueryAt("mail a@b", 8)).toBe(null);
    expect(mentionQueryAt("@bo\nx", 5)).toBe(null);
    expect(mentionQueryAt("no mention", 10)).toBe(null);
    const members = [
        { id: 1, name: "Me" },
        { id: 2, name: "Bob" },
        { id: 3, name: "Élodie Robert" },
        { id: 4, name: "Alice" },
    ];
    // names starting with the query first; accents ignored; never oneself
    expect(mentionCandidates(members, "bo", 1).map((m) => m.name)).toEqual(["Bob"]);
    expect(mentionCandidates(members, "ro", 1).map((m) => m.name)).toEqual(["Élodie Robert"]);
    expect(mentionCandidates(members, "elo", 1).map((m) => m.name)).toEqual(["Élodie Robert"]);
    expect(mentionCandidates(members, "", 1).map((m) => m.id)).toEqual([4, 2, 3]);
    expect(
        mentionsInBody("@Bob hi", [
            { id: 2, name: "Bob" },
            { id: 4, name: "Alice" },
        ]),
    ).toEqual([{ id: 2, name: "Bob" }]);
});

test("a body cut into text, mentions and search matches", () => {
    const mentions = [
        { id: 2, name: "Bob" },
        { id: 5, name: "Bob Smith" },
    ];
    expect(splitBody("hi @Bob Smith and @Bob, <b>", mentions)).toEqual([
        { text: "hi " },
        { text: "@Bob Smith", mention: mentions[1] },
        { text: " and " },
        { text: "@Bob", mention: mentions[0] },
        { text: ", <b>" },
    ]);
    expect(splitBody("Invoice, INVOICE", [], "invoice")).toEqual([
        { text: "Invoice", match: true },
        { text: ", " },
        { text: "INVOICE", match: true },
    ]);
    // regex characters are text
    expect(splitBody("a (b)", [], "(b")).toEqual([
        { text: "a " },
        { text: "(b", match: true },
        { text: ")" },
    ]);
});

test("typing @ lists the room's members; the chosen one is sent as a mention", async () => {
    const pyEnv = await startServer();
    const { roomId, otherId } = createTeamRoom({ otherName: "Bob" });
    const carolId = createUser("Carol");
    pyEnv["live.room.member"].create({ room_id: roomId, user_id: carolId });
    onRpc("live.room", "live_post_message", ({ kwargs }) => {
        expect.step(`mention_ids=${JSON.stringify(kwargs.mention_ids)}`);
    });
    await start();
    await getService("live_messaging.chat").openWindow(roomId);
    await insertText(".o-live-Composer-input", "Hi @");
    // everybody but oneself
    await contains(".o-live-MentionList-item", { count: 2 });
    await insertText(".o-live-Composer-input", "ca");
    await contains(".o-live-MentionList-item", { count: 1, text: "Carol" });
    triggerHotkey("Enter");
    await contains(".o-live-MentionList", { count: 0 });
    expect(".o-live-Composer-input").toHaveValue("Hi @Carol ");
    // the mouse works too
    await insertText(".o-live-Composer-input", "and @b");
    await click(".o-live-MentionList-item", { text: "Bob" });
    expect(".o-live-Composer-input").toHaveValue("Hi @Carol and @Bob ");
    triggerHotkey("Enter");
    await contains(".o-live-Message:not(.o-live-Message-pending) .o-live-Mention", { count: 2 });
    expect.verifySteps([`mention_ids=${JSON.stringify([carolId, otherId])}`]);
    const [message] = pyEnv["live.message"].search_read([["room_id", "=", roomId]]);
    expect(message.mention_ids).toEqual([carolId, otherId]);
});

test("a mention taken out of the text before sending is not sent; Escape closes the list", async () => {
    await startServer();
    const { roomId } = createTeamRoom({ otherName: "Bob" });
    onRpc("live.room", "live_post_message", ({ kwargs }) => {
        expect.step(`mention_ids=${JSON.stringify(kwargs.mention_ids ?? [])}`);
    });
    await start();
    await getService("live_messaging.chat").openWindow(roomId);
    await insertText(".o-live-Composer-input", "@b");
    await contains(".o-live-MentionList-item", { text: "Bob" });
    triggerHotkey("Tab");
    await contains(".o-live-MentionList", { count: 0 });
    await insertText(".o-live-Composer-input", "never mind", { replace: true });
    await insertText(".o-live-Composer-input", " @b");
    await contains(".o-live-MentionList");
    triggerHotkey("Escape");
    await contains(".o-live-MentionList", { count: 0 });
    // Enter now sends: the list is closed
    triggerHotkey("Enter");
    await contains(".o-live-Message:not(.o-live-Message-pending)", { text: "never mind @b" });
    expect.verifySteps(["mention_ids=[]"]);
});

test("mentions are highlighted, one's own more; a mention elsewhere is counted and told", async () => {
    const pyEnv = await startServer();
    const { roomId, otherId } = createTeamRoom({ otherName: "Bob" });
    const other = createTeamRoom({ name: "Elsewhere", otherName: "Dan" });
    const [{ name: myName }] = pyEnv["res.users"].read([serverState.userId], ["name"]);
    await start();
    const chat = getService("live_messaging.chat");
    await chat.openWindow(roomId);
    await contains(".o-live-MessageList-empty");
    pyEnv["live.room"]._post(roomId, otherId, `Hello @${myName} and @Bob`, {
        mentionIds: [serverState.userId, otherId],
    });
    await contains(".o-live-Mention-me", { text: `@${myName}` });
    await contains(".o-live-Mention:not(.o-live-Mention-me)", { text: "@Bob" });
    // the room is on screen: no count, no notification
    expect(chat.state.rooms[roomId].unread_mentions || 0).toBe(0);
    expect(".o-live-MentionNotification").toHaveCount(0);
    // in a room not on screen (the window folded)
    chat.updateWindow({ folded: true });
    pyEnv["live.room"]._post(other.roomId, other.otherId, `@${myName} can you check?`, {
        mentionIds: [serverState.userId],
    });
    await contains(".o-live-MentionNotification .o_notification_title", {
        text: "Dan mentioned you in Elsewhere",
    });
    await contains(".o-live-MentionNotification .o_notification_content", {
        text: `@${myName} can you check?`,
    });
    expect(chat.state.rooms[other.roomId].unread_mentions).toBe(1);
    expect(chat.totalMentions).toBe(1);
    // the folded window says it too
    await contains(".o-live-ChatWindow-mentions", { text: "@1" });
    // "Open" shows the room in the window; reading it clears the count
    await click(".o-live-MentionNotification button", { text: "Open" });
    await contains(".o-live-ChatWindow .o-live-RoomView[data-room-id='" + other.roomId + "']");
    await contains(".o-live-Message-body", { text: `@${myName} can you check?` });
    await advanceTime(SEEN_DELAY + 50);
    await contains(".o-live-ChatWindow-back");
    await click(".o-live-ChatWindow-back");
    await contains(".o-live-RoomList-item", { count: 2 });
    await contains(".o-live-RoomList-mentions", { count: 0 });
});

test("the room list shows unread mentions apart", async () => {
    const pyEnv = await startServer();
    const { roomId, otherId } = createTeamRoom({ otherName: "Bob" });
    pyEnv["live.room"]._post(roomId, otherId, "@me one", { mentionIds: [serverState.userId] });
    pyEnv["live.room"]._post(roomId, otherId, "no mention");
    await start();
    await getService("live_messaging.chat").openWindow();
    await contains(".o-live-RoomList-item .o-live-RoomList-unread", { text: "2" });
    await contains(".o-live-RoomList-item .o-live-RoomList-mentions", { text: "@1" });
});
