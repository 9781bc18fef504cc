import { Component, useRef, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { useAutofocus, useBus, useService } from "@web/core/utils/hooks";
import { bodyLength, bodyMaxChars } from "../core/chat_service";

/**
 * Where a message is written. Enter sends, Shift+Enter starts a new line. The
 * message shows at once (see `ChatStore.postMessage`); the composer is free for
 * the next one without waiting for the server. A message longer than the
 * server accepts is not sent: the composer says so and keeps it. A message the
 * server refuses comes back here with its Edit button.
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
        useBus(this.chat.bus, "EDIT_MESSAGE", ({ detail }) => {
            if (detail.roomId === this.props.room.id) {
                const typed = this.state.body.trim();
                this.state.body = typed ? `${detail.body}\n${typed}` : detail.body;
                this.textarea.el?.focus();
            }
        });
    }

    get maxChars() {
        return bodyMaxChars();
    }

    get tooLong() {
        return Boolean(this.maxChars) && bodyLength(this.state.body) > this.maxChars;
    }

    get tooLongText() {
        return _t("%(length)s characters: a message is at most %(max)s.", {
            length: bodyLength(this.state.body),
            max: this.maxChars,
        });
    }

    get canSend() {
        return this.props.room.active !== false && this.hasContent && !this.tooLong;
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
