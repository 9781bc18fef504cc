import { describe, expect, test } from "@odoo/hoot";
import { delay } from "@odoo/hoot-mock";
import { MessageBridge } from "@live_messaging/core/bridge";
import {
    BridgeStorage,
    LocalStorageBridgeStorage,
    MemoryBridgeStorage,
    STORAGE_KEY_PREFIX,
} from "@live_messaging/core/bridge_storage";
import { browser } from "@web/core/browser/browser";

describe.current.tags("headless");

const KEPT = "test/kept";
const DROPPED = "test/dropped";

/** A bridge as the service builds it, with `KEPT` declared `saveHistory`. */
function makeBridge(storage = new MemoryBridgeStorage()) {
    return new MessageBridge({
        storage,
        getConfig: (name) => (name === KEPT ? { saveHistory: true } : null),
    });
}

/** A listener recording `<tag>:<payload.id>` steps (and whether replayed). */
function recorder(tag) {
    return (payload, { replayed }) => expect.step(`${tag}:${payload.id}${replayed ? "*" : ""}`);
}

function localStorageOf(uid, options = {}) {
    return new LocalStorageBridgeStorage({ db: "lmdb", uid, ...options });
}

describe("delivery", () => {
    test("every listener of a name gets each message, in the order published", () => {
        const bridge = makeBridge();
        bridge.register(DROPPED, recorder("a"));
        bridge.register(DROPPED, recorder("b"));
        bridge.register("other", recorder("other"));
        for (const id of [1, 2, 3]) {
            expect(bridge.publish(DROPPED, { id }, { busId: id })).toBe("delivered");
        }
        expect.verifySteps(["a:1", "b:1", "a:2", "b:2", "a:3", "b:3"]);
    });

    test("unregister stops the delivery; the returned function unregisters too", () => {
        const bridge = makeBridge();
        const handler = recorder("a");
        bridge.register(DROPPED, handler);
        const off = bridge.register(DROPPED, recorder("b"));
        bridge.publish(DROPPED, { id: 1 });
        bridge.unregister(DROPPED, handler);
        bridge.publish(DROPPED, { id: 2 });
        off();
        expect(bridge.hasListener(DROPPED)).toBe(false);
        expect(bridge.publish(DROPPED, { id: 3 })).toBe("dropped");
        expect.verifySteps(["a:1", "b:1", "b:2"]);
    });

    test("a failing listener does not starve the others", async () => {
        expect.errors(1);
        const bridge = makeBridge();
        bridge.register(DROPPED, () => {
            throw new Error("broken listener");
        });
        bridge.register(DROPPED, recorder("ok"));
        bridge.publish(DROPPED, { id: 1 });
        expect.verifySteps(["ok:1"]);
        // reported afterwards, as an unhandled error
        await delay(10);
        expect.verifyErrors(["broken listener"]);
    });
});

describe("history", () => {
    test("saveHistory names are kept while nobody listens, replayed in order, then cleared", () => {
        const bridge = makeBridge();
        expect(bridge.publish(KEPT, { id: 2 }, { busId: 11 })).toBe("saved");
        expect(bridge.publish(KEPT, { id: 1 }, { busId: 12 })).toBe("saved");
        expect(bridge.countSaved(KEPT)).toBe(2);
        bridge.register(KEPT, recorder("first"));
        // the order of reception, not the order of the ids
        expect.verifySteps(["first:2*", "first:1*"]);
        expect(bridge.countSaved(KEPT)).toBe(0);
        bridge.register(KEPT, recorder("second"));
        expect.verifySteps([]);
        // from now on, live
        bridge.publish(KEPT, { id: 3 }, { busId: 13 });
        expect.verifySteps(["first:3", "second:3"]);
    });

    test("names not marked saveHistory are dropped when nobody listens", () => {
        const bridge = makeBridge();
        expect(bridge.publish(DROPPED, { id: 1 }, { busId: 1 })).toBe("dropped");
        bridge.register(DROPPED, recorder("late"));
        expect.verifySteps([]);
        expect(bridge.countSaved(DROPPED)).toBe(0);
    });

    test("register({ saveHistory }) marks a name for the rest of the page", () => {
        const bridge = makeBridge();
        const off = bridge.register("test/marked", recorder("a"), { saveHistory: true });
        off();
        expect(bridge.publish("test/marked", { id: 1 })).toBe("saved");
        bridge.register("test/marked", recorder("b"));
        expect.verifySteps(["b:1*"]);
    });

    test("the listener's presence is checked when the message comes, not before", () => {
        const bridge = makeBridge();
        bridge.publish(KEPT, { id: 1 }, { busId: 1 });
        const off = bridge.register(KEPT, recorder("a"));
        bridge.publish(KEPT, { id: 2 }, { busId: 2 });
        off();
        bridge.publish(KEPT, { id: 3 }, { busId: 3 });
        expect.verifySteps(["a:1*", "a:2"]);
        bridge.register(KEPT, recorder("b"));
        expect.verifySteps(["b:3*"]);
    });

    test("a filtered listener only counts for the messages it accepts", () => {
        const bridge = makeBridge();
        bridge.register(KEPT, recorder("shop"), { filter: (p) => p.topic === "shop" });
        expect(bridge.publish(KEPT, { id: 1, topic: "shop" })).toBe("delivered");
        expect(bridge.publish(KEPT, { id: 2, topic: "sale.order" })).toBe("saved");
        bridge.register(KEPT, recorder("all"));
        expect.verifySteps(["shop:1", "all:2*"]);
    });

    test("HISTORY_CHANGED is triggered when a message is saved and when replayed", () => {
        const bridge = makeBridge();
        bridge.addEventListener("HISTORY_CHANGED", ({ detail }) => expect.step(detail.name));
        bridge.publish(KEPT, { id: 1 });
        bridge.register(KEPT, () => {});
        expect.verifySteps([KEPT, KEPT]);
    });
});

