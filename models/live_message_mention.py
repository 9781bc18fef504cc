from odoo import Command, _, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

MENTIONS_MAX = 50


class LiveMessage(models.Model):
    _inherit = "live.message"

    mention_ids = fields.Many2many(
        "res.users",
        "live_message_mention_rel",
        "message_id",
        "user_id",
        string="Mentions",
        readonly=True,
        help="Members mentioned in the message (@name): each is told on their own "
        "channel, and the message counts apart in their unread badge.",
    )

    def _format(self):
        result = super()._format()
        for message, data in zip(self, result, strict=True):
            if message.room_id:
                # sudo: res.users - names of members of a room the reader is in
                data["mentions"] = [
                    {"id": user.id, "name": user.name}
                    for user in message.sudo().mention_ids
                ]
        return result

    def _live_notify_mentions(self, users):
        """Tell ``users`` (members mentioned by the message, its author left
        out) on their own channel: ``live_messaging/mention``. They are told
        wherever they are, the room folded or closed; the message itself comes
        on the room's channel as any other."""
        self.ensure_one()
        room = self.room_id
        users = users - self.author_id
        for user in users:
            user._bus_send(
                "live_messaging/mention",
                {
                    "room_id": room.id,
                    "message_id": self.id,
                    "seq": self.seq,
                    "author": {
                        "id": self.author_id.id or None,
                        "name": self.author_name or "",
                    },
                    "unread_mentions": room._get_mention_counts(user).get(room.id, 0),
                },
            )


class LiveRoom(models.Model):
    _inherit = "live.room"

    def _live_check_mentions(self, user_ids):
        """The users of ``user_ids`` (a list of user ids), who must all be
        members of the room; ValidationError otherwise. Ids of non-members are
        named in the error, never their names."""
        self.ensure_one()
        if not isinstance(user_ids, list | tuple) or not all(
            isinstance(uid, int) and not isinstance(uid, bool) for uid in user_ids
        ):
            raise ValidationError(_("Mentions are a list of user ids."))
        user_ids = list(dict.fromkeys(user_ids))
        if len(user_ids) > MENTIONS_MAX:
            raise ValidationError(
                _("A message mentions at most %s people.", MENTIONS_MAX)
            )
        # sudo: live.room.member - the room's members, for a caller who may post
        member_ids = set(self.sudo().member_ids.user_id.ids)
        strangers = [uid for uid in user_ids if uid not in member_ids]
        if strangers:
            raise ValidationError(
                _(
                    "Only members of the room can be mentioned (not user %s).",
                    ", ".join(map(str, strangers)),
                )
            )
        return self.env["res.users"].browse(user_ids)

    def _live_replayed_message(self, client_id, author=None):
        """The message ``author`` (default: the current user) already posted
        in the room with ``client_id``, if any. Features that validate extra
        values of a post (mentions, files) skip a replay: it returns the first
        message as it was."""
        self.ensure_one()
        Message = self.env["live.message"]
        if not client_id:
            return Message
        author = self.env.user if author is None else author
        return Message._find_by_client_id(
            "room_id", self, author, Message._check_client_id(client_id)
        )

    def _post_message(self, body, *, mention_ids=None, **kwargs):
        """``mention_ids``: ids of members the message mentions; they are
        stored with it and told (``live_messaging/mention``)."""
        if not mention_ids or self._live_replayed_message(
            kwargs.get("client_id"), kwargs.get("author")
        ):
            return super()._post_message(body, **kwargs)
        self._check_can_post()
        users = self._live_check_mentions(mention_ids)
        message = super()._post_message(
            body, mention_ids=[Command.set(users.ids)], **kwargs
        )
        message._live_notify_mentions(users)
        return message

    def _get_mention_counts(self, user):
        """Return ``{room_id: unread mentions}`` for ``user`` on the rooms of
        ``self``: messages of others above the member's read cursor that
        mention them. One query, from the user's mentions."""
        ids = [rid for rid in self.ids if rid]
        if not ids:
            return {}
        self.env["live.message"].flush_model(
            ["room_id", "seq", "author_id", "mention_ids"]
        )
        self.env["live.room.member"].flush_model(
            ["room_id", "user_id", "last_seen_seq"]
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT msg.room_id, COUNT(*)
                  FROM live_message_mention_rel rel
                  JOIN live_message msg ON msg.id = rel.message_id
                  JOIN live_room_member mem
                    ON mem.room_id = msg.room_id AND mem.user_id = rel.user_id
                 WHERE rel.user_id = %s
                   AND msg.room_id IN %s
                   AND msg.seq > mem.last_seen_seq
                   AND msg.author_id IS DISTINCT FROM rel.user_id
                 GROUP BY msg.room_id
                """,
                user.id,
                tuple(ids),
            )
        )
        return dict(self.env.cr.fetchall())

    def _format(self, user=None):
        result = super()._format(user)
        counts = self._get_mention_counts(user or self.env.user)
        for data in result:
            data["unread_mentions"] = counts.get(data["id"], 0)
        return result
