import { markRaw, reactive } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { user } from "@web/core/user";

/** The statuses shown; others (e.g. hr_holidays' "leave_away") map to their end. */
export const IM_STATUSES = ["online", "away", "offline"];

export function normalizeImStatus(status) {
    const base = IM_STATUSES.find((s) => status === s || status?.endsWith?.(`_${s}`));
    return base || "offline";
}

/**
 * Presence of the people one chats with, from Odoo's own presence (`bus.presence`).
 *
 * Rooms bring each member's status as it was when read (`im_status`); from then
 * on the bus keeps it current: for every partner shown, the socket subscribes to
 * `odoo-presence-res.partner_<id>` (the server grants these channels to internal
 * users only) and gets `bus.bus/im_status_updated`, as Discuss's personas do.
 * Channels are added on first sight and kept for the page's life (the bus
 * worker does not count who added a channel: removing one could take it from
 * Discuss too).
 */
export class LivePresence {
    constructor({ busService }) {
        // kept out of the reactive proxies of the components that read statuses
        this.busService = markRaw(busService);
        this.tracked = markRaw(new Set());
        /** partner id -> "online" | "away" | "offline" (what the bus said last) */
        this.statuses = reactive({});
        busService.subscribe("bus.bus/im_status_updated", ({ partner_id, im_status }) => {
            if (partner_id && this.tracked.has(partner_id)) {
                this.statuses[partner_id] = normalizeImStatus(im_status);
            }
        });
    }

    /**
     * The status of a room member (`{partner_id, im_status}`): the last one
     * pushed, else the one the room came with. Starts following the partner.
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
        this.busService.addChannel(`odoo-presence-res.partner_${partnerId}`);
    }
}

export const presenceService = {
    dependencies: ["bus_service"],
    start(env, { bus_service: busService }) {
        return new LivePresence({ busService });
    },
};

registry.category("services").add("live_messaging.presence", presenceService);
