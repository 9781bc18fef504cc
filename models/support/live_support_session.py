import hashlib
import hmac
import secrets
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ...utils.text import InvalidValue, check_text, unescape_body
from ...utils.values import rpc_value
from ..live_message import InputError

EXPIRY_PARAM = "live_messaging.support_expiry_seconds"
EXPIRY_DEFAULT = 120
JOIN_RATE_PARAM = "live_messaging.support_join_rate_limit"
JOIN_RATE_DEFAULT = 5  # joins per address and minute; 0 disables
TYPING_RATE_PARAM = "live_messaging.support_typing_rate_limit"
TYPING_RATE_DEFAULT = 40  # typing notifications per chat and minute; 0 disables
HEARTBEAT_PARAM = "live_messaging.support_heartbeat_timeout"
HEARTBEAT_DEFAULT = 60  # seconds without heartbeat before a visitor has left
TOKEN_PREFIX_LEN = 8
NAME_MAX = 64
CHANNEL_PREFIX = "live.support_"

SESSION_STATES = [
    ("waiting", "Waiting"),
    ("active", "In progress"),
    ("closed", "Closed"),
    ("expired", "Expired"),
]
OPEN_STATES = ("waiting", "active")


class SupportError(UserError):
    """A refusal of the support flow, with a stable ``code``: ``already_taken``,
    ``expired``, ``closed``, ``rate_limited`` or ``not_found``. The API maps the
    code to its HTTP status (``controllers/api/errors.py``)."""

    def __init__(self, code, message, retry_after=None):
        super().__init__(message)
        self.code = code
        self.retry_after = retry_after


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


