import { onMounted, onWillUnmount, status, toRaw, useComponent, useState } from "@odoo/owl";
import { browser } from "@web/core/browser/browser";
import { useService } from "@web/core/utils/hooks";
import { session } from "@web/session";
import { LiveRecordsCounter } from "./live_records_counter";
import { LiveReloadScheduler } from "./live_reload_scheduler";

export const HIGHLIGHT_DURATION = 3000;
const SCROLLERS = [".o_content", ".o_list_renderer", ".o_kanban_renderer"];
const RECORD_SELECTOR = ".o_data_row, .o_kanban_record";

/** Whether the server made `resModel` live (see `ir.http.session_info`). */
export function isLiveModel(resModel) {
    return Boolean(resModel) && (session.live_record_models || []).includes(resModel);
}

function nextFrame() {
    return new Promise((resolve) => browser.requestAnimationFrame(() => resolve()));
}

/**
 * Makes the multi-record view of the calling controller live, when its model
 * is: the view reloads itself (keeping domain, grouping, order, page, selection
 * and scroll) when records of its model change, highlights the rows that
 * appeared or changed, and counts the changed records.
 *
 * @param {Object} params
 * @param {Object} params.model the controller's (reactive) relational model
 * @param {Object} params.rootRef the controller's root element
 * @param {() => boolean} [params.isEditing] true while the user edits something
 *      a reload would discard (a list row, a kanban quick create)
 * @returns {LiveView|null} null when the model is not live
 */
export function useLiveView({ model, rootRef, isEditing = () => false }) {
    const component = useComponent();
    const resModel = component.props.resModel;
    if (!isLiveModel(resModel)) {
        return null;
    }
    const liveView = new LiveView({
        component,
        model,
        rootRef,
        isEditing,
        orm: useService("orm"),
        state: useState({ changes: 0 }),
    });
    const liveRecords = useService("live_messaging.records");
    const onVisibilityChange = () => liveView.scheduler.retry();
    let stop = null;
    onMounted(() => {
        stop = liveRecords.watch(resModel, (payload) => liveView.onPush(payload));
        document.addEventListener("visibilitychange", onVisibilityChange);
    });
    onWillUnmount(() => {
        stop?.();
        liveView.scheduler.destroy();
        document.removeEventListener("visibilitychange", onVisibilityChange);
    });
    return liveView;
}

export class LiveView {
    static Counter = LiveRecordsCounter;

    constructor({ component, model, rootRef, isEditing, orm, state }) {
        this.component = component;
        this.model = model;
        this.rootRef = rootRef;
        this.isEditing = isEditing;
        this.orm = orm;
        this.state = state;
        this.changedIds = new Set();
        /** @type {Map<number, "new"|"changed">} rows to highlight after the next reload */
        this.toHighlight = new Map();
        this.reloadCount = 0;
        this.scheduler = new LiveReloadScheduler({
            reload: () => this.reload(),
            canReload: () => this.canReload(),
        });
    }

    get Counter() {
        return this.constructor.Counter;
    }

    /** @param {{created?: number[], updated?: number[], deleted?: number[]}} payload */
    onPush({ created = [], updated = [], deleted = [] }) {
        for (const id of created) {
            this.toHighlight.set(id, "new");
        }
        for (const id of updated) {
            if (this.toHighlight.get(id) !== "new") {
                this.toHighlight.set(id, "changed");
            }
        }
        for (const id of deleted) {
            this.toHighlight.delete(id);
        }
        for (const id of [...created, ...updated, ...deleted]) {
            this.changedIds.add(id);
        }
        this.state.changes = this.changedIds.size;
        this.scheduler.schedule();
    }

    resetCounter() {
        this.changedIds.clear();
        this.state.changes = 0;
    }

    canReload() {
        return (
            status(this.component) === "mounted" &&
            document.visibilityState !== "hidden" &&
            !this.isEditing() &&
            !this.model.root.editedRecord
        );
    }

    /**
     * Reload the records of the view as they are now on the server: the root
     * list's own load keeps domain, grouping, order, limit and offset (open
     * groups stay open). Returns false when the user started editing meanwhile:
     * the fresh data is then not applied, and the reload is tried again later.
     */
    async reload() {
        const { model } = this;
        if (model.useSampleModel) {
            // sample data is shown while there is nothing to show: leave it
            // only once something real exists
            const { domain, context } = model.root;
            const count = await this.orm.searchCount(model.root.resModel, domain, { context });
            if (!count || status(this.component) === "destroyed") {
                return true;
            }
        }
        const root = model.root;
        const selected = root.isDomainSelected
            ? new Set()
            : new Set(root.selection.map((record) => record.resId));
        const scroll = this._scrollPositions();
        const highlights = new Map(this.toHighlight);
        this.toHighlight.clear();
        // never replace the rows under a user who started editing during the
        // request: the guard drops the fresh data instead
        let applied = true;
        const rawRoot = toRaw(root);
        const setData = rawRoot._setData;
        rawRoot._setData = (data) => {
            if (this.isEditing() || root.editedRecord) {
                applied = false;
                return;
            }
            return setData.call(rawRoot, data);
        };
        try {
            await root.load();
        } catch {
            // a background refresh failing (offline, rights revoked...) must
            // not interrupt the user: the next change or reconnection retries
            return true;
        } finally {
            delete rawRoot._setData;
        }
        if (!applied) {
            for (const [id, kind] of highlights) {
                if (!this.toHighlight.has(id)) {
                    this.toHighlight.set(id, kind);
                }
            }
            return false;
        }
        this.reloadCount++;
        if (model.useSampleModel) {
            model.useSampleModel = false;
        }
        for (const record of model.root.records) {
            if (selected.has(record.resId)) {
                record.selected = true;
            }
        }
        this.component.render(true);
        await nextFrame();
        await nextFrame();
        this._restoreScroll(scroll);
        this._highlight(highlights);
        return true;
    }

    _scrollPositions() {
        const el = this.rootRef.el;
        return SCROLLERS.map((selector) => {
            const scroller = el?.querySelector(selector);
            return scroller && [scroller, scroller.scrollTop, scroller.scrollLeft];
        }).filter(Boolean);
    }

    _restoreScroll(positions) {
        for (const [scroller, top, left] of positions) {
            if (scroller.isConnected) {
                scroller.scrollTop = top;
                scroller.scrollLeft = left;
            }
        }
    }

    _highlight(highlights) {
        const el = this.rootRef.el;
        if (!el || !highlights.size) {
            return;
        }
        for (const record of this.model.root.records) {
            const kind = highlights.get(record.resId);
            const row = kind && el.querySelector(`[data-id="${record.id}"]`);
            if (row?.matches(RECORD_SELECTOR)) {
                const className = `o-live-record-${kind}`;
                row.classList.add(className);
                browser.setTimeout(() => row.classList.remove(className), HIGHLIGHT_DURATION);
            }
        }
    }
}
