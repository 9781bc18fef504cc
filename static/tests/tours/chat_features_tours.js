import { registry } from "@web/core/registry";

/**
 * Tours of the chat features, run by tests/test_chat_features_tour.py with a
 * live bus: one user in the browser, the other played by the server.
 */

const tours = registry.category("web_tour.tours");

/** A 1x1 PNG, as a user would pick a photo. */
const PNG_BASE64 =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

function pickFile(input, name) {
    const bytes = Uint8Array.from(atob(PNG_BASE64), (char) => char.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], name, { type: "image/png" }));
    input.files = transfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
}

const BOBS = ".o-live-ChatApp .o-live-Message:contains(The delivery for Deco Addict is late)";
const MINE = ".o-live-ChatApp .o-live-Message:contains(the delivery photo)";

/** Alice: mention Bob with a picture, edit it, react to Bob, search. */
tours.add("live_messaging_chat_features", {
    steps: () => [
        {
            content: "Open the Team room in the Chat app",
            trigger: ".o-live-ChatApp .o-live-RoomList-item:contains(Team)",
            run: "click",
        },
        {
            content: "Point at Bob's message",
            trigger: BOBS,
            run: "hover",
        },
        {
            content: "React to it",
            trigger: `${BOBS} .o-live-MessageActions-react`,
            run: "click",
        },
        {
            trigger: `${BOBS} .o-live-MessageActions-quickReaction[data-emoji='👍']`,
            run: "click",
        },
        {
            content: "The reaction is there, mine",
            trigger: `${BOBS} .o-live-Reaction.o-mine:contains(1)`,
        },
        {
            content: "Type @ and the start of Bob's name",
            trigger: ".o-live-ChatApp .o-live-Composer-input",
            run: "edit @Bo",
        },
        {
            content: "Bob is proposed",
            trigger: ".o-live-MentionList-item:contains(Bob)",
            run: "click",
        },
        {
            content: "The list closed; go on writing",
            trigger: ".o-live-ChatApp .o-live-Composer:not(:has(.o-live-MentionList)) .o-live-Composer-input",
            run() {
                // typed after the mention, as a user goes on writing
                const input = document.querySelector(".o-live-ChatApp .o-live-Composer-input");
                input.value += "the delivery photo";
                input.dispatchEvent(new Event("input", { bubbles: true }));
            },
        },
        {
            content: "Attach a picture (what picking one in the file dialog does)",
            trigger: ".o-live-ChatApp .o-live-Composer-attach",
            run() {
                pickFile(
                    document.querySelector(".o-live-ChatApp .o-live-Composer-fileInput"),
                    "delivery.png",
                );
            },
        },
        {
            content: "The picture is uploaded and previewed",
            trigger: ".o-live-ChatApp .o-live-Composer .o-live-AttachmentImage img",
        },
        {
            trigger: ".o-live-ChatApp .o-live-Composer-send:enabled",
            run: "click",
        },
        {
            content: "Sent: the mention highlighted, the picture inline",
            trigger: `${MINE}:not(.o-live-Message-pending) .o-live-Mention:contains(@Bob)`,
        },
        {
            trigger: `${MINE}:not(.o-live-Message-pending) .o-live-AttachmentImage img`,
        },
        {
            trigger: `${MINE}:not(.o-live-Message-pending)`,
            run: "hover",
        },
        {
            content: "Edit it",
            trigger: `${MINE} .o-live-MessageActions-edit`,
            run: "click",
        },
        {
            trigger: ".o-live-MessageEditor-input",
            run: "edit @Bob the delivery photo, signed by the customer",
        },
        {
            trigger: ".o-live-MessageEditor-input",
            run: "press Enter",
        },
        {
            content: "Marked edited",
            trigger: `${MINE} .o-live-Message-body:contains(signed by the customer) .o-live-Message-edited`,
        },
        {
            content: "Search all the rooms",
            trigger: ".o-live-ChatApp-search",
            run: "click",
        },
        {
            trigger: ".o-live-SearchPanel-input",
            run: "edit delivery",
        },
        {
            content: "Both messages are found, the matches highlighted",
            trigger: ".o-live-SearchResult:contains(Deco Addict) .o-live-SearchMatch:contains(delivery)",
        },
        {
            trigger: ".o-live-SearchResult:contains(signed by the customer)",
        },
        {
            content: "Open the hit: its room, on the message",
            trigger: ".o-live-SearchResult:contains(Deco Addict)",
            run: "click",
        },
        {
            trigger: ".o-live-ChatApp .o-live-Message.o-live-Message-found:contains(Deco Addict)",
        },
    ],
});

/**
 * Bob, on another screen with the chat window closed: Alice mentions him with
 * a picture (a notification comes), he opens it, reacts; then she edits and
 * reacts too, all live.
 */
tours.add("live_messaging_chat_features_receive", {
    steps: () => [
        {
            content: "The mention is notified, the chat being closed",
            trigger:
                ".o-live-MentionNotification .o_notification_title:contains(Alice mentioned you in Team)",
            timeout: 30000,
        },
        {
            trigger: ".o-live-MentionNotification button:contains(Open)",
            run: "click",
        },
        {
            content: "The room opens on the message: his name highlighted, the picture inline",
            trigger:
                ".o-live-ChatWindow .o-live-Message:contains(here is the photo) .o-live-Mention-me:contains(@Bob)",
        },
        {
            trigger:
                ".o-live-ChatWindow .o-live-Message:contains(here is the photo) .o-live-AttachmentImage img",
        },
        {
            trigger: ".o-live-ChatWindow .o-live-Message:contains(here is the photo)",
            run: "hover",
        },
        {
            content: "React",
            trigger:
                ".o-live-ChatWindow .o-live-Message:contains(here is the photo) .o-live-MessageActions-react",
            run: "click",
        },
        {
            trigger:
                ".o-live-ChatWindow .o-live-Message:contains(here is the photo) .o-live-MessageActions-quickReaction[data-emoji='🎉']",
            run: "click",
        },
        {
            content: "Alice edits her message: it changes in place",
            trigger:
                ".o-live-ChatWindow .o-live-Message-body:contains(here is the signed photo) .o-live-Message-edited",
            timeout: 30000,
        },
        {
            content: "and reacts too",
            trigger: ".o-live-ChatWindow .o-live-Reaction:contains(🎉):contains(2)",
            timeout: 30000,
        },
        {
            content: "Her other message is deleted",
            trigger: ".o-live-ChatWindow .o-live-Message-deleted:contains(This message was deleted.)",
            timeout: 30000,
        },
    ],
});
