import { registry } from "@web/core/registry";

/**
 * One inbox, faces, presence, "seen" and desktop notifications, in Chromium,
 * run by tests/test_inbox_tour.py with a live bus. Bob's browser is this tour;
 * Alice is played by the server (her messages, her reading, her presence).
 */

const MESSAGING_MENU = ".o_menu_systray i[aria-label='Messages']";
const DIRECT = ".o-mail-NotificationItem:has(.o-live-MessagingMenu-room:contains(Alice))";
const TEAM = ".o-mail-NotificationItem:has(.o-live-MessagingMenu-room:contains(Team))";

function services() {
    return odoo.__WOWL_DEBUG__.root.env.services;
}

/** Discuss's counter without our rooms: its chat with Alice, and its own
 * requests (allow notifications, install the app) when the browser has them. */
function discussShare() {
    const prompts = [
        services()["mail.notification.permission"].permission === "prompt",
        services().pwa?.canPromptToInstall,
    ];
    return 1 + prompts.filter(Boolean).length;
}

function counterDetails() {
    const store = services()["mail.store"];
    const threads = Object.values(store.Thread.records).map(
        (t) => `${t.displayName}:${t.selfMember?.message_unread_counter}/${t.message_needaction_counter}`
    );
    return (
        `inbox ${store.inbox.counter}, permission ` +
        `${services()["mail.notification.permission"].permission}, pwa ` +
        `${services().pwa?.canPromptToInstall}, channels ${store.channels.status}, ` +
        `threads ${threads.join(", ")}`
    );
}

/**
 * The messaging menu's counter reaches `expected()` (Discuss's part comes with
 * its own start-up calls: give it a few seconds).
 */
async function checkCounter(expected) {
    let shown;
    for (let attempt = 0; attempt < 100; attempt++) {
        shown = Number(document.querySelector(".o-mail-MessagingMenu-counter")?.textContent);
        if (shown === expected()) {
            return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(
        `the messaging menu counts ${shown}, expected ${expected()} (${counterDetails()})`
    );
}

/**
 * The page out of sight, as when the user switched to another tab: hidden and
 * without the focus (and back).
 */
function setHidden(hidden) {
    Object.defineProperty(document, "visibilityState", {
        value: hidden ? "hidden" : "visible",
        configurable: true,
    });
    document.hasFocus = () => !hidden;
    // (the browser's own event bubbles up to the window, where the web client listens)
    document.dispatchEvent(new Event("visibilitychange", { bubbles: true }));
    window.dispatchEvent(new Event(hidden ? "blur" : "focus"));
}

/**
 * The browser's Notification, recording what is shown (as Odoo's own tests
 * patch `browser.Notification`): each one leaves a mark in the page.
 */
function recordNotifications() {
    const { browser } = odoo.loader.modules.get("@web/core/browser/browser");
    browser.Notification = class {
        static permission = "granted";
        static requestPermission() {
            return Promise.resolve("granted");
        }
        constructor(title, options) {
            const mark = document.createElement("div");
            mark.className = "o-live-tour-notification d-none";
            Object.assign(mark.dataset, { title, body: options.body, icon: options.icon });
            document.body.appendChild(mark);
        }
        addEventListener() {}
        close() {}
    };
}

registry.category("web_tour.tours").add("live_messaging_inbox", {
    steps: () => [
        {
            content: "One counter: Discuss's chat, and two rooms with unread messages",
            trigger: ".o-mail-MessagingMenu-counter",
            run() {
                return checkCounter(() => discussShare() + 2);
            },
        },
        {
            trigger: MESSAGING_MENU,
            run: "click",
        },
        {
            content: "The rooms are in Discuss's messaging menu with their unread counts",
            trigger: `${TEAM} .o-mail-NotificationItem-counter:contains(2)`,
        },
        {
            content: "Discuss's own conversation is there too",
            trigger: ".o-mail-NotificationItem:not(:has(.o-live-MessagingMenu-room)):contains(Discuss hello)",
        },
        {
            content: "The direct room: Alice's face and presence (online)",
            trigger: `${DIRECT}:has(img[src*='/web/image/res.partner/']):has(.o-live-ImStatus[data-status=online]) .o-mail-NotificationItem-counter:contains(1)`,
            run: "click",
        },
        {
            content: "It opens in the chat window, with faces beside the messages",
            trigger: ".o-live-ChatWindow .o-live-Message:has(.o-live-Message-avatar img[src*='/web/image/res.partner/']):contains(Hi Bob)",
        },
        {
            content: "Read: the counter went down by one",
            trigger: ".o-live-ChatWindow-header .o-live-ImStatus[data-status=online]",
            run() {
                return checkCounter(() => discussShare() + 1);
            },
        },
        {
            trigger: ".o-live-ChatWindow .o-live-Composer-input",
            run: "edit Hello Alice",
        },
        {
            trigger: ".o-live-ChatWindow .o-live-Composer-input",
            run: "press Enter",
        },
        {
            // ("Sent" comes first: Alice may read it before this step looks)
            content: "Alice read it: seen, from her read cursor",
            trigger: ".o-live-ChatWindow .o-live-Message:contains(Hello Alice) .o-live-Message-seen.o-seen:contains(Seen)",
            timeout: 30000,
        },
        {
            content: "Alice went away: her presence follows",
            trigger: ".o-live-ChatWindow-header .o-live-ImStatus[data-status=away]",
            timeout: 30000,
        },
        {
            content: "Tab hidden; the browser would show notifications",
            trigger: ".o-live-ChatWindow .o-live-NotificationSettings",
            run(helpers) {
                recordNotifications();
                setHidden(true);
                return helpers.click();
            },
        },
        {
            content: "Notify for mentions and direct messages only",
            trigger: ".o-live-NotificationSettings-choice:contains(Mentions and direct messages)",
            run: "click",
        },
        {
            content: "Chosen (Alice writes once it is stored)",
            trigger: ".o-live-NotificationSettings-choice[aria-checked=true]:contains(Mentions and direct messages)",
        },
        {
            content: "A desktop notification for Alice's direct message",
            trigger: ".o-live-tour-notification[data-title=Alice][data-body='Are you still there?']:not(:visible)",
            timeout: 30000,
            run() {
                const shown = [...document.querySelectorAll(".o-live-tour-notification")];
                if (shown.length !== 1) {
                    const titles = shown.map((el) => el.dataset.title);
                    throw new Error(`expected one notification, got: ${titles.join(", ")}`);
                }
                if (!shown[0].dataset.icon.includes("/web/image/res.partner/")) {
                    throw new Error("the notification should show Alice's face");
                }
                // the tab's title counts it (with what Discuss counts there)
                if (
                    services()["live_messaging.notifier"].state.unseen !== 1 ||
                    !document.title.startsWith("(")
                ) {
                    throw new Error(`the tab's title should count it: ${document.title}`);
                }
            },
        },
        {
            content: "Back on the tab: the room on screen is read, the title no longer counts it",
            trigger: ".o-live-ChatWindow .o-live-Message:contains(Are you still there?)",
            run() {
                setHidden(false);
                if (services()["live_messaging.notifier"].state.unseen !== 0) {
                    throw new Error("the notifications should be counted as seen");
                }
            },
        },
        {
            content: "The direct room is read again: only the Team room is unread",
            trigger: MESSAGING_MENU,
            run: "click",
        },
        {
            trigger: `${DIRECT}:not(:has(.o-mail-NotificationItem-counter))`,
        },
        {
            trigger: `${TEAM} .o-mail-NotificationItem-counter:contains(3)`,
        },
    ],
});
