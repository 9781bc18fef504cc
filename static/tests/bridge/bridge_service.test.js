import { startServer } from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { waitUntil } from "@odoo/hoot-dom";
import { browser } from "@web/core/browser/browser";
import { getService, makeMockEnv, serverState } from "@web/../tests/web_test_helpers";
import { defineLiveModels } from "../live_test_helpers";

describe.current.tags("headless");
defineLiveModels();

test("the bridge service is the bus subscriber of the addon's messages", async () => {
    const pyEnv = await startServer();
    await makeMockEnv();
    const bridge = getService("live_messaging.bridge");
    const received = [];
    bridge.register("live_messaging/seen", (payload, meta) => received.push([payload, meta.busId]));
    pyEnv["bus.bus"]._sendone("broadcast", "live_messaging/seen", { room_id: 1, unread: 0 });
    await waitUntil(() => received.length === 1);
    expect(received[0][0]).toEqual({ room_id: 1, unread: 0 });
    expect(received[0][1]).toBeOfType("number");
});

test("events for a listener not loaded yet are kept in localStorage, per database and user", async () => {
    const pyEnv = await startServer();
    await makeMockEnv();
    const bridge = getService("live_messaging.bridge");
    const event = { id: 5, seq: 1, topic: "shop/demo", payload: { event: "checkout" } };
    pyEnv["bus.bus"]._sendone("broadcast", "live_messaging/events", {
        topic: "shop/demo",
        events: [event],
    });
    // not kept: nobody asked to keep these
    pyEnv["bus.bus"]._sendone("broadcast", "live_messaging/room_left", { room_id: 3 });
    await waitUntil(() => bridge.countSaved("live_messaging/events") === 1);
    const stored = JSON.parse(
        browser.localStorage.getItem(`live_messaging.bridge.test.${serverState.userId}`)
    );
    expect(stored.uid).toBe(serverState.userId);
    expect(stored.messages.map((m) => m.name)).toEqual(["live_messaging/events"]);
    const replayed = [];
    bridge.register("live_messaging/events", (payload, meta) => replayed.push([payload, meta]));
    expect(replayed.length).toBe(1);
    expect(replayed[0][0].events).toEqual([event]);
    expect(replayed[0][1].replayed).toBe(true);
    expect(bridge.countSaved("live_messaging/events")).toBe(0);
    bridge.register("live_messaging/room_left", () => expect.step("room_left"));
    expect.verifySteps([]);
});
