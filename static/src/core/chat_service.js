import { EventBus, markRaw, reactive } from "@odoo/owl";
import { browser } from "@web/core/browser/browser";
import { _t } from "@web/core/l10n/translation";
import { ConnectionLostError, RPCError } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";
import { user } from "@web/core/user";
import { session } from "@web/session";
import { escapeBody, unescapeBody } from "./format";

export const PAGE_SIZE = 30;
/** Delay before the read cursor follows what the user sees (ms). */
export const SEEN_DELAY = 250;

let clientIdCounter = 0;

/** An idempotency key for a message sent from this tab (server: 1-128 of [A-Za-z0-9._:-]). */
export function newClientId() {
    const random = Math.random().toString(36).slice(2, 10);
    return `web.${Date.now().toString(36)}.${random}.${++clientIdCounter}`;
}

/** The error to show under a message the server refused. */
export function describeError(error) {
    if (error instanceof ConnectionLostError) {
        return _t("Connection lost. Check your network, then retry.");
    }
    if (error instanceof RPCError) {
        return error.data?.message || error.message;
    }
    return error?.message || String(error);
}

/**
 * Whether the server refused the message for good (an Odoo user error: too
 * long, not a member, archived room...): sending it again would fail the same
 * way. Lost connections and unexpected server errors are worth a retry.
 */
export function isRefusal(error) {
    return (
        error instanceof RPCError && Boolean(error.exceptionName?.startsWith("odoo.exceptions."))
    );
}

/** The longest message body the server accepts (characters), if it told. */
export function bodyMaxChars() {
    return session.live_body_max_chars || null;
}

/** A body's length as the server counts it (characters, not UTF-16 units). */
export function bodyLength(body) {
    return [...body.trim()].length;
}

/** "2024-05-01T10:00:00.000Z" -> "2024-05-01 10:00:00", as rooms' dates come. */
function toSqlDate(isoDate) {
    return isoDate ? isoDate.replace("T", " ").slice(0, 19) : isoDate;
}

function byId(a, b) {
    return a.id - b.id;
}

/**
 * The chat state of the web client: the user's rooms (unread counts, messages),
 * the topics, the floating window. The server is the source of truth: a reload
 * or a new tab rebuilds it from `live_get_rooms` and each room's history; pushed
 * messages keep it current.
 *
 * Components read `store.state` (reactive) and call the methods.
 */
export class ChatStore {
    constructor(env, { orm, bridge, busService }) {
        // services and timers stay out of the reactive proxies components hold
        this.services = markRaw({ orm, bridge, busService });
        /** UI events between components: EDIT_MESSAGE {roomId, body} */
        this.bus = markRaw(new EventBus());
        this.me = { id: user.userId, name: user.name };
        this.uiKey = `live_messaging.chat_ui.${session.db}.${user.userId}`;
        this.state = reactive({
            /** @type {Record<number, Object>} */
            rooms: {},
            roomsLoaded: false,
            /** set when the user may not chat (not a Live Messaging user) */
            unavailable: false,
            /** @type {Object[] | null} */
            topics: null,
            /** the floating chat window */
            window: { open: false, folded: false, roomId: null },
            /** how many Chat apps are on screen (the window hides meanwhile) */
            appOpen: 0,
            /** what the chat app shows: "room", "feed" or "topic" */
            app: { view: "feed", roomId: null, topicName: null },
        });
        /** rooms on screen: roomId -> number of components showing it */
        this.visibleRooms = markRaw(new Map());
        this.seenTimers = markRaw(new Map());
        this.roomsPromise = null;
        this.restoreUi();
        this.listen();
    }

    // ------------------------------------------------------------------
    // Pushed messages (through the bridge)
    // ------------------------------------------------------------------

