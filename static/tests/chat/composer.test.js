import {
    click,
    contains,
    insertText,
    start,
    startServer,
    triggerHotkey,
} from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { queryOne } from "@odoo/hoot-dom";
import { Deferred } from "@odoo/hoot-mock";
import { getService, makeServerError, onRpc } from "@web/../tests/web_test_helpers";
import { createTeamRoom, defineLiveModels } from "../live_test_helpers";

describe.current.tags("desktop");
defineLiveModels();


test("a sent message shows at once, then is confirmed once", async () => {
    const pyEnv = await startServer();
    const { roomId } = createTeamRoom();
    const answer = new Deferred();
    onRpc("live.room", "live_post_message", async () => {
        await answer;
    });
    await start();
    await getService("live_messaging.chat").openWindow(roomId);
    await insertText(".o-live-Composer-input", "Hello team");
    triggerHotkey("Enter");
    // on screen before the server answered
    await contains(".o-live-Message.o-live-Message-pending", { text: "Hello team" });
    // free for the next message at once
    expect(queryOne(".o-live-Composer-input").value.trim()).toBe("");
    answer.resolve();
    await contains(".o-live-Message:not(.o-live-Message-pending)", { text: "Hello team" });
    // the pushed copy and the answer are the same message: shown once
    await contains(".o-live-Message", { count: 1 });
    expect(pyEnv["live.message"].search_count([["room_id", "=", roomId]])).toBe(1);
});

test("what is typed is sent and shown as typed: <, > and & are text", async () => {
    const pyEnv = await startServer();
    const { roomId } = createTeamRoom();
    const sent = [];
    onRpc("live.room", "live_post_message", ({ args }) => {
        sent.push(args[1]);
    });
    await start();
    await getService("live_messaging.chat").openWindow(roomId);
    const typed = "a<b, <3 & &lt;i&gt;";
    await insertText(".o-live-Composer-input", typed);
    triggerHotkey("Enter");
    await contains(".o-live-Message:not(.o-live-Message-pending)", { text: typed });
    expect(sent).toEqual([typed]);
    // the server keeps it escaped (the body contract), the screen shows it as typed
    const [stored] = pyEnv["live.message"].search_read([["room_id", "=", roomId]]);
    expect(stored.body).toBe("a&lt;b, &lt;3 &amp; &amp;lt;i&amp;gt;");
    expect(".o-live-Message-body i").toHaveCount(0);
});

test("a message that failed on a server error is marked failed; Retry sends it again with the same client id", async () => {
    const pyEnv = await startServer();
    const { roomId } = createTeamRoom();
    let refuse = true;
    const clientIds = [];
    onRpc("live.room", "live_post_message", ({ kwargs }) => {
        clientIds.push(kwargs.client_id);
        if (refuse) {
            // not an Odoo user error: worth a retry
            throw new Error("The server is restarting.");
        }
    });
    await start();
    await getService("live_messaging.chat").openWindow(roomId);
    await insertText(".o-live-Composer-input", "Too long, say");
    await click(".o-live-Composer-send");
    await contains(".o-live-Message.o-live-Message-failed", { text: "Too long, say" });
    await contains(".o-live-Message-failure", {
        text: "Not sent: The server is restarting.",
    });
    await contains(".o-live-Message-edit", { count: 0 });
    expect(pyEnv["live.message"].search_count([["room_id", "=", roomId]])).toBe(0);
    refuse = false;
    await click(".o-live-Message-retry");
    await contains(".o-live-Message-failed", { count: 0 });
    await contains(".o-live-Message", { count: 1, text: "Too long, say" });
    expect(clientIds.length).toBe(2);
    expect(clientIds[0]).toBe(clientIds[1]);
    expect(clientIds[0]).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
    expect(pyEnv["live.message"].search_count([["room_id", "=", roomId]])).toBe(1);
});

test("a refused message can be discarded", async () => {
    await startServer();
    const { roomId } = createTeamRoom();
    onRpc("live.room", "live_post_message", () => {
        throw makeServerError({ type: "AccessError", description: "You are not a member of this room." });
    });
    await start();
    await getService("live_messaging.chat").openWindow(roomId);
    await insertText(".o-live-Composer-input", "First");
    await click(".o-live-Composer-send");
    await insertText(".o-live-Composer-input", "Second");
    await click(".o-live-Composer-send");
    await contains(".o-live-Message-failed", { count: 2 });
    await click(".o-live-Message-discard", { parent: [".o-live-Message", { text: "First" }] });
    await contains(".o-live-Message", { count: 1, text: "Second" });
});

test("Shift+Enter starts a new line; an empty message is not sent", async () => {
    await startServer();
    const { roomId } = createTeamRoom();
    onRpc("live.room", "live_post_message", () => expect.step("post"));
    await start();
    await getService("live_messaging.chat").openWindow(roomId);
    await contains(".o-live-Composer-send:disabled");
    await insertText(".o-live-Composer-input", "   ");
    triggerHotkey("Enter");
    await insertText(".o-live-Composer-input", "line 1", { replace: true });
    triggerHotkey("Shift+Enter");
    await contains(".o-live-Message", { count: 0 });
    expect.verifySteps([]);
});
