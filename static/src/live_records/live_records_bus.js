import { bridgeMessagesRegistry } from "@live_messaging/core/bridge_service";

// ids only, nothing worth keeping for a view that is not open: no saveHistory
bridgeMessagesRegistry.add("live_messaging/records", { getId: () => null });

/**
 * The one place where live screens listen for `live_messaging/records`
 * notifications (`{model, created, updated, deleted}`): through the addon's
 * message bridge, like every pushed message of the addon.
 *
 * @param {Object} bridge the `live_messaging.bridge` service
 * @param {(payload: Object) => void} callback
 * @returns {() => void} unsubscribe
 */
export function subscribeLiveRecords(bridge, callback) {
    const handler = (payload) => callback(payload);
    return bridge.register("live_messaging/records", handler);
}
