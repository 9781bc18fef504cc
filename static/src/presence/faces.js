import { Component, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { user } from "@web/core/user";
import { useService } from "@web/core/utils/hooks";

const ROOM_COLORS = ["#6d4c91", "#2f7ea6", "#c46a4a", "#3b8b68", "#b1466b", "#7f6f2f", "#4c6ab1", "#a0522d"];

function escapeXml(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A square picture with the first letter of `name`, as a data URL (no request). */
export function initialAvatarUrl(name, seed = 0) {
    const letter = escapeXml(((name || "").trim().charAt(0) || "?").toUpperCase());
    const color = ROOM_COLORS[Math.abs(seed) % ROOM_COLORS.length];
    const svg =
        `<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128">` +
        `<rect width="128" height="128" fill="${color}"/>` +
        `<text x="64" y="64" dy=".35em" text-anchor="middle" fill="#fff" ` +
        `font-family="sans-serif" font-size="64">${letter}</text></svg>`;
    return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

/** The other person of a direct room (as seen by the current user). */
export function correspondentOf(room) {
    if (room?.type !== "direct") {
        return null;
    }
    return room.members.find((member) => member.id !== user.userId) || null;
}

/** The picture of a room: the other person's face in a direct room, else its initial. */
export function roomAvatarUrl(room) {
    const other = correspondentOf(room);
    if (other?.avatar_url) {
        return other.avatar_url;
    }
    return initialAvatarUrl(room.name, room.id);
}

/**
 * The face of a message's author: the member's avatar; the user's avatar when
 * they left the room; the initial of the name for authors without an account
 * (a support visitor).
 */
export function authorFace(room, author) {
    const member = author?.id && room?.members?.find((m) => m.id === author.id);
    if (member) {
        return member;
    }
    if (author?.id) {
        return {
            id: author.id,
            name: author.name,
            partner_id: null,
            avatar_url: `/web/image/res.users/${author.id}/avatar_128`,
        };
    }
    return { id: null, name: author?.name || "", partner_id: null, avatar_url: null };
}

/** "Online", "Away", "Offline", as shown. */
export function imStatusLabel(status) {
    if (status === "online") {
        return _t("Online");
    }
    return status === "away" ? _t("Away") : _t("Offline");
}

/** Online / away / offline, as a dot (Discuss's icons). */
export class LiveImStatus extends Component {
    static template = "live_messaging.ImStatus";
    static props = {
        status: String,
        className: { type: String, optional: true },
    };

    get label() {
        return imStatusLabel(this.props.status);
    }
}

/** A person's face, with their presence when asked. */
export class LiveAvatar extends Component {
    static template = "live_messaging.Avatar";
    static components = { LiveImStatus };
    static props = {
        member: Object,
        size: { type: Number, optional: true },
        showStatus: { type: Boolean, optional: true },
    };
    static defaultProps = { size: 32 };

    setup() {
        this.presence = useState(useService("live_messaging.presence"));
    }

    get src() {
        return this.props.member.avatar_url || initialAvatarUrl(this.props.member.name);
    }

    get status() {
        return this.presence.statusOf(this.props.member);
    }
}

/** A room's picture: the other person (with presence) in a direct room. */
export class LiveRoomAvatar extends Component {
    static template = "live_messaging.RoomAvatar";
    static components = { LiveAvatar };
    static props = {
        room: Object,
        size: { type: Number, optional: true },
    };
    static defaultProps = { size: 32 };

    get correspondent() {
        return correspondentOf(this.props.room);
    }

    get src() {
        return roomAvatarUrl(this.props.room);
    }
}
