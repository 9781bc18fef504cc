/**
 * Topic events shown by the Chat app: the recent history of the user's topics
 * (fetched) merged with the events pushed to the browser (live, or kept by the
 * message bridge while the app was closed). One entry per event id, newest first.
 *
 * Events kept while the app was closed are marked `isNew` ("while you were
 * away"); `unseen` counts the events pushed since the feed was last looked at.
 */
export class TopicFeed {
    constructor() {
        /** @type {Object[]} */
        this.events = [];
        this.unseen = 0;
        /** per topic name: whether older events exist on the server */
        this.hasMore = {};
        /** per topic name: whether its newest page was fetched */
        this.loaded = {};
    }

    /**
     * A `live_messaging/events` push (live, or replayed by the bridge).
     *
     * @param {{ topic: string, events: Object[] }} payload
     * @param {{ replayed: boolean }} meta
     * @param {boolean} [isViewing] whether the user is looking at the feed
     */
    receive({ events = [] }, { replayed = false } = {}, isViewing = false) {
        const added = this.add(events, { isNew: replayed });
        if (!isViewing) {
            this.unseen += added;
        }
    }

    /** Add events (no duplicates); returns how many were new to the feed. */
    add(events, { isNew = false } = {}) {
        let added = 0;
        for (const event of events) {
            if (this.events.some((e) => e.id === event.id)) {
                continue;
            }
            this.events.push({ ...event, isNew });
            added++;
        }
        this.events.sort((a, b) => b.id - a.id);
        return added;
    }

    /** Add a fetched page of a topic's history. */
    addPage(topicName, { messages, has_more }, { first = false } = {}) {
        this.add(messages);
        if (first || !(topicName in this.hasMore) || !has_more) {
            this.hasMore[topicName] = has_more;
        }
        this.loaded[topicName] = true;
    }

    eventsOf(topicName) {
        return this.events.filter((e) => e.topic === topicName);
    }

    markSeen() {
        this.unseen = 0;
    }
}
