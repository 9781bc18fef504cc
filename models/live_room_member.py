from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..bus import control


class LiveRoomMember(models.Model):
    """A user's membership of a room, with their read cursor.

    The cursor is the sequence number of the last message the member has seen;
    unread counts are computed from it (see ``live.room._get_unread_counts``)."""

    _name = "live.room.member"
    _description = "Live Messaging Room Member"
    _order = "room_id, id"
    _rec_name = "user_id"

    room_id = fields.Many2one(
        "live.room", required=True, ondelete="cascade", index=True, readonly=True
    )
    user_id = fields.Many2one(
        "res.users", required=True, ondelete="cascade", index=True, readonly=True
    )
    partner_id = fields.Many2one(related="user_id.partner_id")
    is_owner = fields.Boolean(readonly=True)
    last_seen_seq = fields.Integer(
        "Last Seen Sequence",
        default=0,
        readonly=True,
        help="Sequence number of the last message this member has seen.",
    )
    last_seen_message_id = fields.Many2one(
        "live.message", compute="_compute_last_seen_message_id"
    )
    company_id = fields.Many2one(related="room_id.company_id")

    _sql_constraints = [
        (
            "room_user_unique",
            "UNIQUE(room_id, user_id)",
            "This user is already a member of the room.",
        ),
    ]

    @api.depends("room_id", "last_seen_seq")
    def _compute_last_seen_message_id(self):
        # sudo: live.message - resolving the member's own cursor
        messages = (
            self.env["live.message"]
            .sudo()
            .search(
                [
                    ("room_id", "in", self.room_id.ids),
                    ("seq", "in", list(set(self.mapped("last_seen_seq")))),
                ]
            )
        )
        by_key = {(m.room_id.id, m.seq): m for m in messages}
        for member in self:
            member.last_seen_message_id = by_key.get(
                (member.room_id.id, member.last_seen_seq), False
            )

    @api.constrains("user_id", "room_id")
    def _check_company_access(self):
        for member in self.filtered("room_id.company_id"):
            company = member.room_id.company_id
            if company not in member.user_id.company_ids:
                raise ValidationError(
                    _(
                        "%(user)s cannot join %(room)s: they have no access to "
                        "company %(company)s.",
                        user=member.user_id.name,
                        room=member.room_id.name,
                        company=company.name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        members = super().create(vals_list)
        # the newcomers' open sockets get the room's channel at once
        control.notify(self.env, channels=members.user_id.ids)
        # everybody refreshes the member list; the newcomers' clients also learn
        # of the room
        members.room_id._notify_room_changed()
        return members

    def unlink(self):
        gone = [(m.room_id, m.user_id) for m in self]
        # their open sockets lose the room's channel at once: nothing committed
        # after this is routed to them
        control.notify(self.env, channels=self.user_id.ids)
        res = super().unlink()
        for room, user in gone:
            # their clients drop the room
            user._bus_send("live_messaging/room_left", {"room_id": room.id})
            if room.exists() and room.room_type in ("group", "record"):
                room._post_system(_("%s left the room.", user.name))
        rooms = self.env["live.room"].union(*(room for room, _user in gone))
        rooms.exists()._notify_room_changed()
        return res

    def _format(self):
        """The wire form of members, as their co-members see them: who they are,
        their face (the partner's avatar), their presence (``bus.presence``, kept
        current by the ``odoo-presence-res.partner_<partner_id>`` channels) and
        their read cursor (what "seen" is computed from)."""
        # sudo: res.users - name, partner and presence of co-members
        users = self.sudo().user_id
        # read afresh: with mail installed, a change of bus.presence leaves the
        # cached status as it was (mail's _invalidate_im_status misses the users)
        users.invalidate_recordset(["im_status"])
        statuses = {user.id: user.im_status for user in users}
        return [
            {
                "id": member.user_id.id,
                "name": member.user_id.name,
                "partner_id": member.user_id.partner_id.id,
                "avatar_url": f"/web/image/res.partner/"
                f"{member.user_id.partner_id.id}/avatar_128",
                "im_status": statuses.get(member.user_id.id) or "offline",
                "last_seen_seq": member.last_seen_seq,
            }
            for member in self
        ]

    def _set_last_seen_seq(self, seq, notify=True):
        """Move the cursor forward to ``seq`` (never backwards) and tell the
        member's other tabs and apps; in a direct room, tell the other person
        too (their "seen")."""
        for member in self:
            if seq <= member.last_seen_seq:
                continue
            # sudo: live.room.member - the cursor is not writable by users directly
            member.sudo().last_seen_seq = min(seq, member.room_id.last_seq)
            if notify:
                member.user_id._bus_send(
                    "live_messaging/seen",
                    {
                        "room_id": member.room_id.id,
                        "last_seen_seq": member.last_seen_seq,
                        "unread": member.room_id._get_unread_counts(member.user_id).get(
                            member.room_id.id, 0
                        ),
                    },
                )
            # (a post moves its author's cursor silently: the message says it)
            if notify and member.room_id.room_type == "direct":
                member._notify_seen_by()

    def _notify_seen_by(self):
        """Push the member's read cursor to the room (``live_messaging/member_seen``),
        so the other person's clients show "seen" under their messages.

        Direct rooms only: in a group or record room every read would be pushed to
        every member, a cost growing with the square of the room's size, for a
        "seen by" that nobody asked of them."""
        for member in self:
            member.room_id._bus_send(
                "live_messaging/member_seen",
                {
                    "room_id": member.room_id.id,
                    "user_id": member.user_id.id,
                    "last_seen_seq": member.last_seen_seq,
                },
            )
