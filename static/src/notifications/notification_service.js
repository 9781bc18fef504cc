import { markRaw, reactive } from "@odoo/owl";
import { browser } from "@web/core/browser/browser";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { user } from "@web/core/user";
import { session } from "@web/session";
import { unescapeBody } from "../core/format";
import { correspondentOf, roomAvatarUrl } from "../presence/faces";

/** Longest preview of a message in a notification (as Discuss). */
export const PREVIEW_MAX_CHARS = 350;
/** Toasts kept on screen when desktop notifications are not allowed (as Discuss). */
const MAX_TOASTS = 3;

/** "prompt", "granted" or "denied", as `mail.notification.permission` says it. */
export function normalizePermission(permission) {
    if (permission === "default") {
        return "prompt";
    }
    return permission || "denied";
}

/**
 * Whether `message` mentions the user: `mentions` lists user ids (or `{id}`
 * objects), as the server stores them.
 */
export function mentionsUser(message, userId) {
    return (message.mentions || []).some((m) => (m?.id ?? m) === userId);
}

/**
 * Desktop notifications (and a sound) for new chat messages while Odoo is out
 * of sight (the tab hidden, or no Odoo tab focused), the way Discuss notifies
 * (addons/mail's out_of_focus service): the browser's Notification when the
 * user allowed it, else a notification inside Odoo; from the main tab only, so
 * that several tabs notify once; the count of them in the tab's title until
 * Odoo is looked at again.
 *
 * The user chooses (`res.users.live_notify`, in Preferences or the chat's bell):
 * every message, only mentions and direct messages, or nothing; with or without
 * a sound.
 */
export class LiveNotifier {
    constructor(env, services) {
        this.env = env;
        // services stay out of the reactive proxies components hold
        this.services = markRaw(services);
        this.chat = services["live_messaging.chat"];
        const preferences = session.live_notify || {};
        this.state = reactive({
            /** "all" | "mentions" | "none" */
            notify: preferences.notify || "all",
            sound: preferences.sound ?? true,
            permission: normalizePermission(browser.Notification?.permission),
            /** messages notified since Odoo was last looked at */
            unseen: 0,
        });
        this.toastClosers = markRaw([]);
        services["live_messaging.bridge"].register("live_messaging/message", (message) =>
            this.onMessage(message)
        );
        env.bus.addEventListener("window_focus", () => this.clearUnseen());
        browser.addEventListener("visibilitychange", () => {
            if (!this.isOutOfSight()) {
                this.clearUnseen();
            }
        });
    }

    // ------------------------------------------------------------------
    // Deciding
    // ------------------------------------------------------------------

    onMessage(message) {
        if (message.kind !== "chat" || !message.room_id || message.author?.id === user.userId) {
            return;
        }
        const room = this.chat.state.rooms[message.room_id];
        const mentioned = mentionsUser(message, user.userId);
        if (!this.wants({ message, room, mentioned }) || !this.isOutOfSight()) {
            return;
        }
        if (!this.services.multi_tab.isOnMainTab()) {
            return;
        }
        this.notify(this.describe({ message, room, mentioned }));
    }

    /** Whether the user's choice asks for this message. Override point. */
    wants({ room, mentioned }) {
        if (this.state.notify === "none") {
            return false;
        }
        if (this.state.notify === "mentions") {
            return mentioned || room?.type === "direct";
        }
        return true;
    }

    /** Odoo is not looked at: this tab is hidden, or no Odoo tab has the focus. */
    isOutOfSight() {
        return (
            document.visibilityState === "hidden" ||
            !this.services.presence.isOdooFocused()
        );
    }

    describe({ message, room, mentioned }) {
        const author = message.author?.name || _t("Somebody");
        let title;
        if (mentioned && room?.type !== "direct") {
            title = _t("%(author)s mentioned you in %(room)s", { author, room: room?.name || "" });
        } else if (room && room.type !== "direct") {
            title = _t("%(author)s in %(room)s", { author, room: room.name });
        } else {
            title = author;
        }
        const other = room && correspondentOf(room);
        return {
            title,
            body: unescapeBody(message.body).slice(0, PREVIEW_MAX_CHARS),
            icon: other?.avatar_url || (room ? roomAvatarUrl(room) : undefined),
            roomId: message.room_id,
        };
    }

    // ------------------------------------------------------------------
    // Notifying
    // ------------------------------------------------------------------

    notify({ title, body, icon, roomId }) {
        this.state.unseen += 1;
        this.services.title.setCounters({ live_messaging: this.state.unseen });
        if (this.canSendNative()) {
            this.sendNative({ title, body, icon, roomId });
        } else {
            // no desktop notification allowed: inside Odoo, as Discuss falls back
            this.toastClosers.push(
                this.services.notification.add(body, { title, type: "info" })
            );
            if (this.toastClosers.length > MAX_TOASTS) {
                this.toastClosers.shift()();
            }
        }
        if (this.state.sound) {
            this.playSound();
        }
    }

    canSendNative() {
        return browser.Notification?.permission === "granted";
    }

    sendNative({ title, body, icon, roomId }) {
        const notification = new browser.Notification(title, {
            body,
            icon,
            // a room's notifications replace each other instead of piling up
            tag: `live_messaging.room_${roomId}`,
        });
        notification.addEventListener("click", () => {
            window.focus();
            notification.close();
            this.chat.openWindow(roomId);
        });
        return notification;
    }

    /** A short tone (no file to fetch). Override point (Discuss plays its own). */
    playSound() {
        const AudioContext = browser.AudioContext;
        if (!AudioContext) {
            return;
        }
        try {
            this.audio ||= markRaw(new AudioContext());
            const now = this.audio.currentTime;
            const oscillator = this.audio.createOscillator();
            const gain = this.audio.createGain();
            oscillator.frequency.value = 880;
            gain.gain.setValueAtTime(0.0001, now);
            gain.gain.exponentialRampToValueAtTime(0.2, now + 0.02);
            gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.3);
            oscillator.connect(gain).connect(this.audio.destination);
            oscillator.start(now);
            oscillator.stop(now + 0.3);
        } catch {
            // browsers refuse sound before the user interacted with the page
        }
    }

    clearUnseen() {
        if (this.state.unseen) {
            this.state.unseen = 0;
            this.services.title.setCounters({ live_messaging: undefined });
        }
    }

    // ------------------------------------------------------------------
    // The user's choice
    // ------------------------------------------------------------------

    /** Store the user's choice (`{ notify, sound }`, either) on their user. */
    async setPreferences({ notify, sound }) {
        const values = {};
        if (notify !== undefined) {
            values.live_notify = notify;
        }
        if (sound !== undefined) {
            values.live_notify_sound = sound;
        }
        await this.services.orm.write("res.users", [user.userId], values);
        Object.assign(
            this.state,
            notify !== undefined ? { notify } : {},
            sound !== undefined ? { sound } : {}
        );
    }

    /** Ask the browser for desktop notifications (from a click, as browsers require). */
    async requestPermission() {
        if (!browser.Notification || this.state.permission !== "prompt") {
            return this.state.permission;
        }
        this.state.permission = normalizePermission(await browser.Notification.requestPermission());
        return this.state.permission;
    }
}

export const notifierService = {
    dependencies: [
        "live_messaging.chat",
        "live_messaging.bridge",
        "multi_tab",
        "notification",
        "orm",
        "presence",
        "title",
    ],
    start(env, services) {
        return new LiveNotifier(env, services);
    },
};

registry.category("services").add("live_messaging.notifier", notifierService);
