import { registry } from "@web/core/registry";

const row = (name) => `.o_list_renderer .o_data_row:contains(${name})`;

/**
 * The user has the quotations list open with LIVE-TOUR-1 selected; meanwhile
 * (tests/test_live_records_tour.py) LIVE-TOUR-2 is confirmed and LIVE-TOUR-3
 * created elsewhere. The list shows both without a page reload, and the
 * selection is kept.
 */
registry.category("web_tour.tours").add("live_records_sale_order_list", {
    url: "/odoo/sales",
    steps: () => [
        {
            content: "The quotations are listed",
            trigger: `${row("LIVE-TOUR-2")} td[name=state]:contains(Quotation)`,
        },
        {
            content: "Select LIVE-TOUR-1",
            trigger: `${row("LIVE-TOUR-1")} .o_list_record_selector input`,
            run: "click",
        },
        {
            content: "Selected: mark this page and tell the test to change orders",
            trigger: `${row("LIVE-TOUR-1")} .o_list_record_selector input:checked`,
            run() {
                window.liveRecordsTourPage = true;
                // the test waits for this socket subscription (no data on it)
                odoo.__WOWL_DEBUG__.root.env.services.bus_service.addChannel(
                    "live_records_tour_ready"
                );
            },
        },
        {
            content: "LIVE-TOUR-2 was confirmed elsewhere",
            trigger: `${row("LIVE-TOUR-2")} td[name=state]:contains(Sales Order)`,
        },
        {
            content: "LIVE-TOUR-3 was created elsewhere",
            trigger: row("LIVE-TOUR-3"),
        },
        {
            content: "Two orders changed since the list was opened",
            trigger: ".o-live-LiveRecordsCounter-count:contains(2)",
            run() {
                if (!window.liveRecordsTourPage) {
                    throw new Error("The page was reloaded");
                }
                const checked = [
                    ...document.querySelectorAll(".o_data_row .o_list_record_selector input"),
                ].filter((input) => input.checked);
                const names = checked.map(
                    (input) => input.closest(".o_data_row").querySelector("td[name=name]").textContent
                );
                if (names.join() !== "LIVE-TOUR-1") {
                    throw new Error(`Selection lost: ${names.join() || "nothing"} selected`);
                }
            },
        },
    ],
});
