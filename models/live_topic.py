import re
from contextlib import nullcontext

from psycopg2 import IntegrityError

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import SQL

from ..bus import control
from ..utils.schema import DEFAULT_TIME_LIMIT, SchemaError, compile_schema
from ..utils.schema import validate_payload as validate_schema
from ..utils.values import rpc_value
from .live_message import InputError, check_text_fields, request_hash

TOPIC_NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*$")
TOPIC_NAME_MAX = 128
SCHEMA_TIME_LIMIT_PARAM = "live_messaging.schema_time_limit_ms"
ACCESS_MODES = [
    ("users", "All Live Messaging users"),
    ("restricted", "Listed groups and users only"),
]


class LiveTopic(models.Model):
    """A named stream of events (``shop/42``, ``sale.order``...).

    Users and external apps subscribe to it explicitly; its access list says who
    may subscribe and who may publish (managers always may). A topic is its own
    bus channel; events about records (``res_model``) are instead pushed to each
    subscriber who can read the record, so nobody learns of a record they cannot
    see."""

    _name = "live.topic"
    _description = "Live Messaging Topic"
    _inherit = ["bus.listener.mixin"]
    _order = "name"

    name = fields.Char(required=True, index=True)
    description = fields.Text()
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True)
    subscribe_access = fields.Selection(
        ACCESS_MODES, required=True, default="users", string="Who May Subscribe"
    )
    subscribe_group_ids = fields.Many2many(
        "res.groups",
        "live_topic_subscribe_group_rel",
        "topic_id",
        "group_id",
        string="Subscriber Groups",
    )
    subscribe_user_ids = fields.Many2many(
        "res.users",
        "live_topic_subscribe_user_rel",
        "topic_id",
        "user_id",
        string="Subscriber Users",
    )
    publish_access = fields.Selection(
        ACCESS_MODES, required=True, default="restricted", string="Who May Publish"
    )
    publish_group_ids = fields.Many2many(
        "res.groups",
        "live_topic_publish_group_rel",
        "topic_id",
        "group_id",
        string="Publisher Groups",
    )
    publish_user_ids = fields.Many2many(
        "res.users",
        "live_topic_publish_user_rel",
        "topic_id",
        "user_id",
        string="Publisher Users",
    )
    json_schema = fields.Text(
        "JSON Schema",
        help="Optional JSON Schema every published payload must match.",
    )
    res_model = fields.Char(
        "Record Model",
        help="When events are about records of this model, each subscriber only "
        "receives (and reads back) the events of records they can read.",
    )
    last_seq = fields.Integer("Last Sequence", readonly=True, default=0, copy=False)
    subscription_ids = fields.One2many(
        "live.topic.subscription", "topic_id", string="Subscriptions"
    )
    subscriber_count = fields.Integer(compute="_compute_subscriber_count")
    is_subscribed = fields.Boolean(compute="_compute_user_state")
    can_publish = fields.Boolean(compute="_compute_user_state")

    _sql_constraints = [
        ("name_unique", "UNIQUE(name)", "A topic with this name already exists."),
    ]

    @api.constrains("name")
    def _check_name(self):
        for topic in self:
            self._check_topic_name(topic.name)

    @api.model
    def _check_topic_name(self, name):
        if (
            not isinstance(name, str)
            or len(name) > TOPIC_NAME_MAX
            or not TOPIC_NAME_RE.match(name)
        ):
            raise ValidationError(
                _(
                    "A topic name is up to %(max)s letters, digits and . _ - "
                    "characters, in segments separated by slashes (shop/42).",
                    max=TOPIC_NAME_MAX,
                )
            )
        return name

    @api.constrains("json_schema")
    def _check_json_schema(self):
        """A schema is refused unless it can be used safely: valid, resolving
        every ``$ref`` within itself (nothing is ever fetched), without loops,
        and with patterns RE2 can match in linear time (utils/schema.py)."""
        for topic in self.filtered("json_schema"):
            try:
                compile_schema(topic.json_schema)
            except SchemaError as exc:
                raise InputError(
                    _(
                        "The JSON Schema of %(topic)s is refused: %(error)s",
                        topic=topic.name,
                        error=exc,
                    ),
                    exc.path,
                ) from None

    @api.model
    def _check_text_values(self, vals):
        check_text_fields(
            vals,
            ("name", "description", "json_schema"),
            lambda field, error: _(
                "The topic's %(field)s is refused: %(error)s", field=field, error=error
            ),
        )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_text_values(vals)
        return super().create(vals_list)

    @api.constrains("res_model")
    def _check_res_model(self):
        for topic in self.filtered("res_model"):
            if topic.res_model not in self.env:
                raise ValidationError(_("Unknown model %s.", topic.res_model))

    _ACCESS_FIELDS = frozenset(
        {
            "active",
            "company_id",
            "subscribe_access",
            "subscribe_group_ids",
            "subscribe_user_ids",
        }
    )

    def write(self, vals):
        self._check_text_values(vals)
        result = super().write(vals)
        if self._ACCESS_FIELDS.intersection(vals):
            # who may read the topic changed: its subscribers' sockets follow
            self._notify_subscribers_sockets()
        if vals.keys() & {"name", "res_model", "active"}:
            # whether record changes are collected for the topic's model depends
            # on these (live.record.watch._live_listened_models, cached)
            self.env.registry.clear_cache()
        return result

    def unlink(self):
        self._notify_subscribers_sockets()
        return super().unlink()

    def _notify_subscribers_sockets(self):
        # sudo: live.topic.subscription - who subscribed, for their sockets
        users = self.sudo().subscription_ids.user_id
        control.notify(self.env, channels=users.ids)

    def _compute_subscriber_count(self):
        # sudo: live.topic.subscription - a count, nobody's identity
        data = (
            self.env["live.topic.subscription"]
            .sudo()
            ._read_group([("topic_id", "in", self.ids)], ["topic_id"], ["__count"])
        )
        counts = {topic.id: count for topic, count in data}
        for topic in self:
            topic.subscriber_count = counts.get(topic.id, 0)

    @api.depends_context("uid")
    def _compute_user_state(self):
        # sudo: live.topic.subscription - the current user's own subscriptions
        subscribed = set(
            self.env["live.topic.subscription"]
            .sudo()
            .search([("topic_id", "in", self.ids), ("user_id", "=", self.env.uid)])
            .topic_id.ids
        )
        for topic in self:
            topic.is_subscribed = topic.id in subscribed
            topic.can_publish = topic._can_publish()

    # ------------------------------------------------------------------
    # Access list
    # ------------------------------------------------------------------

    def _is_manager(self, user):
        return user._is_superuser() or user.has_group(
            "live_messaging.group_live_manager"
        )

    def _listed(self, user, groups, users):
        return user in users or bool(groups & user.groups_id)

    def _can_subscribe(self, user=None):
        """Whether ``user`` (default: current user) may subscribe and read."""
        return self._allowed("subscribe", user)

    def _can_publish(self, user=None):
        """Whether ``user`` (default: current user) may publish."""
        return self._allowed("publish", user)

    def _allowed(self, action, user=None):
        """Whether ``user`` may ``action`` ("subscribe" or "publish") on this
        topic: managers always; live users when the topic is active, in their
        companies, and open to all users or listed for that action."""
        self.ensure_one()
        user = user or self.env.user
        if not self.active:
            return False
        if self._is_manager(user):
            return True
        if not user.has_group("live_messaging.group_live_user"):
            return False
        if self.company_id and self.company_id not in user.company_ids:
            return False
        # sudo: live.topic - the access lists are read to decide the access itself
        topic = self.sudo()
        return topic[f"{action}_access"] == "users" or self._listed(
            user, topic[f"{action}_group_ids"], topic[f"{action}_user_ids"]
        )

    @api.model
    def _find(self, name):
        """The topic named ``name`` as the current user may see it (record rules
        apply), or an empty recordset."""
        self._check_topic_name(name)
        return self.search([("name", "=", name)], limit=1)

    @api.model
    def _find_or_create_for_publish(self, name):
        """The topic to publish on: managers create unknown topics on first
        publish; for anybody else an unknown topic does not exist."""
        topic = self._find(name)
        if topic or not self._is_manager(self.env.user):
            return topic
        return self.create({"name": name})

    # ------------------------------------------------------------------
    # Subscriptions
    # ------------------------------------------------------------------

    def live_subscribe(self):
        """Subscribe the current user; idempotent."""
        self.ensure_one()
        if not self._can_subscribe():
            raise AccessError(_("You may not subscribe to topic %s.", self.name))
        Subscription = self.env["live.topic.subscription"].sudo()
        # sudo: live.topic.subscription - checked right above
        existing = Subscription.search(
            [("topic_id", "=", self.id), ("user_id", "=", self.env.uid)]
        )
        if not existing:
            Subscription.create({"topic_id": self.id, "user_id": self.env.uid})
        return True

    def live_unsubscribe(self):
        """Unsubscribe the current user; idempotent."""
        self.ensure_one()
        # sudo: live.topic.subscription - the user removes their own subscription
        self.env["live.topic.subscription"].sudo().search(
            [("topic_id", "=", self.id), ("user_id", "=", self.env.uid)]
        ).unlink()
        return True

    # ------------------------------------------------------------------
    # Publishing
    # ------------------------------------------------------------------

    def _validate_payload(self, payload):
        """Raise ValidationError for a payload that is not a JSON object, is too
        big or too deep, holds text PostgreSQL cannot store (``InputError``, with
        the failing path), or does not match the topic's schema
        (``PayloadSchemaError``, with the failing path). The schema check stops
        after ``live_messaging.schema_time_limit_ms`` (1000)."""
        self.ensure_one()
        Message = self.env["live.message"]
        Message._check_payload(payload, path="")
        if self.json_schema:
            limit = Message._int_param(
                SCHEMA_TIME_LIMIT_PARAM, int(DEFAULT_TIME_LIMIT * 1000)
            )
            validate_schema(self.json_schema, payload, time_limit=limit / 1000)

    def live_publish(self, payload, client_id=False):
        """Publish one event as the current user; returns its formatted dict."""
        self.ensure_one()
        # sudo: live.message - rights were checked by _publish; a replayed event
        # (same client_id) is not readable through the ORM by its author
        return rpc_value(
            self._publish(payload, client_id=client_id).sudo()._live_format_posted()
        )

    def _publish(self, payload, *, body=False, client_id=False, res_id=False):
        """Check, store and push one event. A retry with the same ``client_id``
        by the same author returns the first event."""
        self.ensure_one()
        if not self._can_publish():
            raise AccessError(_("You may not publish on topic %s.", self.name))
        self._validate_payload(payload)
        Message = self.env["live.message"]
        author = self.env.user
        body = Message._prepare_body(body) or False
        fingerprint = False
        if client_id:
            client_id = Message._check_client_id(client_id)
            fingerprint = request_hash(body, payload)
            existing = Message._find_by_client_id("topic_id", self, author, client_id)
            if existing:
                return Message._check_replay(existing, fingerprint)
        values = {
            "payload": payload,
            "body": body,
            "client_id": client_id or False,
            "request_hash": fingerprint,
            "res_id": res_id or False,
            "author_id": author.id,
            "author_name": author.name,
            "author_app": self.env.context.get("live_api_key_name") or False,
        }
        try:
            # only a client id can collide (with a concurrent retry)
            with self.env.cr.savepoint() if client_id else nullcontext():
                return self._store_events([values])
        except IntegrityError:
            # the same client_id raced us from another request: return theirs
            existing = client_id and Message._find_by_client_id(
                "topic_id", self, author, client_id
            )
            if not existing:
                raise
            return Message._check_replay(existing, fingerprint)

    def _store_events(self, values_list):
        """Store events (already checked) with consecutive sequence numbers, and
        push them on commit: to the topic's channel, or for record topics to each
        subscriber who can read the records. Returns the events.

        One statement numbers and inserts them: the topic's row takes the
        numbers (its lock serialises the publishes of a topic: no gaps, and a
        rollback gives the numbers back)."""
        self.ensure_one()
        topic = self.sudo()
        # sudo: live.message - publishing rights were checked by the caller
        Message = topic.env["live.message"]
        parts = [
            Message._live_insert_columns(
                dict(
                    values,
                    kind="event",
                    topic_id=topic.id,
                    res_model=topic.res_model or False,
                )
            )
            for values in values_list
        ]
        columns_list = [columns for columns, _x2many in parts]
        count = len(values_list)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                WITH topic AS (
                    UPDATE live_topic SET last_seq = last_seq + %(count)s
                     WHERE id = %(topic_id)s
                 RETURNING last_seq
                )
                %(insert)s
                """,
                count=count,
                topic_id=topic.id,
                insert=Message._live_insert_sql(
                    columns_list,
                    SQL("topic"),
                    SQL("topic.last_seq - %s + 1 + v.idx", count),
                ),
            )
        )
        rows = self.env.cr.fetchall()
        topic.invalidate_recordset(["last_seq"])
        events = Message._live_inserted(
            rows, columns_list, [x2many for _columns, x2many in parts]
        )
        events._live_posted()
        topic._push_events(events)
        return events.sudo(False)

    def _push_events(self, events):
        self.ensure_one()
        if not self.res_model:
            formatted = events._format()
            events._live_posted(formatted)
            self._bus_send(
                "live_messaging/events", {"topic": self.name, "events": formatted}
            )
            return
        # sudo: live.topic.subscription - the subscribers, each checked below
        for subscription in self.sudo().subscription_ids:
            user = subscription.user_id
            if not self._can_subscribe(user):
                continue
            visible = events._filter_record_access(user)
            if visible:
                user._bus_send(
                    "live_messaging/events",
                    {"topic": self.name, "filtered": True, "events": visible._format()},
                )

    def live_fetch_events(self, before=None, after=None, limit=None):
        """Event history for those who may subscribe, keyset-paginated like room
        history; events about records the reader cannot read are left out."""
        self.ensure_one()
        if not self._can_subscribe():
            raise AccessError(_("You may not read topic %s.", self.name))
        domain = [("topic_id", "=", self.id)]
        if self.res_model:
            Model = self.env[self.res_model]
            deleted = self.env["live.record.tombstone"]._readable_ids(
                self.res_model, None, self.env.user
            )
            domain += [
                "|",
                "|",
                ("res_id", "=", False),
                # a subscriber without any right on the model sees none of them
                ("res_id", "in", Model._search([]) if Model.has_access("read") else []),
                ("res_id", "in", list(deleted)),
            ]
        return rpc_value(
            self.env["live.message"]._fetch_page(
                domain, before=before, after=after, limit=limit
            )
        )

    @api.model
    def live_get_topics(self):
        """Topics the current user may see, with their subscription state."""
        topics = self.search([]).filtered(lambda t: t._can_subscribe() or t.can_publish)
        return rpc_value(topics._format())

    @api.model
    def _demo_subscribe(self, subscriptions):
        """Demo data: subscribe ``(topic xmlid, user xmlid)`` pairs."""
        for topic_xmlid, user_xmlid in subscriptions:
            user = self.env.ref(user_xmlid)
            self.env.ref(topic_xmlid).with_user(user).live_subscribe()

    def _format(self):
        return [
            {
                "id": topic.id,
                "name": topic.name,
                "description": topic.description or "",
                # a record topic is filtered per reader: no shared numbering
                "last_seq": None if topic.res_model else topic.last_seq,
                "filtered": bool(topic.res_model),
                "subscribed": topic.is_subscribed,
                "can_publish": topic.can_publish,
                "can_subscribe": topic._can_subscribe(),
                "has_schema": bool(topic.json_schema),
            }
            for topic in self
        ]
