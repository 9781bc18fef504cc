import { click, contains, start, startServer } from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import {
    defineModels,
    fields,
    getService,
    models,
    serverState,
} from "@web/../tests/web_test_helpers";
import { createTeamRoom, defineLiveModels } from "../live_test_helpers";

describe.current.tags("desktop");
defineLiveModels();

class SaleOrder extends models.Model {
    _name = "sale.order";

    name = fields.Char();
    live_chat_unread_count = fields.Integer();

    _records = [{ id: 1, name: "S00042", live_chat_unread_count: 2 }];
    _views = {
        form: /* xml */ `
            <form>
                <sheet>
                    <div class="oe_button_box" name="button_box">
                        <button name="action_live_chat" type="object" class="oe_stat_button" icon="fa-comments">
                            <field name="live_chat_unread_count" widget="live_chat_button"/>
                        </button>
                    </div>
                    <field name="name"/>
                </sheet>
            </form>`,
        search: /* xml */ `<search/>`,
    };

    /** As live.chat.mixin: the record's room, created on first use. */
    action_live_chat(ids) {
        const Room = this.env["live.room"];
        let [room] = Room._filter([
            ["res_model", "=", "sale.order"],
            ["res_id", "=", ids[0]],
        ]);
        if (!room) {
            const roomId = Room.create({
                name: "S00042",
                room_type: "record",
                res_model: "sale.order",
                res_id: ids[0],
            });
            this.env["live.room.member"].create({ room_id: roomId, user_id: serverState.userId });
            [room] = Room.browse(roomId);
        }
        return {
            type: "ir.actions.client",
            tag: "live_messaging.open_room",
            params: { room_id: room.id },
        };
    }
}

defineModels([SaleOrder]);

function openOrder() {
    return getService("action").doAction({
        type: "ir.actions.act_window",
        res_model: "sale.order",
        res_id: 1,
        views: [[false, "form"]],
    });
}

test("the Chat button opens the order's room in the chat window, on the same screen", async () => {
    await startServer();
    await start();
    await openOrder();
    // before the room exists, the server's count (from the field)
    await contains(".o-live-ChatButtonField-unread", { text: "2 unread" });
    await click("button[name=action_live_chat]");
    await contains(".o-live-ChatWindow-title", { text: "S00042" });
    await contains(".o-live-ChatWindow .o-live-MessageList-empty");
    // the form is still there, under the window
    await contains(".o_form_view .o_field_widget[name=name]");
    expect(".o_breadcrumb").toHaveText("S00042");
});

test("the Chat button shows the room's unread count live", async () => {
    const pyEnv = await startServer();
    const { otherId, roomId } = createTeamRoom({ name: "S00042", count: 1 });
    pyEnv["live.room"].write([roomId], { room_type: "record", res_model: "sale.order", res_id: 1 });
    await start();
    await openOrder();
    // the store knows the room: its count wins over the field's
    await contains(".o-live-ChatButtonField-unread", { text: "1 unread" });
    pyEnv["live.room"]._post(roomId, otherId, "Delivery on Monday?");
    await contains(".o-live-ChatButtonField-unread", { text: "2 unread" });
    await click("button[name=action_live_chat]");
    await contains(".o-live-ChatWindow .o-live-Message", { count: 2 });
    await contains(".o-live-ChatButtonField-unread", { count: 0 });
    await contains(".o-live-ChatButtonField-open", { text: "Open room" });
});
