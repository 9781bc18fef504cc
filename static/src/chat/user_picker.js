import { Component, useState } from "@odoo/owl";
import { useAutofocus, useService } from "@web/core/utils/hooks";
import { useDebounced } from "@web/core/utils/timing";
import { user } from "@web/core/user";

/**
 * Pick colleagues: internal users (`share = False`), searched by name, the
 * current user excluded. One or several (`multiple`).
 */
export class LiveUserPicker extends Component {
    static template = "live_messaging.UserPicker";
    static props = {
        selected: { type: Array, optional: true },
        excludedIds: { type: Array, optional: true },
        onChange: Function,
        multiple: { type: Boolean, optional: true },
        placeholder: { type: String, optional: true },
    };
    static defaultProps = { selected: [], excludedIds: [] };

    setup() {
        this.orm = useService("orm");
        this.state = useState({ term: "", results: [], searching: false, searched: false });
        useAutofocus({ refName: "input" });
        this.debouncedSearch = useDebounced(() => this.search(), 250);
    }

    onInput() {
        this.debouncedSearch();
    }

    async search() {
        const term = this.state.term.trim();
        const excluded = [
            user.userId,
            ...this.props.excludedIds,
            ...this.props.selected.map((u) => u.id),
        ];
        const domain = [
            ["share", "=", false],
            ["id", "not in", excluded],
        ];
        if (term) {
            domain.push(["name", "ilike", term]);
        }
        this.state.searching = true;
        try {
            this.state.results = await this.orm.searchRead("res.users", domain, ["name", "login"], {
                limit: 8,
                order: "name",
            });
        } finally {
            this.state.searching = false;
            this.state.searched = true;
        }
    }

    select(picked) {
        const chosen = { id: picked.id, name: picked.name };
        if (this.props.multiple) {
            this.props.onChange([...this.props.selected, chosen]);
            this.state.results = this.state.results.filter((r) => r.id !== picked.id);
        } else {
            this.props.onChange([chosen]);
        }
    }

    remove(picked) {
        this.props.onChange(this.props.selected.filter((u) => u.id !== picked.id));
    }
}
