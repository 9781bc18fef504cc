import { Component } from "@odoo/owl";
import { useService } from "@web/core/utils/hooks";
import { unescapeBody } from "../../core/format";
import { splitBody } from "./mention_text";

/**
 * A message's text, as typed (the stored body unescaped) and as text: its mentions (`@Name` of the members it
 * mentions) highlighted, yours more, and optionally the matches of a search.
 */
export class LiveMessageBody extends Component {
    static template = "live_messaging.MessageBody";
    static props = {
        message: Object,
        highlight: { type: String, optional: true },
    };

    setup() {
        this.chat = useService("live_messaging.chat");
    }

    get parts() {
        const { body, mentions } = this.props.message;
        return splitBody(unescapeBody(body), mentions || [], this.props.highlight || "");
    }
}
