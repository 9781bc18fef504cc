import { MessagingMenu } from "@mail/core/public_web/messaging_menu";
import { cleanTerm } from "@mail/utils/common/format";
import { onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { useBus, useService } from "@web/core/utils/hooks";
import { patch } from "@web/core/utils/patch";
import { FEED_MESSAGE } from "../chat/chat_window";
import { LiveMessagingMenuRoom } from "./messaging_menu_room";

Object.assign(MessagingMenu.components, { LiveMessagingMenuRoom });

/** The tab of Discuss's messaging menu a room is listed under (besides "All"). */
export function roomTab(room) {
    return room.type === "direct" ? "chat" : "channel";
}

/**
 * One inbox: Live Messaging's rooms are listed in Discuss's messaging menu
 * (the systray's chat icon), with their unread counts, and open in the chat
 * window. The menu's counter counts, as for Discuss's channels, one per room
 * with unread messages. Rooms with unread messages come before Discuss's
 * conversations, the others after them (Discuss's own order: unread first).
 */
patch(MessagingMenu.prototype, {
    setup() {
        super.setup(...arguments);
        this.liveChat = useState(useService("live_messaging.chat"));
        const bridge = useService("live_messaging.bridge");
        this.liveState = useState({ savedEvents: bridge.countSaved(FEED_MESSAGE) });
        useBus(bridge, "HISTORY_CHANGED", () => {
            this.liveState.savedEvents = bridge.countSaved(FEED_MESSAGE);
        });
        onWillStart(() => {
            // the counter comes when it comes: never hold the navbar back
            this.liveChat.ensureRooms();
        });
    },

    /** The rooms of the current tab matching the quick search, newest first. */
    get liveRooms() {
        if (this.env.inDiscussApp || this.liveChat.state.unavailable) {
            return [];
        }
        const tab = this.store.discuss.activeTab;
        const term = cleanTerm(this.store.discuss.searchTerm);
        return this.liveChat.roomList.filter(
            (room) =>
                (tab === "main" || tab === roomTab(room)) && cleanTerm(room.name).includes(term)
        );
    },

    get liveUnreadRooms() {
        return this.liveRooms.filter((room) => room.unread > 0);
    },

    get liveReadRooms() {
        return this.liveRooms.filter((room) => !room.unread);
    },

    get showLiveFeedItem() {
        return (
            this.liveState.savedEvents > 0 &&
            !this.env.inDiscussApp &&
            this.store.discuss.activeTab === "main" &&
            !this.store.discuss.searchTerm
        );
    },

    get liveFeedText() {
        return this.liveState.savedEvents === 1
            ? _t("1 new event on your topics")
            : _t("%s new events on your topics", this.liveState.savedEvents);
    },

    /** Discuss's count, plus one per room with unread messages. */
    get counter() {
        const rooms = this.liveChat.state.unavailable ? [] : Object.values(this.liveChat.state.rooms);
        return super.counter + rooms.filter((room) => room.unread > 0).length;
    },

    get hasPreviews() {
        return super.hasPreviews || this.liveRooms.length > 0 || this.showLiveFeedItem;
    },

    async onClickLiveRoom(isMarkAsRead, room) {
        if (isMarkAsRead) {
            await this.markLiveRoomRead(room);
            return;
        }
        this.dropdown.close();
        await this.liveChat.openWindow(room.id);
    },

    /** Everything in the room is read (the menu's check mark). */
    async markLiveRoomRead(room) {
        room.unread = await this.env.services.orm.silent.call("live.room", "live_mark_seen", [
            [room.id],
        ]);
    },

    openLiveFeed() {
        this.dropdown.close();
        this.liveChat.updateApp({ view: "feed" });
        this.env.services.action.doAction("live_messaging.live_chat_action");
    },
});
