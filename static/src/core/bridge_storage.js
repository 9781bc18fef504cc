import { browser } from "@web/core/browser/browser";

/**
 * Where the message bridge keeps the messages that arrived while no listener
 * for their name was loaded ("history").
 *
 * A saved message is `{ name, key, payload, busId, receivedAt }`: `key`
 * identifies the message across tabs (the message/event id, else the bus
 * notification id, which every tab of a browser shares), `busId` orders it as the
 * server sent it.
 *
 * @typedef {{
 *  name: string,
 *  key: string | null,
 *  payload: any,
 *  busId: number | null,
 *  receivedAt: number,
 * }} SavedMessage
 */

export const STORAGE_KEY_PREFIX = "live_messaging.bridge.";
export const DEFAULT_MAX_COUNT = 200;
export const DEFAULT_MAX_BYTES = 256 * 1024;
/** How many keys of replayed messages are remembered, so that a late copy of a
 * message (received by a slower tab) is not saved and replayed again. */
export const CONSUMED_KEYS_LIMIT = 500;

const encoder = new TextEncoder();

/** @param {SavedMessage} message */
export function messageBytes(message) {
    return encoder.encode(JSON.stringify(message)).length;
}

function byReception(a, b) {
    if (a.busId !== null && b.busId !== null && a.busId !== b.busId) {
        return a.busId - b.busId;
    }
    return a.receivedAt - b.receivedAt;
}

/**
 * The storage interface (Creatio's `ClientMessageBridge` history, by name).
 * Subclass it to keep history elsewhere (IndexedDB, a server...).
 */
export class BridgeStorage {
    /**
     * Keep `message` until a listener for `message.name` registers.
     *
     * @param {SavedMessage} message
     * @returns {boolean} false when it was not kept (duplicate, too big)
     */
    saveMessageToHistory(message) {
        throw new Error(`${this.constructor.name} does not implement saveMessageToHistory`);
    }

    /**
     * The saved messages of `name`, in their order of reception.
     *
     * @param {string} name
     * @returns {SavedMessage[]}
     */
    getMessagesFromHistory(name) {
        throw new Error(`${this.constructor.name} does not implement getMessagesFromHistory`);
    }

    /**
     * Forget the saved messages of `name` (all of them, or those of `keys`);
     * they are never saved again.
     *
     * @param {string} name
     * @param {Array<string|null>} [keys]
     */
    deleteSavedMessages(name, keys) {
        throw new Error(`${this.constructor.name} does not implement deleteSavedMessages`);
    }

    /**
     * Call `callback()` when the history changes from elsewhere (another tab).
     *
     * @param {Function} callback
     * @returns {Function} to stop listening
     */
    onExternalChange(callback) {
        return () => {};
    }
}

/**
 * Bounded history held in a plain object: `{ messages, consumed }`. Shared by the
 * memory and localStorage storages; subclasses only load and store that object.
 */
class BoundedBridgeStorage extends BridgeStorage {
    /**
     * @param {Object} [options]
     * @param {number} [options.maxCount] most messages kept, all names together
     * @param {number} [options.maxBytes] most bytes kept (UTF-8 of their JSON)
     */
    constructor({ maxCount = DEFAULT_MAX_COUNT, maxBytes = DEFAULT_MAX_BYTES } = {}) {
        super();
        this.maxCount = maxCount;
        this.maxBytes = maxBytes;
    }

    _load() {
        throw new Error("not implemented");
    }

    /** @returns {Object} the state actually stored (it may have been trimmed) */
    _store(state) {
        throw new Error("not implemented");
    }

    saveMessageToHistory(message) {
        const state = this._load();
        if (
            message.key &&
            (state.consumed.includes(message.key) ||
                state.messages.some((m) => m.name === message.name && m.key === message.key))
        ) {
            return false;
        }
        if (messageBytes(message) > this.maxBytes) {
            return false;
        }
        state.messages.push(message);
        state.messages.sort(byReception);
        // oldest first out, until the history fits its bounds
        while (state.messages.length > this.maxCount) {
            state.messages.shift();
        }
        let bytes = state.messages.reduce((sum, m) => sum + messageBytes(m), 0);
        while (bytes > this.maxBytes) {
            bytes -= messageBytes(state.messages.shift());
        }
        const stored = this._store(state);
        return stored.messages.includes(message);
    }

