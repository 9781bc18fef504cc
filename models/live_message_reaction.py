import unicodedata

from psycopg2 import IntegrityError

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..utils.values import rpc_value

REACTIONS_PER_USER = 20
EMOJI_MAX_CHARS = 16
# what may join or qualify the symbols of one emoji: zero width joiner,
# variation selectors, the keycap sign
_EMOJI_JOINERS = {"\u200d", "\ufe0e", "\ufe0f", "\u20e3"}


def is_emoji(text):
    """Whether ``text`` is one emoji: one symbol, or symbols composed into one
    (zero width joiner sequences, skin tones, flags, keycaps, tag sequences);
    never letters, digits (but in a keycap), punctuation, spaces, controls,
    or two emojis side by side."""
    if not isinstance(text, str) or not 0 < len(text) <= EMOJI_MAX_CHARS:
        return False
    keycap = text.endswith("\u20e3")
    clusters = 0
    previous = ""
    regional = 0  # regional indicators in the current cluster (a flag: two)
    for char in text:
        code = ord(char)
        category = unicodedata.category(char)
        if char in _EMOJI_JOINERS or category in ("Mn", "Me"):
            pass
        elif 0xE0020 <= code <= 0xE007F:  # tags (subdivision flags)
            pass
        elif 0x1F3FB <= code <= 0x1F3FF:  # skin tones qualify the previous one
            if not previous:
                return False
        elif 0x1F1E6 <= code <= 0x1F1FF:  # regional indicators, in pairs
            if regional % 2 == 0 and previous != "\u200d":
                clusters += 1
            regional += 1
        elif category == "So" or (keycap and char in "0123456789#*"):
            if previous != "\u200d":
                clusters += 1
        else:
            return False
        previous = char
    return clusters == 1


class LiveMessageReaction(models.Model):
    """An emoji a member put on a chat message (one per user, message and
    emoji). Written through ``live.message.live_react`` only."""

    _name = "live.message.reaction"
    _description = "Live Messaging Reaction"
    _order = "id"

    message_id = fields.Many2one(
        "live.message", required=True, ondelete="cascade", index=True, readonly=True
    )
    user_id = fields.Many2one(
        "res.users", required=True, ondelete="cascade", readonly=True
    )
    emoji = fields.Char(required=True, readonly=True)
    room_id = fields.Many2one(related="message_id.room_id")

    _sql_constraints = [
        (
            "message_user_emoji_unique",
            "UNIQUE(message_id, user_id, emoji)",
            "This user already reacted with this emoji.",
        ),
    ]


class LiveMessage(models.Model):
    _inherit = "live.message"

    reaction_ids = fields.One2many(
        "live.message.reaction", "message_id", string="Reactions", readonly=True
    )

    def _format(self):
        result = super()._format()
        for message, data in zip(self, result, strict=True):
            if message.room_id:
                data["reactions"] = message._live_reactions()
        return result

    def _live_reactions(self):
        """``[{emoji, count, users: [{id, name}]}]``, emojis in the order they
        first came, people in the order they reacted."""
        self.ensure_one()
        groups = {}
        # sudo: live.message.reaction - reactions of a message the reader may read
        for reaction in self.sudo().reaction_ids:
            groups.setdefault(reaction.emoji, []).append(
                {"id": reaction.user_id.id, "name": reaction.user_id.name}
            )
        return [
            {"emoji": emoji, "count": len(users), "users": users}
            for emoji, users in groups.items()
        ]

    @api.model
    def _live_check_emoji(self, emoji):
        emoji = unicodedata.normalize("NFC", emoji) if isinstance(emoji, str) else ""
        if not is_emoji(emoji):
            raise ValidationError(_("A reaction is one emoji."))
        return emoji

    def live_react(self, emoji, add=True):
        """Add (``add``) or remove the current user's ``emoji`` on the message;
        both are idempotent. Every member is told
        (``live_messaging/reaction``) when something changed. Returns
        ``{"message_id", "reactions"}``."""
        self.ensure_one()
        self._live_check_changeable()
        self.room_id._check_can_post()
        emoji = self._live_check_emoji(emoji)
        user = self.env.user
        # sudo: live.message.reaction - the caller's own reactions (checked above)
        Reaction = self.env["live.message.reaction"].sudo()
        mine = Reaction.search(
            [("message_id", "=", self.id), ("user_id", "=", user.id)]
        )
        existing = mine.filtered(lambda r: r.emoji == emoji)
        changed = False
        if add and not existing:
            if len(mine) >= REACTIONS_PER_USER:
                raise UserError(
                    _(
                        "You can put at most %s reactions on one message.",
                        REACTIONS_PER_USER,
                    )
                )
            try:
                with self.env.cr.savepoint():
                    Reaction.create(
                        {"message_id": self.id, "user_id": user.id, "emoji": emoji}
                    )
                changed = True
            except IntegrityError:
                # the same reaction, from another tab at the same moment
                changed = False
        elif not add and existing:
            existing.unlink()
            changed = True
        self.invalidate_recordset(["reaction_ids"])
        reactions = self._live_reactions()
        if changed:
            self.room_id._bus_send(
                "live_messaging/reaction",
                {
                    "room_id": self.room_id.id,
                    "message_id": self.id,
                    "emoji": emoji,
                    "user": {"id": user.id, "name": user.name},
                    "added": bool(add),
                    "reactions": reactions,
                },
            )
        return rpc_value({"message_id": self.id, "reactions": reactions})

    def live_toggle_reaction(self, emoji):
        """Add the current user's ``emoji``, or remove it if they had put it
        (what a click on a reaction does)."""
        self.ensure_one()
        emoji = self._live_check_emoji(emoji)
        # sudo: live.message.reaction - whether the caller already reacted
        had = (
            self.env["live.message.reaction"]
            .sudo()
            .search_count(
                [
                    ("message_id", "=", self.id),
                    ("user_id", "=", self.env.uid),
                    ("emoji", "=", emoji),
                ]
            )
        )
        return self.live_react(emoji, add=not had)
