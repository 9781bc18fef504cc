import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";

/**
 * The reactions under a message: each emoji with its count, yours marked;
 * hovering tells who; a click adds yours or takes it back.
 */
export class LiveReactionList extends Component {
    static template = "live_messaging.ReactionList";
    static props = {
        reactions: Array,
        onToggle: Function,
        disabled: { type: Boolean, optional: true },
    };

    setup() {
        this.chat = useService("live_messaging.chat");
    }

    isMine(reaction) {
        return reaction.users.some((user) => user.id === this.chat.me.id);
    }

    who(reaction) {
        const names = reaction.users.map((user) => (user.id === this.chat.me.id ? _t("You") : user.name));
        return _t("%(names)s reacted with %(emoji)s", { names: names.join(", "), emoji: reaction.emoji });
    }
}
