import { click, contains, scroll, start, startServer } from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { getService, onRpc } from "@web/../tests/web_test_helpers";
import { createTeamRoom, defineLiveModels } from "../live_test_helpers";

describe.current.tags("desktop");
defineLiveModels();

test("scrolling up loads older history page by page", async () => {
    await startServer();
    const { roomId } = createTeamRoom({ count: 75 });
    onRpc("live.room", "live_fetch_messages", ({ kwargs }) => {
        expect.step(`before=${kwargs.before ?? "none"} limit=${kwargs.limit}`);
    });
    await start();
    await getService("live_messaging.chat").openWindow(roomId);
    // the newest page, at the bottom
    await contains(".o-live-Message", { count: 30 });
    await contains(".o-live-Message-body", { text: "Message 75" });
    await contains(".o-live-MessageList", { scroll: "bottom" });
    const ids = [...document.querySelectorAll(".o-live-Message")].map((el) =>
        Number(el.dataset.messageId)
    );
    await scroll(".o-live-MessageList", 0);
    await contains(".o-live-Message", { count: 60 });
    await scroll(".o-live-MessageList", 0);
    await contains(".o-live-Message", { count: 75 });
    await contains(".o-live-Message-body", { text: "Message 1" });
    // everything is there: no more paging
    await contains(".o-live-MessageList-loadOlder", { count: 0 });
    const firstPageOldest = Math.min(...ids);
    expect.verifySteps([
        "before=none limit=30",
        `before=${firstPageOldest} limit=30`,
        `before=${firstPageOldest - 30} limit=30`,
    ]);
    // oldest first, without duplicates
    const seqs = [...document.querySelectorAll(".o-live-Message-body")].map((el) =>
        Number(el.textContent.replace("Message ", ""))
    );
    expect(seqs).toEqual(Array.from({ length: 75 }, (_, index) => index + 1));
});

test("loading older messages keeps the reading position", async () => {
    await startServer();
    const { roomId } = createTeamRoom({ count: 45 });
    await start();
    await getService("live_messaging.chat").openWindow(roomId);
    await contains(".o-live-Message", { count: 30 });
    await contains(".o-live-MessageList-loadOlder");
    const list = document.querySelector(".o-live-MessageList");
    const anchor = [...list.querySelectorAll(".o-live-Message-body")].find(
        (el) => el.textContent === "Message 16"
    );
    await scroll(".o-live-MessageList", 0);
    await contains(".o-live-Message", { count: 45 });
    // "Message 16" stays in view: the older page went above it
    const listTop = list.getBoundingClientRect().top;
    const anchorTop = anchor.getBoundingClientRect().top;
    expect(anchorTop - listTop).toBeGreaterThan(-5);
    expect(list.scrollTop).toBeGreaterThan(0);
});

test("messages of others appear live; bodies are text, never HTML", async () => {
    const pyEnv = await startServer();
    const { otherId, roomId } = createTeamRoom({ count: 1 });
    await start();
    await getService("live_messaging.chat").openWindow(roomId);
    await contains(".o-live-Message", { count: 1 });
    // stored and pushed escaped (the body contract): shown exactly as typed
    const typed = "<b>bold?</b> <img src=x onerror=alert(1)> a<b <3 &amp; &lt;";
    pyEnv["live.room"]._post(roomId, otherId, typed);
    await contains(".o-live-Message-body", { text: typed });
    expect(".o-live-Message-body b").toHaveCount(0);
    expect(".o-live-Message-body img").toHaveCount(0);
    // a message seen twice (pushed again after a reconnection) is shown once
    const [last] = pyEnv["live.message"]._format(
        pyEnv["live.message"].search([["room_id", "=", roomId]]).slice(-1)
    );
    pyEnv["bus.bus"]._sendone("broadcast", "live_messaging/message", last);
    pyEnv["live.room"]._post(roomId, otherId, "after the duplicate");
    await contains(".o-live-Message", { count: 3 });
    // the room list's preview shows the last one as typed too
    pyEnv["live.room"]._post(roomId, otherId, "x<y & z");
    await contains(".o-live-Message", { count: 4 });
    await click(".o-live-ChatWindow-back");
    await contains(".o-live-RoomList-preview", { text: "Bob: x<y & z" });
});
