import { waitForChannels } from "@bus/../tests/bus_test_helpers";
import { click, contains, insertText, start, startServer } from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { waitUntil } from "@odoo/hoot-dom";
import { Component, xml } from "@odoo/owl";
import { registry } from "@web/core/registry";
import {
    getService,
    makeServerError,
    onRpc,
    serverState,
    withUser,
} from "@web/../tests/web_test_helpers";
import { createDirectRoom, createTeamRoom, defineLiveModels } from "../live_test_helpers";

describe.current.tags("desktop");
defineLiveModels();

const PRESENCE = "bus.bus/im_status_updated";

/** Another screen than the Chat app (the chat window steps aside in the app). */
class OtherScreen extends Component {
    static template = xml`<div class="o-test-PresenceOtherScreen">Another app</div>`;
    static props = ["*"];
}
registry.category("actions").add("live_messaging_test.presence_other_screen", OtherScreen);

function openApp() {
    return getService("action").doAction({ type: "ir.actions.client", tag: "live_messaging.chat_app" });
}

function partnerOf(pyEnv, userId) {
    return pyEnv["res.users"].browse(userId)[0].partner_id;
}

test("faces in the room list, beside messages and in the member list", async () => {
    const pyEnv = await startServer();
    const { otherId, roomId } = createTeamRoom({ count: 2 });
    const { partnerId: danaPartnerId } = createDirectRoom({ otherName: "Dana", count: 1 });
    pyEnv["live.room"]._post(roomId, serverState.userId, "Mine");
    const bobPartnerId = partnerOf(pyEnv, otherId);
    await start();
    await openApp();
    // the direct room: the other person's face; a group room: its initial
    await contains(".o-live-RoomList-item", {
        text: "Dana",
        contains: [[`img[data-src='/web/image/res.partner/${danaPartnerId}/avatar_128']`]],
    });
    await contains(".o-live-RoomList-item:has(.o-live-RoomList-name:contains(Team)) img[data-src^='data:image/svg+xml']");
    await click(".o-live-RoomList-item", { text: "Team" });
    await contains(".o-live-RoomView-header img[data-src^='data:image/svg+xml']");
    // one face per group of messages of one author
    await contains(".o-live-Message", { count: 3 });
    await contains(".o-live-Message-avatar", { count: 2 });
    await contains(
        `.o-live-Message:has(.o-live-Message-author:contains(Bob)) .o-live-Message-avatar img[data-src='/web/image/res.partner/${bobPartnerId}/avatar_128']`
    );
    await contains(
        `.o-live-Message-avatar img[data-src='/web/image/res.partner/${serverState.partnerId}/avatar_128']`
    );
    // the member list: faces and presence, present people first
    await click(".o-live-RoomView-members");
    await contains(".o-live-MemberList-member", { count: 2 });
    await contains(".o-live-MemberList-member", {
        text: "Bob",
        contains: [
            [`img[data-src='/web/image/res.partner/${bobPartnerId}/avatar_128']`],
            [".o-live-MemberList-status", { text: "Offline" }],
        ],
    });
    // oneself: online, since this tab is open; present people first
    await contains(
        `.o-live-MemberList-member[data-user-id='${serverState.userId}'] .o-live-MemberList-status`,
        { text: "Online" }
    );
    const order = [...document.querySelectorAll(".o-live-MemberList-member")].map((el) =>
        Number(el.dataset.userId)
    );
    expect(order).toEqual([serverState.userId, otherId]);
});

