import { Component, useRef, useState } from "@odoo/owl";
import { useAutofocus } from "@web/core/utils/hooks";

/** Editing a message in place: Enter saves, Shift+Enter a new line, Escape cancels. */
export class LiveMessageEditor extends Component {
    static template = "live_messaging.MessageEditor";
    static props = {
        message: Object,
        onSave: Function,
        onCancel: Function,
    };

    setup() {
        this.state = useState({ body: this.props.message.body || "", saving: false });
        this.textarea = useRef("textarea");
        useAutofocus({ refName: "textarea" });
    }

    onKeydown(ev) {
        if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
            ev.preventDefault();
            this.save();
        } else if (ev.key === "Escape") {
            ev.preventDefault();
            ev.stopPropagation();
            this.props.onCancel();
        }
    }

    async save() {
        if (this.state.saving) {
            return;
        }
        this.state.saving = true;
        try {
            await this.props.onSave(this.state.body);
        } finally {
            this.state.saving = false;
        }
    }
}
