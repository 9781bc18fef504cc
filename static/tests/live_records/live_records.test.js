import { describe, expect, test } from "@odoo/hoot";
import { queryAll, queryAllTexts, queryFirst, waitUntil } from "@odoo/hoot-dom";
import { advanceTime, animationFrame, Deferred } from "@odoo/hoot-mock";
import {
    authenticate,
    contains,
    defineActions,
    defineModels,
    fields,
    getService,
    makeMockServer,
    models,
    MockServer,
    mountView,
    mountWithCleanup,
    onRpc,
    patchWithCleanup,
    serverState,
} from "@web/../tests/web_test_helpers";
import { session } from "@web/session";
import { WebClient } from "@web/webclient/webclient";
import { LiveReloadScheduler } from "@live_messaging/live_records/live_reload_scheduler";
import { defineLiveModels } from "../live_test_helpers";

describe.current.tags("desktop");

class LiveOrder extends models.Model {
    _name = "live.order";

    name = fields.Char();
    state = fields.Selection({
        selection: [
            ["draft", "Quotation"],
            ["sale", "Sales Order"],
        ],
    });
    amount = fields.Integer();

    _views = {
        "list,false": `<list><field name="name"/><field name="state"/></list>`,
        "search,false": `<search/>`,
    };

    _records = [
        { id: 1, name: "S001", state: "draft", amount: 10 },
        { id: 2, name: "S002", state: "draft", amount: 20 },
        { id: 3, name: "S003", state: "sale", amount: 30 },
    ];
}

class QuietOrder extends models.Model {
    _name = "quiet.order";

    name = fields.Char();

    _views = {
        "list,false": `<list><field name="name"/></list>`,
        "search,false": `<search/>`,
    };

    _records = [{ id: 1, name: "Q001" }];
}

// mail is installed with sale and the chat systray is in every web client: their
// services run beside the bus in the test env
defineLiveModels();
defineModels([LiveOrder, QuietOrder]);
defineActions([
    {
        id: 1,
        name: "Orders",
        type: "ir.actions.act_window",
        res_model: "live.order",
        views: [[false, "list"]],
    },
    {
        id: 2,
        name: "Quiet",
        type: "ir.actions.act_window",
        res_model: "quiet.order",
        views: [[false, "list"]],
    },
]);

const LIST_ARCH = `
    <list editable="bottom">
        <field name="name"/>
        <field name="state"/>
        <field name="amount"/>
    </list>`;

/**
 * Steps the live watch RPCs and the loads (web_search_read, web_read_group);
 * with `counted`, loads are counted in the returned object instead.
 */
function stepLiveCalls({ counted = false, unwatch = false } = {}) {
    const counts = { loads: 0 };
    const stepLoad = (step) => (counted ? counts.loads++ : expect.step(step));
    onRpc("live.record.watch", "live_watch", ({ args }) => {
        expect.step(`watch ${args[0].join(",")}`);
        return { models: args[0], heartbeat: 60 };
    });
    onRpc("live.record.watch", "live_unwatch", ({ args }) => {
        if (unwatch) {
            expect.step(`unwatch ${args[0].join(",")}`);
        }
        return true;
    });
    onRpc("web_search_read", ({ model }) => {
        stepLoad(`load ${model}`);
    });
    onRpc("web_read_group", ({ model }) => {
        stepLoad(`load groups ${model}`);
    });
    return counts;
}

let sent = 0;
let delivered = 0;
let countedBus = null;

/**
 * What the server sends on commit, to the current user's partner. The
 * websocket delivers it asynchronously: see `pushed()`.
 */
function sendPush(payload) {
    const bus = getService("bus_service");
    if (countedBus !== bus) {
        countedBus = bus;
        bus.subscribe("live_messaging/records", () => delivered++);
    }
    const { env } = MockServer;
    const [partner] = env["res.partner"].read(serverState.partnerId);
    env["bus.bus"]._sendone(partner, "live_messaging/records", {
        model: "live.order",
        created: [],
        updated: [],
        deleted: [],
        ...payload,
    });
    sent++;
}

