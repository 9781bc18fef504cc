import { useState } from "@odoo/owl";
import { usePopover } from "@web/core/popover/popover_hook";
import { useService } from "@web/core/utils/hooks";
import { patch } from "@web/core/utils/patch";
import { LiveRoomView } from "../chat/room_view";
import { LiveImStatus, LiveRoomAvatar, correspondentOf, imStatusLabel } from "./faces";
import { LiveMemberList } from "./member_list";

LiveRoomView.components = { ...LiveRoomView.components, LiveImStatus, LiveRoomAvatar };

patch(LiveRoomView.prototype, {
    setup() {
        super.setup(...arguments);
        this.presence = useState(useService("live_messaging.presence"));
        this.memberPopover = usePopover(LiveMemberList, {
            position: "bottom-start",
            popoverClass: "o-live-MemberList-popover",
        });
    },

    get correspondent() {
        return correspondentOf(this.props.room);
    },

    get correspondentStatus() {
        return this.presence.statusOf(this.correspondent);
    },

    get correspondentStatusLabel() {
        return imStatusLabel(this.correspondentStatus);
    },

    toggleMembers(ev) {
        if (this.memberPopover.isOpen) {
            this.memberPopover.close();
        } else {
            this.memberPopover.open(ev.currentTarget, { room: this.props.room });
        }
    },
});
