import { patch } from "@web/core/utils/patch";
import { LiveMessageList } from "../chat/message_list";
import { LiveAvatar, authorFace } from "./faces";
import { directSeenState } from "./seen_service";

LiveMessageList.components = { ...LiveMessageList.components, LiveAvatar };

patch(LiveMessageList.prototype, {
    /** The face next to a message's author. */
    face(message) {
        return authorFace(this.props.room, message.author);
    },

    /** "Sent" / "Seen" under the user's last message of a direct room. */
    get seenState() {
        return directSeenState(this.props.room);
    },
});