/** Wait until the web client got every notification sent so far. */
async function pushed() {
    await waitUntil(() => delivered >= sent, { timeout: 2000 });
}

async function push(payload) {
    sendPush(payload);
    await pushed();
}

/** Let the debounced reload happen and the view render. */
async function settle(ms = 1100) {
    await advanceTime(ms);
    await animationFrame();
    await animationFrame();
}

/** Make `models` live, and log in (the bus delivers to logged-in users). */
async function makeLive(...models) {
    sent = delivered = 0;
    patchWithCleanup(session, { live_record_models: models });
    const { env } = await makeMockServer();
    const [user] = env["res.users"].search_read([["id", "=", serverState.userId]]);
    authenticate(user.login, user.password);
}

describe("reload scheduler", () => {
    test("a burst of 200 changes gives one reload", async () => {
        let reloads = 0;
        const scheduler = new LiveReloadScheduler({ reload: async () => reloads++ });
        for (let i = 0; i < 200; i++) {
            scheduler.schedule();
        }
        await advanceTime(5000);
        expect(reloads).toBe(1);
        scheduler.destroy();
    });

    test("200 changes over two seconds: a reload per second at most", async () => {
        let reloads = 0;
        const scheduler = new LiveReloadScheduler({ reload: async () => reloads++ });
        for (let i = 0; i < 200; i++) {
            setTimeout(() => scheduler.schedule(), i * 10);
        }
        await advanceTime(1100);
        // still refreshing during a long burst, not only once it is over
        expect(reloads).toBe(1);
        await advanceTime(5000);
        expect(reloads).toBeGreaterThan(1);
        expect(reloads).toBeLessThan(4);
        scheduler.destroy();
    });

    test("waits while editing, then reloads once", async () => {
        let reloads = 0;
        let editing = true;
        const scheduler = new LiveReloadScheduler({
            reload: async () => reloads++,
            canReload: () => !editing,
        });
        scheduler.schedule();
        scheduler.schedule();
        await advanceTime(10000);
        expect(reloads).toBe(0);
        editing = false;
        await advanceTime(600);
        expect(reloads).toBe(1);
        await advanceTime(5000);
        expect(reloads).toBe(1);
        scheduler.destroy();
    });

    test("a reload that could not be applied is tried again", async () => {
        const results = [false, true];
        let reloads = 0;
        const scheduler = new LiveReloadScheduler({
            reload: async () => {
                reloads++;
                return results.shift();
            },
        });
        scheduler.schedule();
        await advanceTime(5000);
        expect(reloads).toBe(2);
        scheduler.destroy();
        scheduler.schedule();
        await advanceTime(5000);
        expect(reloads).toBe(2, { message: "nothing after destroy" });
    });
});

