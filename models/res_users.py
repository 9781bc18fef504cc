from odoo import models

from ..bus import control

# fields of res.users whose change may change a user's live channels
_CHANNEL_FIELDS = frozenset({"groups_id", "company_ids", "active", "share"})
_REIFIED_GROUPS = ("in_group_", "sel_groups_")


class ResUsers(models.Model):
    _inherit = "res.users"

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
