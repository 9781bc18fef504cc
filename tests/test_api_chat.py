import base64
import json
from urllib.parse import quote

from odoo.tests import tagged

from odoo.addons.bus.models.bus import channel_with_db, json_dump

from .common_api import LiveApiCase
from .test_attachments import PDF, PNG


@tagged("post_install", "-at_install")
class TestApiChat(LiveApiCase):
    """Mentions, files, edit and delete, reactions and search through
    /live/api/v1, as an external app; and the web routes of the files
    (/web/content, /web/image) for members and strangers."""

    def messages_url(self, room=None):
        return f"/rooms/{(room or self.room).id}/messages"

    def pushed(self, target, notification_type):
        """Payloads of ``notification_type`` pushed to ``target`` so far (the
        requests' "commits" ran the bus's precommit hooks)."""
        self.env.cr.precommit.run()
        channel = json_dump(channel_with_db(self.env.cr.dbname, target))
        return [
            json.loads(n.message)["payload"]
            for n in self.env["bus.bus"].sudo().search([("channel", "=", channel)])
            if json.loads(n.message)["type"] == notification_type
        ]

    def upload(self, key, name="photo.png", raw=PNG, room=None):
        return self.api(
            "POST",
            f"/rooms/{(room or self.room).id}/attachments",
            key,
            json_body={"name": name, "data": base64.b64encode(raw).decode()},
        )

    def post(self, key, body, room=None, **values):
        response = self.api(
            "POST", self.messages_url(room), key, json_body={"body": body, **values}
        )
        self.assertEqual(response.status_code, 201, response.text)
        return response.json()

    # ------------------------------------------------------------------
    # Mentions
    # ------------------------------------------------------------------

    def test_mentions_on_post_and_in_history(self):
        message = self.post(
            self.key_alice, "@Bob see this", mentions=[self.user_bob.id]
        )
        self.assertEqual(message["mentions"], [{"id": self.user_bob.id, "name": "Bob"}])
        (told,) = self.pushed(self.user_bob.partner_id, "live_messaging/mention")
        self.assertEqual(told["message_id"], message["id"])
        history = self.api("GET", self.messages_url(), self.key_bob).json()
        self.assertEqual(history["messages"][-1]["mentions"], message["mentions"])
        room = self.api("GET", f"/rooms/{self.room.id}", self.key_bob).json()
        self.assertEqual(room["unread_mentions"], 1)
        # a non-member is refused, nothing is posted, nobody is told
        last_seq = self.room.last_seq
        error = self.assert_api_error(
            self.api(
                "POST",
                self.messages_url(),
                self.key_alice,
                json_body={"body": "@Carol", "mentions": [self.user_carol.id]},
            ),
            422,
        )
        self.assertNotIn("Carol", error["message"])
        self.room.invalidate_recordset()
        self.assertEqual(self.room.last_seq, last_seq)
        self.assertEqual(
            self.pushed(self.user_carol.partner_id, "live_messaging/mention"), []
        )
        self.assert_api_error(
            self.api(
                "POST",
                self.messages_url(),
                self.key_alice,
                json_body={"body": "x", "mentions": ["bob"]},
            ),
            400,
        )

    # ------------------------------------------------------------------
    # Files
    # ------------------------------------------------------------------

    def test_an_app_sends_a_delivery_photo_into_a_record_room(self):
        """The external app of the delivery people: upload the photo, post it
        in the sale order's room; the order's people get it and download it;
        a stranger never does, by any route."""
        customer = self.env["res.partner"].create({"name": "Deco Customer"})
        order = self.env["sale.order"].create(
            {"partner_id": customer.id, "user_id": self.user_alice.id}
        )
        order.message_subscribe(partner_ids=self.user_bob.partner_id.ids)
        self.user_bob.groups_id += self.env.ref(
            "sales_team.group_sale_salesman_all_leads"
        )
        room = (
            self.env["live.room"]
            .with_user(self.user_alice)
            .live_get_record_room("sale.order", order.id)
        )
        response = self.upload(self.key_alice, "delivered.png", room=room)
        self.assertEqual(response.status_code, 201, response.text)
        photo = response.json()
        self.assertEqual(
            {k: photo[k] for k in ("name", "mimetype", "size", "is_image")},
            {
                "name": "delivered.png",
                "mimetype": "image/png",
                "size": len(PNG),
                "is_image": True,
            },
        )
        message = self.post(
            self.key_alice, "Delivered, signed", room=room, attachment_ids=[photo["id"]]
        )
        self.assertEqual(message["attachments"], [photo])
        (pushed,) = [
            p
            for p in self.pushed(room, "live_messaging/message")
            if p["id"] == message["id"]
        ]
        self.assertEqual(pushed["attachments"], [photo])
        url = f"/rooms/{room.id}/attachments/{photo['id']}"
        download = self.api("GET", url, self.key_bob)
        self.assertEqual(download.status_code, 200, download.text)
        self.assertEqual(download.content, PNG)
        self.assertEqual(download.headers["Content-Type"], "image/png")
        self.assertIn("attachment", download.headers["Content-Disposition"])
        self.assertEqual(download.headers["X-Content-Type-Options"], "nosniff")
        # Carol: not a member, 403 on the room; and the file id under her own
        # room is no file of it
        self.assert_api_error(self.api("GET", url, self.key_carol), 403)
        carol_room = (
            self.env["live.room"].with_user(self.user_carol).live_create_group_room("C")
        )
        self.assert_api_error(
            self.api(
                "GET",
                f"/rooms/{carol_room.id}/attachments/{photo['id']}",
                self.key_carol,
            ),
            404,
        )
        self.assert_web_routes(photo["id"], readers=(self.user_alice, self.user_bob))

    def assert_web_routes(self, attachment_id, readers):
        """Members read the file through Odoo's own routes and RPC; Carol (no
        member) gets none of it."""
        routes = (
            f"/web/content/{attachment_id}",
            f"/web/content/{attachment_id}?download=true",
            f"/web/image/{attachment_id}",
            f"/web/image/{attachment_id}/64x64",
            f"/web/content/ir.attachment/{attachment_id}/datas",
        )
        seen = {}
        for user in (*readers, self.user_carol):
            self.authenticate(user.login, user.login)
            for route in routes:
                with self.subTest(user=user.name, route=route):
                    response = self.url_open(route)
                    if user != self.user_carol:
                        self.assertEqual(response.status_code, 200)
                        seen[route] = response.content
                    elif route.startswith("/web/image/"):
                        # /web/image answers Odoo's placeholder to anybody
                        # who may not read a picture
                        self.assertNotEqual(response.content, seen[route])
                        self.assertNotIn(PNG, response.content)
                    else:
                        self.assertIn(response.status_code, (403, 404))
                        self.assertNotIn(PNG, response.content)
            rpc = self.make_jsonrpc_request(
                "/web/dataset/call_kw/ir.attachment/search_read",
                {
                    "model": "ir.attachment",
                    "method": "search_read",
                    "args": [[("id", "=", attachment_id)], ["name"]],
                    "kwargs": {},
                },
            )
            self.assertEqual(len(rpc), 0 if user == self.user_carol else 1)
        self.authenticate(None, None)

    def test_upload_refusals(self):
        bad_bodies = [
            ({"name": "x.png", "data": "not base64!"}, 400),
            ({"name": "x.png"}, 400),
            ({"name": "", "data": "eA=="}, 400),
            ({"name": "x.svg", "data": base64.b64encode(b"<svg/>").decode()}, 422),
        ]
        url = f"/rooms/{self.room.id}/attachments"
        for body, status in bad_bodies:
            with self.subTest(body=body):
                self.assert_api_error(
                    self.api("POST", url, self.key_alice, json_body=body), status
                )
        # not a member
        self.assert_api_error(self.upload(self.key_carol), 403)
        # the file limit, not the API's body limit, bounds an upload
        self.env["ir.config_parameter"].sudo().set_param(
            "live_messaging.api_max_body_bytes", "100"
        )
        self.assertEqual(self.upload(self.key_alice, "doc.pdf", PDF).status_code, 201)
        self.env["ir.config_parameter"].sudo().set_param(
            "live_messaging.attachment_max_bytes", str(len(PDF) - 1)
        )
        self.assert_api_error(self.upload(self.key_alice, "doc.pdf", PDF), 422)
        self.assert_api_error(self.upload(self.key_alice, "big.pdf", PDF * 100), 413)
        self.assertEqual(
            self.env["ir.attachment"].search_count(
                [
                    ("res_model", "=", "live.room"),
                    ("create_uid", "=", self.user_alice.id),
                ]
            ),
            1,
        )

    def test_unsent_files_are_their_uploaders(self):
        photo = self.upload(self.key_alice).json()
        url = f"/rooms/{self.room.id}/attachments/{photo['id']}"
        self.assertEqual(self.api("GET", url, self.key_alice).status_code, 200)
        self.assert_api_error(self.api("GET", url, self.key_bob), 404)
        # Bob cannot send it as his
        self.assert_api_error(
            self.api(
                "POST",
                self.messages_url(),
                self.key_bob,
                json_body={"body": "", "attachment_ids": [photo["id"]]},
            ),
            422,
        )
        self.post(self.key_alice, "", attachment_ids=[photo["id"]])
        self.assertEqual(self.api("GET", url, self.key_bob).status_code, 200)
        for attachment_id in (0, 2**31, photo["id"] + 1000):
            with self.subTest(attachment_id=attachment_id):
                self.assert_api_error(
                    self.api(
                        "GET",
                        f"/rooms/{self.room.id}/attachments/{attachment_id}",
                        self.key_bob,
                    ),
                    404,
                )

    # ------------------------------------------------------------------
    # Edit, delete, reactions
    # ------------------------------------------------------------------

    def test_edit_and_delete(self):
        message = self.post(self.key_alice, "Helo")
        url = f"{self.messages_url()}/{message['id']}"
        response = self.api("PATCH", url, self.key_alice, json_body={"body": "Hello"})
        self.assertEqual(response.status_code, 200, response.text)
        edited = response.json()
        self.assertEqual(
            (edited["seq"], edited["body"], edited["edited"]),
            (message["seq"], "Hello", True),
        )
        self.assertEqual(
            self.pushed(self.room, "live_messaging/message_update"), [edited]
        )
        self.assert_api_error(
            self.api("PATCH", url, self.key_bob, json_body={"body": "mine now"}), 403
        )
        self.assert_api_error(
            self.api("PATCH", url, self.key_carol, json_body={"body": "x"}), 403
        )
        self.assert_api_error(self.api("PATCH", url, self.key_alice, json_body={}), 400)
        self.assert_api_error(
            self.api(
                "PATCH",
                f"{self.messages_url()}/{message['id'] + 1000}",
                self.key_alice,
                json_body={"body": "x"},
            ),
            404,
        )
        self.assert_api_error(self.api("DELETE", url, self.key_bob), 403)
        response = self.api("DELETE", url, self.key_alice)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertTrue(response.json()["deleted"])
        self.assert_api_error(
            self.api("PATCH", url, self.key_alice, json_body={"body": "back"}), 409
        )
        history = self.api("GET", self.messages_url(), self.key_bob).json()["messages"]
        self.assertEqual(
            [(m["seq"], m["body"], m["deleted"]) for m in history],
            [(message["seq"], "", True)],
        )
        # past the window
        self.env["ir.config_parameter"].sudo().set_param(
            "live_messaging.edit_window_seconds", "1"
        )
        old = self.post(self.key_alice, "old")
        self.env.cr.execute(
            "UPDATE live_message SET create_date = create_date - interval '1 hour' "
            "WHERE id = %s",
            [old["id"]],
        )
        self.env.invalidate_all()
        self.assert_api_error(
            self.api(
                "PATCH",
                f"{self.messages_url()}/{old['id']}",
                self.key_alice,
                json_body={"body": "x"},
            ),
            409,
        )

    def test_reactions(self):
        message = self.post(self.key_alice, "Ship it?")
        url = f"{self.messages_url()}/{message['id']}/reactions/{quote('👍')}"
        for _attempt in range(2):  # idempotent
            response = self.api("PUT", url, self.key_bob)
            self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(
            response.json(),
            {
                "message_id": message["id"],
                "reactions": [
                    {
                        "emoji": "👍",
                        "count": 1,
                        "users": [{"id": self.user_bob.id, "name": "Bob"}],
                    }
                ],
            },
        )
        self.assertEqual(len(self.pushed(self.room, "live_messaging/reaction")), 1)
        history = self.api("GET", self.messages_url(), self.key_alice).json()[
            "messages"
        ]
        self.assertEqual(history[-1]["reactions"][0]["emoji"], "👍")
        response = self.api("DELETE", url, self.key_bob)
        self.assertEqual(response.json()["reactions"], [])
        self.assert_api_error(self.api("PUT", url, self.key_carol), 403)
        for emoji in ("hello", quote("<b>"), "1"):
            with self.subTest(emoji=emoji):
                self.assert_api_error(
                    self.api(
                        "PUT",
                        f"{self.messages_url()}/{message['id']}/reactions/{emoji}",
                        self.key_bob,
                    ),
                    422,
                )

    # ------------------------------------------------------------------
    # Search
    # ------------------------------------------------------------------

    def test_search(self):
        self.post(self.key_alice, "The invoice is ready")
        self.post(self.key_bob, "Lunch?")
        carol_room = (
            self.env["live.room"].with_user(self.user_carol).live_create_group_room("C")
        )
        self.post(self.key_carol, "Carol's invoice", room=carol_room)
        response = self.api(
            "GET", self.messages_url(), self.key_bob, params={"q": "INVOICE"}
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(
            [m["body"] for m in response.json()["messages"]], ["The invoice is ready"]
        )
        response = self.api(
            "GET", "/messages/search", self.key_bob, params={"q": "invoice"}
        )
        self.assertEqual(response.status_code, 200, response.text)
        page = response.json()
        self.assertEqual(
            [m["body"] for m in page["messages"]], ["The invoice is ready"]
        )
        self.assertEqual(page["rooms"], [{"id": self.room.id, "name": "Team"}])
        # Carol finds her own only, and nothing in Team
        page = self.api(
            "GET", "/messages/search", self.key_carol, params={"q": "invoice"}
        ).json()
        self.assertEqual([m["body"] for m in page["messages"]], ["Carol's invoice"])
        self.assert_api_error(
            self.api(
                "GET", self.messages_url(), self.key_carol, params={"q": "invoice"}
            ),
            403,
        )
        for params, status in (
            ({"q": "x"}, 400),
            ({}, 400),
            ({"q": "x" * 201}, 400),
            # text PostgreSQL cannot hold is refused, as in bodies; markup-like
            # text ("<b>") is text like any other (the body contract)
            ({"q": "ab\x00cd"}, 422),
        ):
            with self.subTest(params=params):
                self.assert_api_error(
                    self.api("GET", "/messages/search", self.key_bob, params=params),
                    status,
                )
