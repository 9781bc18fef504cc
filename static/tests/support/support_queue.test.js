import { click, contains, start, startServer } from "@mail/../tests/mail_test_helpers";
import { describe, test } from "@odoo/hoot";
import { getService, makeServerError, onRpc } from "@web/../tests/web_test_helpers";
import { defineLiveModels } from "../live_test_helpers";

describe.current.tags("desktop");
defineLiveModels();

function visitor(id, name, firstMessage = "") {
    return {
        id,
        name,
        state: "waiting",
        room_id: 100 + id,
        join_date: new Date().toISOString(),
        first_message: firstMessage,
        agent: null,
        visitor_present: true,
    };
}

function openQueue() {
    return getService("action").doAction({
        type: "ir.actions.client",
        tag: "live_messaging.support_queue",
    });
}

test("the queue follows the pushes: joins appear, claims elsewhere disappear", async () => {
    const pyEnv = await startServer();
    onRpc("live.support.session", "live_queue", () => [visitor(1, "Vic", "Where is my parcel?")]);
    onRpc("live.support.session", "live_my_chats", () => []);
    await start();
    await openQueue();
    await contains(".o-live-SupportQueue-visitor", { text: "Vic" });
    await contains(".o-live-SupportQueue-first", { text: "Where is my parcel?" });
    pyEnv["bus.bus"]._sendone("broadcast", "live_messaging/support_queue", {
        added: visitor(2, "Lou"),
    });
    await contains(".o-live-SupportQueue-visitor", { count: 2 });
    pyEnv["bus.bus"]._sendone("broadcast", "live_messaging/support_queue", { removed: 1 });
    await contains(".o-live-SupportQueue-visitor", { count: 1 });
    await contains(".o-live-SupportQueue-name", { text: "Lou" });
});

test("a visitor already taken is a notification, and leaves the queue", async () => {
    await startServer();
    onRpc("live.support.session", "live_queue", () => [visitor(1, "Vic")]);
    onRpc("live.support.session", "live_my_chats", () => []);
    onRpc("live.support.session", "live_claim", () => {
        throw makeServerError({
            type: "UserError",
            description: "Already taken: another agent (Tess) claimed this visitor.",
        });
    });
    await start();
    await openQueue();
    await click(".o-live-SupportQueue-claim");
    await contains(".o_notification_content", {
        text: "Already taken: another agent (Tess) claimed this visitor.",
    });
    await contains(".o-live-SupportQueue-visitor", { count: 0 });
});
