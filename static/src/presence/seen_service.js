import { registry } from "@web/core/registry";
import { user } from "@web/core/user";
import { bridgeMessagesRegistry } from "../core/bridge_service";
import { correspondentOf } from "./faces";

// a read cursor has no id of its own: every push counts (the bus id still
// drops a notification delivered twice)
bridgeMessagesRegistry.add("live_messaging/member_seen", { getId: () => null });

/**
 * "Sent" or "Seen" under the last message of a direct room, when it is the
 * current user's: seen once the other person's read cursor reached it.
 * Returns `{ messageId, seen }`, or null when there is nothing to say.
 */
export function directSeenState(room) {
    const other = correspondentOf(room);
    if (!other) {
        return null;
    }
    const last = room.messages.filter((m) => m.id && m.kind !== "system").at(-1);
    if (!last || last.author.id !== user.userId) {
        return null;
    }
    return { messageId: last.id, seen: (other.last_seen_seq || 0) >= last.seq };
}

/**
 * Keeps the members' read cursors of the known rooms current: moved by the
 * other person's reads (`live_messaging/member_seen`, pushed in direct rooms)
 * and by their own posts (writing is reading).
 */
export const seenService = {
    dependencies: ["live_messaging.chat", "live_messaging.bridge"],
    start(env, { "live_messaging.chat": chat, "live_messaging.bridge": bridge }) {
        const advance = (roomId, userId, seq) => {
            const member = chat.state.rooms[roomId]?.members?.find((m) => m.id === userId);
            if (member && seq > (member.last_seen_seq || 0)) {
                member.last_seen_seq = seq;
            }
        };
        bridge.register("live_messaging/member_seen", ({ room_id, user_id, last_seen_seq }) =>
            advance(room_id, user_id, last_seen_seq)
        );
        bridge.register("live_messaging/message", (message) => {
            if (message.room_id && message.kind !== "system" && message.author?.id) {
                advance(message.room_id, message.author.id, message.seq);
            }
        });
        return { advance };
    },
};

registry.category("services").add("live_messaging.seen", seenService);