test("presence comes from Odoo's presence channels and follows the bus", async () => {
    const pyEnv = await startServer();
    const { partnerId, roomId } = createDirectRoom({ otherName: "Dana", imStatus: "away" });
    const { otherId: bobId } = createTeamRoom();
    await start();
    await openApp();
    await click(".o-live-RoomList-item", { text: "Dana" });
    await contains(".o-live-RoomView-presence", { text: "Away" });
    await contains(".o-live-RoomList-item .o-live-ImStatus[data-status='away']");
    // the socket follows the person shown, as Discuss does
    await waitForChannels([`odoo-presence-res.partner_${partnerId}`]);
    pyEnv["bus.bus"]._sendone(`odoo-presence-res.partner_${partnerId}`, PRESENCE, {
        partner_id: partnerId,
        im_status: "online",
    });
    await contains(".o-live-RoomView-presence", { text: "Online" });
    await contains(".o-live-RoomView-header .o-live-Avatar .o-live-ImStatus[data-status='online']");
    pyEnv["bus.bus"]._sendone(`odoo-presence-res.partner_${partnerId}`, PRESENCE, {
        partner_id: partnerId,
        im_status: "offline",
    });
    await contains(".o-live-RoomView-presence", { text: "Offline" });
    // someone else's presence changes nothing here (and one not followed is ignored)
    const bobPartnerId = partnerOf(pyEnv, bobId);
    pyEnv["bus.bus"]._sendone("broadcast", PRESENCE, {
        partner_id: bobPartnerId,
        im_status: "online",
    });
    expect(getService("live_messaging.presence").statuses[bobPartnerId]).toBe(undefined);
    // the chat window's title bar shows the face and presence too (on another
    // screen: the window steps aside while the Chat app is open)
    await getService("action").doAction({
        type: "ir.actions.client",
        tag: "live_messaging_test.presence_other_screen",
    });
    await contains(".o-test-PresenceOtherScreen");
    await getService("live_messaging.chat").openWindow(roomId);
    await contains(".o-live-ChatWindow-header .o-live-ImStatus[data-status='offline']");
});

test('"Sent", then "Seen" when the other person read it, in a direct room', async () => {
    const pyEnv = await startServer();
    const { otherId, roomId } = createDirectRoom({ otherName: "Dana", count: 1 });
    await start();
    await getService("live_messaging.chat").openWindow(roomId);
    await contains(".o-live-Message", { count: 1 });
    await insertText(".o-live-Composer-input", "Did you see this?");
    await click(".o-live-Composer-send");
    await contains(".o-live-Message:has(.o-live-Message-body:contains(Did you see this?)) .o-live-Message-seen", {
        text: "Sent",
    });
    await contains(".o-live-Message-seen", { count: 1 });
    // Dana reads it: her read cursor is pushed to the room
    withUser(otherId, () => pyEnv["live.room"].live_mark_seen([roomId]));
    await contains(".o-live-Message-seen.o-seen", { text: "Seen" });
    // she answers: nothing to say under a message that is not the user's
    pyEnv["live.room"]._post(roomId, otherId, "Yes!");
    await contains(".o-live-Message", { count: 3 });
    await contains(".o-live-Message-seen", { count: 0 });
});

test("no read receipts in group rooms", async () => {
    const pyEnv = await startServer();
    const { otherId, roomId } = createTeamRoom({ count: 1 });
    await start();
    await getService("live_messaging.chat").openWindow(roomId);
    await insertText(".o-live-Composer-input", "To the team");
    await click(".o-live-Composer-send");
    await contains(".o-live-Message:not(.o-live-Message-pending)", { text: "To the team" });
    withUser(otherId, () => pyEnv["live.room"].live_mark_seen([roomId]));
    await contains(".o-live-Message-seen", { count: 0 });
});

test("presence that cannot be read leaves the rooms' statuses shown, without error", async () => {
    await startServer();
    const { roomId } = createDirectRoom({ otherName: "Dana", imStatus: "away" });
    let presenceReads = 0;
    onRpc("res.partner", "read", () => {
        presenceReads++;
        throw makeServerError({ type: "AccessError", description: "Another company" });
    });
    await start();
    await getService("live_messaging.chat").openWindow(roomId);
    await contains(".o-live-ChatWindow-header .o-live-ImStatus[data-status='away']");
    await waitUntil(() => presenceReads === 1);
    await contains(".o_error_dialog", { count: 0 });
});
