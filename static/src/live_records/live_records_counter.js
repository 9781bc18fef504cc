import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";

/** Shown in the control panel of a live view: how many records changed since
 * the view was opened; a click resets it. */
export class LiveRecordsCounter extends Component {
    static template = "live_messaging.LiveRecordsCounter";
    static props = {
        count: Number,
        onReset: Function,
    };

    get title() {
        return _t(
            "This view refreshes itself. %(count)s records changed since you opened it (click to reset).",
            { count: this.props.count }
        );
    }
}
