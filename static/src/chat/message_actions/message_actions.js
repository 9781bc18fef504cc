import { Component, useRef, useState } from "@odoo/owl";
import { useEmojiPicker } from "@web/core/emoji_picker/emoji_picker";

/** The reactions one click away; the emoji picker has all the others. */
export const QUICK_REACTIONS = ["👍", "❤️", "😂", "🎉", "😮", "🙏"];

/**
 * What one can do with a message, shown when the pointer is over it: react
 * (a few emojis, or any from the picker), and on one's own messages edit and
 * delete.
 */
export class LiveMessageActions extends Component {
    static template = "live_messaging.MessageActions";
    static props = {
        message: Object,
        isMine: Boolean,
        /** the pointer is over the message */
        hovered: { type: Boolean, optional: true },
        onReact: Function,
        onEdit: Function,
        onDelete: Function,
    };

    setup() {
        this.quickReactions = QUICK_REACTIONS;
        this.state = useState({ reacting: false });
        this.emojiPicker = useEmojiPicker(useRef("emojiPicker"), {
            onSelect: (emoji) => this.react(emoji),
        });
    }

    react(emoji) {
        this.state.reacting = false;
        this.props.onReact(emoji);
    }
}
