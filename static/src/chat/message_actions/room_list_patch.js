import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";
import { LiveRoomList } from "../room_list";

/** Previews of messages without text: deleted ones, files alone. */
patch(LiveRoomList.prototype, {
    preview(room) {
        const message = room.last_message || room.messages.filter((m) => m.id).at(-1);
        if (message && message.kind !== "system") {
            if (message.deleted) {
                return _t("%s: message deleted", message.author.name);
            }
            if (!message.body && message.attachments?.length) {
                return `${message.author.name}: 📎 ${message.attachments.map((a) => a.name).join(", ")}`;
            }
        }
        return super.preview(...arguments);
    },
});
