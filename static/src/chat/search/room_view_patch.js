import { useState } from "@odoo/owl";
import { patch } from "@web/core/utils/patch";
import { LiveRoomView } from "../room_view";
import { LiveSearchPanel } from "./search_panel";

LiveRoomView.components = { ...LiveRoomView.components, LiveSearchPanel };

/** Search in the room, from its header: hits above the messages. */
patch(LiveRoomView.prototype, {
    setup() {
        super.setup(...arguments);
        this.roomSearch = useState({ open: false });
    },

    toggleSearch() {
        this.roomSearch.open = !this.roomSearch.open;
    },

    openFound(message) {
        this.chat.focusMessage(this.props.room.id, message.id);
    },
});
