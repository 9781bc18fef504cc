import { patch } from "@web/core/utils/patch";
import { LiveChatApp } from "../chat_app";
import { LiveSearchPanel } from "./search_panel";

LiveChatApp.components = { ...LiveChatApp.components, LiveSearchPanel };

/** The Chat app's search across the user's rooms (its own view, "search"). */
patch(LiveChatApp.prototype, {
    selectSearch() {
        this.chat.updateApp({ view: "search" });
    },

    /** A hit: its room, scrolled to it. */
    openFound(message) {
        this.chat.focusMessage(message.room_id, message.id);
        this.chat.updateApp({ view: "room", roomId: message.room_id });
    },
});
