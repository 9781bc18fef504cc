from contextlib import nullcontext

from psycopg2 import IntegrityError

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from ..bus import control
from ..utils.values import rpc_value
from .live_message import InputError, check_text_fields, request_hash

ROOM_TYPES = [
    ("group", "Group"),
    ("direct", "Direct"),
    ("record", "Record"),
    ("support", "Support"),
]


class LiveRoom(models.Model):
    """A conversation: a group room, a direct (1:1) room unique per pair of users,
    or a room linked to a business record (a sale order, a ticket...).

    The room is its own bus channel: sockets of its members are subscribed to it
    by ``ir.websocket._build_bus_channel_list`` after an access check, and every
    message posted in it is sent with ``room._bus_send(...)``.
    """

    _name = "live.room"
    _description = "Live Messaging Room"
    _inherit = ["bus.listener.mixin"]
    _order = "last_message_date desc, id desc"

    name = fields.Char(required=True)
    description = fields.Text()
    room_type = fields.Selection(
        ROOM_TYPES, required=True, default="group", readonly=True, index=True
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        index=True,
        help="Leave empty to share the room across companies. Rooms linked to a "
        "record take the record's company.",
    )
    member_ids = fields.One2many("live.room.member", "room_id", string="Members")
    member_count = fields.Integer(compute="_compute_member_count")
    message_ids = fields.One2many("live.message", "room_id", string="Messages")
    last_seq = fields.Integer(
        "Last Sequence",
        readonly=True,
        default=0,
        copy=False,
        help="Sequence number of the last message; messages are numbered 1, 2, 3... "
        "without gaps within a room.",
    )
    last_message_id = fields.Many2one("live.message", readonly=True, copy=False)
    last_message_date = fields.Datetime(readonly=True, copy=False, index=True)
    direct_key = fields.Char(
        readonly=True,
        copy=False,
        help="Technical: the sorted pair of user ids of a direct room.",
    )
    res_model = fields.Char("Linked Model", readonly=True, index=True)
    res_id = fields.Many2oneReference(
        "Linked Record ID", model_field="res_model", readonly=True, index=True
    )
    create_uid = fields.Many2one("res.users", index=True)
    is_member = fields.Boolean(compute="_compute_is_member", search="_search_is_member")
    unread_count = fields.Integer(compute="_compute_unread_count")

    _sql_constraints = [
        (
            "direct_key_unique",
            "UNIQUE(direct_key)",
            "There is already a direct room between these two users.",
        ),
        (
            "record_unique",
            "UNIQUE(res_model, res_id)",
            "There is already a room linked to this record.",
        ),
        (
            "direct_key_check",
            "CHECK((room_type = 'direct') = (direct_key IS NOT NULL))",
            "Only direct rooms have a direct key, and they all have one.",
        ),
        (
            "record_check",
            "CHECK(room_type != 'record' OR (res_model IS NOT NULL AND res_id > 0))",
            "A record room must be linked to a record.",
        ),
    ]

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("member_ids")
    def _compute_member_count(self):
        for room in self:
            room.member_count = len(room.member_ids)

    @api.depends("member_ids.user_id")
    @api.depends_context("uid")
    def _compute_is_member(self):
        # sudo: live.room.member - only the current user's own memberships are read
        members = (
            self.env["live.room.member"]
            .sudo()
            .search([("room_id", "in", self.ids), ("user_id", "=", self.env.uid)])
        )
        member_room_ids = set(members.room_id.ids)
        for room in self:
            room.is_member = room.id in member_room_ids

    def _search_is_member(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Operation not supported"))
        domain_op = "in" if (operator == "=") == value else "not in"
        return [("member_ids.user_id", domain_op, [self.env.uid])]

    @api.depends_context("uid")
    def _compute_unread_count(self):
        counts = self._get_unread_counts(self.env.user)
        for room in self:
            room.unread_count = counts.get(room.id, 0)

    def _get_unread_counts(self, user):
        """Return ``{room_id: unread}`` for ``user`` on the rooms of ``self``.

        A message is unread when its sequence is above the member's read cursor and
        somebody else wrote it; system messages (joins, leaves) never count. One
        query for all rooms, on the ``(room_id, seq)`` index.
        """
        ids = [rid for rid in self.ids if rid]
        if not ids:
            return {}
        self.env["live.message"].flush_model(["room_id", "seq", "author_id", "kind"])
        self.env["live.room.member"].flush_model(
            ["room_id", "user_id", "last_seen_seq"]
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT mem.room_id, COUNT(msg.id)
                  FROM live_room_member mem
                  JOIN live_message msg
                    ON msg.room_id = mem.room_id
                   AND msg.seq > mem.last_seen_seq
                   AND msg.kind != 'system'
                   AND msg.author_id IS DISTINCT FROM mem.user_id
                 WHERE mem.user_id = %s AND mem.room_id IN %s
              GROUP BY mem.room_id
                """,
                user.id,
                tuple(ids),
            )
        )
        return dict(self.env.cr.fetchall())

    @api.depends("room_type", "member_ids.user_id")
    @api.depends_context("uid")
    def _compute_display_name(self):
        # a direct room is named after the other person, as seen by the viewer
        for room in self:
            if room.room_type == "direct":
                # sudo: live.room.member - co-members' names are visible to members
                others = room.sudo().member_ids.user_id - self.env.user
                room.display_name = others[:1].name or room.name
            else:
                room.display_name = room.name

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------

    @api.constrains("room_type", "member_ids")
    def _check_direct_members(self):
        for room in self.filtered(lambda r: r.room_type == "direct"):
            if len(room.member_ids) > 2:
                raise ValidationError(_("A direct room has exactly two members."))

    @api.constrains("company_id")
    def _check_member_companies(self):
        # sudo: live.room.member - checking the members' companies, not exposing them
        self.sudo().member_ids._check_company_access()

    # ------------------------------------------------------------------
    # CRUD protection: the ORM is not the way to bend rooms for users
    # ------------------------------------------------------------------

    _PROTECTED_FIELDS = frozenset(
        {
            "room_type",
            "last_seq",
            "last_message_id",
            "last_message_date",
            "direct_key",
            "res_model",
            "res_id",
        }
    )

    def write(self, vals):
        self._check_text_values(vals)
        if not self.env.su and self._PROTECTED_FIELDS.intersection(vals):
            raise AccessError(
                _(
                    "These room fields are managed by Live Messaging itself: %s",
                    ", ".join(sorted(self._PROTECTED_FIELDS.intersection(vals))),
                )
            )
        res = super().write(vals)
        if {"active", "company_id"}.intersection(vals):
            # who may read the room changed: its members' sockets follow
            # sudo: live.room.member - who the members are, for their sockets
            control.notify(self.env, channels=self.sudo().member_ids.user_id.ids)
        if {"name", "description", "active"}.intersection(vals):
            self._notify_room_changed()
        return res

    def unlink(self):
        # sudo: live.room.member - who the members are, for their sockets
        control.notify(self.env, channels=self.sudo().member_ids.user_id.ids)
        return super().unlink()

    # ------------------------------------------------------------------
    # Room creation (the public entry points; they check, then act in sudo)
    # ------------------------------------------------------------------

    def _check_live_user(self, users):
        """Only people who can chat may be in a group or direct room: active
        internal users of Live Messaging. OdooBot (the superuser), archived,
        portal and public users are refused."""
        live_group = self.env.ref("live_messaging.group_live_user")
        bot_partner = self.env.ref("base.partner_root", raise_if_not_found=False)
        bots = users.filtered(
            lambda u: u._is_superuser() or (bot_partner and u.partner_id == bot_partner)
        )
        if bots:
            raise ValidationError(
                _(
                    "%s is a bot, not a person: nobody can chat with it here.",
                    ", ".join(bots.mapped("name")),
                )
            )
        archived = users.filtered(lambda u: not u.active)
        if archived:
            raise ValidationError(
                _(
                    "%(users)s cannot chat: their account is archived.",
                    users=", ".join(archived.mapped("name")),
                )
            )
        not_live = users.filtered(lambda u: u.share or live_group not in u.groups_id)
        if not_live:
            raise ValidationError(
                _(
                    "%(users)s cannot chat: they are not Live Messaging users.",
                    users=", ".join(not_live.mapped("name")),
                )
            )

    def _check_shared_company(self, users):
        """Group and direct rooms have no company: they are conversations
        between people. Everybody put in one must share at least one allowed
        company with the person who adds them, so that nobody meets people of a
        company they do not work for. (Record rooms take their record's
        company instead; support rooms have agents and a visitor.)"""
        if self.env.su:
            return
        me = self.env.user
        strangers = (users - me).filtered(
            lambda u: not (u.company_ids & me.company_ids)
        )
        if strangers:
            raise ValidationError(
                _(
                    "You share no company with %(users)s: you cannot chat with "
                    "them here.",
                    users=", ".join(strangers.mapped("name")),
                )
            )

    @api.model
    def _check_text_values(self, vals):
        """NUL and lone surrogates are refused with the field as ``path``
        (PostgreSQL would fail on them)."""
        check_text_fields(
            vals,
            ("name", "description"),
            lambda field, error: _(
                "The room's %(field)s is refused: %(error)s", field=field, error=error
            ),
        )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_text_values(vals)
        return super().create(vals_list)

    @api.model
    @api.returns("self", lambda room: room.id)
    def live_create_group_room(self, name, user_ids=(), description=False):
        """Create a group room owned by the current user, with ``user_ids`` as the
        other members. Returns the new room."""
        self._check_live_user(self.env.user)
        if not isinstance(name, str):
            raise InputError(_("A room needs a name."), "/name")
        self._check_text_values({"name": name, "description": description})
        name = name.strip()
        if not name:
            raise InputError(_("A room needs a name."), "/name")
        if len(name) > 128:
            raise InputError(_("A room name is at most 128 characters."), "/name")
        users = self.env["res.users"].browse(set(user_ids)).exists() | self.env.user
        self._check_live_user(users)
        self._check_shared_company(users)
        # sudo: live.room - creation rights are checked above: any live user may
        # open a group room with other live users
        room = self.sudo().create(
            {"name": name, "description": description, "room_type": "group"}
        )
        room._add_members(users, owner=self.env.user)
        return room.sudo(False)

    @api.model
    @api.returns("self", lambda room: room.id)
    def live_get_direct_room(self, user_id):
        """Return the direct room between the current user and ``user_id``,
        creating it on first use. Unique per pair, even under concurrency."""
        me = self.env.user
        other = self.env["res.users"].browse(int(user_id)).exists()
        if not other:
            raise ValidationError(_("This user does not exist."))
        if other == me:
            raise ValidationError(_("A direct room needs two different people."))
        self._check_live_user(me)
        low, high = sorted((me.id, other.id))
        key = f"{low}-{high}"
        # sudo: live.room - direct rooms are found by their key, and the caller is
        # one of the two people of that key
        Room = self.sudo().with_context(active_test=False)
        room = Room.search([("direct_key", "=", key)], limit=1)
        if not room.active:
            # an existing conversation stays readable; a new (or revived) one
            # needs somebody who can chat, in a company of the caller's
            self._check_live_user(other)
            self._check_shared_company(other)
        if not room:
            try:
                with self.env.cr.savepoint():
                    room = Room.create(
                        {
                            "name": f"{me.name}, {other.name}",
                            "room_type": "direct",
                            "direct_key": key,
                        }
                    )
                    room._add_members(me | other)
            except IntegrityError:
                # somebody created it concurrently: take theirs
                room = Room.search([("direct_key", "=", key)], limit=1)
        if not room.active:
            room.active = True
        return room.sudo(False)

    @api.model
    @api.returns("self", lambda room: room.id)
    def live_get_record_room(self, res_model, res_id):
        """Return the room linked to a business record, creating it on first use
        with the current user, the record's salesperson/owner and followers as
        members. The caller must be able to read the record."""
        if res_model not in self.env or self.env[res_model]._abstract:
            raise ValidationError(_("Unknown model %s.", res_model))
        record = self.env[res_model].browse(int(res_id)).exists()
        if not record:
            raise ValidationError(_("This record does not exist."))
        record.check_access("read")
        # sudo: live.room - the caller can read the record, hence may see its room
        Room = self.sudo().with_context(active_test=False)
        room = Room.search([("res_model", "=", res_model), ("res_id", "=", record.id)])
        if room:
            if not room.is_member:
                room._add_members(self.env.user)
            return room.sudo(False)
        self._check_live_user(self.env.user)
        live_group = self.env.ref("live_messaging.group_live_user")
        # only people who may read the record join its room: a follower without
        # access to the order must not learn of it through the chat
        users = (self.env.user | record._live_room_default_users()).filtered(
            lambda u: (
                not u.share
                and live_group in u.groups_id
                and record.with_user(u).has_access("read")
            )
        )
        values = {
            "name": record.display_name,
            "room_type": "record",
            "res_model": res_model,
            "res_id": record.id,
        }
        if "company_id" in record._fields and record.company_id:
            values["company_id"] = record.company_id.id
        try:
            with self.env.cr.savepoint():
                room = Room.create(values)
                room._add_members(users, owner=self.env.user)
        except IntegrityError:
            room = Room.search(
                [("res_model", "=", res_model), ("res_id", "=", record.id)]
            )
            if not room.is_member:
                room._add_members(self.env.user)
        return room.sudo(False)

    # ------------------------------------------------------------------
    # Membership
    # ------------------------------------------------------------------

    def _check_can_manage_members(self):
        self.ensure_one()
        if self.env.su or self.env.user.has_group("live_messaging.group_live_manager"):
            return
        if self.room_type != "group":
            raise AccessError(_("Members of this room cannot be changed."))
        if not self.is_member:
            raise AccessError(_("You are not a member of this room."))

    def live_add_members(self, user_ids):
        """Add users to a group room (any member may invite live users)."""
        self.ensure_one()
        self.check_access("read")
        self._check_can_manage_members()
        users = self.env["res.users"].browse(set(user_ids)).exists()
        self._check_live_user(users)
        if self.room_type != "record":
            self._check_shared_company(users)
        # sudo: live.room.member - checked above that the caller may invite
        self.sudo()._add_members(users)
        return True

    def live_remove_member(self, user_id):
        """Remove a member: anybody may leave; only the owner or a manager may
        remove somebody else."""
        self.ensure_one()
        self.check_access("read")
        user = self.env["res.users"].browse(int(user_id))
        # sudo: live.room.member - rights are checked right below
        member = self.sudo().member_ids.filtered(lambda m: m.user_id == user)
        if not member:
            raise ValidationError(_("%s is not a member of this room.", user.name))
        if user != self.env.user:
            self._check_can_manage_members()
            is_manager = self.env.su or self.env.user.has_group(
                "live_messaging.group_live_manager"
            )
            me = self.sudo().member_ids.filtered(lambda m: m.user_id == self.env.user)
            if not is_manager and not me.is_owner:
                raise AccessError(
                    _("Only the room's owner or a manager can remove members.")
                )
        elif self.room_type == "direct":
            raise UserError(_("You cannot leave a direct conversation."))
        member.unlink()
        return True

    def _add_members(self, users, owner=None):
        """Add ``users`` (skipping existing members) and tell everybody.

        Callers check rights; this runs in sudo."""
        self.ensure_one()
        room = self.sudo()
        existing = room.member_ids.user_id
        new_users = users - existing
        if not new_users:
            return room.env["live.room.member"]
        members = room.env["live.room.member"].create(
            [
                {
                    "room_id": room.id,
                    "user_id": user.id,
                    "is_owner": bool(owner and user == owner),
                    # a newcomer has nothing unread from before they came
                    "last_seen_seq": room.last_seq,
                }
                for user in new_users
            ]
        )
        if existing and room.room_type in ("group", "record"):
            room._post_system(
                _("%s joined the room.", ", ".join(new_users.mapped("name")))
            )
        return members

    # ------------------------------------------------------------------
    # Messages
    # ------------------------------------------------------------------

    def _check_can_post(self):
        """The current user may post in the room: they may read it (record
        rules), are a member, and it is not archived. One query when they may
        (the error path looks closer, to raise what it always raised)."""
        self.ensure_one()
        if self.env.su:
            if not self.active:
                raise UserError(_("This room is archived: nobody can post in it."))
            return
        room = self.with_context(active_test=False).search_fetch(
            [("id", "=", self.id), ("is_member", "=", True)], ["active"]
        )
        if not room:
            self.check_access("read")
            if not self.active:
                raise UserError(_("This room is archived: nobody can post in it."))
            raise AccessError(_("You are not a member of this room."))
        if not room.active:
            raise UserError(_("This room is archived: nobody can post in it."))

    def live_post_message(
        self, body, client_id=False, payload=None, mention_ids=None, attachment_ids=None
    ):
        """Post a chat message as the current user; returns the message's
        formatted dict. With ``client_id``, a retry returns the first message.
        ``mention_ids``: members mentioned; ``attachment_ids``: files uploaded
        for it (see ``live_message_mention.py``, ``live_message_attachment.py``)."""
        self.ensure_one()
        message = self._post_message(
            body,
            client_id=client_id,
            payload=payload,
            mention_ids=mention_ids,
            attachment_ids=attachment_ids,
        )
        return rpc_value(message._live_format_posted())

    def _post_message(
        self,
        body,
        *,
        kind="chat",
        payload=None,
        client_id=False,
        author=None,
        author_name=False,
        author_app=False,
        **extra,
    ):
        """Store a message in the room, then push it to the members on commit.

        Returns the ``live.message`` (the existing one when ``client_id`` was
        already used by the same author in this room). ``extra`` values are written
        on the message (hook for other modules, e.g. a support visitor author)."""
        self.ensure_one()
        self._check_can_post()
        author = self.env.user if author is None else author
        Message = self.env["live.message"]
        values = self._live_message_values(
            body,
            kind=kind,
            payload=payload,
            client_id=client_id,
            author=author,
            author_name=author_name,
            author_app=author_app,
            **extra,
        )
        client_id, fingerprint = values["client_id"], values["request_hash"]
        if client_id:
            existing = Message._find_by_client_id("room_id", self, author, client_id)
            if existing:
                return Message._check_replay(existing, fingerprint)
        try:
            # only a client id can collide (with a concurrent retry)
            with self.env.cr.savepoint() if client_id else nullcontext():
                message = self._create_message(values)
        except IntegrityError:
            # the same client_id raced us from another request: return theirs
            existing = client_id and Message._find_by_client_id(
                "room_id", self, author, client_id
            )
            if not existing:
                raise
            return Message._check_replay(existing, fingerprint)
        return message

    @api.model
    def _live_message_values(
        self,
        body,
        *,
        kind="chat",
        payload=None,
        client_id=False,
        author,
        author_name=False,
        author_app=False,
        **extra,
    ):
        """The values of a new message by ``author``, checked as every post
        checks them: the body contract, not empty (unless it has files), the
        payload, the client id (and the request's fingerprint with it)."""
        Message = self.env["live.message"]
        body = Message._prepare_body(body)
        if kind == "chat" and not body.strip() and not extra.get("attachment_ids"):
            raise InputError(_("A message cannot be empty."), "/body")
        if payload:
            Message._check_payload(payload)
        fingerprint = False
        if client_id:
            client_id = Message._check_client_id(client_id)
            fingerprint = request_hash(body, payload or None)
        return {
            "kind": kind,
            "body": body,
            "payload": payload or None,
            "client_id": client_id or False,
            "request_hash": fingerprint,
            "author_id": author.id or False,
            "author_name": author_name or author.name or False,
            "author_app": author_app or False,
            **extra,
        }

    def _create_message(self, values):
        """Write the message ``values`` as the room's next one, in one
        statement: the room's row takes the next number (its lock serialises
        the posts of a room: numbers have no gaps, and a rollback gives the
        number back) and points at the message, the author's read cursor
        follows their own message, and the message is inserted. Then push it
        to the room on commit."""
        self.ensure_one()
        room = self.sudo()
        # sudo: live.message - posting rights were checked by _check_can_post
        Message = room.env["live.message"]
        columns, x2many = Message._live_insert_columns(dict(values, room_id=room.id))
        author_id = values.get("author_id") if values.get("kind") != "system" else None
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                WITH room AS (
                    UPDATE live_room
                       SET last_seq = last_seq + 1,
                           -- the id is taken with the row's lock (PostgreSQL
                           -- evaluates it again after waiting for a concurrent
                           -- post): a room's ids follow its numbers
                           last_message_id = nextval('live_message_id_seq'),
                           last_message_date = %(now)s,
                           write_uid = %(uid)s,
                           write_date = %(now)s
                     WHERE id = %(room_id)s
                 RETURNING last_seq, last_message_id
                ),
                author AS (
                    -- writing is reading: the author's cursor follows
                    UPDATE live_room_member member
                       SET last_seen_seq = room.last_seq,
                           write_uid = %(uid)s,
                           write_date = %(now)s
                      FROM room
                     WHERE member.room_id = %(room_id)s
                       AND member.user_id = %(author_id)s
                       AND member.last_seen_seq < room.last_seq
                )
                %(insert)s
                """,
                uid=self.env.uid,
                now=self.env.cr.now(),
                room_id=room.id,
                author_id=author_id or None,
                insert=Message._live_insert_sql(
                    [columns],
                    SQL("room"),
                    SQL("room.last_seq"),
                    SQL("room.last_message_id"),
                ),
            )
        )
        rows = self.env.cr.fetchall()
        room._live_numbered(author_moved=bool(author_id))
        message = Message._live_inserted(rows, [columns], [x2many])
        formatted = message._format()
        message._live_posted(formatted)
        room._bus_send("live_messaging/message", formatted[0])
        return message

    def _live_numbered(self, author_moved):
        """The cache after a statement numbered messages of the room (and
        moved their author's read cursor when ``author_moved``)."""
        self.invalidate_recordset(
            ["last_seq", "last_message_id", "last_message_date", "message_ids"]
            + ["write_uid", "write_date"]
        )
        self.modified(["last_seq", "last_message_id", "last_message_date"])
        if author_moved:
            self.env["live.room.member"].invalidate_model(
                ["last_seen_seq", "last_seen_message_id", "write_uid", "write_date"]
            )

    def _create_messages(self, values_list):
        """Write the messages ``values_list`` (checked already) as the room's
        next ones, in their order, as ``_create_message`` writes one, with one
        INSERT for all (batches). The caller holds the room's row lock already
        (``live.publish._batch_lock``): the ids the insert takes follow the
        numbers. Returns the messages and their formatted dicts, pushed to the
        room on commit."""
        self.ensure_one()
        room = self.sudo()
        # sudo: live.message - posting rights were checked by the caller
        Message = room.env["live.message"]
        parts = [
            Message._live_insert_columns(dict(values, room_id=room.id))
            for values in values_list
        ]
        columns_list = [columns for columns, _x2many in parts]
        count = len(values_list)
        author_ids = sorted(
            {
                values["author_id"]
                for values in values_list
                if values.get("kind") != "system" and values.get("author_id")
            }
        )
        now = self.env.cr.now()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                WITH room AS (
                    UPDATE live_room
                       SET last_seq = last_seq + %(count)s,
                           last_message_date = %(now)s,
                           write_uid = %(uid)s,
                           write_date = %(now)s
                     WHERE id = %(room_id)s
                 RETURNING last_seq
                ),
                author AS (
                    UPDATE live_room_member member
                       SET last_seen_seq = room.last_seq,
                           write_uid = %(uid)s,
                           write_date = %(now)s
                      FROM room
                     WHERE member.room_id = %(room_id)s
                       AND member.user_id = ANY(%(author_ids)s)
                       AND member.last_seen_seq < room.last_seq
                )
                %(insert)s
                """,
                count=count,
                uid=self.env.uid,
                now=now,
                room_id=room.id,
                author_ids=author_ids,
                insert=Message._live_insert_sql(
                    columns_list,
                    SQL("room"),
                    SQL("room.last_seq - %s + 1 + v.idx", count),
                ),
            )
        )
        rows = self.env.cr.fetchall()
        self.env.cr.execute(
            SQL(
                "UPDATE live_room SET last_message_id = %s WHERE id = %s",
                max(row[0] for row in rows),
                room.id,
            )
        )
        room._live_numbered(author_moved=bool(author_ids))
        messages = Message._live_inserted(
            rows, columns_list, [x2many for _columns, x2many in parts]
        )
        formatted = messages._format()
        messages._live_posted(formatted)
        for data in formatted:
            room._bus_send("live_messaging/message", data)
        return messages.sudo(False), formatted

    def _post_system(self, body):
        """Post a system note (joins, leaves, expiry...): no author, never unread."""
        self.ensure_one()
        return self.sudo()._post_message(
            body, kind="system", author=self.env["res.users"]
        )

    def live_set_typing(self, is_typing=True):
        """Tell the room's other members (and a support visitor) that the
        current user is typing, or stopped. Clients repeat it while typing and
        drop the indicator by themselves after a few seconds without news."""
        self.ensure_one()
        self._check_can_post()
        self._send_typing(self.env.user.name, bool(is_typing), user=self.env.user)
        return True

    def _send_typing(self, name, is_typing, user=None, visitor=False):
        self.ensure_one()
        self._bus_send(
            "live_messaging/typing",
            {
                "room_id": self.id,
                "user_id": user.id if user else None,
                "name": name,
                "is_typing": is_typing,
                "visitor": visitor,
            },
        )

    def live_fetch_messages(self, before=None, after=None, limit=50):
        """History, keyset-paginated on the message id (never OFFSET).

        ``after``: the messages with an id above it, oldest first. ``before``: the
        ones below it, the newest page, returned oldest first. Neither: the newest
        page. Returns ``{"messages": [...], "has_more": bool}``."""
        self.ensure_one()
        self.check_access("read")
        if not self.env.su and not self.is_member:
            raise AccessError(_("You are not a member of this room."))
        return rpc_value(
            self.env["live.message"]._fetch_page(
                [("room_id", "=", self.id)], before=before, after=after, limit=limit
            )
        )

    def live_mark_seen(self, message_id=None):
        """Move the current user's read cursor to ``message_id`` (default: the last
        message). Cursors never move backwards. Returns the unread count left."""
        self.ensure_one()
        self.check_access("read")
        # sudo: live.room.member - the user moves their own cursor only
        member = self.sudo().member_ids.filtered(lambda m: m.user_id == self.env.user)
        if not member:
            raise AccessError(_("You are not a member of this room."))
        seq = self.last_seq
        if message_id:
            message = (
                self.env["live.message"]
                .sudo()
                .search([("id", "=", int(message_id)), ("room_id", "=", self.id)])
            )
            if not message:
                raise ValidationError(_("This message is not in this room."))
            seq = message.seq
        member._set_last_seen_seq(seq)
        return self._get_unread_counts(self.env.user).get(self.id, 0)

    # ------------------------------------------------------------------
    # Formatting and notifications
    # ------------------------------------------------------------------

    def _format(self, user=None):
        """Small dict describing the rooms for ``user`` (default: current user)."""
        user = user or self.env.user
        counts = self._get_unread_counts(user)
        result = []
        for room in self:
            # sudo: live.room.member - members of a room the user belongs to
            members = room.sudo().member_ids
            result.append(
                {
                    "id": room.id,
                    "name": room.with_user(user).sudo().display_name,
                    "type": room.room_type,
                    "active": room.active,
                    "description": room.description or "",
                    "res_model": room.res_model or None,
                    "res_id": room.res_id or None,
                    "last_seq": room.last_seq,
                    "last_message_id": room.last_message_id.id or None,
                    "last_message_date": room.last_message_date
                    and fields.Datetime.to_string(room.last_message_date)
                    or None,
                    "unread": counts.get(room.id, 0),
                    "members": members._format(),
                }
            )
        return result

    def _notify_room_changed(self):
        """Tell every member's web clients and apps that the room (or its member
        list) changed: they refresh it and re-subscribe their sockets."""
        for room in self.sudo():
            for member in room.member_ids:
                member.user_id._bus_send(
                    "live_messaging/room",
                    {"room": room._format(member.user_id)[0]},
                )

    @api.model
    def _demo_post(self, posts):
        """Demo data: post ``(room xmlid, user xmlid, body)`` messages in order."""
        for room_xmlid, user_xmlid, body in posts:
            user = self.env.ref(user_xmlid)
            self.env.ref(room_xmlid).with_user(user)._post_message(body)

    @api.model
    def live_get_rooms(self):
        """The current user's rooms, most recently active first."""
        return rpc_value(self.search([("is_member", "=", True)])._format())