    getMessagesFromHistory(name) {
        return this._load().messages.filter((m) => m.name === name);
    }

    deleteSavedMessages(name, keys) {
        const state = this._load();
        const gone = state.messages.filter(
            (m) => m.name === name && (!keys || keys.includes(m.key))
        );
        state.messages = state.messages.filter((m) => !gone.includes(m));
        const consumed = gone.map((m) => m.key).filter(Boolean);
        state.consumed = [...state.consumed, ...consumed].slice(-CONSUMED_KEYS_LIMIT);
        this._store(state);
    }
}

/** History in memory: lost on reload, never shared between tabs. */
export class MemoryBridgeStorage extends BoundedBridgeStorage {
    constructor(options) {
        super(options);
        this.state = { messages: [], consumed: [] };
    }

    _load() {
        return { messages: [...this.state.messages], consumed: [...this.state.consumed] };
    }

    _store(state) {
        this.state = state;
        return state;
    }
}

/**
 * History in `localStorage`, under one key per database and user, so it survives
 * reloads and is shared by the tabs of the browser (a message two tabs received is
 * saved once, and replayed once).
 *
 * Another user's history is deleted when this storage is created: a user logging
 * in on the same browser never sees what was kept for the previous one. When the
 * browser refuses to store more (quota), the oldest messages are dropped until it
 * fits; if nothing fits, the history degrades to memory for the rest of the page's
 * life, without breaking anything.
 */
export class LocalStorageBridgeStorage extends BoundedBridgeStorage {
    /**
     * @param {Object} options
     * @param {string} options.db
     * @param {number} options.uid
     * @param {Storage} [options.storage] default: `browser.localStorage`
     * @param {number} [options.maxCount]
     * @param {number} [options.maxBytes]
     */
    constructor({ db, uid, storage = browser.localStorage, ...options }) {
        super(options);
        this.uid = uid;
        this.key = `${STORAGE_KEY_PREFIX}${db}.${uid}`;
        this.storage = storage;
        /** set when the browser refused to store anything: the history lives here */
        this.memory = null;
        this._purgeOtherUsers();
    }

    get isDegraded() {
        return Boolean(this.memory);
    }

    _purgeOtherUsers() {
        const others = [];
        try {
            for (let index = 0; index < this.storage.length; index++) {
                const key = this.storage.key(index);
                if (key?.startsWith(STORAGE_KEY_PREFIX) && key !== this.key) {
                    others.push(key);
                }
            }
            for (const key of others) {
                this.storage.removeItem(key);
            }
        } catch {
            // an unusable storage is handled when reading and writing
        }
    }

    _load() {
        if (this.memory) {
            return { messages: [...this.memory.messages], consumed: [...this.memory.consumed] };
        }
        let state;
        try {
            state = JSON.parse(this.storage.getItem(this.key) || "null");
        } catch {
            state = null;
        }
        if (
            !state ||
            state.uid !== this.uid ||
            !Array.isArray(state.messages) ||
            !Array.isArray(state.consumed)
        ) {
            return { messages: [], consumed: [] };
        }
        return { messages: state.messages, consumed: state.consumed };
    }

    _store(state) {
        if (this.memory) {
            this.memory = state;
            return state;
        }
        const messages = [...state.messages];
        for (;;) {
            try {
                if (!messages.length && !state.consumed.length) {
                    this.storage.removeItem(this.key);
                } else {
                    this.storage.setItem(
                        this.key,
                        JSON.stringify({ uid: this.uid, messages, consumed: state.consumed })
                    );
                }
                return { messages, consumed: state.consumed };
            } catch {
                // quota exceeded (or storage disabled): drop the oldest and retry
                if (messages.length > 1) {
                    messages.shift();
                    continue;
                }
                this.memory = { messages: [...state.messages], consumed: state.consumed };
                try {
                    this.storage.removeItem(this.key);
                } catch {
                    // nothing more can be done: memory it is
                }
                return this.memory;
            }
        }
    }

    onExternalChange(callback) {
        const onStorage = (ev) => {
            if (ev.key === this.key || ev.key === null) {
                callback();
            }
        };
        browser.addEventListener("storage", onStorage);
        return () => browser.removeEventListener("storage", onStorage);
    }
}
