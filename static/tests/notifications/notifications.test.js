import {
    assertSteps,
    click,
    contains,
    patchBrowserNotification,
    start,
    startServer,
    step,
} from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { waitUntil } from "@odoo/hoot-dom";
import {
    getService,
    mockService,
    onRpc,
    patchWithCleanup,
    serverState,
} from "@web/../tests/web_test_helpers";
import { browser } from "@web/core/browser/browser";
import { session } from "@web/session";
import { createDirectRoom, createTeamRoom, defineLiveModels } from "../live_test_helpers";

describe.current.tags("desktop");
defineLiveModels();

/**
 * The browser's Notification, recording what is shown (Odoo's own tests patch
 * `browser.Notification` the same way).
 */
function patchNotification(permission = "granted") {
    const shown = [];
    class RecordingNotification extends EventTarget {
        static permission = permission;
        static async requestPermission() {
            return RecordingNotification.permission;
        }
        constructor(title, options) {
            super();
            Object.assign(this, { title, options, closed: false });
            shown.push(this);
            step(`notification: ${title} | ${options.body}`);
        }
        close() {
            this.closed = true;
        }
    }
    patchWithCleanup(browser, { Notification: RecordingNotification });
    return shown;
}

/** Odoo looked at, or not (the presence service, shared by the tabs). */
function mockFocus(initial) {
    const focus = { value: initial };
    mockService("presence", { isOdooFocused: () => focus.value });
    return focus;
}

function recordSounds() {
    mockService("mail.sound_effects", {
        play(name) {
            step(`sound: ${name}`);
        },
    });
}

function recordTitle() {
    mockService("title", {
        setCounters(counters) {
            if ("live_messaging" in counters) {
                step(`title: ${counters.live_messaging ?? "-"}`);
            }
            return super.setCounters(...arguments);
        },
    });
}

/** Wait until the chat counted the room's unread messages (the notifier decided). */
function unreadIs(roomId, count) {
    const chat = getService("live_messaging.chat");
    return waitUntil(() => chat.state.rooms[roomId]?.unread === count);
}

async function startChat() {
    await start();
    await getService("live_messaging.chat").ensureRooms();
}

test("a message arriving while Odoo is out of sight raises a desktop notification", async () => {
    const shown = patchNotification("granted");
    mockFocus(false);
    recordSounds();
    recordTitle();
    const pyEnv = await startServer();
    const { otherId, roomId } = createTeamRoom();
    const { otherId: danaId, roomId: directId } = createDirectRoom({ otherName: "Dana" });
    await startChat();
    // bodies are stored escaped (&, <, >): the notification shows what was typed
    pyEnv["live.room"]._post(roomId, otherId, "Is the quote <v2> & terms ready?");
    await assertSteps([
        "title: 1",
        "notification: Bob in Team | Is the quote <v2> & terms ready?",
        "sound: new-message",
    ]);
    pyEnv["live.room"]._post(directId, danaId, "Call me");
    await assertSteps(["title: 2", "notification: Dana | Call me", "sound: new-message"]);
    expect(shown[1].options.icon).toBe(
        `/web/image/res.partner/${pyEnv["res.users"].browse(danaId)[0].partner_id}/avatar_128`
    );
    expect(shown[1].options.tag).toBe(`live_messaging.room_${directId}`);
    // one's own messages and the rooms' system notes never notify
    pyEnv["live.room"]._post(roomId, false, "Bob joined the room.", { kind: "system" });
    pyEnv["live.room"]._post(roomId, serverState.userId, "Mine");
    await unreadIs(roomId, 0);
    await assertSteps([]);
    // a click on it brings Odoo back, on the room, in the chat window
    shown[0].dispatchEvent(new Event("click"));
    await contains(".o-live-ChatWindow-title", { text: "Team" });
    expect(shown[0].closed).toBe(true);
});

test("nothing while the user is looking at Odoo, nor from a tab that is not the main one", async () => {
    patchNotification("granted");
    const focus = mockFocus(true);
    let mainTab = true;
    mockService("multi_tab", { isOnMainTab: () => mainTab });
    const pyEnv = await startServer();
    const { otherId, roomId } = createTeamRoom();
    await startChat();
    pyEnv["live.room"]._post(roomId, otherId, "Seen on screen");
    await contains(".o-mail-MessagingMenu-counter", { text: "1" });
    focus.value = false;
    mainTab = false;
    pyEnv["live.room"]._post(roomId, otherId, "The main tab tells it");
    await unreadIs(roomId, 2);
    await assertSteps([]);
    mainTab = true;
    pyEnv["live.room"]._post(roomId, otherId, "Now");
    await assertSteps(["notification: Bob in Team | Now"]);
});

