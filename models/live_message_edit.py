from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..utils.params import int_param
from ..utils.values import rpc_value
from .live_message import InputError

PARAM_EDIT_WINDOW = "live_messaging.edit_window_seconds"
DEFAULT_EDIT_WINDOW = 3600


class LiveMessage(models.Model):
    """Edit and delete: an author changes their own chat message within a
    window (a System Parameter), a Live Messaging administrator may delete any.
    The message keeps its id and ``seq``: what changed is pushed as
    ``live_messaging/message_update`` (the whole message, as history shows
    it), never as a new message."""

    _inherit = "live.message"

    edit_date = fields.Datetime("Edited On", readonly=True, copy=False)
    is_deleted = fields.Boolean("Deleted", readonly=True, copy=False)

    def _format(self):
        result = super()._format()
        for message, data in zip(self, result, strict=True):
            if message.room_id:
                data["edited"] = bool(message.edit_date)
                data["edit_date"] = (
                    message.edit_date.isoformat(timespec="milliseconds") + "Z"
                    if message.edit_date
                    else None
                )
                data["deleted"] = message.is_deleted
        return result

    @api.model
    def _live_edit_window(self):
        """Seconds after sending during which an author may change a message
        (0: no limit)."""
        return int_param(self.env, PARAM_EDIT_WINDOW, DEFAULT_EDIT_WINDOW)

    def _live_check_changeable(self):
        """A chat message of a room the current user may read; not deleted."""
        self.ensure_one()
        self.check_access("read")
        if not self.room_id or self.kind != "chat":
            raise UserError(_("Only chat messages can be changed."))
        if self.is_deleted:
            raise UserError(_("This message was deleted."))

    def _live_check_author(self):
        """The current user wrote the message, is still in its room (which is
        not archived), and the edit window is open."""
        self.ensure_one()
        self.room_id._check_can_post()
        if self.author_id != self.env.user:
            raise AccessError(_("You can only change your own messages."))
        window = self._live_edit_window()
        if (
            window
            and (fields.Datetime.now() - self.create_date).total_seconds() > window
        ):
            raise UserError(
                _(
                    "This message can no longer be changed: messages can be "
                    "changed within %s minutes of being sent.",
                    max(1, round(window / 60)),
                )
            )

    def _live_push_update(self):
        # sudo: live.message - the room's members read it; the caller may too
        data = self.sudo()._format()[0]
        self.room_id._bus_send("live_messaging/message_update", data)
        return data

    def live_edit(self, body, mention_ids=None):
        """Change the text (and, with ``mention_ids``, the mentions) of the
        current user's own message; newly mentioned members are told. Returns
        the formatted message, marked edited."""
        self.ensure_one()
        self._live_check_changeable()
        self._live_check_author()
        body = self._prepare_body(body)
        # sudo: live.message - the author changes their own message (checked)
        message = self.sudo()
        if not body.strip() and not message.attachment_ids:
            raise InputError(_("A message cannot be empty."), "/body")
        values = {}
        new_mentions = self.env["res.users"]
        if mention_ids is not None:
            users = self.room_id._live_check_mentions(mention_ids)
            if users != message.mention_ids:
                new_mentions = users - message.mention_ids
                values["mention_ids"] = [Command.set(users.ids)]
        if body != message.body:
            values["body"] = body
        if not values:
            return rpc_value(message._format()[0])
        values["edit_date"] = fields.Datetime.now()
        message.write(values)
        data = self._live_push_update()
        if new_mentions:
            self._live_notify_mentions(new_mentions)
        return rpc_value(data)

    def live_delete(self):
        """Delete a chat message: its author within the edit window, or a Live
        Messaging administrator at any time. The message stays in its place
        (same id and ``seq``) as *deleted*: no text, files, mentions or
        reactions. Returns the formatted message; deleting twice is fine."""
        self.ensure_one()
        self.check_access("read")
        if self.is_deleted:
            # sudo: live.message - the caller may read it (checked above)
            return rpc_value(self.sudo()._format()[0])
        self._live_check_changeable()
        if not self.env.user.has_group("live_messaging.group_live_manager"):
            self._live_check_author()
        # sudo: live.message - deleting a message the caller may delete
        message = self.sudo()
        attachments = message.attachment_ids
        message.reaction_ids.unlink()
        message.write(
            {
                "body": "",
                "payload": None,
                "is_deleted": True,
                "mention_ids": [Command.clear()],
                "attachment_ids": [Command.clear()],
            }
        )
        attachments.unlink()
        return rpc_value(self._live_push_update())
