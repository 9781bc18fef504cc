"""The README's screenshots, taken in Odoo's headless Chrome on the demo data.

Not part of the test suite (its name does not start with ``test_``): run
``tools/take-screenshots``, which installs the addon with its demo data in a
database of its own, then runs this file. The PNGs land in
``static/description/``.
"""

import base64
from pathlib import Path
from unittest.mock import patch

from odoo.tests import HttpCase
from odoo.tests.common import ChromeBrowser

DESCRIPTION = Path(__file__).resolve().parents[1] / "static" / "description"

# Waits for what the page must show, then a moment for fonts and layout.
SCENE = """
(async () => {
    const env = odoo.__WOWL_DEBUG__.root.env;
    const chat = env.services["live_messaging.chat"];
    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    const until = async (selector, count = 1) => {
        for (let i = 0; i < 200; i++) {
            if (document.querySelectorAll(selector).length >= count) {
                return;
            }
            await sleep(100);
        }
        throw new Error(`never found ${count} of ${selector}`);
    };
    await chat.ensureRooms();
    %(scene)s
    await sleep(800);
    console.log("test successful");
})()
"""


class TestReadmeScreenshots(HttpCase):
    browser_size = "1366x768"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ref = cls.env.ref
        cls.admin = ref("base.user_admin")
        cls.general = ref("live_messaging.demo_room_general")
        cls.sales = ref("live_messaging.demo_room_sales")
        demo, lisa = ref("base.user_demo"), ref("live_messaging.user_demo_lisa")
        # a livelier morning than the demo data's: answers, and some unread
        for room, user, body in [
            (
                cls.general,
                lisa,
                "The new price list is live: quotes sent from now on use it.",
            ),
            (cls.general, cls.admin, "Great. Does it cover the office chairs too?"),
            (cls.general, lisa, "Yes, every product of the catalogue."),
            (
                cls.general,
                demo,
                "I'll resend the Deco Addict quote with the new prices.",
            ),
            (cls.sales, demo, "Gemini Furniture signed S00007!"),
            (cls.sales, demo, "Delivery planned for next Tuesday."),
        ]:
            room.with_user(user).live_post_message(body)
        # faces with presence, and a direct chat the other person has read
        for user in (demo, lisa):
            cls.env["bus.presence"].create({"user_id": user.id, "status": "online"})
        cls.direct = ref("live_messaging.demo_room_direct_admin_demo")
        cls.direct.with_user(cls.admin).live_post_message("Thanks Marc, 3 pm works.")
        cls.direct.with_user(demo).live_mark_seen()
        shop = ref("live_messaging.demo_topic_shop")
        for payload in (
            {"event": "checkout", "amount": 149.9},
            {"event": "refund", "amount": 20},
        ):
            shop.with_user(cls.admin).live_publish(payload)

    def shoot(self, url, scene, filename):
        """Open ``url`` as admin, play ``scene`` (JS), save a PNG of the page."""
        shots = []
        stop = ChromeBrowser.stop

        def capture_then_stop(browser):
            if browser.ws is not None and not shots:
                result = browser._websocket_request(
                    "Page.captureScreenshot", params={"format": "png"}, timeout=30
                )
                shots.append(base64.b64decode(result["data"]))
            stop(browser)

        with patch.object(ChromeBrowser, "stop", capture_then_stop):
            self.browser_js(
                url,
                SCENE % {"scene": scene},
                ready="odoo.isReady",
                login="admin",
                timeout=120,
            )
        self.assertTrue(shots and shots[0].startswith(b"\x89PNG"), "no screenshot")
        (DESCRIPTION / filename).write_bytes(shots[0])

    def test_messaging_menu(self):
        """The rooms in Discuss's messaging menu, with their unread counts."""
        self.shoot(
            "/odoo/action-sale.action_orders",
            """
            await until(".o_list_view, .o_kanban_view");
            document.querySelector(".o_menu_systray i[aria-label='Messages']").click();
            await until(".o-live-MessagingMenu-room", 4);
            await until(".o-mail-NotificationItem [data-status=online]");
            // Discuss's own items first (the demo's mail failures): show the rooms
            document.querySelector(".o-live-MessagingMenu-room")
                .closest(".o-mail-NotificationItem").scrollIntoView();
            """,
            "screenshot_messaging_menu.png",
        )

    def test_chat_window(self):
        """The chat window over the sale orders, on a direct chat: faces,
        presence, "Seen"."""
        self.shoot(
            "/odoo/action-sale.action_orders",
            f"""
            await until(".o_list_view, .o_kanban_view");
            await chat.openWindow({self.direct.id});
            await until(".o-live-ChatWindow .o-live-Message-seen.o-seen");
            await until(".o-live-ChatWindow-header [data-status=online]");
            """,
            "screenshot_chat_window.png",
        )

    def test_chat_app(self):
        """The Chat app on the General room, its members (faces, presence)
        open."""
        self.shoot(
            "/odoo/live-chat",
            f"""
            chat.updateApp({{ view: "room", roomId: {self.general.id} }});
            await until(".o-live-ChatApp .o-live-RoomView .o-live-Message", 7);
            document.querySelector(".o-live-RoomView-members").click();
            await until(".o-live-MemberList-member", 3);
            await until(".o-live-MemberList .o-live-ImStatus[data-status=online]", 3);
            """,
            "screenshot_chat_app.png",
        )

    def test_record_chat(self):
        """A sale order with its Chat button, and its room in the window."""
        order = self.env.ref("sale.sale_order_1")
        self.shoot(
            f"/odoo/action-sale.action_orders/{order.id}",
            """
            await until(".o_form_view button[name=action_live_chat]");
            document.querySelector("button[name=action_live_chat]").click();
            await until(".o-live-ChatWindow .o-live-Message", 1);
            """,
            "screenshot_record_chat.png",
        )

    def test_feed(self):
        """The Chat app's live feed of topic events: they were pushed while the
        app was closed (on the sale orders), so the bridge kept them and the
        feed marks them new."""
        shop = self.env.ref("live_messaging.demo_topic_shop")
        shop.with_user(self.admin).live_publish({"event": "checkout", "amount": 89.5})
        self.shoot(
            "/odoo/action-sale.action_orders",
            """
            await until(".o_list_view, .o_kanban_view");
            const bridge = env.services["live_messaging.bridge"];
            const saved = () => bridge.countSaved("live_messaging/events");
            for (let i = 0; i < 200 && saved() < 3; i++) {
                await sleep(100);
            }
            chat.updateApp({ view: "feed" });
            await env.services.action.doAction("live_messaging.live_chat_action");
            await until(".o-live-FeedView .o-live-TopicEvent.o-new", 3);
            """,
            "screenshot_feed.png",
        )

    def _chat_features(self):
        """A mention with a picture, reactions, an edit, in the General room."""
        ref = self.env.ref
        lisa, demo = ref("live_messaging.user_demo_lisa"), ref("base.user_demo")
        general = self.general
        sofa = ref("product.consu_delivery_01_product_template")
        photo = general.with_user(demo)._live_upload_attachment(
            "delivered-sofa.png", base64.b64decode(sofa.image_512)
        )
        delivered = general.with_user(demo).live_post_message(
            "@Mitchell Admin @Lisa Live the sofa is delivered, signed by Deco Addict",
            mention_ids=[self.admin.id, lisa.id],
            attachment_ids=photo.ids,
        )
        Message = self.env["live.message"]
        for user, emoji in ((lisa, "🎉"), (self.admin, "👍"), (lisa, "👍")):
            Message.browse(delivered["id"]).with_user(user).live_react(emoji)
        note = general.with_user(lisa).live_post_message("Invoice sent tomorow")
        Message.browse(note["id"]).with_user(lisa).live_edit(
            "Invoice sent tomorrow morning"
        )

    def test_chat_features(self):
        """Mentions (yours highlighted), a picture, reactions, "edited"."""
        self._chat_features()
        self.shoot(
            "/odoo/live-chat",
            f"""
            chat.updateApp({{ view: "room", roomId: {self.general.id} }});
            await until(".o-live-ChatApp .o-live-AttachmentImage img");
            await until(".o-live-ChatApp .o-live-Reaction", 2);
            const img = document.querySelector(".o-live-AttachmentImage img");
            for (let i = 0; i < 50 && !img.complete; i++) {{
                await sleep(100);
            }}
            document.querySelector(".o-live-MessageList").scrollTop = 1e6;
            """,
            "screenshot_chat_features.png",
        )

    def test_search(self):
        """The search across rooms, in the Chat app."""
        self._chat_features()
        self.shoot(
            "/odoo/live-chat",
            """
            chat.updateApp({ view: "search" });
            await until(".o-live-SearchPanel-input");
            const input = document.querySelector(".o-live-SearchPanel-input");
            input.value = "deliver";
            input.dispatchEvent(new Event("input", { bubbles: true }));
            const enter = { key: "Enter", bubbles: true };
            input.dispatchEvent(new KeyboardEvent("keydown", enter));
            await until(".o-live-SearchResult", 2);
            """,
            "screenshot_search.png",
        )
