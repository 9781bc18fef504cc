import {
    click,
    contains,
    insertText,
    start,
    startServer,
    triggerHotkey,
} from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { queryOne, waitFor } from "@odoo/hoot-dom";
import { Deferred } from "@odoo/hoot-mock";
import { getService, makeServerError, onRpc, patchWithCleanup } from "@web/../tests/web_test_helpers";
import { session } from "@web/session";
import { createTeamRoom, defineLiveModels } from "../live_test_helpers";

describe.current.tags("desktop");
defineLiveModels();

test("a message over the limit the server told is not sent: the composer says so and keeps it", async () => {
    patchWithCleanup(session, { live_body_max_chars: 10 });
    await startServer();
    const { roomId } = createTeamRoom();
    onRpc("live.room", "live_post_message", () => expect.step("post"));
    await start();
    await getService("live_messaging.chat").openWindow(roomId);
    await insertText(".o-live-Composer-input", "0123456789");
    await contains(".o-live-Composer-tooLong", { count: 0 });
    await insertText(".o-live-Composer-input", "!");
    await contains(".o-live-Composer-tooLong", {
        text: "11 characters: a message is at most 10.",
    });
    await contains(".o-live-Composer-send:disabled");
    triggerHotkey("Enter");
    await contains(".o-live-Message", { count: 0 });
    expect(queryOne(".o-live-Composer-input").value).toBe("0123456789!");
    expect.verifySteps([]);
    // back under the limit: sent
    await insertText(".o-live-Composer-input", "short", { replace: true });
    await contains(".o-live-Composer-tooLong", { count: 0 });
    triggerHotkey("Enter");
    await contains(".o-live-Message:not(.o-live-Message-pending)", { text: "short" });
    expect.verifySteps(["post"]);
});

test("a message the server refuses shows why, offers no futile retry, and goes back to the composer to edit", async () => {
    const pyEnv = await startServer();
    const { roomId } = createTeamRoom();
    onRpc("live.room", "live_post_message", () => {
        expect.step("post");
        throw makeServerError({
            type: "ValidationError",
            description: "You are not a member of this room.",
        });
    });
    await start();
    await getService("live_messaging.chat").openWindow(roomId);
    await insertText(".o-live-Composer-input", "Hello <there> & you");
    triggerHotkey("Enter");
    await contains(".o-live-Message.o-live-Message-failed", { text: "Hello <there> & you" });
    await contains(".o-live-Message-failure", {
        text: "Not sent: You are not a member of this room.",
    });
    await contains(".o-live-Message-retry", { count: 0 });
    await contains(".o-live-Message-discard");
    expect.verifySteps(["post"]);
    // Edit: the text is back in the composer, the failed copy is gone
    await click(".o-live-Message-edit");
    await contains(".o-live-Message", { count: 0 });
    expect(queryOne(".o-live-Composer-input").value).toBe("Hello <there> & you");
    expect(pyEnv["live.message"].search_count([["room_id", "=", roomId]])).toBe(0);
    expect.verifySteps([]);
});

test("the reason and the buttons of a failed message are in sight", async () => {
    await startServer();
    const { roomId } = createTeamRoom({ count: 30 });
    // a reason long enough to wrap: the failure line is taller than "Sending…"
    const reason =
        "This message is 4,321 characters long; a message is at most 4,000 characters. Shorten it, or send it in parts.";
    const answer = new Deferred();
    onRpc("live.room", "live_post_message", async () => {
        await answer; // the network takes its time: "Sending…" shows first
        throw makeServerError({ type: "ValidationError", description: reason });
    });
    await start();
    await getService("live_messaging.chat").openWindow(roomId);
    await contains(".o-live-ChatWindow .o-live-Message", { count: 30 });
    // a long message: several screens of text above its failure line
    const long = Array.from({ length: 120 }, (_, i) => `line ${i}`).join("\n");
    await insertText(".o-live-Composer-input", long);
    await click(".o-live-Composer-send");
    await waitFor(".o-live-Message-status");
    answer.resolve();
    // (waitFor does not scroll, as a user does not)
    await waitFor(".o-live-Message-failure");
    expect(queryOne(".o-live-Message-failure").textContent).toInclude(reason);
    const listEl = queryOne(".o-live-ChatWindow .o-live-MessageList");
    expect(listEl.scrollHeight).toBeGreaterThan(listEl.clientHeight * 2, {
        message: "the list scrolls (the window has its height)",
    });
    const list = listEl.getBoundingClientRect();
    for (const selector of [".o-live-Message-edit", ".o-live-Message-discard"]) {
        const button = queryOne(selector).getBoundingClientRect();
        expect(button.top >= list.top && button.bottom <= list.bottom).toBe(true, {
            message: `${selector} is inside the visible part of the list`,
        });
    }
});
