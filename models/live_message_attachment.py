import fnmatch
import mimetypes

from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import human_size
from odoo.tools.mimetypes import guess_mimetype

from ..utils.params import int_param, str_param

PARAM_MAX_BYTES = "live_messaging.attachment_max_bytes"
PARAM_MIMETYPES = "live_messaging.attachment_mimetypes"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MIMETYPES = ",".join(
    [
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/pdf",
        "text/plain",
        "text/csv",
        "application/zip",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.*",
        "application/vnd.oasis.opendocument.*",
    ]
)
# shown inline by browsers, and safe to: no script in them
IMAGE_MIMETYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
ATTACHMENTS_PER_MESSAGE = 10
FILE_NAME_MAX = 255


class LiveMessage(models.Model):
    _inherit = "live.message"

    attachment_ids = fields.Many2many(
        "ir.attachment",
        "live_message_attachment_rel",
        "message_id",
        "attachment_id",
        string="Files",
        readonly=True,
        help="Files and pictures sent with the message. They are attachments of "
        "the room: only its members can read them.",
    )

    def _format(self):
        result = super()._format()
        for message, data in zip(self, result, strict=True):
            if message.room_id:
                # sudo: ir.attachment - files of a message the reader may read
                data["attachments"] = message.sudo().attachment_ids._live_format()
        return result


class LiveRoom(models.Model):
    _inherit = "live.room"

    # ------------------------------------------------------------------
    # Limits (System Parameters)
    # ------------------------------------------------------------------

    @api.model
    def _live_attachment_max_bytes(self):
        return int_param(self.env, PARAM_MAX_BYTES, DEFAULT_MAX_BYTES, minimum=1)

    @api.model
    def _live_attachment_mimetypes(self):
        value = str_param(self.env, PARAM_MIMETYPES, DEFAULT_MIMETYPES)
        return [p.strip().lower() for p in value.split(",") if p.strip()]

    @api.model
    def _live_file_mimetype(self, name, raw):
        """The type of a file, from its content: the name's extension is only
        trusted to tell one kind of text from another (``.csv``), never to
        make a file of unknown content look like a picture or a PDF."""
        sniffed = guess_mimetype(raw, default="application/octet-stream")
        if sniffed == "text/plain":
            by_name = (mimetypes.guess_type(name)[0] or "").lower()
            if by_name.startswith("text/") and self._live_mimetype_allowed(by_name):
                return by_name
        return sniffed.lower()

    @api.model
    def _live_mimetype_allowed(self, mimetype):
        return any(
            fnmatch.fnmatchcase(mimetype, pattern)
            for pattern in self._live_attachment_mimetypes()
        )

    # ------------------------------------------------------------------
    # Upload, then post
    # ------------------------------------------------------------------

    def _live_upload_attachment(self, name, raw):
        """Store a file that the current user is about to send in the room
        (``raw``: its bytes). Checks the right to post, the size and the type
        (both System Parameters). Returns the ``ir.attachment``.

        The file waits for its message unlinked (``res_id`` 0): until then
        only its uploader can read it. Posting the message links it to the
        room, whose members then read it (Odoo checks the right to read an
        attachment on the record it is attached to); files never sent are
        deleted after a day (``ir.attachment._gc_live_pending_uploads``)."""
        self.ensure_one()
        self._check_can_post()
        if self.room_type == "support":
            raise ValidationError(
                _(
                    "Files cannot be sent in a support chat: the visitor could "
                    "not open them."
                )
            )
        name = name.strip() if isinstance(name, str) else ""
        name = name.replace("/", "_").replace("\\", "_")[:FILE_NAME_MAX]
        if not name:
            raise ValidationError(_("A file needs a name."))
        if not raw:
            raise ValidationError(_("The file %s is empty.", name))
        max_bytes = self._live_attachment_max_bytes()
        if len(raw) > max_bytes:
            raise ValidationError(
                _(
                    "%(name)s is too large: files are at most %(size)s.",
                    name=name,
                    size=human_size(max_bytes),
                )
            )
        mimetype = self._live_file_mimetype(name, raw)
        if not self._live_mimetype_allowed(mimetype):
            raise ValidationError(
                _(
                    "%(name)s cannot be sent: files of type %(type)s are not allowed.",
                    name=name,
                    type=mimetype,
                )
            )
        # sudo: ir.attachment - users may not attach files to rooms themselves;
        # the caller may post in this one, and the file waits for their message
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": name,
                    "raw": raw,
                    "mimetype": mimetype,
                    "res_model": self._name,
                    "res_id": 0,
                }
            )
        )
        return attachment.sudo(False)

    def _live_check_attachments(self, attachment_ids, author):
        """The files ``author`` uploaded and has not sent yet, by id;
        ValidationError for anything else (somebody else's file, a file already
        sent, an id that does not exist)."""
        self.ensure_one()
        if not isinstance(attachment_ids, list | tuple) or not all(
            isinstance(aid, int) and not isinstance(aid, bool) for aid in attachment_ids
        ):
            raise ValidationError(_("Files are a list of attachment ids."))
        attachment_ids = list(dict.fromkeys(attachment_ids))
        if len(attachment_ids) > ATTACHMENTS_PER_MESSAGE:
            raise ValidationError(
                _("A message carries at most %s files.", ATTACHMENTS_PER_MESSAGE)
            )
        # sudo: ir.attachment - looking for the author's own pending uploads
        attachments = self.env["ir.attachment"].sudo().browse(attachment_ids).exists()
        valid = attachments.filtered(lambda a: a._live_is_pending_upload_of(author))
        if len(valid) != len(attachment_ids):
            raise ValidationError(
                _("Send files you uploaded for a message and have not sent yet.")
            )
        return valid

    def _post_message(self, body, *, attachment_ids=None, **kwargs):
        """``attachment_ids``: files the author uploaded for this message
        (``_live_upload_attachment``); a message with files may have no text."""
        author = kwargs.get("author")
        if not attachment_ids or self._live_replayed_message(
            kwargs.get("client_id"), author
        ):
            return super()._post_message(body, **kwargs)
        self._check_can_post()
        attachments = self._live_check_attachments(
            attachment_ids, self.env.user if author is None else author
        )
        # the room's members may read them from now on
        attachments.write({"res_id": self.id})
        return super()._post_message(
            body, attachment_ids=[Command.set(attachments.ids)], **kwargs
        )

    def _live_find_attachment(self, attachment_id):
        """A file of the room, for the current user: sent in the room, or not
        sent yet and uploaded by them. AccessError for a file of another room
        (or none), so that its existence is not told."""
        self.ensure_one()
        self.check_access("read")
        if not self.env.su and not self.is_member:
            raise AccessError(_("You are not a member of this room."))
        # sudo: ir.attachment - the room's own files, checked right below
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .search([("id", "=", attachment_id), ("res_model", "=", self._name)])
        )
        if attachment and (
            attachment.res_id == self.id
            or attachment._live_is_pending_upload_of(self.env.user)
        ):
            # Odoo's own check as well: the caller reads the room
            attachment = attachment.sudo(False)
            attachment.check("read")
            return attachment
        raise AccessError(_("This room has no such file."))
