import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { bridgeMessagesRegistry } from "../../core/bridge_service";
import { unescapeBody } from "../../core/format";

/** How much of the message a mention's notification shows. */
const PREVIEW_CHARS = 120;

bridgeMessagesRegistry.add("live_messaging/mention", { getId: (payload) => payload?.message_id });

/**
 * `live_messaging.mentions`: tells the user that somebody mentioned them,
 * wherever they are (the chat window folded or closed, another app), unless the
 * room is on screen; "Open" shows it in the chat window.
 */
export const mentionService = {
    dependencies: ["live_messaging.chat", "live_messaging.bridge", "notification"],
    start(env, { "live_messaging.chat": chat, "live_messaging.bridge": bridge, notification }) {
        bridge.register("live_messaging/mention", async (payload) => {
            if (chat.isRoomActive(payload.room_id)) {
                return;
            }
            if (!(payload.room_id in chat.state.rooms)) {
                // a room this page does not know yet (just joined, still loading)
                await chat.ensureRooms();
                if (!(payload.room_id in chat.state.rooms)) {
                    await chat.fetchRooms();
                }
            }
            const room = chat.state.rooms[payload.room_id];
            const message = room?.last_message?.id === payload.message_id ? room.last_message : null;
            const title = room
                ? _t("%(author)s mentioned you in %(room)s", {
                      author: payload.author.name,
                      room: room.name,
                  })
                : _t("%s mentioned you", payload.author.name);
            const body = unescapeBody(message?.body).slice(0, PREVIEW_CHARS);
            notification.add(body || title, {
                title: body ? title : undefined,
                type: "info",
                className: "o-live-MentionNotification",
                buttons: [
                    {
                        name: _t("Open"),
                        primary: true,
                        onClick: () => chat.openWindow(payload.room_id),
                    },
                ],
            });
        });
        return {};
    },
};

registry.category("services").add("live_messaging.mentions", mentionService);
