import { markRaw, reactive } from "@odoo/owl";
import { ConnectionLostError, RPCError } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";
import { user } from "@web/core/user";
import { debounce } from "@web/core/utils/timing";

/** The statuses shown; others (e.g. hr_holidays' "leave_away") map to their end. */
export const IM_STATUSES = ["online", "away", "offline"];
/** Partners seen within this delay (ms) have their status read in one call. */
export const READ_DELAY = 100;

export function normalizeImStatus(status) {
    const base = IM_STATUSES.find((s) => status === s || status?.endsWith?.(`_${s}`));
    return base || "offline";
}

/**
 * Presence of the people one chats with, from Odoo's own presence (`bus.presence`).
 *
 * For every partner shown, the socket subscribes to
 * `odoo-presence-res.partner_<id>` (the server grants these channels to internal
 * users only) and gets `bus.bus/im_status_updated`, as Discuss's personas do;
 * the status is read once when the partner is first shown (rooms carry one too,
 * shown meanwhile, but a room may come from a push replayed after a reconnection,
 * older than what the bus said since). Channels are kept for the page's life (the
 * bus worker does not count who added a channel: removing one could take it
 * from Discuss too).
 */
export class LivePresence {
    constructor({ busService, orm }) {
        // kept out of the reactive proxies of the components that read statuses
        this.services = markRaw({ busService, orm });
        this.tracked = markRaw(new Set());
        this.toRead = markRaw(new Set());
        /** partner id -> number of bus updates (a read older than one loses) */
        this.updates = markRaw(new Map());
        /** partner id -> "online" | "away" | "offline" (the server's last word) */
        this.statuses = reactive({});
        this.readSoon = markRaw(debounce(() => this.readStatuses(), READ_DELAY));
        busService.subscribe("bus.bus/im_status_updated", ({ partner_id, im_status }) => {
            if (partner_id && this.tracked.has(partner_id)) {
                this.updates.set(partner_id, (this.updates.get(partner_id) || 0) + 1);
                this.statuses[partner_id] = normalizeImStatus(im_status);
            }
        });
    }

    /**
     * The status of a room member (`{partner_id, im_status}`): the server's last
     * word, else the one the room came with. Starts following the partner.
     */
    statusOf(member) {
        const partnerId = member?.partner_id;
        if (!partnerId) {
            return "offline";
        }
        if (partnerId === user.partnerId) {
            // this tab is open: whatever the server last heard, one is here
            return "online";
        }
        this.track(partnerId);
        return this.statuses[partnerId] || normalizeImStatus(member.im_status);
    }

    track(partnerId) {
        if (this.tracked.has(partnerId)) {
            return;
        }
        this.tracked.add(partnerId);
        this.services.busService.addChannel(`odoo-presence-res.partner_${partnerId}`);
        this.toRead.add(partnerId);
        this.readSoon();
    }

    async readStatuses() {
        const ids = [...this.toRead];
        this.toRead.clear();
        if (!ids.length) {
            return;
        }
        const before = new Map(ids.map((id) => [id, this.updates.get(id) || 0]));
        let records;
        try {
            records = await this.services.orm.silent.read("res.partner", ids, ["im_status"]);
        } catch (error) {
            if (error instanceof RPCError || error instanceof ConnectionLostError) {
                // (a partner of another company...) the rooms' statuses stay shown
                return;
            }
            throw error;
        }
        for (const { id, im_status } of records) {
            if ((this.updates.get(id) || 0) === before.get(id)) {
                this.statuses[id] = normalizeImStatus(im_status);
            }
        }
    }
}

export const presenceService = {
    dependencies: ["bus_service", "orm"],
    start(env, { bus_service: busService, orm }) {
        return new LivePresence({ busService, orm });
    },
};

registry.category("services").add("live_messaging.presence", presenceService);
