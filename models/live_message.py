import hashlib
import json
import re

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.models import LOG_ACCESS_COLUMNS
from odoo.tools import SQL

from ..utils.text import (
    DEFAULT_BODY_MAX_CHARS,
    DEFAULT_MAX_DEPTH,
    InvalidValue,
    check_json,
    check_text,
    escape_body,
    prepare_body,
    unescape_body,
)

MESSAGE_KINDS = [("chat", "Chat"), ("event", "Event"), ("system", "System")]
PAGE_LIMIT_DEFAULT = 50
PAGE_LIMIT_MAX = 200
CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
PAYLOAD_MAX_BYTES_DEFAULT = 65536
# ids of the messages posted and events published by the transaction (the
# API tells a first post, 201, from a replay of it, 200), kept where Odoo
# keeps data until the transaction ends (savepoints run the precommit hooks)
POSTED_KEY = "live_messaging.posted"
# columns of a new message that are never given (written by the insert)
INSERT_MAGIC = {"id", *LOG_ACCESS_COLUMNS}


class InputError(ValidationError):
    """A refused value, with the JSON ``path`` of the value at fault (the API
    answers 422 with it)."""

    # the web client shows it as the validation error it is (not a crash)
    context = {"exception_class": "odoo.exceptions.ValidationError"}

    def __init__(self, message, path=""):
        super().__init__(message)
        self.path = path


def check_text_fields(vals, field_names, refused):
    """Refuse NUL and lone surrogates (PostgreSQL would fail on them) in the
    text values ``field_names`` of ``vals``: an InputError with the field as
    ``path`` and the message ``refused(field, error)``."""
    for field in field_names:
        if isinstance(vals.get(field), str):
            try:
                check_text(vals[field], f"/{field}")
            except InvalidValue as exc:
                raise InputError(refused(field, exc.message), exc.path) from None


class IdempotencyMismatch(UserError):
    """An idempotency key (``client_id``, ``Idempotency-Key``) reused by its
    author for a different request: the API answers 409
    ``idempotency_mismatch``."""

    code = "idempotency_mismatch"
    context = {"exception_class": "odoo.exceptions.UserError"}


