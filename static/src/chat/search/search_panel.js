import { Component, useRef, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { useAutofocus, useService } from "@web/core/utils/hooks";
import { useDebounced } from "@web/core/utils/timing";
import { describeError } from "../../core/chat_service";
import { formatShortDate } from "../../core/format";
import { LiveMessageBody } from "../mentions/message_body";

/** Shortest text searched for (as the server). */
export const SEARCH_MIN_CHARS = 2;

/**
 * Search messages, on the server: in one room (`roomId`) or in all of the
 * user's rooms. Hits come newest first, the matches highlighted; older ones
 * page by page. Choosing one calls `onSelect(message)`.
 */
export class LiveSearchPanel extends Component {
    static template = "live_messaging.SearchPanel";
    static components = { LiveMessageBody };
    static props = {
        roomId: { type: Number, optional: true },
        onSelect: Function,
        onClose: { type: Function, optional: true },
        autofocus: { type: Boolean, optional: true },
    };

    setup() {
        this.chat = useState(useService("live_messaging.chat"));
        this.state = useState({
            query: "",
            searched: "",
            results: [],
            rooms: {},
            hasMore: false,
            loading: false,
            error: "",
        });
        this.input = useRef("input");
        this.searchCount = 0;
        this.debouncedSearch = useDebounced(() => this.search(), 300);
        if (this.props.autofocus) {
            useAutofocus({ refName: "input" });
        }
    }

    get placeholder() {
        return this.props.roomId ? _t("Search this room") : _t("Search your rooms");
    }

    get tooShort() {
        return this.state.query.trim().length < SEARCH_MIN_CHARS;
    }

    onInput(ev) {
        this.state.query = ev.target.value;
        this.debouncedSearch();
    }

    onKeydown(ev) {
        if (ev.key === "Enter") {
            ev.preventDefault();
            this.search();
        } else if (ev.key === "Escape" && this.props.onClose) {
            ev.preventDefault();
            ev.stopPropagation();
            this.props.onClose();
        }
    }

    clear() {
        this.state.query = "";
        this.search();
        this.input.el?.focus();
    }

    async search() {
        const query = this.state.query.trim();
        const count = ++this.searchCount;
        if (query.length < SEARCH_MIN_CHARS) {
            Object.assign(this.state, { searched: "", results: [], hasMore: false, error: "" });
            return;
        }
        await this.fetch(query, null, count);
    }

    async loadMore() {
        const oldest = this.state.results.at(-1);
        if (oldest && !this.state.loading) {
            await this.fetch(this.state.searched, oldest.id, ++this.searchCount);
        }
    }

    async fetch(query, before, count) {
        this.state.loading = true;
        try {
            const page = await this.chat.searchMessages(query, { roomId: this.props.roomId, before });
            if (count !== this.searchCount) {
                return; // a newer search is on its way
            }
            for (const room of page.rooms || []) {
                this.state.rooms[room.id] = room.name;
            }
            const found = [...page.messages].reverse();
            Object.assign(this.state, {
                searched: query,
                results: before ? [...this.state.results, ...found] : found,
                hasMore: page.has_more,
                error: "",
            });
        } catch (error) {
            if (count === this.searchCount) {
                this.state.error = describeError(error);
            }
        } finally {
            if (count === this.searchCount) {
                this.state.loading = false;
            }
        }
    }

    roomName(message) {
        return this.state.rooms[message.room_id] || this.chat.state.rooms[message.room_id]?.name || "";
    }

    date(message) {
        return formatShortDate(message.create_date);
    }
}