class LiveSupportSession(models.Model):
    """A visitor's support chat: a visitor (no Odoo user) joins with a display
    name, waits in the agents' queue, is claimed by one agent, and chats with
    them in a ``support`` room until either side closes or it expires.

    The visitor is known by a secret token only; the database keeps its SHA-256
    and a short public prefix to find it. Agents (``group_live_support_agent``)
    get the queue pushed on their group's bus channel."""

    _name = "live.support.session"
    _description = "Live Support Chat"
    _order = "join_date desc, id desc"
    _rec_name = "visitor_name"

    visitor_name = fields.Char(required=True, readonly=True)
    token_prefix = fields.Char(readonly=True, index=True, groups="base.group_system")
    token_hash = fields.Char(readonly=True, groups="base.group_system")
    room_id = fields.Many2one(
        "live.room", required=True, readonly=True, ondelete="cascade", index=True
    )
    state = fields.Selection(
        SESSION_STATES, required=True, default="waiting", readonly=True, index=True
    )
    agent_id = fields.Many2one("res.users", readonly=True, index=True)
    join_date = fields.Datetime(
        required=True, readonly=True, default=fields.Datetime.now
    )
    claim_date = fields.Datetime(readonly=True)
    close_date = fields.Datetime(readonly=True)
    last_activity = fields.Datetime(readonly=True, default=fields.Datetime.now)
    visitor_last_seen = fields.Datetime(readonly=True, default=fields.Datetime.now)
    visitor_present = fields.Boolean(readonly=True, default=True)
    first_message = fields.Text(
        "First Message Body",
        readonly=True,
        help="Body of the visitor's first message (escaped: the body contract).",
    )
    first_message_text = fields.Text(
        "First Message",
        compute="_compute_first_message_text",
        help="The visitor's first message as typed.",
    )
    visitor_ip = fields.Char("Visitor Address", readonly=True, index=True)
    waiting_time = fields.Float(
        "Waiting Time (min)",
        compute="_compute_waiting_time",
        help="Minutes between the visitor's arrival and an agent's claim (or now, "
        "or the end of the chat when nobody claimed it).",
    )
    message_ids = fields.One2many(related="room_id.message_ids", string="Transcript")
    message_count = fields.Integer(related="room_id.last_seq", string="Messages")

    @api.depends("first_message")
    def _compute_first_message_text(self):
        for session in self:
            session.first_message_text = unescape_body(session.first_message or "")

    @api.depends("join_date", "claim_date", "close_date")
    def _compute_waiting_time(self):
        now = fields.Datetime.now()
        for session in self:
            end = session.claim_date or session.close_date or now
            session.waiting_time = (
                (end - session.join_date).total_seconds() / 60.0
                if session.join_date
                else 0.0
            )

    # ------------------------------------------------------------------
    # Settings
    # ------------------------------------------------------------------

    @api.model
    def _int_param(self, key, default):
        # sudo: ir.config_parameter - reading a technical setting
        value = self.env["ir.config_parameter"].sudo().get_param(key, default)
        try:
            return max(0, int(value))
        except (TypeError, ValueError):
            return default

    @api.model
    def _expiry_seconds(self):
        return self._int_param(EXPIRY_PARAM, EXPIRY_DEFAULT) or EXPIRY_DEFAULT

    # ------------------------------------------------------------------
    # Visitor side (public routes; everything runs in sudo after the token
    # was checked)
    # ------------------------------------------------------------------

    @api.model
    def _check_visitor_name(self, name):
        if not isinstance(name, str):
            raise InputError(_("Please give a name to start a chat."), "/name")
        try:
            check_text(name, "/name")
        except InvalidValue as exc:
            raise InputError(
                _("This name is refused: %s", exc.message), exc.path
            ) from None
        # a name is plain text, shown as text: only its spacing is tidied
        name = " ".join(name.split())
        if not name:
            raise InputError(_("Please give a name to start a chat."), "/name")
        if len(name) > NAME_MAX:
            raise InputError(
                _("A name is at most %s characters long.", NAME_MAX), "/name"
            )
        return name

    @api.model
    def _check_join_rate(self, ip):
        """At most ``live_messaging.support_join_rate_limit`` joins per address
        and minute (0 disables the limit): a token bucket in the database,
        spent atomically, so that parallel joins from any worker or node get
        exactly that many through."""
        limit = self._int_param(JOIN_RATE_PARAM, JOIN_RATE_DEFAULT)
        if not limit or not ip:
            return
        retry_after = self.env["live.rate.limit"]._hit(f"support_join:{ip}", limit)
        if retry_after:
            raise SupportError(
                "rate_limited",
                _(
                    "Too many chats started from here: retry in %s seconds.",
                    retry_after,
                ),
                retry_after=retry_after,
            )

    @api.model
    def _visitor_join(self, name, message=None, ip=None):
        """Start a support chat for a visitor: returns ``(session, token)``;
        the clear token is given once and never stored."""
        name = self._check_visitor_name(name)
        if message is not None:
            try:
                self.env["live.message"]._prepare_body(message)
            except InputError as exc:
                # the first message is the join's "message"
                exc.path = "/message"
                raise
        self._check_join_rate(ip)
        token = secrets.token_urlsafe(32)
        # sudo: live.room - a visitor's support room is created by the flow
        room = (
            self.env["live.room"]
            .sudo()
            .create({"name": _("Support: %s", name), "room_type": "support"})
        )
        # sudo: live.support.session - visitors are no users; the flow creates it
        session = self.sudo().create(
            {
                "visitor_name": name,
                "token_prefix": token[:TOKEN_PREFIX_LEN],
                "token_hash": hash_token(token),
                "room_id": room.id,
                "visitor_ip": ip or False,
            }
        )
        room._post_system(_("%s is waiting for an agent.", name))
        if message:
            session._visitor_post(message)
        session._notify_queue({"added": session._format_queue()[0]})
        return session, token

    @api.model
    def _demo_join(self, name, message):
        """Demo data: a visitor waiting in the queue (no address: the join
        limit's table is not visible to the install's transaction yet)."""
        session, _token = self._visitor_join(name, message)
        session.visitor_ip = "demo"

    @api.model
    def _find_by_token(self, token):
        """The session of ``token`` (in sudo), or an empty recordset. The hash
        is compared in constant time; the prefix only narrows the search."""
        # sudo: live.support.session - the visitor proves the token, not a user
        Session = self.sudo()
        if not isinstance(token, str) or len(token) < 16 or len(token) > 128:
            return Session.browse()
        candidates = Session.search([("token_prefix", "=", token[:TOKEN_PREFIX_LEN])])
        digest = hash_token(token)
        for session in candidates:
            if hmac.compare_digest(session.token_hash, digest):
                return session
        return Session.browse()

    @api.model
    def _visitor_session(self, token, open_only=True):
        """The session of a visitor's token after the lazy expiry check;
        ``SupportError`` when it is unknown (or no longer open)."""
        session = self._find_by_token(token)
        if not session:
            raise SupportError("not_found", _("This support chat does not exist."))
        session._check_expiry()
        if open_only:
            session._check_open()
        return session

    def _check_open(self):
        self.ensure_one()
        if self.state == "expired":
            raise SupportError(
                "expired",
                _("This chat expired after inactivity: start a new one."),
            )
        if self.state == "closed":
            raise SupportError("closed", _("This chat is closed: start a new one."))

    def _visitor_post(self, body, client_id=False):
        """Post ``body`` as the visitor; returns the message."""
        self.ensure_one()
        self._check_open()
        # sudo: live.room - the visitor proved the token of this room; the
        # message is read in sudo too (a replay returns it unsudoed)
        message = (
            self.room_id.sudo()
            ._post_message(
                body,
                client_id=client_id,
                author=self.env["res.users"],
                author_name=self.visitor_name,
            )
            .sudo()
        )
        if not self.first_message:
            self.first_message = message.body
        self._touch()
        return message

    def _visitor_history(self):
        """What a returning visitor gets: the whole transcript of an open
        chat, or the notice that it ended."""
        self.ensure_one()
        self._seen()
        result = self._format_visitor()
        if self.state in OPEN_STATES:
            # sudo: live.message - the visitor proved the room's token
            messages = (
                self.env["live.message"]
                .sudo()
                .search([("room_id", "=", self.room_id.id)], order="id asc")
            )
            result["messages"] = messages._format()
        else:
            result["messages"] = []
            result["notice"] = (
                _("This chat expired after inactivity. You can start a new one.")
                if self.state == "expired"
                else _("This chat is closed. You can start a new one.")
            )
        return result

    def _visitor_typing(self, is_typing):
        """Tell the agent; at most ``live_messaging.support_typing_rate_limit``
        times a minute per chat (each one is a bus notification)."""
        self.ensure_one()
        self._check_open()
        limit = self._int_param(TYPING_RATE_PARAM, TYPING_RATE_DEFAULT)
        retry_after = limit and self.env["live.rate.limit"]._hit(
            f"support_typing:{self.id}", limit, max(1, limit // 4)
        )
        if retry_after:
            raise SupportError(
                "rate_limited",
                _("Typing is told at most %s times a minute.", limit),
                retry_after=retry_after,
            )
        self._seen()
        self.room_id._send_typing(self.visitor_name, bool(is_typing), visitor=True)

    def _visitor_heartbeat(self):
        self.ensure_one()
        self._seen()
        return self._format_visitor()

    def _visitor_leave(self):
        self.ensure_one()
        if self.state in OPEN_STATES:
            self._close("closed", _("%s left the chat.", self.visitor_name))
        return self._format_visitor()

    def _seen(self):
        """The visitor is alive (a heartbeat, a request, a socket)."""
        now = fields.Datetime.now()
        for session in self:
            back = not session.visitor_present
            if not back and session.visitor_last_seen > now - timedelta(seconds=5):
                continue  # fresh enough: spare the row a write (and a lock)
            session.write({"visitor_last_seen": now, "visitor_present": True})
            if back and session.state in OPEN_STATES:
                session._notify_event("visitor_back")

    def _touch(self):
        self.write({"last_activity": fields.Datetime.now()})
        self._seen()

    def _visitor_gone(self):
        """The visitor's socket closed or their heartbeat stopped: the agent
        is told (the chat itself stays open until it expires)."""
        for session in self.filtered(
            lambda s: s.state in OPEN_STATES and s.visitor_present
        ):
            session.visitor_present = False
            session._notify_event("visitor_left")

    # ------------------------------------------------------------------
    # Expiry
    # ------------------------------------------------------------------

    def _check_expiry(self):
        """Expire the open sessions of ``self`` inactive for longer than the
        setting (done lazily at every access, and by a cron)."""
        limit = fields.Datetime.now() - timedelta(seconds=self._expiry_seconds())
        stale = self.filtered(
            lambda s: s.state in OPEN_STATES and s.last_activity < limit
        )
        for session in stale:
            session._close(
                "expired",
                _(
                    "The chat expired after %s seconds without activity.",
                    session._expiry_seconds(),
                ),
            )
        return stale

    @api.model
    def _cron_support_housekeeping(self):
        """Expire inactive chats and notice visitors whose heartbeat stopped."""
        # sudo: live.support.session - the cron walks every open chat
        sessions = self.sudo().search([("state", "in", OPEN_STATES)])
        sessions._check_expiry()
        timeout = self._int_param(HEARTBEAT_PARAM, HEARTBEAT_DEFAULT)
        if timeout:
            since = fields.Datetime.now() - timedelta(seconds=timeout)
            sessions.filtered(
                lambda s: (
                    s.state in OPEN_STATES
                    and s.visitor_present
                    and s.visitor_last_seen < since
                )
            )._visitor_gone()

    def _close(self, state, note):
        """End the chat (``closed`` or ``expired``): a system note in the
        room, both sides and the queue are told."""
        self.ensure_one()
        was_waiting = self.state == "waiting"
        # sudo: live.support.session - the flow ends the chat it checked
        self.sudo().write({"state": state, "close_date": fields.Datetime.now()})
        self.room_id._post_system(note)
        # sudo: live.room - the ended chat's room is closed: nobody posts anymore
        self.room_id.sudo().active = False
        self._notify_event(state)
        if was_waiting:
            self._notify_queue({"removed": self.id})

    # ------------------------------------------------------------------
    # Agent side
    # ------------------------------------------------------------------

    def _check_agent(self):
        if not self.env.user.has_group("live_messaging.group_live_support_agent"):
            raise AccessError(_("Only live support agents can do this."))

    @api.model
    def live_queue(self):
        """The waiting visitors, oldest first (after expiring the stale ones)."""
        self._check_agent()
        # sudo: live.support.session - agents see the whole queue
        waiting = self.sudo().search([("state", "=", "waiting")], order="join_date")
        waiting -= waiting._check_expiry()
        return rpc_value(waiting._format_queue())

    @api.model
    def live_my_chats(self):
        """The current agent's chats in progress."""
        self._check_agent()
        # sudo: live.support.session - the agent's own chats
        sessions = self.sudo().search(
            [("state", "=", "active"), ("agent_id", "=", self.env.uid)],
            order="claim_date",
        )
        sessions -= sessions._check_expiry()
        return rpc_value(sessions._format_queue())

    def live_claim(self):
        """Take a waiting visitor: one agent wins, whatever the concurrency.

        The row is locked (``FOR NO KEY UPDATE``): a concurrent claim waits
        for the winner's commit, then fails to serialise (repeatable read) and
        is retried by Odoo, and finds the session taken. Returns the session's
        queue dict (with its room id)."""
        self.ensure_one()
        self._check_agent()
        self.env.cr.execute(
            SQL(
                "SELECT state FROM live_support_session WHERE id = %s "
                "FOR NO KEY UPDATE",
                self.id,
            ),
            # losing the race is no error: Odoo retries the request
            log_exceptions=False,
        )
        row = self.env.cr.fetchone()
        if not row:
            raise SupportError("not_found", _("This support chat does not exist."))
        # sudo: live.support.session - agents may claim any waiting visitor
        session = self.sudo()
        session.invalidate_recordset()
        if session._check_expiry():
            raise SupportError("expired", _("This visitor's chat has expired."))
        if session.state != "waiting":
            raise SupportError(
                "already_taken",
                _(
                    "Already taken: another agent (%s) claimed this visitor.",
                    session.agent_id.name or "?",
                ),
            )
        agent = self.env.user
        now = fields.Datetime.now()
        session.write(
            {
                "state": "active",
                "agent_id": agent.id,
                "claim_date": now,
                "last_activity": now,
            }
        )
        session.room_id._add_members(agent)
        session.room_id._post_system(_("%s joined the chat.", agent.name))
        session._notify_queue({"removed": session.id, "agent": agent.name})
        session._notify_event("claimed")
        return rpc_value(session._format_queue()[0])

    def live_close(self):
        """End a chat as its agent (or a manager)."""
        self.ensure_one()
        self._check_agent()
        # sudo: live.support.session - rights are checked right below
        session = self.sudo()
        is_manager = self.env.user.has_group("live_messaging.group_live_manager")
        if session.agent_id != self.env.user and not is_manager:
            raise AccessError(_("This is not your chat."))
        session._check_expiry()
        session._check_open()
        session._close("closed", _("%s closed the chat.", self.env.user.name))
        return True

    # ------------------------------------------------------------------
    # Formatting and notifications
    # ------------------------------------------------------------------

    def _format_queue(self):
        return [
            {
                "id": session.id,
                "name": session.visitor_name,
                "state": session.state,
                "room_id": session.room_id.id,
                "join_date": session.join_date.isoformat(timespec="seconds") + "Z",
                "first_message": session.first_message or "",
                "agent": session.agent_id.name or None,
                "visitor_present": session.visitor_present,
            }
            for session in self
        ]

    def _format_visitor(self):
        self.ensure_one()
        return {
            "session_id": self.id,
            "room_id": self.room_id.id,
            "name": self.visitor_name,
            "state": self.state,
            "agent": self.agent_id.name or None,
            "expiry_seconds": self._expiry_seconds(),
        }

    def _notify_queue(self, payload):
        """Every agent's queue follows: the agents' group is their channel."""
        self.env.ref("live_messaging.group_live_support_agent")._bus_send(
            "live_messaging/support_queue", payload
        )

    def _notify_event(self, event):
        """Tell both sides of the chat (the room's channel) what happened."""
        for session in self:
            session.room_id._bus_send(
                "live_messaging/support",
                {
                    "session_id": session.id,
                    "room_id": session.room_id.id,
                    "event": event,
                    "state": session.state,
                    "agent": session.agent_id.name or None,
                },
            )
