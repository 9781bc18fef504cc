import { patch } from "@web/core/utils/patch";
import { ChatStore } from "../../core/chat_service";

export const SEARCH_PAGE_SIZE = 20;
/** Older pages fetched at most to bring a found message on screen. */
const FOCUS_MAX_PAGES = 10;

/**
 * Search, on the server: in a room, or across the user's rooms; and bringing a
 * found message on screen in its room.
 */
patch(ChatStore.prototype, {
    listen() {
        super.listen(...arguments);
        /** a message to bring on screen: `{ roomId, messageId, pages }` */
        this.state.focusedMessage = null;
    },

    /**
     * One page of the chat messages containing `query`, oldest first:
     * `{messages, has_more, rooms?}` (`rooms` across rooms). `before`: a message
     * id, for older hits.
     */
    searchMessages(query, { roomId = null, before = null, limit = SEARCH_PAGE_SIZE } = {}) {
        return this.services.orm.silent.call(
            "live.room",
            "live_search_messages",
            [roomId ? [roomId] : [], query],
            { before, limit },
        );
    },

    /** Show message `messageId` of room `roomId` (scrolled to, highlighted). */
    focusMessage(roomId, messageId) {
        this.state.focusedMessage = { roomId, messageId, pages: 0 };
    },

    /**
     * Load older pages until the focused message is there (the message list
     * calls it while it cannot find it); false once it gave up.
     */
    async loadUntilFocused(room) {
        const focused = this.state.focusedMessage;
        const oldest = room.messages.find((m) => m.id);
        if (!focused || !room.hasMore || !oldest || oldest.id < focused.messageId) {
            return false;
        }
        if (focused.pages >= FOCUS_MAX_PAGES) {
            this.state.focusedMessage = null;
            return false;
        }
        focused.pages++;
        await this.loadOlder(room);
        return true;
    },
});
