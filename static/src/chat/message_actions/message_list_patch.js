import { useState } from "@odoo/owl";
import { ConfirmationDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";
import { patch } from "@web/core/utils/patch";
import { LiveAttachmentList } from "../attachments/attachment_list";
import { LiveMessageList } from "../message_list";
import { LiveMessageBody } from "../mentions/message_body";
import { mentionsInBody } from "../mentions/mention_text";
import { LiveReactionList } from "../reactions/reaction_list";
import { LiveMessageActions } from "./message_actions";
import { LiveMessageEditor } from "./message_editor";

LiveMessageList.components = {
    ...LiveMessageList.components,
    LiveAttachmentList,
    LiveMessageActions,
    LiveMessageBody,
    LiveMessageEditor,
    LiveReactionList,
};

/**
 * The message list with what every chat has: mentions highlighted, files and
 * pictures, reactions, "edited", deleted messages in their place, and the
 * actions (react; edit and delete one's own).
 */
patch(LiveMessageList.prototype, {
    setup() {
        super.setup(...arguments);
        this.dialog = useService("dialog");
        this.notification = useService("notification");
        this.messageState = useState({ editingKey: null, hoveredKey: null });
    },

    /** Whether the actions apply: a sent chat message, not deleted. */
    hasActions(message) {
        return (
            Boolean(message.id) &&
            message.kind === "chat" &&
            !message.deleted &&
            this.props.room.active !== false
        );
    },

    startEdit(message) {
        this.messageState.editingKey = message.localKey;
    },

    cancelEdit() {
        this.messageState.editingKey = null;
    },

    async saveEdit(message, body) {
        try {
            await this.chat.editMessage(
                this.props.room,
                message,
                body,
                mentionsInBody(body, message.mentions || []).map((m) => m.id),
            );
            this.messageState.editingKey = null;
        } catch (error) {
            this.notify(error);
        }
    },

    confirmDelete(message) {
        this.dialog.add(ConfirmationDialog, {
            title: _t("Delete this message?"),
            body: _t("It will be deleted for everybody in the room."),
            confirmLabel: _t("Delete"),
            confirm: async () => {
                try {
                    await this.chat.deleteMessage(this.props.room, message);
                } catch (error) {
                    this.notify(error);
                }
            },
            cancel: () => {},
        });
    },

    async react(message, emoji) {
        try {
            await this.chat.toggleReaction(this.props.room, message, emoji);
        } catch (error) {
            this.notify(error);
        }
    },

    notify(error) {
        const message = error?.data?.message || error?.message || String(error);
        this.notification.add(message, { type: "danger" });
    },
});
