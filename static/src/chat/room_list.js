import { Component, useState } from "@odoo/owl";
import { useService } from "@web/core/utils/hooks";
import { formatShortDate, ROOM_ICONS, unescapeBody } from "../core/format";

/** Rooms, most recently active first, with their unread counts. */
export class LiveRoomList extends Component {
    static template = "live_messaging.RoomList";
    static props = {
        rooms: Array,
        onSelect: Function,
        activeRoomId: { type: [Number, { value: null }], optional: true },
        emptyText: { type: String, optional: true },
    };

    setup() {
        this.chat = useState(useService("live_messaging.chat"));
    }

    icon(room) {
        return ROOM_ICONS[room.type] || "fa-comments";
    }

    date(room) {
        return formatShortDate(room.last_message?.create_date || room.last_message_date);
    }

    preview(room) {
        const message = room.last_message || room.messages.filter((m) => m.id).at(-1);
        if (!message) {
            return "";
        }
        const text = unescapeBody(message.body);
        if (message.kind === "system") {
            return text;
        }
        return `${message.author.name}: ${text}`;
    }
}