    listen() {
        this.services.bridge.register("live_messaging/message", (message) => this.onMessage(message));
        this.services.bridge.register("live_messaging/room", ({ room }) => {
            const known = room.id in this.state.rooms;
            this.insertRoom(room);
            // the server decides the socket's channels: ask it again
            this.services.busService.forceUpdateChannels();
            if (known && this.state.rooms[room.id].loaded) {
                // what was posted before the socket joined the room's channel
                browser.setTimeout(() => this.fetchNewer(this.state.rooms[room.id]), 1000);
            }
        });
        this.services.bridge.register("live_messaging/room_left", ({ room_id }) => {
            delete this.state.rooms[room_id];
            for (const ui of [this.state.window, this.state.app]) {
                if (ui.roomId === room_id) {
                    ui.roomId = null;
                }
            }
            this.saveUi();
            this.services.busService.forceUpdateChannels();
        });
        this.services.bridge.register("live_messaging/seen", ({ room_id, unread }) => {
            const room = this.state.rooms[room_id];
            if (room) {
                room.unread = unread;
            }
        });
        this.services.bridge.register("live_messaging/topic_subscription", ({ topic, subscribed }) => {
            const known = this.state.topics?.find((t) => t.name === topic);
            if (known) {
                known.subscribed = subscribed;
            }
            this.services.busService.forceUpdateChannels();
        });
        this.services.busService.addEventListener("reconnect", () => this.resync());
        browser.addEventListener("visibilitychange", () => {
            for (const roomId of this.visibleRooms.keys()) {
                this.scheduleSeen(this.state.rooms[roomId]);
            }
        });
    }

    onMessage(message) {
        const room = this.state.rooms[message.room_id];
        if (!room) {
            // a room we do not know yet (its push may follow): ask the server
            this.fetchRooms();
            return;
        }
        const isNew = !room.messages.some((m) => m.id === message.id);
        const gap = room.loaded && message.seq > room.last_seq + 1;
        const newerThanKnown = message.seq > room.last_seq;
        if (gap) {
            // some messages never reached this tab (socket down): fetch them
            this.fetchNewer(room);
        }
        if (room.loaded) {
            this.insertMessages(room, [message]);
        }
        if (newerThanKnown) {
            room.last_seq = message.seq;
            room.last_message_id = message.id;
            room.last_message_date = toSqlDate(message.create_date);
            room.last_message = message;
        }
        if (message.kind !== "system" && message.author.id === this.me.id && newerThanKnown) {
            // writing is reading: the server moved the cursor to this message
            room.unread = 0;
        }
        const fromOthers = message.kind !== "system" && message.author.id !== this.me.id;
        if (isNew && newerThanKnown && fromOthers) {
            if (this.isRoomActive(room.id)) {
                room.needsSeen = true;
                this.scheduleSeen(room);
            } else {
                room.unread += 1;
            }
        }
    }

    // ------------------------------------------------------------------
    // Rooms
    // ------------------------------------------------------------------

    get roomList() {
        return Object.values(this.state.rooms).sort(
            (a, b) =>
                (b.last_message_date || "").localeCompare(a.last_message_date || "") || b.id - a.id
        );
    }

    get totalUnread() {
        return Object.values(this.state.rooms).reduce((sum, room) => sum + room.unread, 0);
    }

    /** The user's rooms, fetched once per page (then kept current by pushes). */
    ensureRooms() {
        this.roomsPromise ||= this.fetchRooms().catch((error) => {
            if (error instanceof RPCError && error.exceptionName === "odoo.exceptions.AccessError") {
                // not a Live Messaging user (the group was removed): no chat here
                this.state.unavailable = true;
                return [];
            }
            throw error;
        });
        return this.roomsPromise;
    }

    async fetchRooms() {
        const rooms = await this.services.orm.silent.call("live.room", "live_get_rooms", []);
        const ids = new Set(rooms.map((room) => room.id));
        for (const id of Object.keys(this.state.rooms)) {
            if (!ids.has(Number(id))) {
                delete this.state.rooms[id];
            }
        }
        for (const room of rooms) {
            this.insertRoom(room);
        }
        this.state.roomsLoaded = true;
        this.fetchLastMessages();
        return this.roomList;
    }

    /** The last message of each room, for the previews of the room lists. */
    async fetchLastMessages() {
        const rooms = Object.values(this.state.rooms).filter(
            (room) => room.last_message_id && room.last_message?.id !== room.last_message_id
        );
        if (!rooms.length) {
            return;
        }
        const records = await this.services.orm.silent.read(
            "live.message",
            rooms.map((room) => room.last_message_id),
            ["room_id", "kind", "body", "author_id", "author_name", "create_date"]
        );
        for (const record of records) {
            const room = this.state.rooms[record.room_id[0]];
            if (room && room.last_message_id === record.id) {
                room.last_message = {
                    id: record.id,
                    kind: record.kind,
                    body: record.body || "",
                    author: { id: record.author_id?.[0] || null, name: record.author_name || "" },
                    create_date: record.create_date,
                };
            }
        }
    }

