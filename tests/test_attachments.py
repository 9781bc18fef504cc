import base64
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import LiveCase

# a valid 1x1 PNG
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGA"
    "hKmMIQAAAABJRU5ErkJggg=="
)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


class AttachmentMixin:
    def upload(self, user, name="photo.png", raw=PNG, room=None):
        return (room or self.room).with_user(user)._live_upload_attachment(name, raw)

    def post_files(self, user, attachments, body="", room=None, **kwargs):
        return (
            (room or self.room)
            .with_user(user)
            .live_post_message(body, attachment_ids=attachments.ids, **kwargs)
        )


@tagged("post_install", "-at_install")
class TestAttachments(AttachmentMixin, LiveCase):
    """Files and pictures: ir.attachment of the room, readable by its members
    only (Odoo's own check on the record an attachment belongs to)."""

    def test_upload_then_post(self):
        photo = self.upload(self.user_alice)
        self.assertEqual(photo.mimetype, "image/png")
        self.assertEqual((photo.res_model, photo.res_id), ("live.room", 0))
        data = self.post_files(self.user_alice, photo, "The delivery")
        self.assertEqual(
            data["attachments"],
            [
                {
                    "id": photo.id,
                    "name": "photo.png",
                    "mimetype": "image/png",
                    "size": len(PNG),
                    "is_image": True,
                }
            ],
        )
        self.assertEqual(photo.res_id, self.room.id)
        # pushed with the message, and in history
        (pushed,) = self.pushed(self.room, "live_messaging/message")
        self.assertEqual(pushed["attachments"], data["attachments"])
        (history,) = self.room.with_user(self.user_bob).live_fetch_messages()[
            "messages"
        ]
        self.assertEqual(history["attachments"], data["attachments"])

    def test_a_picture_alone_is_a_message(self):
        data = self.post_files(self.user_alice, self.upload(self.user_alice))
        self.assertEqual(data["body"], "")
        with self.assertRaises(ValidationError):
            self.room.with_user(self.user_alice).live_post_message("")

    def test_members_read_it_nobody_else(self):
        photo = self.upload(self.user_alice)
        Attachment = self.env["ir.attachment"]
        # waiting for its message: its uploader only
        self.assertEqual(
            photo.with_user(self.user_alice).read(["name"])[0]["name"], "photo.png"
        )
        for user in (self.user_bob, self.user_carol):
            with self.subTest(user=user.name), self.assertRaises(AccessError):
                photo.with_user(user).read(["name"])
        self.post_files(self.user_alice, photo)
        photo.invalidate_recordset()
        # sent: the members
        for user in (self.user_alice, self.user_bob):
            with self.subTest(user=user.name):
                self.assertEqual(photo.with_user(user).raw, PNG)
                self.assertEqual(
                    Attachment.with_user(user).search([("id", "=", photo.id)]), photo
                )
        # never a non-member: read, search, name_search, download stream
        carol = Attachment.with_user(self.user_carol)
        with self.assertRaises(AccessError):
            carol.browse(photo.id).read(["name", "datas"])
        self.assertFalse(carol.search([("res_model", "=", "live.room")]))
        self.assertFalse(carol.name_search("photo"))
        with self.assertRaises(AccessError):
            carol.browse(photo.id).validate_access(None).raw  # noqa: B018
        # nor a portal user
        with self.assertRaises(AccessError):
            photo.with_user(self.user_portal).read(["name"])
        # a member who leaves loses it
        self.room.with_user(self.user_bob).live_remove_member(self.user_bob.id)
        with self.assertRaises(AccessError):
            photo.with_user(self.user_bob).read(["name"])

    def test_only_ones_own_unsent_uploads(self):
        photo = self.upload(self.user_alice)
        with self.assertRaises(ValidationError):
            self.post_files(self.user_bob, photo, "not mine")
        self.post_files(self.user_alice, photo, "mine")
        with self.assertRaises(ValidationError):
            self.post_files(self.user_alice, photo, "again")
        # any other attachment (of a sale order, say) is no upload
        other = self.env["ir.attachment"].create(
            {"name": "x.txt", "raw": b"x", "res_model": "res.partner", "res_id": 1}
        )
        with self.assertRaises(ValidationError):
            self.post_files(self.user_alice, other)
        for bad in ("1", [True], [999999999], list(range(1, 12))):
            with self.subTest(bad=bad), self.assertRaises(ValidationError):
                self.room.with_user(self.user_alice).live_post_message(
                    "x", attachment_ids=bad
                )

    def test_replay_returns_the_first_message(self):
        photo = self.upload(self.user_alice)
        first = self.post_files(self.user_alice, photo, "once", client_id="file-1")
        again = self.post_files(self.user_alice, photo, "once", client_id="file-1")
        self.assertEqual(first["id"], again["id"])
        self.assertEqual(again["attachments"][0]["id"], photo.id)

    def test_non_members_cannot_upload(self):
        with self.assertRaises(AccessError):
            self.upload(self.user_carol)
        self.assertFalse(
            self.env["ir.attachment"].search(
                [
                    ("res_model", "=", "live.room"),
                    ("create_uid", "=", self.user_carol.id),
                ]
            )
        )

    def test_size_and_type_limits(self):
        ICP = self.env["ir.config_parameter"].sudo()
        # the type comes from the content, not from the name
        self.assertEqual(
            self.upload(self.user_alice, "doc.pdf", PDF).mimetype, "application/pdf"
        )
        self.assertEqual(
            self.upload(self.user_alice, "list.csv", b"a,b\n1,2\n").mimetype, "text/csv"
        )
        self.assertEqual(
            self.upload(self.user_alice, "notes.md", b"# notes\n").mimetype,
            "text/plain",
        )
        refused = [
            ("evil.png", b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>"),
            ("page.html", b"<html><script>alert(1)</script></html>"),
            ("fake.pdf", b"\x00\x01\x02 not a pdf"),
            ("empty.txt", b""),
            ("", b"data"),
        ]
        for name, raw in refused:
            with self.subTest(name=name), self.assertRaises(ValidationError):
                self.upload(self.user_alice, name, raw)
        ICP.set_param("live_messaging.attachment_max_bytes", str(len(PDF) - 1))
        with self.assertRaises(ValidationError):
            self.upload(self.user_alice, "doc.pdf", PDF)
        ICP.set_param("live_messaging.attachment_max_bytes", "1000")
        ICP.set_param("live_messaging.attachment_mimetypes", "application/pdf")
        with self.assertRaises(ValidationError):
            self.upload(self.user_alice)
        self.assertTrue(self.upload(self.user_alice, "doc.pdf", PDF))
        ICP.set_param("live_messaging.attachment_mimetypes", "image/*")
        self.assertTrue(self.upload(self.user_alice))

    def test_deleting_the_message_or_the_room_deletes_the_files(self):
        photo = self.upload(self.user_alice)
        data = self.post_files(self.user_alice, photo)
        self.env["live.message"].with_user(self.user_alice).browse(
            data["id"]
        ).live_delete()
        self.assertFalse(photo.exists())
        other = self.upload(self.user_alice)
        self.post_files(self.user_alice, other)
        self.room.sudo().unlink()
        self.assertFalse(other.exists())

    def test_unsent_uploads_are_collected(self):
        old, recent, sent = (self.upload(self.user_alice) for _i in range(3))
        self.post_files(self.user_alice, sent)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE ir_attachment SET create_date = %s WHERE id IN %s",
            [fields.Datetime.now() - timedelta(days=2), (old.id, sent.id)],
        )
        self.env.invalidate_all()
        self.env["ir.attachment"]._gc_live_pending_uploads()
        self.assertFalse(old.exists())
        self.assertTrue(recent.exists())
        self.assertTrue(sent.exists())

    def test_no_files_in_support_chats(self):
        """A support visitor could not open them: refused, not lost."""
        self.env["ir.config_parameter"].sudo().set_param(
            "live_messaging.support_join_rate_limit", "0"
        )
        session, _token = self.env["live.support.session"]._visitor_join(
            "Vic", "Hello", ip="10.0.0.9"
        )
        agent = self.user_manager
        session.with_user(agent).live_claim()
        with self.assertRaises(ValidationError):
            session.room_id.with_user(agent)._live_upload_attachment("a.png", PNG)