describe("live list", () => {
    test("refreshes in place, keeps the selection, highlights and counts", async () => {
        await makeLive("live.order");
        stepLiveCalls();
        await mountView({ resModel: "live.order", type: "list", arch: LIST_ARCH });
        expect.verifySteps(["load live.order", "watch live.order"]);
        expect(".o-live-LiveRecordsCounter").toHaveCount(1);
        expect(".o-live-LiveRecordsCounter-count").toHaveCount(0);

        await contains(".o_data_row:eq(0) .o_list_record_selector input").click();
        expect(".o_data_row:eq(0) .o_list_record_selector input").toBeChecked();

        // another user confirms S002 and creates S004
        MockServer.env["live.order"].write([2], { state: "sale" });
        const newId = MockServer.env["live.order"].create({ name: "S004", state: "draft" });
        await push({ created: [newId], updated: [2] });
        await settle();
        expect.verifySteps(["load live.order"]);
        expect(queryAllTexts(".o_data_row td[name=name]")).toEqual([
            "S001",
            "S002",
            "S003",
            "S004",
        ]);
        expect(".o_data_row:eq(1) td[name=state]").toHaveText("Sales Order");
        expect(".o_data_row:eq(0) .o_list_record_selector input").toBeChecked();
        expect(".o_data_row .o_list_record_selector input:checked").toHaveCount(1);
        expect(".o-live-LiveRecordsCounter-count").toHaveText("2");
        expect(".o_data_row:eq(3)").toHaveClass("o-live-record-new");
        expect(".o_data_row:eq(1)").toHaveClass("o-live-record-changed");
        expect(".o_data_row:eq(2)").not.toHaveClass("o-live-record-changed");
        await advanceTime(3100);
        expect(".o-live-record-new, .o-live-record-changed").toHaveCount(0);

        // a deletion removes the row; the counter counts distinct records
        MockServer.env["live.order"].unlink([3]);
        await push({ deleted: [3], updated: [2] });
        await settle();
        expect.verifySteps(["load live.order"]);
        expect(queryAllTexts(".o_data_row td[name=name]")).toEqual(["S001", "S002", "S004"]);
        expect(".o-live-LiveRecordsCounter-count").toHaveText("3");
        await contains(".o-live-LiveRecordsCounter").click();
        expect(".o-live-LiveRecordsCounter-count").toHaveCount(0);
    });

    test("a burst of 200 pushes gives at most a few reloads", async () => {
        await makeLive("live.order");
        const counts = stepLiveCalls({ counted: true });
        await mountView({ resModel: "live.order", type: "list", arch: LIST_ARCH });
        expect.verifySteps(["watch live.order"]);
        expect(counts.loads).toBe(1);
        // 200 changes, each its own transaction, committed at once
        for (let i = 0; i < 200; i++) {
            MockServer.env["live.order"].write([1], { amount: i });
            sendPush({ updated: [1] });
        }
        await pushed();
        await settle(3000);
        expect(counts.loads).toBe(2, { message: "one reload" });
        expect(".o_data_row:eq(0) td[name=amount]").toHaveText("199");
        expect(".o-live-LiveRecordsCounter-count").toHaveText("1");
        // 200 more over two seconds: about one reload a second
        for (let i = 0; i < 200; i++) {
            MockServer.env["live.order"].write([2], { amount: 1000 + i });
            sendPush({ updated: [2] });
            if (i % 10 === 9) {
                await pushed();
                await advanceTime(100);
            }
        }
        await settle(5000);
        expect(counts.loads - 2).toBeGreaterThan(1);
        expect(counts.loads - 2).toBeLessThan(5);
        expect(".o_data_row:eq(1) td[name=amount]").toHaveText("1,199");
        expect(".o-live-LiveRecordsCounter-count").toHaveText("2");
    });

    test("never reloads under a row being edited; applies after save", async () => {
        await makeLive("live.order");
        stepLiveCalls();
        await mountView({ resModel: "live.order", type: "list", arch: LIST_ARCH });
        expect.verifySteps(["load live.order", "watch live.order"]);
        await contains(".o_data_row:eq(0) td[name=name]").click();
        await contains(".o_data_row:eq(0) td[name=name] input").edit("S001 edited", {
            confirm: false,
        });
        MockServer.env["live.order"].create({ name: "S005" });
        await push({ created: [4] });
        await settle(5000);
        expect.verifySteps([]);
        expect(".o_data_row:eq(0) td[name=name] input").toHaveValue("S001 edited");
        expect(".o_data_row").toHaveCount(3);
        await contains(".o_list_button_save").click();
        await settle();
        expect.verifySteps(["load live.order"]);
        expect(queryAllTexts(".o_data_row td[name=name]")).toEqual([
            "S001 edited",
            "S002",
            "S003",
            "S005",
        ]);
    });

    test("a row edited while a refresh is on its way is kept", async () => {
        await makeLive("live.order");
        stepLiveCalls();
        let blocked = null;
        onRpc("web_search_read", async () => {
            if (blocked) {
                expect.step("server busy");
                await blocked;
            }
        });
        await mountView({ resModel: "live.order", type: "list", arch: LIST_ARCH });
        expect.verifySteps(["load live.order", "watch live.order"]);
        blocked = new Deferred();
        MockServer.env["live.order"].create({ name: "S006" });
        await push({ created: [4] });
        await settle(300);
        expect.verifySteps(["server busy"]); // the refresh waits for the server
        await contains(".o_data_row:eq(0) td[name=name]").click();
        await contains(".o_data_row:eq(0) td[name=name] input").edit("typed meanwhile", {
            confirm: false,
        });
        blocked.resolve();
        blocked = null;
        await settle(3000);
        expect.verifySteps(["load live.order"]); // answered, but not applied
        expect(".o_data_row:eq(0) td[name=name] input").toHaveValue("typed meanwhile");
        expect(".o_data_row").toHaveCount(3);
        await contains(".o_list_button_save").click();
        await settle();
        expect.verifySteps(["load live.order"]);
        expect(queryAllTexts(".o_data_row td[name=name]")).toEqual([
            "typed meanwhile",
            "S002",
            "S003",
            "S006",
        ]);
        expect(".o_data_row:eq(3)").toHaveClass("o-live-record-new");
    });

    test("grouped: records change groups and leave the domain", async () => {
        await makeLive("live.order");
        stepLiveCalls();
        await mountView({
            resModel: "live.order",
            type: "list",
            arch: LIST_ARCH,
            groupBy: ["state"],
            domain: [["amount", "<", 100]],
        });
        await contains(".o_group_header:eq(0)").click();
        await contains(".o_group_header:eq(1)").click();
        expect(queryAllTexts(".o_group_header .o_group_name")).toEqual([
            "Quotation (2)",
            "Sales Order (1)",
        ]);
        expect.verifySteps([
            "load groups live.order",
            "watch live.order",
            "load live.order",
            "load live.order",
        ]);
        MockServer.env["live.order"].write([1], { state: "sale" });
        MockServer.env["live.order"].write([3], { amount: 500 });
        await push({ updated: [1, 3] });
        await settle();
        expect.verifySteps(["load groups live.order", "load live.order", "load live.order"]);
        expect(queryAllTexts(".o_group_header .o_group_name")).toEqual([
            "Quotation (1)",
            "Sales Order (1)",
        ]);
        // open groups stay open
        expect(queryAllTexts(".o_data_row td[name=name]")).toEqual(["S002", "S001"]);
    });

    test("only for live models; stops watching when closed", async () => {
        await makeLive("live.order");
        stepLiveCalls({ unwatch: true });
        await mountWithCleanup(WebClient);
        await getService("action").doAction(1);
        expect.verifySteps(["load live.order", "watch live.order"]);
        expect(".o-live-LiveRecordsCounter").toHaveCount(1);
        await getService("action").doAction(2);
        expect.verifySteps(["load quiet.order", "unwatch live.order"]);
        expect(".o-live-LiveRecordsCounter").toHaveCount(0);
        // a change of the closed view's model reloads nothing
        await push({ updated: [1] });
        await settle();
        expect.verifySteps([]);
    });
});

describe("live kanban", () => {
    const KANBAN_ARCH = `
        <kanban>
            <templates>
                <t t-name="card"><field name="name"/></t>
            </templates>
        </kanban>`;

    test("new cards enter, deleted ones leave", async () => {
        await makeLive("live.order");
        stepLiveCalls();
        await mountView({ resModel: "live.order", type: "kanban", arch: KANBAN_ARCH });
        expect.verifySteps(["load live.order", "watch live.order"]);
        const newId = MockServer.env["live.order"].create({ name: "S009" });
        MockServer.env["live.order"].unlink([1]);
        await push({ created: [newId], deleted: [1] });
        await settle();
        expect.verifySteps(["load live.order"]);
        expect(queryAllTexts(".o_kanban_record:not(.o_kanban_ghost)")).toEqual([
            "S002",
            "S003",
            "S009",
        ]);
        expect(queryFirst(".o_kanban_record:contains(S009)")).toHaveClass("o-live-record-new");
        expect(".o-live-LiveRecordsCounter-count").toHaveText("2");
        expect(queryAll(".o_kanban_record.o-live-record-changed")).toHaveLength(0);
    });
});
