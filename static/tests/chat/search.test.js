import { click, contains, insertText, start, startServer } from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { advanceTime } from "@odoo/hoot-mock";
import { getService, onRpc } from "@web/../tests/web_test_helpers";
import { createTeamRoom } from "../live_test_helpers";
import { defineLiveFeatureModels } from "./chat_features_helpers";

describe.current.tags("desktop");
defineLiveFeatureModels();

function createRooms(pyEnv) {
    const team = createTeamRoom({ otherName: "Bob" });
    const sales = createTeamRoom({ name: "Sales", otherName: "Dan" });
    const post = (room, body) => pyEnv["live.room"]._post(room.roomId, room.otherId, body);
    post(team, "The invoice for Deco Addict is ready");
    post(team, "Lunch?");
    post(sales, "Which INVOICE number?");
    return { team, sales };
}

test("search across one's rooms, on the server; a hit opens its room on the message", async () => {
    const pyEnv = await startServer();
    const { team, sales } = createRooms(pyEnv);
    onRpc("live.room", "live_search_messages", ({ args }) => {
        expect.step(`search ${JSON.stringify(args)}`);
    });
    await start();
    await getService("action").doAction("live_messaging.chat_app");
    await click(".o-live-ChatApp-search");
    await contains(".o-live-SearchPanel-hint");
    await insertText(".o-live-SearchPanel-input", "invoice");
    await advanceTime(400);
    await contains(".o-live-SearchResult", { count: 2 });
    expect.verifySteps([`search [[],"invoice"]`]);
    // newest first, with the room, the match highlighted
    const rooms = [...document.querySelectorAll(".o-live-SearchResult-room")].map((el) => el.textContent);
    expect(rooms).toEqual(["Sales", "Team"]);
    await contains(".o-live-SearchResult .o-live-SearchMatch", { text: "INVOICE" });
    await contains(".o-live-SearchResult .o-live-SearchMatch", { text: "invoice" });
    await click(".o-live-SearchResult", { contains: [".o-live-SearchResult-room", { text: "Team" }] });
    await contains(`.o-live-ChatApp .o-live-RoomView[data-room-id='${team.roomId}']`);
    await contains(".o-live-Message.o-live-Message-found", { text: "The invoice for Deco Addict is ready" });
    expect(sales.roomId).not.toBe(team.roomId);
});

test("nothing is searched under 2 characters; no hit is said", async () => {
    const pyEnv = await startServer();
    createRooms(pyEnv);
    onRpc("live.room", "live_search_messages", () => expect.step("search"));
    await start();
    await getService("action").doAction("live_messaging.chat_app");
    await click(".o-live-ChatApp-search");
    await insertText(".o-live-SearchPanel-input", "i");
    await advanceTime(400);
    await contains(".o-live-SearchPanel-hint");
    expect.verifySteps([]);
    await insertText(".o-live-SearchPanel-input", "zzz", { replace: true });
    await advanceTime(400);
    await contains(".o-live-SearchPanel-empty", { text: "No message found." });
    expect.verifySteps(["search"]);
});

test("search in a room from its header; older hits page by page", async () => {
    const pyEnv = await startServer();
    const { team } = createRooms(pyEnv);
    for (let index = 1; index <= 25; index++) {
        pyEnv["live.room"]._post(team.roomId, team.otherId, `report ${index}`);
    }
    onRpc("live.room", "live_search_messages", ({ args, kwargs }) => {
        expect.step(`search ${JSON.stringify(args)} before=${kwargs.before}`);
    });
    await start();
    const chat = getService("live_messaging.chat");
    chat.updateApp({ view: "room", roomId: team.roomId });
    await getService("action").doAction("live_messaging.chat_app");
    await click(".o-live-RoomView-search");
    await insertText(".o-live-SearchPanel-input", "report");
    await advanceTime(400);
    await contains(".o-live-SearchResult", { count: 20 });
    await contains(".o-live-SearchResult-room", { count: 0 });
    const newest = document.querySelector(".o-live-SearchResult");
    expect(newest.textContent).toInclude("report 25");
    await click(".o-live-SearchPanel-more");
    await contains(".o-live-SearchResult", { count: 25 });
    await contains(".o-live-SearchPanel-more", { count: 0 });
    // the next page: hits before the oldest one shown ("report 6")
    const [report6] = pyEnv["live.message"].search([["body", "=", "report 6"]]);
    expect.verifySteps([
        `search [[${team.roomId}],"report"] before=null`,
        `search [[${team.roomId}],"report"] before=${report6}`,
    ]);
    await click(".o-live-SearchPanel-close");
    await contains(".o-live-SearchPanel", { count: 0 });
});
