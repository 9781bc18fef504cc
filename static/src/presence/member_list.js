import { Component, useState } from "@odoo/owl";
import { user } from "@web/core/user";
import { useService } from "@web/core/utils/hooks";
import { LiveAvatar, LiveImStatus, imStatusLabel } from "./faces";

const STATUS_ORDER = { online: 0, away: 1, offline: 2 };

/** The members of a room with their faces and presence, present people first. */
export class LiveMemberList extends Component {
    static template = "live_messaging.MemberList";
    static components = { LiveAvatar, LiveImStatus };
    static props = { room: Object, close: { type: Function, optional: true } };

    setup() {
        this.presence = useState(useService("live_messaging.presence"));
    }

    get members() {
        return this.props.room.members
            .map((member) => ({ member, status: this.presence.statusOf(member) }))
            .sort(
                (a, b) =>
                    STATUS_ORDER[a.status] - STATUS_ORDER[b.status] ||
                    a.member.name.localeCompare(b.member.name)
            );
    }

    isMe(member) {
        return member.id === user.userId;
    }

    label(status) {
        return imStatusLabel(status);
    }
}
