import { registry } from "@web/core/registry";
import { user } from "@web/core/user";
import { session } from "@web/session";
import { MessageBridge } from "./bridge";
import { LocalStorageBridgeStorage } from "./bridge_storage";

/**
 * The messages that go through the bridge, as Creatio's messages config: the key
 * is the bus notification type, the value `{ saveHistory, getId }`. Declared here
 * (not by the listeners) so that it is known before any listener loads.
 *
 * - `saveHistory`: keep the messages that arrive while no listener is loaded;
 * - `getId(payload)`: the message's own id, to drop duplicates (default:
 *   `payload.id`).
 *
 * Other addons add their own: `registry.category("live_messaging.bridge_messages")
 * .add("my_addon/thing", { saveHistory: true })`.
 */
export const bridgeMessagesRegistry = registry.category("live_messaging.bridge_messages");

bridgeMessagesRegistry
    .add("live_messaging/message", {})
    .add("live_messaging/events", {
        // kept for the chat app's feed, which shows them when it opens
        saveHistory: true,
        getId: (payload) =>
            payload?.events?.length ? `${payload.topic}:${payload.events.map((e) => e.id)}` : null,
    })
    .add("live_messaging/room", {})
    .add("live_messaging/room_left", {})
    .add("live_messaging/seen", {})
    .add("live_messaging/topic_subscription", {})
    // live support: every push counts, even a repeated one (no id to drop by)
    .add("live_messaging/support_queue", { getId: () => null })
    .add("live_messaging/support", { getId: () => null })
    .add("live_messaging/typing", { getId: () => null });

/**
 * The storage of the bridge's history: localStorage, per database and user.
 * Patch this object to plug in another storage.
 */
export const bridgeStorageFactory = {
    create() {
        return new LocalStorageBridgeStorage({ db: session.db, uid: user.userId });
    },
};

/**
 * `live_messaging.bridge`: every bus notification of this addon passes through
 * it; it is their only subscriber on the `bus_service`. Components and services
 * listen with `register(name, handler, { saveHistory })` (see `MessageBridge`).
 */
export const bridgeService = {
    dependencies: ["bus_service"],
    start(env, { bus_service: busService }) {
        const subscribed = new Set();
        const listen = (name) => {
            if (subscribed.has(name)) {
                return;
            }
            subscribed.add(name);
            busService.subscribe(name, (payload, { id }) => bridge.publish(name, payload, { busId: id }));
        };
        const bridge = new MessageBridge({
            storage: bridgeStorageFactory.create(),
            getConfig: (name) => bridgeMessagesRegistry.get(name, null),
            onRegister: listen,
        });
        for (const [name] of bridgeMessagesRegistry.getEntries()) {
            listen(name);
        }
        bridgeMessagesRegistry.addEventListener("UPDATE", ({ detail }) => {
            if (detail.operation === "add") {
                listen(detail.key);
            }
        });
        busService.start();
        return bridge;
    },
};

registry.category("services").add("live_messaging.bridge", bridgeService);
