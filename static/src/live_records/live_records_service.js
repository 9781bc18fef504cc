import { browser } from "@web/core/browser/browser";
import { registry } from "@web/core/registry";
import { session } from "@web/session";
import { subscribeLiveRecords } from "./live_records_bus";

function randomToken() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * Live screens of the tab: which models are live (`session.live_record_models`,
 * decided by the server), and the open views listening to them.
 *
 * `watch(resModel, callback)` registers an open view: the server is told that
 * this tab watches the model (then every `heartbeat` seconds while it does, and
 * when the last view of the model closes), and `callback` gets each
 * `live_messaging/records` payload of the model. After a websocket reconnection
 * notifications may have been missed, so the callbacks get
 * `{model, reconnected: true}`.
 */
export const liveRecordsService = {
    dependencies: ["bus_service", "live_messaging.bridge", "orm"],
    start(env, { bus_service: busService, "live_messaging.bridge": bridge, orm }) {
        const liveModels = new Set(session.live_record_models || []);
        const token = randomToken();
        /** @type {Map<string, Set<Function>>} */
        const listeners = new Map();
        let heartbeat = 60;
        let heartbeatTimer = null;
        let unsubscribe = null;

        function dispatch(payload) {
            for (const callback of listeners.get(payload?.model) || []) {
                callback(payload);
            }
        }

        function onReconnect() {
            for (const [model, callbacks] of listeners) {
                for (const callback of callbacks) {
                    callback({ model, created: [], updated: [], deleted: [], reconnected: true });
                }
            }
        }

        function listen() {
            if (!unsubscribe) {
                unsubscribe = subscribeLiveRecords(bridge, dispatch);
                busService.addEventListener("reconnect", onReconnect);
                busService.start();
            }
        }

        async function sendWatch(models) {
            try {
                const result = await orm.silent.call("live.record.watch", "live_watch", [
                    models,
                    token,
                ]);
                heartbeat = result.heartbeat || heartbeat;
            } catch {
                // offline or server restarting: the next heartbeat registers again
            }
        }

        function startHeartbeat() {
            if (!heartbeatTimer) {
                heartbeatTimer = browser.setInterval(() => {
                    if (listeners.size) {
                        sendWatch([...listeners.keys()]);
                    }
                }, heartbeat * 1000);
            }
        }

        function stopHeartbeat() {
            browser.clearInterval(heartbeatTimer);
            heartbeatTimer = null;
        }

        return {
            token,
            /** @param {string} resModel */
            isLive(resModel) {
                return liveModels.has(resModel);
            },
            /**
             * @param {string} resModel
             * @param {(payload: Object) => void} callback
             * @returns {() => void} stop watching
             */
            watch(resModel, callback) {
                listen();
                if (!listeners.has(resModel)) {
                    listeners.set(resModel, new Set());
                    sendWatch([resModel]);
                }
                listeners.get(resModel).add(callback);
                startHeartbeat();
                return () => {
                    const callbacks = listeners.get(resModel);
                    if (!callbacks?.delete(callback) || callbacks.size) {
                        return;
                    }
                    listeners.delete(resModel);
                    orm.silent
                        .call("live.record.watch", "live_unwatch", [[resModel], token])
                        .catch(() => {});
                    if (!listeners.size) {
                        stopHeartbeat();
                    }
                };
            },
        };
    },
};

registry.category("services").add("live_messaging.records", liveRecordsService);
