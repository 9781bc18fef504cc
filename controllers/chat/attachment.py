"""File uploads of the web client's chat (multipart, as Discuss uploads).
External apps upload through the API (``POST /live/api/v1/rooms/<id>/
attachments``). Files are read back through Odoo's ``/web/content`` and
``/web/image``, which check the right to read the room they belong to."""

from odoo import _, http
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.http import request

from ..api.openapi import ID_MAX

# the multipart envelope around a file
MULTIPART_SLACK = 64 * 1024


class LiveChatAttachmentController(http.Controller):
    @http.route(
        "/live_messaging/attachment/upload",
        type="http",
        auth="user",
        methods=["POST"],
    )
    def upload(self, room_id=None, ufile=None, **kwargs):
        """Store ``ufile`` for a message the user is about to post in room
        ``room_id``. Answers ``{"attachment": {...}}``, or ``{"error":
        {"message"}}`` with 4xx (CSRF token required, as any form post)."""
        Room = request.env["live.room"]
        max_bytes = Room._live_attachment_max_bytes()
        if (request.httprequest.content_length or 0) > max_bytes + MULTIPART_SLACK:
            return self._error(413, _("The file is too large."))
        room = Room
        if str(room_id or "").isdigit() and 0 < int(room_id) <= ID_MAX:
            # record rules apply: another's room is no room
            room = Room.search([("id", "=", int(room_id))])
        if not room:
            return self._error(404, _("This room does not exist."))
        if ufile is None or not hasattr(ufile, "read"):
            return self._error(400, _("Send the file as ufile."))
        try:
            attachment = room._live_upload_attachment(
                ufile.filename, ufile.read(max_bytes + 1)
            )
        except AccessError as exc:
            return self._error(403, exc.args[0])
        except ValidationError as exc:
            return self._error(422, exc.args[0])
        except UserError as exc:
            return self._error(409, exc.args[0])
        return request.make_json_response(
            {"attachment": attachment._live_format()[0]}, status=201
        )

    def _error(self, status, message):
        request.env.cr.rollback()
        return request.make_json_response(
            {"error": {"message": message}}, status=status
        )