def request_hash(body, payload):
    """The fingerprint of a post or publish, kept with its idempotency key: a
    retry must send the same body and payload."""
    data = json.dumps(
        {"body": body or "", "payload": payload},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(data.encode()).hexdigest()


class LiveMessage(models.Model):
    """A chat message of a room, or an event published on a topic.

    Each one carries ``seq``, its number within its room or topic: 1, 2, 3...
    without gaps, so a client can tell from the numbers alone whether it missed
    something and where to resume. Messages are written by the rooms and topics
    (``live.room._post_message``, ``live.topic._publish``), never directly."""

    _name = "live.message"
    _description = "Live Messaging Message"
    _order = "id desc"
    _rec_name = "seq"

    # indexed with the id (init): a page of history is a range of one index
    room_id = fields.Many2one("live.room", ondelete="cascade", readonly=True)
    topic_id = fields.Many2one("live.topic", ondelete="cascade", readonly=True)
    seq = fields.Integer("Sequence", required=True, readonly=True)
    kind = fields.Selection(MESSAGE_KINDS, required=True, default="chat", readonly=True)
    body = fields.Text(
        readonly=True,
        help="The text as typed, with &, < and > escaped as entities (the API's "
        "body contract).",
    )
    body_text = fields.Text(
        "Text",
        compute="_compute_body_text",
        search="_search_body_text",
        help="The body as it was typed.",
    )
    payload = fields.Json(readonly=True)
    author_id = fields.Many2one(
        "res.users", ondelete="set null", index=True, readonly=True
    )
    author_name = fields.Char(readonly=True)
    author_app = fields.Char(
        "External App",
        readonly=True,
        help="Name of the API key the message came through, when an external "
        "application posted it.",
    )
    client_id = fields.Char(
        "Client ID",
        readonly=True,
        help="Idempotency key given by the client: a retry with the same key by the "
        "same author returns the first message instead of posting twice.",
    )
    request_hash = fields.Char(
        readonly=True,
        help="Technical: SHA-256 of the body and payload posted with a client id; "
        "reusing the client id for another request is refused.",
    )
    res_model = fields.Char("Related Model", readonly=True)
    res_id = fields.Many2oneReference(
        "Related Record ID", model_field="res_model", readonly=True
    )
    company_id = fields.Many2one(related="room_id.company_id")

    _sql_constraints = [
        (
            "target_check",
            "CHECK((room_id IS NULL) != (topic_id IS NULL))",
            "A message belongs to exactly one room or one topic.",
        ),
        ("room_seq_unique", "UNIQUE(room_id, seq)", "Duplicate room sequence."),
        ("topic_seq_unique", "UNIQUE(topic_id, seq)", "Duplicate topic sequence."),
    ]

    def init(self):
        for target in ("room_id", "topic_id"):
            # history, keyset-paginated on the id: the page of a room (or
            # topic) is read in index order whatever the other rooms hold;
            # partial, since a message belongs to a room or a topic
            self.env.cr.execute(
                SQL(
                    "CREATE INDEX IF NOT EXISTS %s ON live_message (%s, id) "
                    "WHERE %s IS NOT NULL",
                    SQL.identifier(f"live_message_{target}_id_index"),
                    SQL.identifier(target),
                    SQL.identifier(target),
                )
            )
            # the field's former index (index=True) is redundant with it,
            # and Odoo keeps an index a field no longer asks for
            self.env.cr.execute(
                SQL(
                    "DROP INDEX IF EXISTS %s",
                    SQL.identifier(f"live_message__{target}_index"),
                )
            )
            # idempotency keys are unique per author within a room or a topic
            self.env.cr.execute(
                SQL(
                    "CREATE UNIQUE INDEX IF NOT EXISTS %s ON live_message "
                    "(%s, author_id, client_id) "
                    "WHERE client_id IS NOT NULL AND %s IS NOT NULL",
                    SQL.identifier(f"live_message_{target}_client_id_unique"),
                    SQL.identifier(target),
                    SQL.identifier(target),
                )
            )

    @api.depends("body")
    def _compute_body_text(self):
        for message in self:
            message.body_text = unescape_body(message.body or "")

    def _search_body_text(self, operator, value):
        if isinstance(value, str):
            value = escape_body(value)
        return [("body", operator, value)]

    @api.depends("room_id", "topic_id", "seq")
    def _compute_display_name(self):
        for message in self:
            target = message.room_id.name or message.topic_id.name or ""
            message.display_name = f"{target} #{message.seq}"

    # ------------------------------------------------------------------
    # Helpers for rooms and topics
    # ------------------------------------------------------------------

    @api.model
    def _body_max_chars(self):
        return self._int_param("live_messaging.body_max_chars", DEFAULT_BODY_MAX_CHARS)

    @api.model
    def _prepare_body(self, body):
        """The stored form of a body: the text as typed, with ``&``, ``<``,
        ``>`` escaped (utils/text.py). ``InputError`` when it is not a string,
        holds NUL or a lone surrogate, or is too long."""
        max_chars = self._body_max_chars()
        try:
            return prepare_body(body, max_chars=max_chars)
        except TypeError:
            raise InputError(_("A message body must be text."), "/body") from None
        except InvalidValue as exc:
            raise InputError(
                _("The message body is refused: %s", exc.message), exc.path
            ) from None
        except ValueError:
            raise InputError(
                _("A message is at most %s characters long.", max_chars), "/body"
            ) from None

    @api.model
    def _int_param(self, key, default, minimum=1):
        # sudo: ir.config_parameter - reading a technical limit
        value = self.env["ir.config_parameter"].sudo().get_param(key, default)
        try:
            return max(minimum, int(value))
        except (TypeError, ValueError):
            return default

    @api.model
    def _check_payload(self, payload, path="/payload"):
        """Raise ``InputError`` for a payload that is not a JSON object, is too
        big (``live_messaging.payload_max_bytes``), nested too deeply
        (``live_messaging.payload_max_depth``), or holds NUL, lone surrogates,
        NaN or infinities. Checked before anything is written: PostgreSQL would
        refuse some of these with an error, not a message."""
        if not isinstance(payload, dict):
            raise InputError(_("A payload must be a JSON object."), path)
        max_depth = self._int_param(
            "live_messaging.payload_max_depth", DEFAULT_MAX_DEPTH
        )
        try:
            check_json(payload, max_depth=max_depth, path="" if path == "/" else path)
        except InvalidValue as exc:
            raise InputError(
                _(
                    "The payload is refused at %(path)s: %(error)s",
                    path=exc.path or "/",
                    error=exc.message,
                ),
                exc.path,
            ) from None
        size = len(json.dumps(payload, separators=(",", ":")).encode())
        max_bytes = self._int_param(
            "live_messaging.payload_max_bytes", PAYLOAD_MAX_BYTES_DEFAULT
        )
        if size > max_bytes:
            raise InputError(
                _(
                    "This payload is %(size)s bytes; the limit is %(max)s.",
                    size=size,
                    max=max_bytes,
                ),
                path,
            )
        return payload

    @api.model
    def _check_replay(self, existing, fingerprint):
        """``existing`` (found by its idempotency key) is returned again only
        for the same request; another one with the same key is a client bug
        that must show."""
        # sudo: live.message - the author's own earlier request, maybe unreadable
        # through the ORM (an event of a topic they may publish on only)
        stored = existing.sudo().request_hash
        if stored and stored != fingerprint:
            raise IdempotencyMismatch(
                _(
                    "This idempotency key (client_id or Idempotency-Key) was "
                    "already used for a different request."
                )
            )
        return existing

    @api.model
    def _check_client_id(self, client_id):
        if not isinstance(client_id, str) or not CLIENT_ID_RE.match(client_id):
            raise ValidationError(
                _("A client id is 1 to 128 letters, digits or . _ : - characters.")
            )
        return client_id

    @api.model
    def _find_by_client_id(self, target_field, target, author, client_id):
        # sudo: live.message - looking up the caller's own earlier message
        return (
            self.sudo()
            .search(
                [
                    (target_field, "=", target.id),
                    ("author_id", "=", author.id or False),
                    ("client_id", "=", client_id),
                ],
                limit=1,
            )
            .sudo(False)
        )

    # ------------------------------------------------------------------
    # Inserting: posts and publishes write their messages with one INSERT
    # (in the statement that numbers them), not through create()
    # ------------------------------------------------------------------

    def _live_is_new(self):
        """Whether the message was written by this transaction (a post or a
        publish that returned an earlier message is a replay)."""
        self.ensure_one()
        return self.id in self.env.cr.postcommit.data.get(POSTED_KEY, {})

    def _live_posted(self, formatted=None):
        """Record the messages as written by this transaction (``POSTED_KEY``:
        ``{id: the dict pushed to the bus, or None}``), with ``formatted``, the
        dicts pushed for them, when they were pushed unfiltered."""
        posted = self.env.cr.postcommit.data.setdefault(POSTED_KEY, {})
        posted.update(zip(self.ids, formatted or [None] * len(self), strict=True))

    def _live_format_posted(self):
        """The message's wire form: the dict pushed when this transaction wrote
        it (the same, not formatted and queried again), else formatted now (a
        replay, or an event pushed filtered per reader)."""
        self.ensure_one()
        posted = self.env.cr.postcommit.data.get(POSTED_KEY, {}).get(self.id)
        return posted if posted is not None else self._format()[0]

    @api.model
    def _live_insert_columns(self, values):
        """Split the values of a new message into ``(columns, x2many)``:
        ``columns`` maps each column to write to its SQL parameter (the values
        given, and the fields' defaults for the others), ``x2many`` the
        many2many commands, written once the message exists."""
        columns, x2many = {}, {}
        for name, value in values.items():
            field = self._fields[name]
            if field.type in ("one2many", "many2many"):
                if value:
                    x2many[name] = value
            elif field.store and field.column_type and name not in INSERT_MAGIC:
                columns[name] = value
            else:
                raise ValueError(f"live.message.{name} is not written on insert")
        for name, field in self._fields.items():
            if (
                name not in columns
                and name not in INSERT_MAGIC
                and field.store
                and field.column_type
                and field.default is not None
            ):
                columns[name] = field.default(self)
        return columns, x2many

    @api.model
    def _live_insert_sql(self, columns_list, source, seq, id_=None):
        """The INSERT of the messages ``columns_list`` (from
        ``_live_insert_columns``; a column missing from one is NULL), each row selected
        ``FROM source`` (an SQL clause) with ``seq`` (an SQL expression over
        ``source``, given the row's index ``v.idx`` from 0) as its number; it
        returns their ids, dates and numbers. ``id_``: an SQL expression of
        the id (default: the next of the table's sequence). The log columns
        are the transaction's user and time."""
        names = list(dict.fromkeys(name for cols in columns_list for name in cols))
        rows = SQL(", ").join(
            SQL(
                "(%s)",
                SQL(", ").join(
                    [
                        SQL("%s", index),
                        *(
                            SQL(
                                "%s",
                                self._fields[name].convert_to_column_insert(
                                    columns.get(name), self
                                ),
                            )
                            for name in names
                        ),
                    ]
                ),
            )
            for index, columns in enumerate(columns_list)
        )
        # the transaction's time, as create() writes it
        now = self.env.cr.now()
        return SQL(
            """
            INSERT INTO live_message (id, %(columns)s, seq, create_uid,
                                      create_date, write_uid, write_date)
            SELECT %(id)s, %(values)s, %(seq)s, %(uid)s, %(now)s, %(uid)s,
                   %(now)s
              FROM (VALUES %(rows)s) AS v(idx, %(aliases)s), %(source)s
             ORDER BY v.idx
            RETURNING id, create_date, seq
            """,
            columns=SQL(", ").join(SQL.identifier(name) for name in names),
            values=SQL(", ").join(
                SQL(
                    "v.%s::%s",
                    SQL.identifier(name),
                    SQL(self._fields[name].column_type[1]),
                )
                for name in names
            ),
            id=id_ or SQL("nextval('live_message_id_seq')"),
            seq=seq,
            uid=self.env.uid,
            now=now,
            rows=rows,
            aliases=SQL(", ").join(SQL.identifier(name) for name in names),
            source=source,
        )

    @api.model
    def _live_inserted(self, rows, columns_list, x2many_list):
        """The messages just inserted (``rows``: what ``_live_insert_sql``
        returned; ``columns_list`` in the order of their numbers), as
        ``create()`` leaves them: in the cache
        with what was written (so that formatting them reads nothing), their
        dependents told, their many2many written."""
        rows = sorted(rows, key=lambda row: row[2])
        messages = self.browse([row[0] for row in rows])
        cache = self.env.cache
        computed = []
        for message, row, columns in zip(messages, rows, columns_list, strict=True):
            written = dict(
                columns,
                create_uid=self.env.uid,
                write_uid=self.env.uid,
                create_date=row[1],
                write_date=row[1],
                seq=row[2],
            )
            for name, field in self._fields.items():
                if field.type in ("one2many", "many2many"):
                    cache.set(message, field, ())
                elif field.store and field.column_type and name != "id":
                    if field.compute and name not in written:
                        computed.append(field)
                        continue
                    cache.set(
                        message,
                        field,
                        field.convert_to_cache(written.get(name), message),
                    )
        for field in set(computed):
            self.env.add_to_compute(field, messages)
        messages.modified(self._fields, create=True)
        for message, x2many in zip(messages, x2many_list, strict=True):
            if x2many:
                message.write(x2many)
        return messages

    @api.model
    def _fetch_page(self, domain, before=None, after=None, limit=None):
        """One page of ``domain``, keyset-paginated on ``id`` (never OFFSET).

        Rights are checked by the caller (rooms, topics); the read is in sudo.
        Returns ``{"messages": [formatted, oldest first], "has_more": bool}``:
        ``has_more`` says whether more messages lie beyond the page in the
        direction of travel (older for ``before`` or no cursor, newer for
        ``after``)."""
        limit = self._check_page_limit(limit)
        if before is not None and after is not None:
            raise ValidationError(_("Use either before or after, not both."))
        domain = list(domain)
        if after is not None:
            domain.append(("id", ">", self._check_cursor(after)))
            order = "id asc"
        else:
            if before is not None:
                domain.append(("id", "<", self._check_cursor(before)))
            order = "id desc"
        # sudo: live.message - the caller checked the reader's access to the target
        messages = self.sudo().search(domain, order=order, limit=limit + 1)
        has_more = len(messages) > limit
        messages = messages[:limit]
        if order == "id desc":
            messages = messages.sorted("id")
        return {"messages": messages._format(), "has_more": has_more}

    @api.model
    def _check_page_limit(self, limit):
        if limit is None:
            return PAGE_LIMIT_DEFAULT
        try:
            limit = int(limit)
        except (TypeError, ValueError):
            raise ValidationError(_("limit must be a whole number.")) from None
        if limit < 1:
            raise ValidationError(_("limit must be at least 1."))
        return min(limit, PAGE_LIMIT_MAX)

    @api.model
    def _check_cursor(self, value):
        try:
            value = int(value)
        except (TypeError, ValueError):
            raise ValidationError(_("before/after must be message ids.")) from None
        if value < 0:
            raise ValidationError(_("before/after must be message ids."))
        return value

    def _filter_record_access(self, user):
        """The messages of ``self`` that ``user`` may know of: those about no
        record, and those about a record ``user`` can read (access rights and
        record rules of that record's model)."""
        visible = self.browse()
        by_model = {}
        for message in self:
            if message.res_model and message.res_id:
                by_model.setdefault(message.res_model, set()).add(message.res_id)
            else:
                visible |= message
        for model, ids in by_model.items():
            if model not in self.env:
                continue
            records = self.env[model].with_user(user).browse(ids).exists()
            readable = set(records._filtered_access("read").ids)
            # deleted records: theirs who could read them when deleted
            readable |= self.env["live.record.tombstone"]._readable_ids(
                model, ids - set(records.ids), user
            )
            visible |= self.filtered(
                lambda m, model=model, readable=readable: (
                    m.res_model == model and m.res_id in readable
                )
            )
        return visible.sorted("id")

    def _format(self):
        """The wire form of messages: what the bus pushes and the API returns."""
        return [
            {
                "id": message.id,
                # events of a record topic are filtered per reader: a shared
                # numbering would tell how many events one may not see, and
                # look like losses; they have none (order and resume by id)
                "seq": None if message.topic_id and message.res_model else message.seq,
                "room_id": message.room_id.id or None,
                "topic": message.topic_id.name or None,
                "kind": message.kind,
                "body": message.body or "",
                # the Json field reads an empty value as False
                "payload": None if message.payload is False else message.payload,
                "author": {
                    "id": message.author_id.id or None,
                    "name": message.author_name or "",
                    "app": message.author_app or None,
                },
                "client_id": message.client_id or None,
                "res_model": message.res_model or None,
                "res_id": message.res_id or None,
                # always UTC: ISO 8601 with an explicit Z
                "create_date": message.create_date
                and message.create_date.isoformat(timespec="milliseconds") + "Z"
                or None,
            }
            for message in self
        ]
