import { EventBus } from "@odoo/owl";
import { MemoryBridgeStorage } from "./bridge_storage";

/** How many delivered ids a bridge remembers to drop duplicates. */
export const RECENT_IDS_LIMIT = 1000;

/**
 * A set that forgets its oldest entries beyond `limit`.
 */
class RecentSet {
    constructor(limit) {
        this.limit = limit;
        this.set = new Set();
    }

    has(value) {
        return this.set.has(value);
    }

    add(value) {
        this.set.add(value);
        if (this.set.size > this.limit) {
            this.set.delete(this.set.values().next().value);
        }
    }
}

/**
 * The message id of a payload: `payload.id` when it has one. Config entries may
 * give their own `getId(payload)`.
 */
export function defaultGetId(payload) {
    const id = payload?.id;
    return typeof id === "number" || typeof id === "string" ? id : null;
}

/**
 * Delivers pushed messages to the listeners registered for their name, and keeps
 * those that arrive while nobody listens, when their name is marked
 * `saveHistory`, until a listener registers (Creatio's `ClientMessageBridge`).
 *
 * - every listener of a name gets each message, in the order they were
 *   published (the order the server sent them);
 * - no listener loaded: a `saveHistory` name is saved to the storage, any other
 *   name is dropped;
 * - a listener registers: the saved messages of its name are published to it in
 *   their order of reception, then deleted from the history;
 * - a message already delivered or saved (same bus notification id, or same
 *   message id) is dropped.
 *
 * Emits `HISTORY_CHANGED` (detail: `{ name }`, `name` null when unknown) when the
 * history changes, here or in another tab.
 */
export class MessageBridge extends EventBus {
    /**
     * @param {Object} [options]
     * @param {import("./bridge_storage").BridgeStorage} [options.storage]
     * @param {(name: string) => ({ saveHistory?: boolean, getId?: Function } | null)} [options.getConfig]
     *   the declared configuration of a message name
     * @param {(name: string) => void} [options.onRegister] called on every
     *   registration (the service subscribes the bus to that name)
     */
    constructor({ storage, getConfig = () => null, onRegister = () => {} } = {}) {
        super();
        this.storage = storage || new MemoryBridgeStorage();
        this.getConfig = getConfig;
        this.onRegister = onRegister;
        /** @type {Map<string, Array<{ handler: Function, filter: Function | null }>>} */
        this.listeners = new Map();
        /** names marked `saveHistory` by a registration */
        this.savedNames = new Set();
        this.recentBusIds = new RecentSet(RECENT_IDS_LIMIT);
        this.recentKeys = new RecentSet(RECENT_IDS_LIMIT);
        this._stopWatchingStorage = this.storage.onExternalChange(() =>
            this.trigger("HISTORY_CHANGED", { name: null })
        );
    }

    /**
     * Listen to the messages called `name`. Saved messages of that name are
     * published to `handler` at once, in their order of reception, then deleted.
     *
     * @param {string} name
     * @param {(payload: any, meta: { name: string, busId: number | null, replayed: boolean }) => void} handler
     * @param {Object} [options]
     * @param {boolean} [options.saveHistory] keep the messages of this name that
     *   arrive while no listener is loaded (from now on, for this page)
     * @param {(payload: any) => boolean} [options.filter] only the messages it
     *   accepts reach this listener, and only they count as listened to
     * @returns {Function} unregisters the listener
     */
    register(name, handler, { saveHistory = false, filter = null } = {}) {
        if (typeof handler !== "function") {
            throw new TypeError(`The listener of "${name}" must be a function`);
        }
        if (saveHistory) {
            this.savedNames.add(name);
        }
        if (!this.listeners.has(name)) {
            this.listeners.set(name, []);
        }
        const listener = { handler, filter };
        this.listeners.get(name).push(listener);
        this.onRegister(name);
        this._replay(name, listener);
        return () => this.unregister(name, handler);
    }

    /**
     * @param {string} name
     * @param {Function} handler the function given to `register`
     */
    unregister(name, handler) {
        const listeners = (this.listeners.get(name) || []).filter((l) => l.handler !== handler);
        if (listeners.length) {
            this.listeners.set(name, listeners);
        } else {
            this.listeners.delete(name);
        }
    }

    /** @param {string} name */
    isSaveHistory(name) {
        return this.savedNames.has(name) || Boolean(this.getConfig(name)?.saveHistory);
    }

    /**
     * Whether some loaded listener would receive `payload` (any, without it).
     *
     * @param {string} name
     * @param {any} [payload]
     */
    hasListener(name, payload) {
        return this._listenersFor(name, payload).length > 0;
    }

    /**
     * How many messages of `name` wait in the history.
     *
     * @param {string} name
     */
    countSaved(name) {
        return this.storage.getMessagesFromHistory(name).length;
    }

    /**
     * Publish a pushed message: deliver it, save it or drop it.
     *
     * @param {string} name
     * @param {any} payload
     * @param {Object} [meta]
     * @param {number} [meta.busId] id of the bus notification that carried it
     * @returns {"delivered" | "saved" | "not-saved" | "dropped" | "duplicate"}
     *   "not-saved": the storage did not keep it (already kept or replayed by
     *   another tab, bigger than the whole history)
     */
    publish(name, payload, { busId = null } = {}) {
        if (busId !== null && busId !== undefined) {
            if (this.recentBusIds.has(busId)) {
                return "duplicate";
            }
            this.recentBusIds.add(busId);
        } else {
            busId = null;
        }
        const messageId = (this.getConfig(name)?.getId || defaultGetId)(payload);
        const key = messageId !== null && messageId !== undefined ? `${name}:${messageId}` : null;
        if (key) {
            if (this.recentKeys.has(key)) {
                return "duplicate";
            }
            this.recentKeys.add(key);
        }
        // checked now, not when the message was sent: a listener may have come
        const listeners = this._listenersFor(name, payload);
        if (listeners.length) {
            this._deliver(listeners, payload, { name, busId, replayed: false });
            return "delivered";
        }
        if (!this.isSaveHistory(name)) {
            return "dropped";
        }
        const saved = this.storage.saveMessageToHistory({
            name,
            // the same notification reaches every tab: its id identifies it too
            key: key || (busId !== null ? `bus:${busId}` : null),
            payload,
            busId,
            receivedAt: Date.now(),
        });
        if (!saved) {
            return "not-saved";
        }
        this.trigger("HISTORY_CHANGED", { name });
        return "saved";
    }

    destroy() {
        this._stopWatchingStorage();
        this.listeners.clear();
    }

    _listenersFor(name, payload) {
        return (this.listeners.get(name) || []).filter(
            (l) => !l.filter || payload === undefined || l.filter(payload)
        );
    }

    _replay(name, listener) {
        const saved = this.storage
            .getMessagesFromHistory(name)
            .filter((m) => !listener.filter || listener.filter(m.payload));
        if (!saved.length) {
            return;
        }
        // claimed before delivery, so that no other tab replays them too
        this.storage.deleteSavedMessages(
            name,
            saved.map((m) => m.key)
        );
        for (const message of saved) {
            if (message.busId !== null) {
                this.recentBusIds.add(message.busId);
            }
            if (message.key) {
                this.recentKeys.add(message.key);
            }
            this._deliver([listener], message.payload, {
                name,
                busId: message.busId,
                replayed: true,
            });
        }
        this.trigger("HISTORY_CHANGED", { name });
    }

    _deliver(listeners, payload, meta) {
        for (const { handler } of listeners) {
            try {
                handler(payload, meta);
            } catch (error) {
                // one broken listener must not starve the others: report it later
                Promise.reject(error);
            }
        }
    }
}