    insertRoom(data) {
        const room = this.state.rooms[data.id];
        if (room) {
            Object.assign(room, data);
            return room;
        }
        this.state.rooms[data.id] = {
            ...data,
            messages: [],
            loaded: false,
            loading: false,
            hasMore: false,
            loadingOlder: false,
            last_message: null,
            needsSeen: false,
        };
        return this.state.rooms[data.id];
    }

    /** Re-read everything that may have changed while the socket was down. */
    async resync() {
        await this.fetchRooms();
        await Promise.all(
            Object.values(this.state.rooms)
                .filter((room) => room.loaded)
                .map((room) => this.fetchNewer(room))
        );
    }

    // ------------------------------------------------------------------
    // Messages
    // ------------------------------------------------------------------

    /** The newest page of a room, once. */
    async loadMessages(room) {
        if (room.loaded || room.loading) {
            return;
        }
        room.loading = true;
        try {
            const { messages, has_more } = await this.services.orm.silent.call(
                "live.room",
                "live_fetch_messages",
                [[room.id]],
                { limit: PAGE_SIZE }
            );
            room.hasMore = has_more;
            room.loaded = true;
            this.insertMessages(room, messages);
        } finally {
            room.loading = false;
        }
    }

    /** The page before the oldest message shown (scrolling up). */
    async loadOlder(room) {
        const oldest = room.messages.find((m) => m.id);
        if (!room.hasMore || room.loadingOlder || !oldest) {
            return;
        }
        room.loadingOlder = true;
        try {
            const { messages, has_more } = await this.services.orm.silent.call(
                "live.room",
                "live_fetch_messages",
                [[room.id]],
                { before: oldest.id, limit: PAGE_SIZE }
            );
            room.hasMore = has_more;
            this.insertMessages(room, messages);
        } finally {
            room.loadingOlder = false;
        }
    }

    /** Everything after the newest message shown (after a gap or a reconnection). */
    async fetchNewer(room) {
        if (!room?.loaded) {
            return;
        }
        const newest = room.messages.filter((m) => m.id).at(-1);
        let after = newest ? newest.id : 0;
        for (;;) {
            const { messages, has_more } = await this.services.orm.silent.call(
                "live.room",
                "live_fetch_messages",
                [[room.id]],
                { after, limit: 200 }
            );
            this.insertMessages(room, messages);
            if (!has_more || !messages.length) {
                return;
            }
            after = messages.at(-1).id;
        }
    }

    /**
     * Add server messages to a room (sorted, no duplicates); a message sent from
     * this tab replaces its optimistic copy (same `client_id`).
     */
    insertMessages(room, messages) {
        for (const message of messages) {
            const existing = room.messages.find((m) => m.id === message.id);
            if (existing) {
                continue;
            }
            const local =
                message.client_id &&
                message.author.id === this.me.id &&
                room.messages.find((m) => !m.id && m.client_id === message.client_id);
            if (local) {
                room.messages.splice(room.messages.indexOf(local), 1);
            }
            room.messages.push({
                ...message,
                // a stable key for rendering: the optimistic copy's, once confirmed
                localKey: local ? local.localKey : `m${message.id}`,
                pending: false,
                failed: false,
                error: null,
            });
        }
        const sent = room.messages.filter((m) => m.id).sort(byId);
        const local = room.messages.filter((m) => !m.id);
        room.messages.splice(0, room.messages.length, ...sent, ...local);
    }

