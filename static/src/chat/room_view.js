import { Component, onMounted, onWillUnmount, useState } from "@odoo/owl";
import { ConfirmationDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";
import { ROOM_ICONS } from "../core/format";
import { LiveComposer } from "./composer";
import { LiveMessageList } from "./message_list";
import { LiveInviteDialog } from "./room_dialogs";

/**
 * A room: its messages and the composer, with an optional header. While it is
 * on screen (and the page visible) the room is read: its unread count goes to
 * zero and the read cursor follows new messages.
 */
export class LiveRoomView extends Component {
    static template = "live_messaging.RoomView";
    static components = { LiveComposer, LiveMessageList };
    static props = {
        room: Object,
        showHeader: { type: Boolean, optional: true },
        autofocus: { type: Boolean, optional: true },
    };

    setup() {
        this.chat = useState(useService("live_messaging.chat"));
        this.action = useService("action");
        this.dialog = useService("dialog");
        // parents give each room its own component (t-key): the id never changes
        const roomId = this.props.room.id;
        onMounted(() => {
            this.chat.setRoomVisible(roomId, true);
            this.chat.loadMessages(this.props.room);
        });
        onWillUnmount(() => this.chat.setRoomVisible(roomId, false));
    }

    get icon() {
        return ROOM_ICONS[this.props.room.type] || "fa-comments";
    }

    get membersText() {
        return this.props.room.members.map((m) => m.name).join(", ");
    }

    get membersLabel() {
        return _t("%s members", this.props.room.members.length);
    }

    get canManageMembers() {
        return ["group", "record"].includes(this.props.room.type);
    }

    invite() {
        this.dialog.add(LiveInviteDialog, { room: this.props.room });
    }

    leave() {
        const room = this.props.room;
        this.dialog.add(ConfirmationDialog, {
            title: _t("Leave %s", room.name),
            body: _t("You will no longer receive its messages. A member can invite you back."),
            confirmLabel: _t("Leave"),
            confirm: () => this.chat.leaveRoom(room),
            cancel: () => {},
        });
    }

    openRecord() {
        const { res_model, res_id } = this.props.room;
        this.action.doAction({
            type: "ir.actions.act_window",
            res_model,
            res_id,
            views: [[false, "form"]],
        });
    }
}
