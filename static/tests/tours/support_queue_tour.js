import { registry } from "@web/core/registry";

/**
 * An agent works from the Support Queue screen (tests/test_support_tour.py):
 * the server plays the visitors and the other agent.
 */
registry.category("web_tour.tours").add("live_messaging_support_claim", {
    steps: () => [
        {
            content: "The waiting visitor is listed with the first message",
            trigger:
                ".o-live-SupportQueue-visitor:has(.o-live-SupportQueue-name:contains(Vic Visitor)):has(.o-live-SupportQueue-first:contains(Where is my parcel?))",
        },
        {
            content: "A visitor who joins now appears without reload",
            trigger: ".o-live-SupportQueue-visitor .o-live-SupportQueue-name:contains(Lou Late)",
        },
        {
            content: "The visitor another agent claimed is gone from the queue",
            trigger: ".o-live-SupportQueue:not(:has(.o-live-SupportQueue-name:contains(Tim Taken)))",
        },
        {
            content: "Claim Vic",
            trigger:
                ".o-live-SupportQueue-visitor:has(.o-live-SupportQueue-name:contains(Vic Visitor)) .o-live-SupportQueue-claim",
            run: "click",
        },
        {
            content: "Vic left the queue and the chat opened with the history",
            trigger:
                ".o-live-SupportQueue:not(:has(.o-live-SupportQueue-name:contains(Vic Visitor))) .o-live-SupportQueue-main .o-live-Message:contains(Where is my parcel?)",
        },
        {
            trigger: ".o-live-SupportQueue-main .o-live-Composer-input",
            run: "edit Hello Vic, let me check",
        },
        {
            trigger: ".o-live-SupportQueue-main .o-live-Composer-input",
            run: "press Enter",
        },
        {
            content: "The reply is posted",
            trigger:
                ".o-live-SupportQueue-main .o-live-Message:not(.o-live-Message-pending):contains(Hello Vic, let me check)",
        },
    ],
});