describe("duplicates", () => {
    test("the same bus notification twice is delivered once", () => {
        const bridge = makeBridge();
        bridge.register(DROPPED, recorder("a"));
        expect(bridge.publish(DROPPED, { id: 1 }, { busId: 5 })).toBe("delivered");
        expect(bridge.publish(DROPPED, { id: 1 }, { busId: 5 })).toBe("duplicate");
        expect.verifySteps(["a:1"]);
    });

    test("the same message id in two notifications is delivered once", () => {
        const bridge = makeBridge();
        bridge.register(DROPPED, recorder("a"));
        bridge.publish(DROPPED, { id: 7 }, { busId: 1 });
        expect(bridge.publish(DROPPED, { id: 7 }, { busId: 2 })).toBe("duplicate");
        // the same id under another name is another message
        bridge.register("test/other", recorder("o"));
        bridge.publish("test/other", { id: 7 }, { busId: 3 });
        expect.verifySteps(["a:7", "o:7"]);
    });

    test("a saved message received twice is saved and replayed once", () => {
        const bridge = makeBridge();
        bridge.publish(KEPT, { id: 1 }, { busId: 1 });
        expect(bridge.publish(KEPT, { id: 1 }, { busId: 2 })).toBe("duplicate");
        bridge.register(KEPT, recorder("a"));
        // and the live copy that comes later is a duplicate too
        expect(bridge.publish(KEPT, { id: 1 }, { busId: 3 })).toBe("duplicate");
        expect.verifySteps(["a:1*"]);
    });

    test("two tabs sharing localStorage save and replay a message once", () => {
        // every tab gets the same bus notification through the shared worker
        const tab1 = makeBridge(localStorageOf(2));
        const tab2 = makeBridge(localStorageOf(2));
        expect(tab1.publish(KEPT, { id: 1 }, { busId: 40 })).toBe("saved");
        expect(tab2.publish(KEPT, { id: 1 }, { busId: 40 })).toBe("not-saved");
        // a payload without id is told apart by its bus notification id
        tab1.publish(KEPT, { text: "no id" }, { busId: 41 });
        tab2.publish(KEPT, { text: "no id" }, { busId: 41 });
        expect(tab2.countSaved(KEPT)).toBe(2);
        tab2.register(KEPT, (payload, meta) => expect.step(`tab2:${payload.id || payload.text}`));
        tab1.register(KEPT, recorder("tab1"));
        expect.verifySteps(["tab2:1", "tab2:no id"]);
        // a slower tab receiving it after the replay does not keep it again
        const tab3 = makeBridge(localStorageOf(2));
        expect(tab3.publish(KEPT, { id: 1 }, { busId: 40 })).toBe("not-saved");
        expect(tab3.countSaved(KEPT)).toBe(0);
    });

    test("the history survives a reload (a new bridge on the same storage)", () => {
        makeBridge(localStorageOf(2)).publish(KEPT, { id: 9 }, { busId: 90 });
        const afterReload = makeBridge(localStorageOf(2));
        afterReload.register(KEPT, recorder("reloaded"));
        expect.verifySteps(["reloaded:9*"]);
    });
});

