import { registry } from "@web/core/registry";

/**
 * Client action `live_messaging.open_room` (`params.room_id`): opens the floating
 * chat window on a room without leaving the current screen. Returned by
 * `live.chat.mixin.action_live_chat` (the "Chat" button of records).
 */
async function openRoomAction(env, action) {
    const roomId = action.params?.room_id;
    if (roomId) {
        await env.services["live_messaging.chat"].openWindow(roomId);
    }
}

registry.category("actions").add("live_messaging.open_room", openRoomAction);
