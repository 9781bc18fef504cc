import { Component, useRef, useState } from "@odoo/owl";
import { useAutofocus } from "@web/core/utils/hooks";
import { unescapeBody } from "../../core/format";

/** Editing a message in place: Enter saves, Shift+Enter a new line, Escape cancels. */
export class LiveMessageEditor extends Component {
    static template = "live_messaging.MessageEditor";
    static props = {
        message: Object,
        onSave: Function,
        onCancel: Function,
    };

    setup() {
        // the text as typed: the server escapes it again when it is saved
        this.state = useState({ body: unescapeBody(this.props.message.body), saving: false });
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
