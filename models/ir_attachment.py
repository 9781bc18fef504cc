from datetime import timedelta

from odoo import api, fields, models

from .live_message_attachment import IMAGE_MIMETYPES

# files uploaded for a message that never came are kept this long
PENDING_UPLOAD_DAYS = 1


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    def _live_is_pending_upload_of(self, user):
        """Whether this is a file ``user`` uploaded for a chat message and has
        not sent yet (attached to no room so far)."""
        self.ensure_one()
        return (
            self.res_model == "live.room"
            and not self.res_id
            and not self.res_field
            and self.create_uid == user
        )

    def _live_format(self):
        """The wire form of chat files (in messages, API answers)."""
        return [
            {
                "id": attachment.id,
                "name": attachment.name,
                "mimetype": attachment.mimetype,
                "size": attachment.file_size,
                "is_image": attachment.mimetype in IMAGE_MIMETYPES,
            }
            for attachment in self
        ]

    @api.autovacuum
    def _gc_live_pending_uploads(self):
        """Delete the chat files uploaded for a message never sent."""
        limit = fields.Datetime.now() - timedelta(days=PENDING_UPLOAD_DAYS)
        # sudo: ir.attachment - garbage collection of unsent uploads
        self.sudo().search(
            [
                ("res_model", "=", "live.room"),
                ("res_id", "=", 0),
                ("create_date", "<", limit),
            ]
        ).unlink()
