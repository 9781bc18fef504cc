import { Component, useRef, useState } from "@odoo/owl";
import { useAutofocus, useService } from "@web/core/utils/hooks";

/**
 * Where a message is written. Enter sends, Shift+Enter starts a new line. The
 * message shows at once (see `ChatStore.postMessage`); the composer is free for
 * the next one without waiting for the server.
 */
export class LiveComposer extends Component {
    static template = "live_messaging.Composer";
    static props = {
        room: Object,
        autofocus: { type: Boolean, optional: true },
    };

    setup() {
        this.chat = useService("live_messaging.chat");
        this.state = useState({ body: "" });
        this.textarea = useRef("textarea");
        if (this.props.autofocus) {
            useAutofocus({ refName: "textarea" });
        }
    }

    get canSend() {
        return this.props.room.active !== false && this.hasContent;
    }

    /** Whether there is something to send (override point: files). */
    get hasContent() {
        return this.state.body.trim().length > 0;
    }

    /** Extra values of the message being sent (override point: mentions, files). */
    messageOptions() {
        return {};
    }

    onKeydown(ev) {
        if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
            ev.preventDefault();
            this.send();
        }
    }

    send() {
        if (!this.canSend) {
            return;
        }
        const body = this.state.body;
        const options = this.messageOptions();
        this.state.body = "";
        if (this.textarea.el) {
            // typed and sent within one frame, the rendering would see no change
            this.textarea.el.value = "";
            this.textarea.el.focus();
        }
        this.chat.postMessage(this.props.room, body, options);
    }
}
