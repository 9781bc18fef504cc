from odoo import fields, models

from ..bus import control

NOTIFY_CHOICES = [
    ("all", "All messages"),
    ("mentions", "Mentions and direct messages"),
    ("none", "Nothing"),
]

# fields of res.users whose change may change a user's live channels
_CHANNEL_FIELDS = frozenset({"groups_id", "company_ids", "active", "share"})
_REIFIED_GROUPS = ("in_group_", "sel_groups_")


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

    def write(self, vals):
        """The user's open websockets follow what changed, in every process:
        a password, login or archive (the session token's fields) checks
        their sessions and keys again at once (4001 when revoked); groups or
        companies recompute their rooms and topics."""
        validity = self._get_session_token_fields().intersection(vals)
        channels = _CHANNEL_FIELDS.intersection(vals) or any(
            key.startswith(_REIFIED_GROUPS) for key in vals
        )
        if validity or channels:
            control.notify(
                self.env,
                channels=self.ids if channels else (),
                validity=self.ids if validity else (),
            )
        return super().write(vals)