    /**
     * Send a message: shown at once, confirmed by the server's answer (or by its
     * push, whichever comes first), marked failed with a retry if refused.
     * `mentions`: members mentioned (`{id, name}`); `attachments`: files
     * uploaded for it (`{id, name, ...}`): with files, the text may be empty.
     */
    async postMessage(room, body, { mentions = [], attachments = [] } = {}) {
        body = body.trim();
        if (!body && !attachments.length) {
            return;
        }
        const clientId = newClientId();
        const message = {
            id: null,
            localKey: `local.${clientId}`,
            client_id: clientId,
            room_id: room.id,
            kind: "chat",
            // kept in the server's form (escaped), as every message here
            body: escapeBody(body),
            mentions,
            attachments,
            author: { id: this.me.id, name: this.me.name },
            create_date: new Date().toISOString(),
            pending: true,
            failed: false,
            refused: false,
            error: null,
        };
        room.messages.push(message);
        await this.sendMessage(room, room.messages.at(-1));
        return room.messages.find((m) => m.localKey === message.localKey) || null;
    }

    /** Send (again) a message of this tab, with the same `client_id`: the
     * server dedupes it if the first attempt got through after all. */
    async sendMessage(room, message) {
        message.pending = true;
        message.failed = false;
        message.refused = false;
        message.error = null;
        try {
            const saved = await this.services.orm.silent.call(
                "live.room",
                "live_post_message",
                [[room.id], unescapeBody(message.body)],
                {
                    client_id: message.client_id,
                    ...(message.mentions?.length && {
                        mention_ids: message.mentions.map((m) => m.id),
                    }),
                    ...(message.attachments?.length && {
                        attachment_ids: message.attachments.map((a) => a.id),
                    }),
                }
            );
            this.insertMessages(room, [saved]);
            room.unread = 0;
            if (saved.seq > room.last_seq) {
                room.last_seq = saved.seq;
                room.last_message_id = saved.id;
                room.last_message_date = toSqlDate(saved.create_date);
                room.last_message = saved;
            }
        } catch (error) {
            if (!(error instanceof RPCError || error instanceof ConnectionLostError)) {
                throw error;
            }
            message.pending = false;
            message.failed = true;
            // refused for good: no retry, the user edits it (or discards it)
            message.refused = isRefusal(error);
            message.error = describeError(error);
        }
    }

    retryMessage(room, message) {
        return this.sendMessage(room, message);
    }

    /** Take a message the server refused back into the room's composer (as
     * typed: pending messages keep the server's escaped form). */
    editRefusedMessage(room, message) {
        this.discardMessage(room, message);
        this.bus.trigger("EDIT_MESSAGE", { roomId: room.id, body: unescapeBody(message.body) });
    }

    discardMessage(room, message) {
        const index = room.messages.indexOf(message);
        if (index >= 0 && !message.id) {
            room.messages.splice(index, 1);
        }
    }

    // ------------------------------------------------------------------
    // Read cursor: a room shown on a visible page is read
    // ------------------------------------------------------------------

    setRoomVisible(roomId, visible) {
        const count = (this.visibleRooms.get(roomId) || 0) + (visible ? 1 : -1);
        if (count > 0) {
            this.visibleRooms.set(roomId, count);
        } else {
            this.visibleRooms.delete(roomId);
        }
        if (visible) {
            this.scheduleSeen(this.state.rooms[roomId]);
        }
    }

    isRoomActive(roomId) {
        return this.visibleRooms.has(roomId) && document.visibilityState !== "hidden";
    }

    scheduleSeen(room) {
        if (!room || this.seenTimers.has(room.id)) {
            return;
        }
        this.seenTimers.set(
            room.id,
            browser.setTimeout(() => {
                this.seenTimers.delete(room.id);
                this.markSeen(room);
            }, SEEN_DELAY)
        );
    }

    async markSeen(room) {
        if (!this.isRoomActive(room.id) || !(room.id in this.state.rooms)) {
            return;
        }
        if (!room.unread && !room.needsSeen) {
            return;
        }
        room.needsSeen = false;
        const last = room.messages.filter((m) => m.id).at(-1);
        room.unread = await this.services.orm.silent.call(
            "live.room",
            "live_mark_seen",
            [[room.id]],
            { message_id: last?.id || false }
        );
    }

    // ------------------------------------------------------------------
    // Creating and opening rooms
    // ------------------------------------------------------------------

    async createGroupRoom(name, userIds) {
        const roomId = await this.services.orm.call("live.room", "live_create_group_room", [name, userIds]);
        await this.fetchRooms();
        return this.state.rooms[roomId];
    }

