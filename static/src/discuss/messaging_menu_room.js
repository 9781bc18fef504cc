import { NotificationItem } from "@mail/core/public_web/notification_item";
import { Component, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { user } from "@web/core/user";
import { useService } from "@web/core/utils/hooks";
import { parseServerDate, unescapeBody } from "../core/format";
import { LiveImStatus, correspondentOf, roomAvatarUrl } from "../presence/faces";

/**
 * A room in Discuss's messaging menu, drawn as Discuss draws its conversations
 * (its `NotificationItem`): the room's face (and the other person's presence),
 * the last message, the unread count, the check mark that reads it.
 */
export class LiveMessagingMenuRoom extends Component {
    static template = "live_messaging.MessagingMenuRoom";
    static components = { LiveImStatus, NotificationItem };
    static props = {
        room: Object,
        isActive: { type: Boolean, optional: true },
        onClick: Function,
    };

    setup() {
        this.presence = useState(useService("live_messaging.presence"));
    }

    get room() {
        return this.props.room;
    }

    get iconSrc() {
        return roomAvatarUrl(this.room);
    }

    get status() {
        return this.presence.statusOf(correspondentOf(this.room));
    }

    get datetime() {
        return (
            parseServerDate(this.room.last_message?.create_date || this.room.last_message_date) ||
            undefined
        );
    }

    /** Who wrote the last message, as Discuss prefixes its previews. */
    get prefix() {
        const message = this.room.last_message;
        if (!message || message.kind === "system") {
            return "";
        }
        if (message.author.id === user.userId) {
            return _t("You:");
        }
        if (this.room.type === "direct" && message.author.id === correspondentOf(this.room)?.id) {
            return "";
        }
        return `${message.author.name}:`;
    }

    get body() {
        return unescapeBody(this.room.last_message?.body);
    }
}