test("the user's choice: mentions and direct messages only, without sound", async () => {
    patchNotification("granted");
    mockFocus(false);
    recordSounds();
    patchWithCleanup(session, { live_notify: { notify: "mentions", sound: false } });
    const pyEnv = await startServer();
    const { otherId, roomId } = createTeamRoom();
    const { otherId: danaId, roomId: directId } = createDirectRoom({ otherName: "Dana" });
    await startChat();
    pyEnv["live.room"]._post(roomId, otherId, "Just chatting");
    pyEnv["live.room"]._post(directId, danaId, "To you only");
    await assertSteps(["notification: Dana | To you only"]);
    // a mention (the user's id in `mentions`) notifies, even in a group room
    const message = pyEnv["live.room"]._post(roomId, otherId, "@you have a look", {
        push: false,
    });
    pyEnv["bus.bus"]._sendone("broadcast", "live_messaging/message", {
        ...message,
        mentions: [serverState.userId],
    });
    await assertSteps(["notification: Bob mentioned you in Team | @you have a look"]);
});

test("nothing at all when the user chose so, or while Discuss's Do not disturb is on", async () => {
    patchNotification("granted");
    mockFocus(false);
    patchWithCleanup(session, { live_notify: { notify: "none", sound: true } });
    const pyEnv = await startServer();
    const { otherId, roomId } = createTeamRoom();
    await startChat();
    pyEnv["live.room"]._post(roomId, otherId, "Quiet please");
    await unreadIs(roomId, 1);
    await assertSteps([]);
    const notifier = getService("live_messaging.notifier");
    notifier.state.notify = "all";
    getService("mail.store").settings.mute_until_dt = "2099-01-01 00:00:00";
    pyEnv["live.room"]._post(roomId, otherId, "Still quiet");
    await unreadIs(roomId, 2);
    await assertSteps([]);
    getService("mail.store").settings.mute_until_dt = false;
    pyEnv["live.room"]._post(roomId, otherId, "Now loud");
    await assertSteps(["notification: Bob in Team | Now loud"]);
});

test("without the browser's permission, the notification shows inside Odoo (as Discuss)", async () => {
    patchNotification("denied");
    mockFocus(false);
    const pyEnv = await startServer();
    const { otherId, roomId } = createTeamRoom();
    await startChat();
    pyEnv["live.room"]._post(roomId, otherId, "Are you there?");
    await contains(".o_notification", {
        contains: [
            [".o_notification_title", { text: "Bob in Team" }],
            [".o_notification_content", { text: "Are you there?" }],
        ],
    });
    await assertSteps([]);
});

test("the bell: which messages notify, the sound, the browser's permission", async () => {
    patchBrowserNotification("default", "granted");
    onRpc("res.users", "write", ({ args }) => {
        step(`write ${JSON.stringify(args)}`);
        return true;
    });
    await startServer();
    const { roomId } = createTeamRoom();
    await start();
    await getService("live_messaging.chat").openWindow(roomId);
    await click(".o-live-ChatWindow .o-live-NotificationSettings");
    await contains(".o-live-NotificationSettings-choice[aria-checked='true']", {
        text: "All messages",
    });
    await click(".o-live-NotificationSettings-choice", { text: "Nothing" });
    await assertSteps([`write [[${serverState.userId}],{"live_notify":"none"}]`]);
    await contains(".o-live-NotificationSettings-choice.selected[aria-checked='true']", {
        text: "Nothing",
    });
    await contains(".o-live-NotificationSettings-choice.selected", { count: 1 });
    await contains(".o-live-ChatWindow .o-live-NotificationSettings .fa-bell-slash-o");
    await click(".o-live-NotificationSettings-sound");
    await assertSteps([
        `write [[${serverState.userId}],{"live_notify_sound":false}]`,
    ]);
    await contains(".o-live-NotificationSettings-sound[aria-checked='false']:not(.selected)");
    // the browser has not been asked yet: the user asks it from here
    await click(".o-live-NotificationSettings-allow");
    await contains(".o-live-NotificationSettings-allow", { count: 0 });
    expect(getService("live_messaging.notifier").state.permission).toBe("granted");
    // Discuss's request went away with it: one permission for both
    expect(getService("mail.notification.permission").permission).toBe("granted");
});
