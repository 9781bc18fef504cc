import { patch } from "@web/core/utils/patch";
import { ChatStore } from "../../core/chat_service";

/**
 * Unread mentions, counted apart from the unread messages: `room.unread_mentions`
 * comes from the server (rooms, `live_messaging/mention`) and goes to zero when
 * the room is read.
 */
patch(ChatStore.prototype, {
    listen() {
        super.listen(...arguments);
        this.services.bridge.register("live_messaging/seen", ({ room_id, unread }) => {
            const room = this.state.rooms[room_id];
            if (room && !unread) {
                room.unread_mentions = 0;
            }
        });
        this.services.bridge.register("live_messaging/mention", (payload) => {
            const room = this.state.rooms[payload.room_id];
            if (room && !this.isRoomActive(room.id)) {
                room.unread_mentions = payload.unread_mentions;
            }
        });
    },

    get totalMentions() {
        return Object.values(this.state.rooms).reduce((sum, room) => sum + (room.unread_mentions || 0), 0);
    },

    async markSeen(room) {
        await super.markSeen(...arguments);
        if (!room.unread) {
            room.unread_mentions = 0;
        }
    },

    async sendMessage(room) {
        await super.sendMessage(...arguments);
        if (!room.unread) {
            // writing is reading, mentions included
            room.unread_mentions = 0;
        }
    },
});
