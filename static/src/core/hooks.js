import { onWillDestroy } from "@odoo/owl";
import { useService } from "@web/core/utils/hooks";

/**
 * Listen to a bridge message while the component lives. Messages saved while no
 * listener was loaded are delivered during `setup`, before the first rendering.
 *
 * @param {string} name
 * @param {Function} handler
 * @param {Object} [options] see `MessageBridge.register`
 */
export function useBridgeListener(name, handler, options) {
    const bridge = useService("live_messaging.bridge");
    const unregister = bridge.register(name, handler, options);
    onWillDestroy(unregister);
}
