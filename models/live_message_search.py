from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import escape_psql

from ..utils.values import rpc_value

SEARCH_MIN_CHARS = 2
SEARCH_MAX_CHARS = 200


class LiveMessage(models.Model):
    _inherit = "live.message"

    # a trigram (GIN) index when PostgreSQL has pg_trgm, as Odoo makes them
    # (over unaccent() when that function is immutable): ILIKE '%text%'
    # searches use it
    body = fields.Text(index="trigram")

    @api.model
    def _live_search_domain(self, query):
        """The domain of the chat messages whose text contains ``query``
        (case-insensitive, and accent-insensitive where PostgreSQL has
        ``unaccent``). ValidationError for a query too short or too long."""
        if not isinstance(query, str):
            raise ValidationError(_("Search for some text."))
        # look for what is stored: the query gets the bodies' treatment
        # spaces around a query find nothing more (a body keeps its own)
        text = self._prepare_body(query.strip()[: SEARCH_MAX_CHARS * 4])
        if len(text) < SEARCH_MIN_CHARS:
            raise ValidationError(
                _("Search for at least %s characters.", SEARCH_MIN_CHARS)
            )
        if len(text) > SEARCH_MAX_CHARS:
            raise ValidationError(
                _("Search for at most %s characters.", SEARCH_MAX_CHARS)
            )
        return [
            ("kind", "=", "chat"),
            ("is_deleted", "=", False),
            # % and _ are searched as they are, not as wildcards
            ("body", "ilike", escape_psql(text)),
        ]


class LiveRoom(models.Model):
    _inherit = "live.room"

    def live_search_messages(self, query, before=None, after=None, limit=None):
        """Chat messages containing ``query``: in this room (one record), or in
        every room of the current user (an empty recordset). Keyset pages as
        the history's (``before``/``after`` a message id, ``limit``):
        ``{"messages": [...], "has_more": bool}``, plus ``"rooms": [{id,
        name}]`` of the rooms found across rooms. Only rooms the user is a
        member of and may read are searched."""
        Message = self.env["live.message"]
        domain = Message._live_search_domain(query)
        if self:
            self.ensure_one()
            self.check_access("read")
            if not self.env.su and not self.is_member:
                raise AccessError(_("You are not a member of this room."))
            rooms = self
        else:
            # record rules apply; archived rooms keep a readable history
            rooms = self.with_context(active_test=False).search(
                [("is_member", "=", True)]
            )
        page = Message._fetch_page(
            [("room_id", "in", rooms.ids), *domain],
            before=before,
            after=after,
            limit=limit,
        )
        if not self:
            found = {message["room_id"] for message in page["messages"]}
            page["rooms"] = [
                {"id": room.id, "name": room.display_name}
                for room in rooms
                if room.id in found
            ]
        return rpc_value(page)
