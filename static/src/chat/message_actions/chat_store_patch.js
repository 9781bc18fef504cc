import { patch } from "@web/core/utils/patch";
import { bridgeMessagesRegistry } from "../../core/bridge_service";
import { ChatStore } from "../../core/chat_service";

/** What an update of a message may change (its id, seq and author never do). */
const UPDATED_KEYS = ["body", "mentions", "attachments", "reactions", "edited", "edit_date", "deleted"];

// an edit is another event about the same message: one per version
bridgeMessagesRegistry.add("live_messaging/message_update", {
    getId: (payload) => payload && `${payload.id}:${payload.edit_date}:${payload.deleted}`,
});
bridgeMessagesRegistry.add("live_messaging/reaction", { getId: () => null });

/** Whether `data` is not older than what `message` shows. */
function isNotOlder(data, message) {
    if (message.deleted && !data.deleted) {
        return false;
    }
    return data.deleted || (data.edit_date || "") >= (message.edit_date || "");
}

/**
 * Edit, delete and reactions: pushed as `live_messaging/message_update` (the
 * whole message) and `live_messaging/reaction` (the message's reactions);
 * messages already shown are updated in place, wherever they are.
 */
patch(ChatStore.prototype, {
    listen() {
        super.listen(...arguments);
        this.services.bridge.register("live_messaging/message_update", (data) => this.updateMessage(data));
        this.services.bridge.register("live_messaging/reaction", (payload) =>
            this.updateReactions(payload.room_id, payload.message_id, payload.reactions),
        );
    },

    /** Apply a newer version of a message to the copies shown. */
    updateMessage(data) {
        const room = this.state.rooms[data.room_id];
        if (!room) {
            return;
        }
        const copies = [room.messages.find((m) => m.id === data.id), room.last_message];
        for (const message of copies) {
            if (message?.id === data.id && isNotOlder(data, message)) {
                for (const key of UPDATED_KEYS) {
                    if (key in data) {
                        message[key] = data[key];
                    }
                }
            }
        }
    },

    updateReactions(roomId, messageId, reactions) {
        const message = this.state.rooms[roomId]?.messages.find((m) => m.id === messageId);
        if (message) {
            message.reactions = reactions;
        }
    },

    /** Messages fetched again (after a reconnection) bring their edits. */
    insertMessages(room, messages) {
        for (const data of messages) {
            if (room.messages.some((m) => m.id === data.id)) {
                this.updateMessage({ ...data, room_id: room.id });
            }
        }
        return super.insertMessages(...arguments);
    },

    async editMessage(room, message, body, mentionIds) {
        const data = await this.services.orm.call("live.message", "live_edit", [[message.id], body], {
            mention_ids: mentionIds,
        });
        this.updateMessage({ ...data, room_id: room.id });
        return data;
    },

    async deleteMessage(room, message) {
        const data = await this.services.orm.call("live.message", "live_delete", [[message.id]]);
        this.updateMessage({ ...data, room_id: room.id });
        return data;
    },

    async toggleReaction(room, message, emoji) {
        const { reactions } = await this.services.orm.call("live.message", "live_toggle_reaction", [
            [message.id],
            emoji,
        ]);
        this.updateReactions(room.id, message.id, reactions);
    },
});
