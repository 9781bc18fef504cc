import { registry } from "@web/core/registry";

/**
 * Tours of the web client, run by tests/test_chat_tours.py with a live bus.
 * The Python side posts what "the other user" does and checks the database.
 */

const tours = registry.category("web_tour.tours");

function bridge() {
    return odoo.__WOWL_DEBUG__.root.env.services["live_messaging.bridge"];
}

/** Discuss's messaging menu (the systray's chat icon), where the rooms are. */
const MESSAGING_MENU = ".o_menu_systray i[aria-label='Messages']";

/** A room in the messaging menu. */
function menuRoom(name) {
    return `.o-mail-NotificationItem:has(.o-live-MessagingMenu-room:contains(${name}))`;
}

/** A user opens a room from the systray's messaging menu, sends, then changes app: the window stays. */
tours.add("live_messaging_systray_send", {
    steps: () => [
        {
            content: "Open Discuss's messaging menu in the systray",
            trigger: MESSAGING_MENU,
            run: "click",
        },
        {
            content: "Open the Team room: it opens in the chat window",
            trigger: menuRoom("Team"),
            run: "click",
        },
        {
            trigger: ".o-live-ChatWindow .o-live-Composer-input",
            run: "edit Hello from the systray",
        },
        {
            trigger: ".o-live-ChatWindow .o-live-Composer-input",
            run: "press Enter",
        },
        {
            content: "The message is shown, confirmed by the server",
            trigger:
                ".o-live-ChatWindow .o-live-Message:not(.o-live-Message-pending):not(.o-live-Message-failed):contains(Hello from the systray)",
        },
        {
            content: "Go to another app",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            // not Live Messaging: the window steps aside in its Chat app
            trigger: ".o_app:contains(Discuss)",
            run: "click",
        },
        {
            content: "The chat window survived the navigation",
            trigger:
                "body:has(.o_menu_brand:contains(Discuss)) .o-live-ChatWindow .o-live-Message:contains(Hello from the systray)",
        },
        {
            content: "Sent once",
            trigger: ".o-live-ChatWindow .o-live-MessageList",
            run() {
                const sent = [...document.querySelectorAll(".o-live-ChatWindow .o-live-Message")]
                    .filter((el) => el.textContent.includes("Hello from the systray"));
                if (sent.length !== 1) {
                    throw new Error(`expected the message once, found it ${sent.length} times`);
                }
            },
        },
    ],
});

/** The other side: a chat window open on the room shows what arrives, without reload. */
tours.add("live_messaging_open_chat_receives", {
    steps: () => [
        {
            content: "Remember this page, to prove later that it was not reloaded",
            trigger: ".o-mail-MessagingMenu-counter",
            run() {
                window.liveMessagingTourPage = "not reloaded";
            },
        },
        {
            trigger: MESSAGING_MENU,
            run: "click",
        },
        {
            content: "The room has one unread message",
            trigger: `${menuRoom("Team")} .o-mail-NotificationItem-counter:contains(1)`,
        },
        {
            trigger: menuRoom("Team"),
            run: "click",
        },
        {
            content: "The history is there; the room is read (the other side waits for it)",
            trigger: ".o-live-ChatWindow .o-live-Message:contains(Are you there?)",
        },
        {
            content: "The message posted meanwhile appears, pushed by the bus",
            trigger: ".o-live-ChatWindow .o-live-Message:contains(Hi Bob, live from Alice)",
            timeout: 30000,
        },
        {
            content: "Read at once: no unread count in the messaging menu, and the same page",
            trigger: MESSAGING_MENU,
            run: "click",
        },
        {
            trigger: `${menuRoom("Team")}:not(:has(.o-mail-NotificationItem-counter))`,
            run() {
                if (window.liveMessagingTourPage !== "not reloaded") {
                    throw new Error("the page was reloaded");
                }
            },
        },
    ],
});

/**
 * A topic event arrives while the feed (its listener) is not loaded: the bridge
 * keeps it across a reload, and the Chat app's feed shows it once when it opens.
 */
tours.add("live_messaging_feed_after_reload", {
    steps: () => [
        {
            trigger: MESSAGING_MENU,
            run: "click",
        },
        {
            content: "The event is kept by the bridge while nobody listens; the menu says so",
            trigger:
                ".o-mail-NotificationItem:has(.o-live-MessagingMenu-feed):contains(1 new event on your topics)",
            timeout: 30000,
            run() {
                if (bridge().countSaved("live_messaging/events") !== 1) {
                    throw new Error("the event should wait in the bridge's history");
                }
                if (document.querySelector(".o-live-FeedView")) {
                    throw new Error("the feed must not be loaded yet");
                }
            },
        },
        {
            content: "Reload the page",
            trigger: ".o-mail-MessagingMenu",
            run() {
                window.location.reload();
            },
        },
        {
            trigger: MESSAGING_MENU,
            run: "click",
        },
        {
            content: "Still kept after the reload",
            trigger:
                ".o-mail-NotificationItem:has(.o-live-MessagingMenu-feed):contains(1 new event on your topics)",
            run: "click",
        },
        {
            content: "The feed shows it, marked new",
            trigger: ".o-live-FeedView .o-live-TopicEvent.o-new:contains(tour-checkout)",
        },
        {
            content: "Once, and the history is empty",
            trigger: ".o-live-FeedView",
            run() {
                const shown = [...document.querySelectorAll(".o-live-FeedView .o-live-TopicEvent")]
                    .filter((el) => el.textContent.includes("tour-checkout"));
                if (shown.length !== 1) {
                    throw new Error(`expected the event once, found it ${shown.length} times`);
                }
                if (bridge().countSaved("live_messaging/events") !== 0) {
                    throw new Error("the history should be empty once delivered");
                }
            },
        },
    ],
});
