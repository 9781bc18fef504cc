import { Component, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

/**
 * The label of a record's "Chat" button (`live_chat_unread_count`, widget
 * `live_chat_button`): "Chat", with the unread count of the record's room. The
 * count comes from the chat store when it knows the room, so it follows pushes
 * and reads live; else from the field, as the server computed it.
 */
export class LiveChatButtonField extends Component {
    static template = "live_messaging.ChatButtonField";
    static props = { ...standardFieldProps };

    setup() {
        this.chat = useState(useService("live_messaging.chat"));
    }

    get unread() {
        const { resModel, resId, data } = this.props.record;
        const room = resId && this.chat.roomOfRecord(resModel, resId);
        return room ? room.unread : data[this.props.name] || 0;
    }

    get unreadText() {
        return _t("%s unread", this.unread);
    }
}

registry.category("fields").add("live_chat_button", {
    component: LiveChatButtonField,
    supportedTypes: ["integer"],
});
