import { Component, onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useBus, useService } from "@web/core/utils/hooks";
import { LiveRoomList } from "./room_list";
import { LiveRoomView } from "./room_view";

export const FEED_MESSAGE = "live_messaging/events";

/**
 * The chat window floating over every screen (a main component: it survives
 * navigation between apps). Shows the room list, or one room; can be folded,
 * closed, or expanded into the Chat app. Its state is kept per database and user,
 * so a reload shows it as it was.
 */
export class LiveChatWindow extends Component {
    static template = "live_messaging.ChatWindow";
    static components = { LiveRoomList, LiveRoomView };
    static props = {};

    setup() {
        this.chat = useState(useService("live_messaging.chat"));
        this.bridge = useService("live_messaging.bridge");
        this.action = useService("action");
        this.state = useState({ savedEvents: this.bridge.countSaved(FEED_MESSAGE) });
        useBus(this.bridge, "HISTORY_CHANGED", () => {
            this.state.savedEvents = this.bridge.countSaved(FEED_MESSAGE);
        });
        onWillStart(() => {
            if (this.chat.state.window.open) {
                // restored from a previous page: do not block the web client
                this.chat.ensureRooms();
            }
        });
    }

    /** (not `window`: templates resolve that name to the browser's window) */
    get windowState() {
        return this.chat.state.window;
    }

    get room() {
        return this.windowState.roomId ? this.chat.state.rooms[this.windowState.roomId] : null;
    }

    get title() {
        return this.room ? this.room.name : _t("Chat");
    }

    get savedEventsText() {
        return this.state.savedEvents === 1
            ? _t("1 new event on your topics")
            : _t("%s new events on your topics", this.state.savedEvents);
    }

    onHeaderClick() {
        if (this.windowState.folded) {
            this.chat.updateWindow({ folded: false });
        }
    }

    selectRoom(room) {
        this.chat.updateWindow({ roomId: room.id });
    }

    back() {
        this.chat.updateWindow({ roomId: null });
    }

    toggleFold() {
        this.chat.updateWindow({ folded: !this.windowState.folded });
    }

    close() {
        this.chat.updateWindow({ open: false });
    }

    /** Continue in the Chat app: on this room, or on the topics feed. */
    expand(view) {
        if (view === "feed") {
            this.chat.updateApp({ view: "feed" });
        } else if (this.room) {
            this.chat.updateApp({ view: "room", roomId: this.room.id });
        }
        this.chat.updateWindow({ open: false });
        this.action.doAction("live_messaging.live_chat_action");
    }
}

registry.category("main_components").add("live_messaging.ChatWindow", {
    Component: LiveChatWindow,
});
