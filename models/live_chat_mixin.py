from odoo import api, fields, models


class LiveChatMixin(models.AbstractModel):
    """Chat about a record: a room linked to it, opened from its form.

    Inherit it and add the button (see ``views/sale_order_views.xml``)::

        class ProjectTask(models.Model):
            _name = "project.task"
            _inherit = ["project.task", "live.chat.mixin"]

    The room is created on first use with the person opening it, the record's
    responsible user and its followers (``_live_room_default_users``)."""

    _name = "live.chat.mixin"
    _description = "Live Messaging: chat about a record"

    live_chat_unread_count = fields.Integer(
        "Unread Chat Messages",
        compute="_compute_live_chat_unread_count",
        help="Messages of the record's chat room the current user has not read.",
    )

    @api.depends_context("uid")
    def _compute_live_chat_unread_count(self):
        # the user's own rooms only: record rules keep the others out of sight
        rooms = self.env["live.room"].search(
            [
                ("res_model", "=", self._name),
                ("res_id", "in", self.ids),
                ("is_member", "=", True),
            ]
        )
        counts = rooms._get_unread_counts(self.env.user)
        unread = {room.res_id: counts.get(room.id, 0) for room in rooms}
        for record in self:
            record.live_chat_unread_count = unread.get(record.id, 0)

    def action_live_chat(self):
        """Open the record's room in the chat window, creating the room (and
        joining it) on first use. Override point: return another action to open
        the room elsewhere."""
        self.ensure_one()
        room = self.env["live.room"].live_get_record_room(self._name, self.id)
        return {
            "type": "ir.actions.client",
            "tag": "live_messaging.open_room",
            "params": {"room_id": room.id},
        }
