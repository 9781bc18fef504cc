import {
    click,
    contains,
    insertText,
    start,
    startServer,
    triggerHotkey,
} from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { getService, makeServerError, onRpc, serverState } from "@web/../tests/web_test_helpers";
import { createTeamRoom } from "../live_test_helpers";
import { defineLiveFeatureModels } from "./chat_features_helpers";

describe.current.tags("desktop");
defineLiveFeatureModels();

async function openTeamWithMessages() {
    const pyEnv = await startServer();
    const { roomId, otherId } = createTeamRoom({ otherName: "Bob" });
    const mine = pyEnv["live.room"]._post(roomId, serverState.userId, "Helo team");
    const theirs = pyEnv["live.room"]._post(roomId, otherId, "Ship it?");
    await start();
    await getService("live_messaging.chat").openWindow(roomId);
    await contains(".o-live-Message", { count: 2 });
    return { pyEnv, roomId, otherId, mine, theirs };
}

function messageSelector(id) {
    return `.o-live-Message[data-message-id='${id}']`;
}

test("one's own message can be edited in place: marked edited, same number", async () => {
    const { pyEnv, mine, theirs } = await openTeamWithMessages();
    // only one's own messages have Edit and Delete
    await contains(`${messageSelector(theirs.id)} .o-live-MessageActions-edit`, { count: 0 });
    await click(`${messageSelector(mine.id)} .o-live-MessageActions-edit`);
    await contains(".o-live-MessageEditor-input");
    expect(".o-live-MessageEditor-input").toHaveValue("Helo team");
    await insertText(".o-live-MessageEditor-input", "Hello team", { replace: true });
    triggerHotkey("Enter");
    await contains(".o-live-MessageEditor", { count: 0 });
    await contains(`${messageSelector(mine.id)} .o-live-Message-body`, { text: "Hello team(edited)" });
    const [stored] = pyEnv["live.message"].search_read([["id", "=", mine.id]]);
    expect(stored.body).toBe("Hello team");
    expect(stored.seq).toBe(mine.seq);
    // Escape cancels
    await click(`${messageSelector(mine.id)} .o-live-MessageActions-edit`);
    await insertText(".o-live-MessageEditor-input", "never saved", { replace: true });
    triggerHotkey("Escape");
    await contains(".o-live-MessageEditor", { count: 0 });
    await contains(`${messageSelector(mine.id)} .o-live-Message-body`, { text: "Hello team(edited)" });
});

test("an edit the server refuses is said, and the text stays as it was", async () => {
    const { mine } = await openTeamWithMessages();
    onRpc("live.message", "live_edit", () => {
        throw makeServerError({
            type: "UserError",
            description: "This message can no longer be changed.",
        });
    });
    await click(`${messageSelector(mine.id)} .o-live-MessageActions-edit`);
    await insertText(".o-live-MessageEditor-input", "late", { replace: true });
    await click(".o-live-MessageEditor-save");
    await contains(".o_notification", { text: "This message can no longer be changed." });
    await contains(".o-live-MessageEditor");
    await click(".o-live-MessageEditor-cancel");
    await contains(`${messageSelector(mine.id)} .o-live-Message-body`, { text: "Helo team" });
});

test("deleting asks first, then leaves the message's place marked deleted", async () => {
    const { pyEnv, mine } = await openTeamWithMessages();
    await click(`${messageSelector(mine.id)} .o-live-MessageActions-delete`);
    await click(".modal .btn-primary", { text: "Delete" });
    await contains(`${messageSelector(mine.id)} .o-live-Message-deleted`, {
        text: "This message was deleted.",
    });
    await contains(`${messageSelector(mine.id)} .o-live-Message-body`, { count: 0 });
    await contains(`${messageSelector(mine.id)} .o-live-MessageActions`, { count: 0 });
    expect(pyEnv["live.message"].search_read([["id", "=", mine.id]])[0].is_deleted).toBe(true);
});

test("edits and deletions of others arrive live; an older version never wins", async () => {
    const { pyEnv, mine, theirs } = await openTeamWithMessages();
    const [data] = pyEnv["live.message"]._format([theirs.id]);
    const later = { ...data, body: "Ship it today?", edited: true, edit_date: "2030-01-01T10:00:00.000Z" };
    const earlier = { ...data, body: "Ship it now?", edited: true, edit_date: "2030-01-01T09:00:00.000Z" };
    pyEnv["bus.bus"]._sendone("broadcast", "live_messaging/message_update", later);
    await contains(`${messageSelector(theirs.id)} .o-live-Message-body`, { text: "Ship it today?(edited)" });
    pyEnv["bus.bus"]._sendone("broadcast", "live_messaging/message_update", earlier);
    // a later notification, to know the earlier one was handled
    const [other] = pyEnv["live.message"]._format([mine.id]);
    pyEnv["bus.bus"]._sendone("broadcast", "live_messaging/message_update", {
        ...other,
        body: "Hello team",
        edited: true,
        edit_date: "2030-01-01T11:00:00.000Z",
    });
    await contains(`${messageSelector(mine.id)} .o-live-Message-body`, { text: "Hello team(edited)" });
    await contains(`${messageSelector(theirs.id)} .o-live-Message-body`, { text: "Ship it today?(edited)" });
    pyEnv["live.message"].live_delete([theirs.id]);
    await contains(`${messageSelector(theirs.id)} .o-live-Message-deleted`);
    await contains(`${messageSelector(theirs.id)} .o-live-Message-body`, { count: 0 });
});

test("reactions: one click from the bar, counted, who reacted; a click takes it back", async () => {
    const { pyEnv, theirs, otherId } = await openTeamWithMessages();
    await click(`${messageSelector(theirs.id)} .o-live-MessageActions-react`);
    await click(`${messageSelector(theirs.id)} .o-live-MessageActions-quickReaction[data-emoji='👍']`);
    await contains(`${messageSelector(theirs.id)} .o-live-Reaction.o-mine`, { text: "👍1" });
    // Bob too, live
    pyEnv["live.message"]._react(theirs.id, otherId, "👍");
    await contains(`${messageSelector(theirs.id)} .o-live-Reaction`, { text: "👍2" });
    const title = document.querySelector(`${messageSelector(theirs.id)} .o-live-Reaction`).title;
    expect(title).toBe("You, Bob reacted with 👍");
    // clicking one's own reaction takes it back
    await click(`${messageSelector(theirs.id)} .o-live-Reaction`);
    await contains(`${messageSelector(theirs.id)} .o-live-Reaction:not(.o-mine)`, { text: "👍1" });
    pyEnv["live.message"]._react(theirs.id, otherId, "👍");
    await contains(`${messageSelector(theirs.id)} .o-live-Reaction`, { count: 0 });
});
