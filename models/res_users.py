from odoo import fields, models

NOTIFY_CHOICES = [
    ("all", "All messages"),
    ("mentions", "Mentions and direct messages"),
    ("none", "Nothing"),
]


class ResUsers(models.Model):
    _inherit = "res.users"

    live_notify = fields.Selection(
        NOTIFY_CHOICES,
        string="Chat Notifications",
        default="all",
        required=True,
        help="Which new chat messages show a desktop notification while Odoo's "
        "tab is hidden or in the background.",
    )
    live_notify_sound = fields.Boolean(
        "Chat Sound",
        default=True,
        help="Play a sound with the chat notifications.",
    )

    @property
    def SELF_READABLE_FIELDS(self):
        return super().SELF_READABLE_FIELDS + ["live_notify", "live_notify_sound"]

    @property
    def SELF_WRITEABLE_FIELDS(self):
        return super().SELF_WRITEABLE_FIELDS + ["live_notify", "live_notify_sound"]

    def _live_notify_preferences(self):
        """The user's choice for chat notifications, as the web client reads it
        (``session_info``)."""
        self.ensure_one()
        return {"notify": self.live_notify, "sound": self.live_notify_sound}
