import contextlib
import json
import logging
import re

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ...utils.nats_link import NatsLink, describe_error, nats_module
from ...utils.nats_subjects import (
    check_filter_subject,
    check_name,
    subjects_overlap,
)

_logger = logging.getLogger(__name__)

DELIVER_POLICIES = [
    ("all", "Everything the stream holds"),
    ("new", "Only messages published from now on"),
]
ACK_WAIT = 30
DEAD_LETTER_NAK_DELAY = 10
_HEADER_UNSAFE = re.compile(r"[\r\n]+")


class LiveNatsFeed(models.Model):
    """A durable JetStream consumer feeding a subject (wildcards allowed) into
    a topic: each message becomes an event, published as ``user_id`` with the
    message's stream sequence as its idempotency key (``nats:<stream>:<seq>``),
    so that a message delivered twice makes one event. Messages the topic
    refuses (not a JSON object, too big, against its JSON Schema) go to the
    dead-letter subject with the reason. Messages are acknowledged after the
    transaction holding their events has committed."""

    _name = "live.nats.feed"
    _description = "Live Messaging NATS Inbound Feed"
    _order = "name"

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    topic_id = fields.Many2one(
        "live.topic", "Into Topic", required=True, ondelete="cascade", index=True
    )
    subject = fields.Char(
        required=True,
        help="The NATS subject consumed, wildcards allowed: orders.*.paid, "
        "orders.>. It must not overlap the subjects the bridge publishes on.",
    )
    stream = fields.Char(
        required=True,
        default=lambda self: self.env["live.nats.bridge"]._nats_config()["stream"],
        help="The JetStream stream holding the subject.",
    )
    consumer_name = fields.Char(
        "Durable Consumer",
        copy=False,
        help="Name of the durable consumer on the stream (made by Odoo). "
        "Default: live-<database>-feed-<id>.",
    )
    deliver_policy = fields.Selection(
        DELIVER_POLICIES,
        "Start With",
        required=True,
        default="all",
        help="Where a new consumer starts in the stream.",
    )
    user_id = fields.Many2one(
        "res.users",
        "Publish As",
        required=True,
        default=lambda self: self.env.user,
        ondelete="restrict",
        help="The events are published by this user, who must be allowed to "
        "publish on the topic.",
    )
    dead_letter_subject = fields.Char(
        copy=False,
        help="Where refused messages go, with the reason in the "
        "Live-Reject-Reason header. Default: <prefix>.$dlq.<consumer>.",
    )
    batch_size = fields.Integer(
        default=100,
        help="Messages fetched and committed together; also the consumer's "
        "maximum of messages awaiting acknowledgement.",
    )
    message_count = fields.Integer("Events Created", readonly=True, copy=False)
    reject_count = fields.Integer("Rejected", readonly=True, copy=False)
    last_message_at = fields.Datetime("Last Message", readonly=True, copy=False)
    last_error = fields.Char(readonly=True, copy=False)
    last_error_at = fields.Datetime(readonly=True, copy=False)

    _sql_constraints = [
        (
            "consumer_unique",
            "UNIQUE(stream, consumer_name)",
            "Two feeds cannot share a durable consumer.",
        ),
        ("batch_size_check", "CHECK(batch_size BETWEEN 1 AND 1000)", "1 to 1000."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        feeds = super().create(vals_list)
        prefix = self.env["live.nats.bridge"]._nats_config()["subject_prefix"]
        for feed in feeds:
            if not feed.consumer_name:
                feed.consumer_name = f"live-{self._db_token()}-feed-{feed.id}"
            if not feed.dead_letter_subject:
                feed.dead_letter_subject = f"{prefix}.$dlq.{feed.consumer_name}"
        return feeds

    def _db_token(self):
        # sudo: ir.config_parameter - the database's uuid tells databases apart
        uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid")
        return (uuid or self.env.cr.dbname).replace("-", "")[:8]

    @api.constrains(
        "subject", "stream", "consumer_name", "dead_letter_subject", "topic_id"
    )
    def _check_nats_names(self):
        prefix = self.env["live.nats.bridge"]._nats_config()["subject_prefix"]
        for feed in self:
            try:
                check_filter_subject(feed.subject)
                check_name(feed.stream, "stream")
                if feed.consumer_name:
                    check_name(feed.consumer_name, "consumer")
                if feed.dead_letter_subject:
                    check_filter_subject(feed.dead_letter_subject)
            except ValueError as exc:
                raise ValidationError(str(exc)) from None
            if subjects_overlap(feed.subject, f"{prefix}.>"):
                raise ValidationError(
                    _(
                        "The feed's subject %(subject)s overlaps the subjects the "
                        "bridge publishes on (%(prefix)s.>): mirrored events would "
                        "come back as new ones.",
                        subject=feed.subject,
                        prefix=prefix,
                    )
                )
            dead = feed.dead_letter_subject
            if dead and ("*" in dead.split(".") or dead.endswith(">")):
                raise ValidationError(_("A dead-letter subject has no wildcard."))
            if dead and subjects_overlap(feed.subject, dead):
                raise ValidationError(
                    _("The dead-letter subject must not be one the feed consumes.")
                )

    # ------------------------------------------------------------------
    # Ingesting (by a runner, or a test, in a transaction of its own)
    # ------------------------------------------------------------------

    def _nats_ingest(self, messages):
        """Turn NATS messages into events of the feed's topic, in order.

        ``messages``: ``(data, stream, stream_seq)`` tuples. Returns one
        outcome per message: ``{"status": "created" | "duplicate" |
        "rejected", "event_id"?, "reason"?, "path"?}``. The caller commits,
        then acknowledges; a message delivered again (no acknowledgement
        before a crash, a consumer reset) finds its event by its key."""
        self.ensure_one()
        topic = self.topic_id.with_user(self.user_id).with_context(
            live_api_key_name=f"NATS {self.name}"
        )
        Message = self.env["live.message"]
        outcomes = []
        for data, stream, stream_seq in messages:
            key = f"nats:{stream}:{stream_seq}"
            existing = Message._find_by_client_id("topic_id", topic, self.user_id, key)
            if existing:
                outcomes.append({"status": "duplicate", "event_id": existing.id})
                continue
            try:
                payload = json.loads(data)
            except (UnicodeDecodeError, ValueError):
                outcomes.append(self._reject(_("The message is not JSON.")))
                continue
            # an AccessError (the feed's user may not publish, the topic is
            # archived) is the feed's problem, not the message's: it aborts the
            # batch, which is given back to the stream and retried
            try:
                event = topic._publish(payload, client_id=key)
            except ValidationError as exc:
                outcomes.append(self._reject(exc.args[0], getattr(exc, "path", None)))
                continue
            outcomes.append({"status": "created", "event_id": event.id})
        created = sum(outcome["status"] == "created" for outcome in outcomes)
        rejected = sum(outcome["status"] == "rejected" for outcome in outcomes)
        # sudo: live.nats.feed - the runner's statistics
        self.sudo().write(
            {
                "message_count": self.message_count + created,
                "reject_count": self.reject_count + rejected,
                "last_message_at": fields.Datetime.now(),
            }
        )
        return outcomes

    def _reject(self, reason, path=None):
        return {"status": "rejected", "reason": str(reason), "path": path}

    def _note_error(self, error):
        """Record a consumer's error (in a transaction of the caller's)."""
        # sudo: live.nats.feed - the runner's statistics
        self.sudo().write(
            {"last_error": (error or "")[:500], "last_error_at": fields.Datetime.now()}
        )

    def _consumer_spec(self):
        """What the runner needs to consume this feed, as plain values."""
        self.ensure_one()
        return {
            "feed_id": self.id,
            "stream": self.stream,
            "consumer": self.consumer_name,
            "subject": self.subject,
            "deliver_policy": self.deliver_policy,
            "batch_size": self.batch_size,
            "dead_letter_subject": self.dead_letter_subject,
        }

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_reset_consumer(self):
        """Delete the durable consumer on NATS: the bridge makes it again and
        reads the stream anew from its start policy (messages already turned
        into events are recognised by their key and skipped)."""
        if not self.env.user.has_group("base.group_system"):
            raise AccessError(_("Only system administrators may reset a feed."))
        Bridge = self.env["live.nats.bridge"]
        missing = Bridge._nats_missing()
        if missing:
            raise UserError(missing)
        link = NatsLink(Bridge._nats_link_options())
        try:
            for feed in self:
                link.run(_delete_consumer, 10, feed.stream, feed.consumer_name)
        except Exception as exc:  # noqa: BLE001 - shown to the administrator
            raise UserError(_("NATS refused: %s", describe_error(exc))) from None
        finally:
            link.close()
        return True


# ----------------------------------------------------------------------
# Coroutines of the consumer (on a NatsLink's loop)
# ----------------------------------------------------------------------


async def _delete_consumer(link, stream, consumer):
    js = await link.ensure()
    with contextlib.suppress(nats_module().js.errors.NotFoundError):
        await js.delete_consumer(stream, consumer)  # gone already: as wanted
    link.state.get("subs", {}).pop((stream, consumer), None)


async def consumer_subscription(link, spec):
    """The pull subscription of ``spec``'s durable consumer, made (or brought
    to ``spec``'s filter and batch) when needed."""
    nats = nats_module()
    api = nats.js.api
    js = await link.ensure()
    subs = link.state.setdefault("subs", {})
    key = (spec["stream"], spec["consumer"])
    wanted = (spec["subject"], spec["batch_size"], spec["deliver_policy"])
    cached = subs.get(key)
    if cached and cached[0] == wanted:
        return cached[1]
    config = api.ConsumerConfig(
        durable_name=spec["consumer"],
        filter_subject=spec["subject"],
        ack_policy=api.AckPolicy.EXPLICIT,
        deliver_policy=(
            api.DeliverPolicy.ALL
            if spec["deliver_policy"] == "all"
            else api.DeliverPolicy.NEW
        ),
        ack_wait=ACK_WAIT,
        # one batch in flight: a batch redelivered after a crash comes back
        # before anything newer, so events keep the stream's order
        max_ack_pending=spec["batch_size"],
        max_waiting=16,
    )
    try:
        info = await js.consumer_info(spec["stream"], spec["consumer"])
    except nats.js.errors.NotFoundError:
        info = None
    if info is None:
        await js.add_consumer(spec["stream"], config)
    elif (
        info.config.filter_subject != spec["subject"]
        or info.config.max_ack_pending != spec["batch_size"]
    ):
        # the feed changed: a consumer of the new filter, resuming after the
        # last message acknowledged (anything delivered since comes again,
        # recognised by its key)
        config.deliver_policy = api.DeliverPolicy.BY_START_SEQUENCE
        config.opt_start_seq = (info.ack_floor.stream_seq if info.ack_floor else 0) + 1
        await js.delete_consumer(spec["stream"], spec["consumer"])
        await js.add_consumer(spec["stream"], config)
    sub = await js.pull_subscribe_bind(durable=spec["consumer"], stream=spec["stream"])
    if cached:
        await _quiet_unsubscribe(cached[1])
    subs[key] = (wanted, sub)
    return sub


async def _quiet_unsubscribe(sub):
    try:
        await sub.unsubscribe()
    except Exception:  # noqa: BLE001 - an old subscription of a dead connection
        _logger.debug("unsubscribing", exc_info=True)


async def fetch(link, spec, wait):
    """Up to a batch of messages of ``spec``'s consumer, waiting up to ``wait``
    seconds for the first; ``[]`` when none came."""
    nats = nats_module()
    sub = await consumer_subscription(link, spec)
    with contextlib.suppress(nats.errors.TimeoutError, TimeoutError):
        return await sub.fetch(spec["batch_size"], timeout=wait)
    # nothing came: the consumer may have been deleted (a reset, an operator),
    # which a pull request does not tell; it is made again at the next fetch
    try:
        await link.js.consumer_info(spec["stream"], spec["consumer"])
    except nats.js.errors.NotFoundError:
        link.state.get("subs", {}).pop((spec["stream"], spec["consumer"]), None)
    return []


async def finish(link, spec, messages, outcomes):
    """After commit: send the refused messages to the dead-letter subject, then
    acknowledge every message (a refused one only once it is dead-lettered)."""
    nats = nats_module()
    js = await link.ensure()
    dead_lettered = 0
    for message, outcome in zip(messages, outcomes, strict=True):
        if outcome["status"] == "rejected":
            meta = message.metadata
            headers = {
                "Nats-Msg-Id": f"dlq:{meta.stream}:{meta.sequence.stream}",
                "Live-Reject-Reason": _header(outcome["reason"]),
                "Live-Source-Subject": message.subject,
                "Live-Source-Stream": meta.stream,
                "Live-Source-Seq": str(meta.sequence.stream),
            }
            if outcome.get("path") is not None:
                headers["Live-Reject-Path"] = _header(outcome["path"]) or "/"
            try:
                await js.publish(
                    spec["dead_letter_subject"], message.data, headers=headers
                )
            except nats.js.errors.NoStreamResponseError:
                # no stream keeps dead letters: a plain NATS message then
                await link.nc.publish(
                    spec["dead_letter_subject"], message.data, headers=headers
                )
            except Exception:  # noqa: BLE001 - delivered again, refused again
                _logger.warning("NATS dead letter not sent", exc_info=True)
                await message.nak(delay=DEAD_LETTER_NAK_DELAY)
                continue
            dead_lettered += 1
        await message.ack()
    await link.nc.flush(timeout=5)
    return dead_lettered


async def nak_all(link, messages, delay):
    """Give the messages back to the stream (after a failed transaction)."""
    for message in messages:
        await message.nak(delay=delay)
    await link.nc.flush(timeout=5)


def _header(value):
    text = _HEADER_UNSAFE.sub(" ", str(value or ""))
    return text[:500]
