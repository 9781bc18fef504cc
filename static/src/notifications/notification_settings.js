import { Component, useState } from "@odoo/owl";
import { CheckboxItem } from "@web/core/dropdown/checkbox_item";
import { Dropdown } from "@web/core/dropdown/dropdown";
import { DropdownItem } from "@web/core/dropdown/dropdown_item";
import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";

/**
 * The bell of the chat: which messages notify (all, mentions and direct
 * messages, nothing), with a sound or not; and, while the browser has not been
 * asked yet, a button to allow desktop notifications (browsers only ask from a
 * click).
 */
export class LiveNotificationSettings extends Component {
    static template = "live_messaging.NotificationSettings";
    static components = { CheckboxItem, Dropdown, DropdownItem };
    static props = {};

    setup() {
        this.notifier = useService("live_messaging.notifier");
        this.state = useState(this.notifier.state);
    }

    get choices() {
        return [
            { value: "all", label: _t("All messages") },
            { value: "mentions", label: _t("Mentions and direct messages") },
            { value: "none", label: _t("Nothing") },
        ];
    }

    get title() {
        return this.state.notify === "none"
            ? _t("Notifications: off")
            : _t("Notifications");
    }

    get permission() {
        return this.state.permission;
    }

    setNotify(value) {
        return this.notifier.setPreferences({ notify: value });
    }

    toggleSound() {
        return this.notifier.setPreferences({ sound: !this.state.sound });
    }

    requestPermission() {
        return this.notifier.requestPermission();
    }
}
