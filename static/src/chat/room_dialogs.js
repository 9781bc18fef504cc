import { Component, useState } from "@odoo/owl";
import { Dialog } from "@web/core/dialog/dialog";
import { _t } from "@web/core/l10n/translation";
import { RPCError } from "@web/core/network/rpc";
import { useAutofocus, useService } from "@web/core/utils/hooks";
import { LiveUserPicker } from "./user_picker";

/** Create a group room: a name and colleagues to invite. */
export class LiveNewRoomDialog extends Component {
    static template = "live_messaging.NewRoomDialog";
    static components = { Dialog, LiveUserPicker };
    static props = { close: Function, onCreated: Function };

    setup() {
        this.chat = useService("live_messaging.chat");
        this.state = useState({ name: "", members: [], error: "", saving: false });
        useAutofocus({ refName: "name" });
    }

    async create() {
        if (!this.state.name.trim()) {
            this.state.error = _t("A room needs a name.");
            return;
        }
        this.state.saving = true;
        try {
            const room = await this.chat.createGroupRoom(
                this.state.name.trim(),
                this.state.members.map((m) => m.id)
            );
            this.props.onCreated(room);
            this.props.close();
        } catch (error) {
            if (!(error instanceof RPCError)) {
                throw error;
            }
            this.state.error = error.data?.message || error.message;
        } finally {
            this.state.saving = false;
        }
    }
}

/** Start (or reopen) the direct conversation with a colleague. */
export class LiveDirectChatDialog extends Component {
    static template = "live_messaging.DirectChatDialog";
    static components = { Dialog, LiveUserPicker };
    static props = { close: Function, onOpened: Function };

    setup() {
        this.chat = useService("live_messaging.chat");
        this.state = useState({ error: "" });
    }

    async pick([picked]) {
        try {
            const room = await this.chat.getDirectRoom(picked.id);
            this.props.onOpened(room);
            this.props.close();
        } catch (error) {
            if (!(error instanceof RPCError)) {
                throw error;
            }
            this.state.error = error.data?.message || error.message;
        }
    }
}

/** Invite colleagues to a group room. */
export class LiveInviteDialog extends Component {
    static template = "live_messaging.InviteDialog";
    static components = { Dialog, LiveUserPicker };
    static props = { close: Function, room: Object };

    setup() {
        this.chat = useService("live_messaging.chat");
        this.state = useState({ users: [], error: "", saving: false });
    }

    get excludedIds() {
        return this.props.room.members.map((m) => m.id);
    }

    async invite() {
        this.state.saving = true;
        try {
            await this.chat.addMembers(
                this.props.room,
                this.state.users.map((u) => u.id)
            );
            this.props.close();
        } catch (error) {
            if (!(error instanceof RPCError)) {
                throw error;
            }
            this.state.error = error.data?.message || error.message;
        } finally {
            this.state.saving = false;
        }
    }
}
