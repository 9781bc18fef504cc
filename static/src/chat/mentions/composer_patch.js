import { useEffect, useState } from "@odoo/owl";
import { patch } from "@web/core/utils/patch";
import { LiveComposer } from "../composer";
import { mentionCandidates, mentionQueryAt, mentionsInBody } from "./mention_text";

/**
 * @mentions in the composer: typing `@` lists the room's members (arrows and
 * Enter or Tab choose, Escape closes); a chosen member is written `@Name ` and
 * sent as a mention (by id) if `@Name` is still in the text when it goes.
 */
patch(LiveComposer.prototype, {
    setup() {
        super.setup(...arguments);
        this.mention = useState({ open: false, start: 0, query: "", index: 0, chosen: [] });
        useEffect(
            (el) => {
                if (!el) {
                    return;
                }
                const update = () => this.updateMentionQuery();
                el.addEventListener("input", update);
                el.addEventListener("click", update);
                return () => {
                    el.removeEventListener("input", update);
                    el.removeEventListener("click", update);
                };
            },
            () => [this.textarea.el],
        );
    },

    get mentionCandidates() {
        return mentionCandidates(this.props.room.members || [], this.mention.query, this.chat.me.id);
    },

    get showMentions() {
        return this.mention.open && this.mentionCandidates.length > 0;
    },

    updateMentionQuery() {
        const el = this.textarea.el;
        const found = el && mentionQueryAt(el.value, el.selectionStart);
        if (!found) {
            this.mention.open = false;
            return;
        }
        if (!this.mention.open || found.query !== this.mention.query) {
            this.mention.index = 0;
        }
        Object.assign(this.mention, { open: true, start: found.start, query: found.query });
    },

    onKeydown(ev) {
        if (this.showMentions && !ev.isComposing) {
            const count = this.mentionCandidates.length;
            switch (ev.key) {
                case "ArrowDown":
                    this.mention.index = (this.mention.index + 1) % count;
                    ev.preventDefault();
                    return;
                case "ArrowUp":
                    this.mention.index = (this.mention.index - 1 + count) % count;
                    ev.preventDefault();
                    return;
                case "Enter":
                case "Tab":
                    ev.preventDefault();
                    this.chooseMention(this.mentionCandidates[Math.min(this.mention.index, count - 1)]);
                    return;
                case "Escape":
                    ev.preventDefault();
                    ev.stopPropagation();
                    this.mention.open = false;
                    return;
            }
        }
        return super.onKeydown(ev);
    },

    /** Write `@Name ` in place of the `@query` being typed. */
    chooseMention(member) {
        const el = this.textarea.el;
        const body = this.state.body;
        const caret = el ? el.selectionStart : body.length;
        const text = `@${member.name} `;
        const newBody = body.slice(0, this.mention.start) + text + body.slice(caret);
        const position = this.mention.start + text.length;
        this.state.body = newBody;
        if (!this.mention.chosen.some((m) => m.id === member.id)) {
            this.mention.chosen.push({ id: member.id, name: member.name });
        }
        this.mention.open = false;
        if (el) {
            el.value = newBody;
            el.focus();
            el.setSelectionRange(position, position);
        }
    },

    messageOptions() {
        return {
            ...super.messageOptions(),
            mentions: mentionsInBody(this.state.body, this.mention.chosen),
        };
    },

    send() {
        const sending = this.canSend;
        super.send();
        if (sending) {
            Object.assign(this.mention, { open: false, chosen: [] });
        }
    },
});
