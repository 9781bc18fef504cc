import { Component, onWillStart, onWillUnmount, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { LiveRoomView } from "../chat/room_view";
import { unescapeBody } from "../core/format";

const TYPING_TTL = 5000;

/**
 * Support Queue: the waiting visitors (pushed live on the agents' group
 * channel), a Claim button each, and the agent's chats in progress with the
 * room, who is typing, and whether the visitor is still there.
 */
export class LiveSupportQueue extends Component {
    static template = "live_messaging.SupportQueue";
    static components = { LiveRoomView };
    static props = ["*"];

    /** A visitor's first message, as typed. */
    firstMessage(session) {
        return unescapeBody(session.first_message);
    }

    setup() {
        this.orm = useService("orm");
        this.notification = useService("notification");
        this.bridge = useService("live_messaging.bridge");
        this.chat = useState(useService("live_messaging.chat"));
        this.state = useState({ queue: [], mine: [], selectedId: null, typing: {}, now: Date.now() });
        this.typingTimers = {};
        this.lastTypingSent = 0;
        onWillStart(() => this.load());
        const unregister = [
            this.bridge.register("live_messaging/support_queue", (payload) => this.onQueue(payload)),
            this.bridge.register("live_messaging/support", (payload) => this.onSupport(payload)),
            this.bridge.register("live_messaging/typing", (payload) => this.onTyping(payload)),
        ];
        const ticker = setInterval(() => (this.state.now = Date.now()), 15000);
        onWillUnmount(() => {
            unregister.forEach((off) => off());
            clearInterval(ticker);
            Object.values(this.typingTimers).forEach(clearTimeout);
        });
    }

    async load() {
        const [queue, mine] = await Promise.all([
            this.orm.call("live.support.session", "live_queue", []),
            this.orm.call("live.support.session", "live_my_chats", []),
        ]);
        this.state.queue = queue;
        this.state.mine = mine;
        if (mine.length) {
            await this.chat.fetchRooms();
        }
    }

    get selected() {
        return this.state.mine.find((s) => s.id === this.state.selectedId) || null;
    }

    get selectedRoom() {
        return this.selected && this.chat.state.rooms[this.selected.room_id];
    }

    waitingSince(session) {
        const minutes = Math.max(0, Math.floor((this.state.now - Date.parse(session.join_date)) / 60000));
        return minutes < 1 ? _t("just now") : _t("%s min", minutes);
    }

    joinTime(session) {
        return new Date(session.join_date).toLocaleTimeString();
    }

    typingText(session) {
        const names = Object.keys(this.state.typing[session.room_id] || {});
        return names.length ? _t("%s is typing...", names.join(", ")) : "";
    }

    onQueue({ added, removed }) {
        if (added && !this.state.queue.some((s) => s.id === added.id)) {
            this.state.queue.push(added);
        }
        if (removed) {
            this.state.queue = this.state.queue.filter((s) => s.id !== removed);
        }
    }

    onSupport({ session_id, event, state }) {
        const session = this.state.mine.find((s) => s.id === session_id);
        if (!session) {
            return;
        }
        session.state = state;
        if (event === "visitor_left") {
            session.visitor_present = false;
        } else if (event === "visitor_back") {
            session.visitor_present = true;
        } else if (event === "expired" || event === "closed") {
            this.notification.add(
                event === "expired"
                    ? _t("The chat with %s expired.", session.name)
                    : _t("The chat with %s is closed.", session.name),
                { type: "warning" }
            );
        }
    }

    onTyping({ room_id, name, is_typing, user_id }) {
        if (user_id && user_id === this.chat.me?.id) {
            return;
        }
        const key = `${room_id}:${name}`;
        clearTimeout(this.typingTimers[key]);
        const names = { ...(this.state.typing[room_id] || {}) };
        if (is_typing) {
            names[name] = true;
            this.typingTimers[key] = setTimeout(() => {
                const current = { ...(this.state.typing[room_id] || {}) };
                delete current[name];
                this.state.typing[room_id] = current;
            }, TYPING_TTL);
        } else {
            delete names[name];
        }
        this.state.typing[room_id] = names;
    }

    async claim(session) {
        let claimed;
        try {
            claimed = await this.orm.silent.call("live.support.session", "live_claim", [[session.id]]);
        } catch (error) {
            this.state.queue = this.state.queue.filter((s) => s.id !== session.id);
            this.notification.add(error.data?.message || error.message || _t("Already taken."), {
                title: _t("Could not claim %s", session.name),
                type: "danger",
            });
            return;
        }
        this.state.queue = this.state.queue.filter((s) => s.id !== session.id);
        this.state.mine.push(claimed);
        await this.chat.fetchRooms();
        this.state.selectedId = claimed.id;
    }

    select(session) {
        this.state.selectedId = session.id;
    }

    async close(session) {
        await this.orm.call("live.support.session", "live_close", [[session.id]]);
        session.state = "closed";
    }

    dismiss(session) {
        this.state.mine = this.state.mine.filter((s) => s.id !== session.id);
        if (this.state.selectedId === session.id) {
            this.state.selectedId = null;
        }
    }

    onComposerInput() {
        const session = this.selected;
        if (!session || session.state !== "active" || Date.now() - this.lastTypingSent < 2000) {
            return;
        }
        this.lastTypingSent = Date.now();
        this.orm.silent.call("live.room", "live_set_typing", [[session.room_id], true]).catch(() => {});
    }
}

registry.category("actions").add("live_messaging.support_queue", LiveSupportQueue);
