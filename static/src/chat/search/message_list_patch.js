import { onMounted, onPatched } from "@odoo/owl";
import { patch } from "@web/core/utils/patch";
import { LiveMessageList } from "../message_list";

/** A message found by a search is brought on screen, older pages loaded if need be. */
patch(LiveMessageList.prototype, {
    setup() {
        super.setup(...arguments);
        const focus = () => this.focusFound();
        onMounted(focus);
        onPatched(focus);
    },

    async focusFound() {
        const room = this.props.room;
        const focused = this.chat.state.focusedMessage;
        if (!focused || focused.roomId !== room.id || !room.loaded || this.focusing) {
            return;
        }
        const el = this.scrollable.el?.querySelector(`[data-message-id="${focused.messageId}"]`);
        if (el) {
            this.chat.state.focusedMessage = null;
            el.scrollIntoView({ block: "center" });
            el.classList.remove("o-live-Message-found");
            void el.offsetWidth; // restart the animation
            el.classList.add("o-live-Message-found");
            return;
        }
        this.focusing = true;
        try {
            if (!(await this.chat.loadUntilFocused(room))) {
                this.chat.state.focusedMessage = null;
            }
        } finally {
            this.focusing = false;
        }
    },
});