    async getDirectRoom(userId) {
        const roomId = await this.services.orm.call("live.room", "live_get_direct_room", [userId]);
        await this.fetchRooms();
        return this.state.rooms[roomId];
    }

    async getRecordRoom(resModel, resId) {
        const roomId = await this.services.orm.call("live.room", "live_get_record_room", [resModel, resId]);
        await this.fetchRooms();
        return this.state.rooms[roomId];
    }

    /** Invite users to a group room; the room's push brings the new members. */
    async addMembers(room, userIds) {
        await this.services.orm.call("live.room", "live_add_members", [[room.id], userIds]);
        await this.fetchRooms();
    }

    /** Leave a room: it goes away here and in the user's other tabs. */
    async leaveRoom(room) {
        await this.services.orm.call("live.room", "live_remove_member", [[room.id], this.me.id]);
        delete this.state.rooms[room.id];
        for (const ui of [this.state.window, this.state.app]) {
            if (ui.roomId === room.id) {
                ui.roomId = null;
            }
        }
        if (this.state.app.view === "room" && !this.state.app.roomId) {
            this.state.app.view = "feed";
        }
        this.saveUi();
        this.services.busService.forceUpdateChannels();
    }

    /** The room linked to a record, when the user is a member (no RPC). */
    roomOfRecord(resModel, resId) {
        return Object.values(this.state.rooms).find(
            (room) => room.res_model === resModel && room.res_id === resId
        );
    }

    // ------------------------------------------------------------------
    // The floating window and the app (UI state, per database and user)
    // ------------------------------------------------------------------

    async openWindow(roomId = null) {
        Object.assign(this.state.window, { open: true, folded: false });
        if (roomId) {
            await this.ensureRooms();
            if (!(roomId in this.state.rooms)) {
                await this.fetchRooms();
            }
            this.state.window.roomId = roomId in this.state.rooms ? roomId : null;
        }
        this.saveUi();
    }

    toggleWindow() {
        if (this.state.window.open && !this.state.window.folded) {
            this.state.window.open = false;
        } else {
            Object.assign(this.state.window, { open: true, folded: false });
        }
        this.saveUi();
    }

    updateWindow(values) {
        Object.assign(this.state.window, values);
        this.saveUi();
    }

    updateApp(values) {
        Object.assign(this.state.app, values);
        this.saveUi();
    }

    restoreUi() {
        let saved;
        try {
            saved = JSON.parse(browser.localStorage.getItem(this.uiKey) || "null");
        } catch {
            saved = null;
        }
        if (saved?.window) {
            Object.assign(this.state.window, saved.window);
        }
        if (saved?.app) {
            Object.assign(this.state.app, saved.app);
        }
    }

    saveUi() {
        try {
            browser.localStorage.setItem(
                this.uiKey,
                JSON.stringify({ window: this.state.window, app: this.state.app })
            );
        } catch {
            // UI state is a convenience: a full storage only forgets it
        }
    }

    // ------------------------------------------------------------------
    // Topics
    // ------------------------------------------------------------------

    async fetchTopics() {
        this.state.topics = await this.services.orm.silent.call("live.topic", "live_get_topics", []);
        return this.state.topics;
    }

    topicByName(name) {
        return this.state.topics?.find((t) => t.name === name);
    }

    async setSubscribed(topic, subscribed) {
        await this.services.orm.call("live.topic", subscribed ? "live_subscribe" : "live_unsubscribe", [
            [topic.id],
        ]);
        topic.subscribed = subscribed;
        this.services.busService.forceUpdateChannels();
    }

    fetchEvents(topic, { before = null, limit = PAGE_SIZE } = {}) {
        return this.services.orm.silent.call("live.topic", "live_fetch_events", [[topic.id]], {
            before,
            limit,
        });
    }

    publish(topic, payload) {
        return this.services.orm.call("live.topic", "live_publish", [[topic.id], payload], {
            client_id: newClientId(),
        });
    }
}

export const chatService = {
    dependencies: ["orm", "live_messaging.bridge", "bus_service"],
    start(env, { orm, "live_messaging.bridge": bridge, bus_service: busService }) {
        return new ChatStore(env, { orm, bridge, busService });
    },
};

registry.category("services").add("live_messaging.chat", chatService);
