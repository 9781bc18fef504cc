import { click, contains, start, startServer } from "@mail/../tests/mail_test_helpers";
import { describe, test } from "@odoo/hoot";
import { Component, xml } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { getService } from "@web/../tests/web_test_helpers";
import { createTeamRoom, defineLiveModels } from "../live_test_helpers";

describe.current.tags("desktop");
defineLiveModels();

/** Another screen than the Chat app. */
class OtherScreen extends Component {
    static template = xml`<div class="o-test-OtherScreen">Another app</div>`;
    static props = ["*"];
}
registry.category("actions").add("live_messaging_test.other_screen", OtherScreen);

test("the chat window steps aside while the Chat app is on screen", async () => {
    await startServer();
    const { roomId } = createTeamRoom({ count: 1 });
    await start();
    await getService("live_messaging.chat").openWindow(roomId);
    await contains(".o-live-ChatWindow .o-live-Composer-send");
    await getService("action").doAction({
        type: "ir.actions.client",
        tag: "live_messaging.chat_app",
    });
    await click(".o-live-ChatApp-sidebar .o-live-RoomList-item", { text: "Team" });
    // the app's own composer is there, and nothing floats over it
    await contains(".o-live-ChatApp-main .o-live-Composer-send");
    await contains(".o-live-ChatWindow", { count: 0 });
    // leaving the app brings the window back, as it was
    await getService("action").doAction({
        type: "ir.actions.client",
        tag: "live_messaging_test.other_screen",
    });
    await contains(".o-test-OtherScreen");
    await contains(".o-live-ChatWindow .o-live-ChatWindow-title", { text: "Team" });
});
