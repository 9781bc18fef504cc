import { Component, onMounted, onPatched, onWillPatch, useRef, useState } from "@odoo/owl";
import { useService } from "@web/core/utils/hooks";
import { formatDay, formatTime, parseServerDate, unescapeBody } from "../core/format";

/** Messages of one author within this many minutes share one header. */
const GROUP_MINUTES = 5;
/** Older history is fetched when the view is scrolled this close to the top (px). */
const LOAD_OLDER_THRESHOLD = 80;

/**
 * The messages of a room, oldest at the top. Scrolling up loads older history
 * page by page (the position is kept); new messages stick to the bottom when the
 * user was there. Bodies are shown as typed (unescaped), rendered as text.
 */
export class LiveMessageList extends Component {
    static template = "live_messaging.MessageList";
    static props = { room: Object };

    setup() {
        this.chat = useState(useService("live_messaging.chat"));
        this.scrollable = useRef("scrollable");
        this.snapshot = null;
        /** what the DOM shows: keys of the messages, whether the room was loaded */
        this.shown = { keys: [], loaded: false };
        onMounted(() => {
            this.scrollToBottom();
            this.rememberShown();
        });
        onWillPatch(() => {
            const el = this.scrollable.el;
            this.snapshot = el && {
                scrollTop: el.scrollTop,
                scrollHeight: el.scrollHeight,
                atBottom: el.scrollHeight - el.scrollTop - el.clientHeight < 30,
                ...this.shown,
            };
        });
        onPatched(() => {
            this.restoreScroll();
            this.rememberShown();
        });
    }

    rememberShown() {
        this.shown = {
            keys: this.props.room.messages.map((m) => m.localKey),
            failed: this.props.room.messages.filter((m) => m.failed).map((m) => m.localKey),
            loaded: this.props.room.loaded,
        };
    }

    get items() {
        const messages = this.props.room.messages;
        let previous = null;
        return messages.map((message) => {
            const date = parseServerDate(message.create_date);
            const previousDate = previous && parseServerDate(previous.create_date);
            const newDay = !previousDate || !date || !date.hasSame(previousDate, "day");
            const showAuthor =
                newDay ||
                previous.kind === "system" ||
                previous.author.id !== message.author.id ||
                previous.author.name !== message.author.name ||
                (date && previousDate && date.diff(previousDate, "minutes").minutes > GROUP_MINUTES);
            previous = message;
            return {
                message,
                dayLabel: newDay ? formatDay(message.create_date) : "",
                showAuthor,
                time: formatTime(message.create_date),
                text: unescapeBody(message.body),
                isMine: message.author.id === this.chat.me.id,
            };
        });
    }

    scrollToBottom() {
        const el = this.scrollable.el;
        if (el) {
            el.scrollTop = el.scrollHeight;
        }
    }

    restoreScroll() {
        const el = this.scrollable.el;
        const before = this.snapshot;
        if (!el || !before) {
            return;
        }
        const keys = this.props.room.messages.map((m) => m.localKey);
        const [firstKey, lastKey] = [before.keys[0], before.keys.at(-1)];
        if (!before.loaded && this.props.room.loaded) {
            this.scrollToBottom();
        } else if (firstKey && keys[0] !== firstKey && keys.at(-1) === lastKey) {
            // older messages came in above: keep what the user was reading in place
            el.scrollTop = before.scrollTop + (el.scrollHeight - before.scrollHeight);
        } else if (keys.at(-1) !== lastKey) {
            const last = this.props.room.messages.at(-1);
            if (before.atBottom || last?.author.id === this.chat.me.id) {
                this.scrollToBottom();
            }
        } else if (before.atBottom) {
            // the last messages changed in place (confirmed, failed): stay at the bottom
            this.scrollToBottom();
        }
        // a message that just failed: its reason and buttons must be in sight
        const failed = this.props.room.messages.filter(
            (m) => m.failed && !before.failed?.includes(m.localKey)
        );
        if (failed.length) {
            const key = failed.at(-1).localKey;
            const row = el.querySelector(`[data-local-key="${key}"] .o-live-Message-failure`);
            row?.scrollIntoView({ block: "nearest" });
        }
    }

    onScroll() {
        const el = this.scrollable.el;
        if (el && el.scrollTop < LOAD_OLDER_THRESHOLD) {
            this.loadOlder();
        }
    }

    loadOlder() {
        const room = this.props.room;
        if (room.hasMore && !room.loadingOlder) {
            this.chat.loadOlder(room);
        }
    }

    retry(message) {
        this.chat.retryMessage(this.props.room, message);
    }

    edit(message) {
        this.chat.editRefusedMessage(this.props.room, message);
    }

    discard(message) {
        this.chat.discardMessage(this.props.room, message);
    }
}
