import { browser } from "@web/core/browser/browser";

/**
 * Turns a stream of "something changed" signals into a bounded number of
 * reloads, with timers only:
 * - a trailing debounce: a burst gives one reload, `debounce` ms after it;
 * - no signal waits more than `maxWait` ms, even during a long burst;
 * - at most one reload per `minInterval` ms, and never two at once: signals
 *   arriving meanwhile give one more reload afterwards;
 * - while `canReload()` is false (a record is being edited) the reload waits,
 *   checked every `retryDelay` ms; so does a reload that returns false (it
 *   could not be applied).
 */
export class LiveReloadScheduler {
    constructor({
        reload,
        canReload = () => true,
        debounce = 250,
        maxWait = 1000,
        minInterval = 1000,
        retryDelay = 500,
    }) {
        this.reload = reload;
        this.canReload = canReload;
        this.debounce = debounce;
        this.maxWait = maxWait;
        this.minInterval = minInterval;
        this.retryDelay = retryDelay;
        this.pending = false;
        this.running = false;
        this.cooling = false;
        this.destroyed = false;
        this.timers = { debounce: null, maxWait: null, retry: null, cooldown: null };
    }

    /** A change happened: reload soon. */
    schedule() {
        if (this.destroyed) {
            return;
        }
        this.pending = true;
        this._setTimer("debounce", this.debounce);
        if (!this.timers.maxWait) {
            this._setTimer("maxWait", this.maxWait);
        }
    }

    /** Check at once whether a waiting reload can happen now. */
    retry() {
        if (this.pending && this.timers.retry) {
            this._fire();
        }
    }

    destroy() {
        this.destroyed = true;
        for (const name in this.timers) {
            this._clearTimer(name);
        }
    }

    _setTimer(name, delay, callback = () => this._fire()) {
        this._clearTimer(name);
        this.timers[name] = browser.setTimeout(() => {
            this.timers[name] = null;
            callback();
        }, delay);
    }

    _clearTimer(name) {
        browser.clearTimeout(this.timers[name]);
        this.timers[name] = null;
    }

    async _fire() {
        if (!this.pending || this.destroyed || this.running || this.cooling) {
            return; // the end of the running reload or of the cooldown fires
        }
        this._clearTimer("debounce");
        this._clearTimer("maxWait");
        this._clearTimer("retry");
        if (!this.canReload()) {
            this._setTimer("retry", this.retryDelay);
            return;
        }
        this.pending = false;
        this.running = true;
        this.cooling = true;
        this._setTimer("cooldown", this.minInterval, () => {
            this.cooling = false;
            this._fire();
        });
        try {
            if ((await this.reload()) === false) {
                this.pending = true; // not applied (an edition started): again later
            }
        } finally {
            this.running = false;
            this._fire();
        }
    }
}
