import { Component, onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { RPCError } from "@web/core/network/rpc";
import { useService } from "@web/core/utils/hooks";
import { PAGE_SIZE } from "../core/chat_service";
import { formatShortDate, unescapeBody } from "../core/format";

/** One event of a topic: who, when, its text and its JSON payload (as text). */
export class LiveTopicEvent extends Component {
    static template = "live_messaging.TopicEvent";
    static props = { event: Object, showTopic: { type: Boolean, optional: true } };

    setup() {
        this.action = useService("action");
    }

    get date() {
        return formatShortDate(this.props.event.create_date);
    }

    get bodyText() {
        return unescapeBody(this.props.event.body);
    }

    get payloadText() {
        const payload = this.props.event.payload;
        // null on the bus, false (Odoo's empty value) over RPC
        return payload === null || payload === undefined || payload === false
            ? ""
            : JSON.stringify(payload, null, 2);
    }

    openRecord() {
        const { res_model, res_id } = this.props.event;
        this.action.doAction({
            type: "ir.actions.act_window",
            res_model,
            res_id,
            views: [[false, "form"]],
        });
    }
}

/**
 * Events pushed on the user's topics, newest first; those that arrived while the
 * Chat app was closed (kept by the message bridge) are marked new.
 */
export class LiveFeedView extends Component {
    static template = "live_messaging.FeedView";
    static components = { LiveTopicEvent };
    static props = { feed: Object, subscribedCount: Number };
}

/**
 * A topic: its description, the subscription toggle, its history (paged, newest
 * first) and, for those allowed, a form to publish a JSON event.
 */
export class LiveTopicView extends Component {
    static template = "live_messaging.TopicView";
    static components = { LiveTopicEvent };
    static props = { topic: Object, feed: Object };

    setup() {
        this.chat = useState(useService("live_messaging.chat"));
        this.state = useState({ payload: "{\n  \n}", error: "", publishing: false, loading: false });
        onWillStart(() => {
            if (!this.props.feed.loaded[this.props.topic.name]) {
                this.loadPage();
            }
        });
    }

    get events() {
        return this.props.feed.eventsOf(this.props.topic.name);
    }

    get hasMore() {
        return this.props.feed.hasMore[this.props.topic.name] !== false;
    }

    async loadPage() {
        const topic = this.props.topic;
        const first = !this.props.feed.loaded[topic.name];
        const ids = this.events.map((e) => e.id);
        this.state.loading = true;
        try {
            const page = await this.chat.fetchEvents(topic, {
                before: first || !ids.length ? null : Math.min(...ids),
                limit: PAGE_SIZE,
            });
            this.props.feed.addPage(topic.name, page, { first });
        } finally {
            this.state.loading = false;
        }
    }

    async toggleSubscription() {
        await this.chat.setSubscribed(this.props.topic, !this.props.topic.subscribed);
    }

    async publish() {
        let payload;
        try {
            payload = JSON.parse(this.state.payload);
        } catch (error) {
            this.state.error = _t("This is not valid JSON: %s", error.message);
            return;
        }
        this.state.publishing = true;
        this.state.error = "";
        try {
            const event = await this.chat.publish(this.props.topic, payload);
            this.props.feed.add([event]);
            this.state.payload = "{\n  \n}";
        } catch (error) {
            if (!(error instanceof RPCError)) {
                throw error;
            }
            this.state.error = error.data?.message || error.message;
        } finally {
            this.state.publishing = false;
        }
    }
}
