import { Component, onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";

/**
 * The chat button of the navbar, without Discuss: total unread count; opens
 * the chat window.
 */
export class LiveSystrayItem extends Component {
    static template = "live_messaging.SystrayItem";
    static props = {};

    setup() {
        this.chat = useState(useService("live_messaging.chat"));
        onWillStart(() => {
            // the count comes when it comes: never hold the navbar back
            this.chat.ensureRooms();
        });
    }

    get title() {
        const unread = this.chat.totalUnread;
        return unread ? _t("Chat (%s unread)", unread) : _t("Chat");
    }

    onClick() {
        this.chat.toggleWindow();
    }
}

/**
 * Where Discuss's messaging menu is (addons/mail), the rooms and their unread
 * counts are in it (static/src/discuss/): one inbox, no second chat button.
 */
export function isSystrayItemDisplayed() {
    return !registry.category("systray").contains("mail.messaging_menu");
}

registry
    .category("systray")
    .add(
        "live_messaging.SystrayItem",
        { Component: LiveSystrayItem, isDisplayed: isSystrayItemDisplayed },
        { sequence: 26 }
    );
