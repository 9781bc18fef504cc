"""The API's chat features beyond posting: edit and delete, reactions, files,
search (see ``openapi.py`` for the table). The routes extend
``LiveApiController``; the logic is in the models (``live_message_*.py``)."""

import base64
import binascii

from odoo import _
from odoo.exceptions import AccessError
from odoo.http import request

from .errors import ApiError
from .main import LiveApiController, api_route
from .openapi import ID_MAX


class LiveApiChatController(LiveApiController):
    @api_route("/rooms/{room_id}/messages/{message_id}")
    def api_room_message(self, **kwargs):
        return self._serve("/rooms/{room_id}/messages/{message_id}", kwargs)

    @api_route("/rooms/{room_id}/messages/{message_id}/reactions/{emoji}")
    def api_room_message_reaction(self, **kwargs):
        return self._serve(
            "/rooms/{room_id}/messages/{message_id}/reactions/{emoji}", kwargs
        )

    @api_route("/rooms/{room_id}/attachments")
    def api_room_attachments(self, **kwargs):
        return self._serve("/rooms/{room_id}/attachments", kwargs)

    @api_route("/rooms/{room_id}/attachments/{attachment_id}")
    def api_room_attachment(self, **kwargs):
        return self._serve("/rooms/{room_id}/attachments/{attachment_id}", kwargs)

    @api_route("/messages/search")
    def api_search_messages(self, **kwargs):
        return self._serve("/messages/search", kwargs)

    # ------------------------------------------------------------------
    # Lookups
    # ------------------------------------------------------------------

    def _message(self, call):
        """A message of the room of the path: 404 for none (or one of
        another room)."""
        room = self._room(call)
        message_id = call.path["message_id"]
        if not 0 < message_id <= ID_MAX:
            raise ApiError(404, _("Message %s is not in this room.", message_id))
        # sudo: live.message - a message of a room the caller may read (the
        # methods called next check the rights on the message itself)
        message = (
            request.env["live.message"]
            .sudo()
            .search([("id", "=", message_id), ("room_id", "=", room.id)])
        )
        if not message:
            raise ApiError(404, _("Message %s is not in this room.", message_id))
        return message.sudo(False)

    # ------------------------------------------------------------------
    # Operations
    # ------------------------------------------------------------------

    def _op_edit_message(self, call):
        message = self._message(call)
        return 200, message.live_edit(
            call.body["body"], mention_ids=call.body.get("mentions")
        )

    def _op_delete_message(self, call):
        return 200, self._message(call).live_delete()

    def _op_add_reaction(self, call):
        return 200, self._message(call).live_react(call.path["emoji"], add=True)

    def _op_remove_reaction(self, call):
        return 200, self._message(call).live_react(call.path["emoji"], add=False)

    def _op_upload_attachment(self, call):
        room = self._room(call)
        try:
            raw = base64.b64decode(call.body["data"], validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(
                400, _("data must be the file's content in base64."), path="/data"
            ) from None
        attachment = room._live_upload_attachment(call.body["name"], raw)
        return 201, attachment._live_format()[0]

    def _op_download_attachment(self, call):
        room = self._room(call)
        attachment_id = call.path["attachment_id"]
        not_found = ApiError(404, _("File %s is not in this room.", attachment_id))
        if not 0 < attachment_id <= ID_MAX:
            raise not_found
        try:
            attachment = room._live_find_attachment(attachment_id)
        except AccessError:
            raise not_found from None
        response = attachment._to_http_stream().get_response(as_attachment=True)
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    def _op_search_messages(self, call):
        return 200, request.env["live.room"].live_search_messages(
            call.query["q"],
            before=call.query.get("before"),
            after=call.query.get("after"),
            limit=call.query.get("limit"),
        )