describe("bounds and failures", () => {
    test("the history keeps at most maxCount messages, dropping the oldest", () => {
        const bridge = makeBridge(localStorageOf(2, { maxCount: 3 }));
        for (const id of [1, 2, 3, 4, 5]) {
            bridge.publish(KEPT, { id }, { busId: id });
        }
        bridge.register(KEPT, recorder("a"));
        expect.verifySteps(["a:3*", "a:4*", "a:5*"]);
    });

    test("the history keeps at most maxBytes, dropping the oldest", () => {
        const storage = localStorageOf(2, { maxBytes: 600 });
        const bridge = makeBridge(storage);
        for (const id of [1, 2, 3, 4, 5, 6]) {
            bridge.publish(KEPT, { id, text: "x".repeat(100) }, { busId: id });
        }
        const kept = storage.getMessagesFromHistory(KEPT);
        expect(kept.length).toBeLessThan(6);
        expect(kept.length).toBeGreaterThan(0);
        // the newest ones, in order
        expect(kept.map((m) => m.payload.id)).toEqual(
            Array.from({ length: kept.length }, (_, index) => 7 - kept.length + index)
        );
        expect(browser.localStorage.getItem(storage.key).length).toBeLessThan(800);
        // a message bigger than the whole history is not kept
        expect(bridge.publish(KEPT, { id: 7, text: "y".repeat(1000) }, { busId: 7 })).toBe(
            "not-saved"
        );
    });

    test("a full quota drops the oldest messages, then degrades to memory without throwing", () => {
        let limit = 700;
        const quotaStorage = {
            data: {},
            get length() {
                return Object.keys(this.data).length;
            },
            key(index) {
                return Object.keys(this.data)[index] ?? null;
            },
            getItem(key) {
                return this.data[key] ?? null;
            },
            setItem(key, value) {
                if (value.length > limit) {
                    throw new DOMException("full", "QuotaExceededError");
                }
                this.data[key] = value;
            },
            removeItem(key) {
                delete this.data[key];
            },
        };
        const storage = localStorageOf(2, { storage: quotaStorage });
        const bridge = makeBridge(storage);
        for (const id of [1, 2, 3, 4, 5, 6, 7, 8]) {
            expect(bridge.publish(KEPT, { id, text: "z".repeat(60) }, { busId: id })).toBe("saved");
        }
        const kept = JSON.parse(quotaStorage.getItem(storage.key)).messages.map((m) => m.payload.id);
        expect(kept.at(-1)).toBe(8);
        expect(kept.length).toBeLessThan(8);
        expect(storage.isDegraded).toBe(false);
        // nothing fits any more: the history goes on in memory
        limit = 0;
        expect(bridge.publish(KEPT, { id: 9 }, { busId: 9 })).toBe("saved");
        expect(storage.isDegraded).toBe(true);
        bridge.register(KEPT, recorder("a"));
        expect.verifySteps([...kept, 9].map((id) => `a:${id}*`));
    });

    test("a storage that throws on every access does not break the page", () => {
        const broken = {
            get length() {
                throw new Error("denied");
            },
            getItem() {
                throw new Error("denied");
            },
            setItem() {
                throw new Error("denied");
            },
            removeItem() {
                throw new Error("denied");
            },
        };
        const bridge = makeBridge(localStorageOf(2, { storage: broken }));
        expect(bridge.publish(KEPT, { id: 1 }, { busId: 1 })).toBe("saved");
        bridge.register(KEPT, recorder("a"));
        expect.verifySteps(["a:1*"]);
    });
});

describe("users and storages", () => {
    test("another user on the same browser never sees the previous user's history", () => {
        const alice = makeBridge(localStorageOf(2));
        alice.publish(KEPT, { id: 1, text: "for alice" }, { busId: 1 });
        const aliceKey = `${STORAGE_KEY_PREFIX}lmdb.2`;
        expect(browser.localStorage.getItem(aliceKey)).not.toBe(null);
        // bob logs in: alice's history is deleted, and bob gets none of it
        const bob = makeBridge(localStorageOf(3));
        expect(browser.localStorage.getItem(aliceKey)).toBe(null);
        bob.register(KEPT, recorder("bob"));
        expect.verifySteps([]);
    });

    test("a history written for another user under this key is ignored", () => {
        const key = `${STORAGE_KEY_PREFIX}lmdb.3`;
        browser.localStorage.setItem(
            key,
            JSON.stringify({ uid: 2, messages: [{ name: KEPT, key: "x", payload: { id: 1 } }], consumed: [] })
        );
        const bob = makeBridge(localStorageOf(3));
        bob.register(KEPT, recorder("bob"));
        expect.verifySteps([]);
    });

    test("the memory storage keeps history for the page only", () => {
        const storage = new MemoryBridgeStorage({ maxCount: 2 });
        const bridge = makeBridge(storage);
        for (const id of [1, 2, 3]) {
            bridge.publish(KEPT, { id }, { busId: id });
        }
        expect(storage.getMessagesFromHistory(KEPT).map((m) => m.payload.id)).toEqual([2, 3]);
        expect(browser.localStorage.length).toBe(0);
        storage.deleteSavedMessages(KEPT);
        expect(storage.getMessagesFromHistory(KEPT)).toEqual([]);
    });

    test("any BridgeStorage subclass can be plugged in", () => {
        class ArrayStorage extends BridgeStorage {
            messages = [];
            saveMessageToHistory(message) {
                expect.step(`save:${message.payload.id}`);
                this.messages.push(message);
                return true;
            }
            getMessagesFromHistory(name) {
                return this.messages.filter((m) => m.name === name);
            }
            deleteSavedMessages(name) {
                expect.step(`delete:${name}`);
                this.messages = this.messages.filter((m) => m.name !== name);
            }
        }
        const bridge = makeBridge(new ArrayStorage());
        bridge.publish(KEPT, { id: 1 }, { busId: 1 });
        bridge.register(KEPT, recorder("a"));
        expect.verifySteps(["save:1", `delete:${KEPT}`, "a:1*"]);
        expect(() => new BridgeStorage().saveMessageToHistory({})).toThrow(/does not implement/);
    });
});
