import asyncio
import logging
import time
from collections import namedtuple
from datetime import timezone

from odoo import _, api, fields, models
from odoo.tools import SQL

from ...utils.nats_link import describe_error, nats_module

_logger = logging.getLogger(__name__)

NOTIFY_CHANNEL = "live_nats_outbox"
# rows older than half the stream's duplicate window are checked against the
# stream before being sent again (JetStream no longer drops them by id)
DEFAULT_DUPLICATE_WINDOW = 120.0
SEND_BUDGET = 10.0

Row = namedtuple(
    "Row",
    "id topic_id seq subject attempts enqueued_at topic_name message_id payload",
)


class LiveNatsOutbox(models.Model):
    """Events waiting to be sent to NATS JetStream.

    A row is written in the transaction that stores the event (so it exists if
    and only if the event was committed) and deleted in the transaction that
    records JetStream's acknowledgement. Senders take the oldest row of each
    topic with ``FOR UPDATE SKIP LOCKED`` and only then the rows behind it, so
    that one sender at a time owns a topic and sends its events in order."""

    _name = "live.nats.outbox"
    _description = "Live Messaging NATS Outbox"
    _order = "topic_id, seq"
    _log_access = False
    _rec_name = "subject"

    topic_id = fields.Many2one(
        "live.topic", required=True, ondelete="cascade", readonly=True
    )
    message_id = fields.Many2one(
        "live.message", "Event", required=True, ondelete="cascade", readonly=True
    )
    seq = fields.Integer("Sequence", readonly=True)
    subject = fields.Char(readonly=True)
    enqueued_at = fields.Datetime(readonly=True, default=fields.Datetime.now)
    attempts = fields.Integer(readonly=True, default=0)
    next_attempt_at = fields.Datetime("Next Attempt", readonly=True)
    last_error = fields.Char(readonly=True)

    _sql_constraints = [
        ("message_unique", "UNIQUE(message_id)", "An event is sent once."),
    ]

    def init(self):
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS live_nats_outbox_topic_seq_index "
            "ON live_nats_outbox (topic_id, seq)"
        )

    # ------------------------------------------------------------------
    # Writing (in the event's transaction)
    # ------------------------------------------------------------------

    @api.model
    def _enqueue(self, topic, events, subject):
        """Queue ``events`` of ``topic`` for ``subject``, in the current
        transaction, and wake the senders when it commits (NOTIFY is
        transactional: a rollback sends nothing)."""
        if not events:
            return
        self.env.cr.execute(
            SQL(
                "INSERT INTO live_nats_outbox "
                "(topic_id, message_id, seq, subject, enqueued_at, attempts) "
                "SELECT %s, u.id, u.seq, %s, now() AT TIME ZONE 'UTC', 0 "
                "FROM unnest(%s::int[], %s::int[]) AS u(id, seq) ORDER BY u.seq; "
                "NOTIFY %s",
                topic.id,
                subject,
                events.ids,
                events.mapped("seq"),
                SQL.identifier(NOTIFY_CHANNEL),
            )
        )

    # ------------------------------------------------------------------
    # Lag
    # ------------------------------------------------------------------

    @api.model
    def _lag_by_topic(self, topic_ids):
        """``{topic_id: {"count", "oldest", "last_error"}}`` of the topics that
        have rows waiting; ``last_error`` is the oldest row's."""
        if not topic_ids:
            return {}
        self.flush_model()
        self.env.cr.execute(
            SQL(
                "SELECT topic_id, count(*), min(enqueued_at), "
                "(array_agg(last_error ORDER BY seq))[1] "
                "FROM live_nats_outbox WHERE topic_id = ANY(%s) GROUP BY topic_id",
                list(topic_ids),
            )
        )
        return {
            topic_id: {"count": count, "oldest": oldest, "last_error": error or False}
            for topic_id, count, oldest, error in self.env.cr.fetchall()
        }

    @api.model
    def _lag(self, topics):
        """Totals over ``topics``: rows waiting, the oldest one's date, and the
        most recent error."""
        lags = self._lag_by_topic(topics.ids).values()
        errors = [lag for lag in lags if lag["last_error"]]
        return {
            "count": sum(lag["count"] for lag in lags),
            "oldest": min((lag["oldest"] for lag in lags), default=False),
            "last_error": errors and errors[0]["last_error"] or False,
        }

    # ------------------------------------------------------------------
    # Sending (by a runner, or a test, in a transaction of its own)
    # ------------------------------------------------------------------

    @api.model
    def _claim(self, max_topics, max_rows):
        """Lock and return the rows to send now: the oldest row of up to
        ``max_topics`` topics that nobody else is sending (SKIP LOCKED) and is
        not waiting for a retry, then the rows behind it in the same topics, up
        to ``max_rows`` in all, as ``{topic_id: [Row, ...]}`` in order."""
        self.env.flush_all()
        cr = self.env.cr
        cr.execute("SET LOCAL lock_timeout = '5s'")
        cr.execute(
            SQL(
                """
                SELECT o.id, o.topic_id FROM live_nats_outbox o
                 WHERE o.id IN (SELECT DISTINCT ON (topic_id) id
                                  FROM live_nats_outbox ORDER BY topic_id, seq)
                   AND (o.next_attempt_at IS NULL OR o.next_attempt_at
                        <= statement_timestamp() AT TIME ZONE 'UTC')
                 ORDER BY o.id
                 LIMIT %s
                   FOR UPDATE OF o SKIP LOCKED
                """,
                max_topics,
            ),
            # a row sent and deleted since this transaction's snapshot is a
            # serialization failure: the runner claims again, quietly
            log_exceptions=False,
        )
        heads = cr.fetchall()
        if not heads:
            return {}
        per_topic = max(1, max_rows // len(heads))
        # the rows behind a head are only ever taken by the head's owner
        cr.execute(
            SQL(
                """
                SELECT o.id, o.topic_id, o.seq, o.subject, o.attempts,
                       o.enqueued_at, t.name, o.message_id, m.payload::text
                  FROM live_nats_outbox o
                  JOIN live_topic t ON t.id = o.topic_id
                  JOIN live_message m ON m.id = o.message_id
                 WHERE o.id IN (
                       SELECT id FROM (
                           SELECT id, row_number() OVER (
                                      PARTITION BY topic_id ORDER BY seq) AS rank
                             FROM live_nats_outbox WHERE topic_id = ANY(%s)) s
                        WHERE rank <= %s)
                 ORDER BY o.topic_id, o.seq
                   FOR UPDATE OF o
                """,
                [topic_id for _id, topic_id in heads],
                per_topic,
            ),
            log_exceptions=False,
        )
        chains = {}
        for values in cr.fetchall():
            row = Row(*values)
            chains.setdefault(row.topic_id, []).append(row)
        head_ids = {row_id for row_id, _topic in heads}
        # a chain starts at its head, or it is not ours
        return {
            topic_id: rows
            for topic_id, rows in chains.items()
            if rows[0].id in head_ids
        }

    @api.model
    def _nats_send_batch(self, link, config=None):
        """Send one batch: claim rows, publish them to JetStream (each topic's
        in order, the topics side by side), delete what JetStream acknowledged
        and note the error on the row that failed, to be retried with backoff.
        The caller commits. Returns ``{"sent", "skipped", "failed",
        "duplicates", "rows"}`` (``skipped``: already in the stream)."""
        config = config or self.env["live.nats.bridge"]._nats_config()
        chains = self._claim(config["batch_topics"], config["batch_rows"])
        stats = {
            "sent": 0,
            "skipped": 0,
            "failed": 0,
            "duplicates": 0,
            "rows": 0,
            "error": None,
        }
        if not chains:
            return stats
        stats["rows"] = sum(len(rows) for rows in chains.values())
        timeout = config["publish_timeout"]
        try:
            results = link.run(
                _publish_chains,
                SEND_BUDGET + 3 * timeout + 5,
                chains,
                config["stream"],
                timeout,
            )
        except Exception as exc:  # noqa: BLE001 - recorded on the rows, retried
            error = describe_error(exc)
            results = [
                {"done": [], "skipped": [], "failed": rows[0].id, "error": error}
                for rows in chains.values()
            ]
        done = [row_id for result in results for row_id in result["done"]]
        skipped = [row_id for result in results for row_id in result["skipped"]]
        if done or skipped:
            # a lock timeout here is retried by the runner (rows sent again
            # are dropped by JetStream, or found in the stream when late)
            self.env.cr.execute(
                SQL("DELETE FROM live_nats_outbox WHERE id = ANY(%s)", done + skipped),
                log_exceptions=False,
            )
        for result in results:
            if result["failed"]:
                self._note_failure(result["failed"], result["error"], config)
        stats.update(
            sent=len(done),
            skipped=len(skipped),
            failed=sum(1 for result in results if result["failed"]),
            duplicates=sum(result.get("duplicates", 0) for result in results),
        )
        if stats["failed"]:
            stats["error"] = next(r["error"] for r in results if r["failed"])
            _logger.info(
                "NATS outbox: %(sent)s sent, %(failed)s topic(s) failed, "
                "retried later: %(error)s",
                stats,
            )
        return stats

    def _note_failure(self, row_id, error, config):
        self.env.cr.execute(
            SQL(
                """
                UPDATE live_nats_outbox
                   SET attempts = attempts + 1, last_error = %s,
                       next_attempt_at = statement_timestamp() AT TIME ZONE 'UTC'
                           + make_interval(
                           secs => LEAST(%s, 0.5 * power(2, LEAST(attempts, 16))))
                 WHERE id = %s
                """,
                (error or "")[:500],
                config["retry_max_seconds"],
                row_id,
            )
        )

    @api.model
    def _next_attempt_delay(self):
        """Seconds until the earliest row waiting for a retry is due (None when
        none waits)."""
        self.env.cr.execute(
            "SELECT EXTRACT(EPOCH FROM min(next_attempt_at) - "
            "(statement_timestamp() AT TIME ZONE 'UTC')) FROM live_nats_outbox "
            "WHERE next_attempt_at IS NOT NULL"
        )
        delay = self.env.cr.fetchone()[0]
        return None if delay is None else max(0.0, float(delay))

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_retry_now(self):
        """Retry the selected rows at once (and wake the senders)."""
        self.write({"next_attempt_at": False})
        self.flush_recordset()
        self.env.cr.execute(SQL("NOTIFY %s", SQL.identifier(NOTIFY_CHANNEL)))
        return True

    def action_discard(self):
        """Give up sending the selected events (they stay in Odoo)."""
        for row in self:
            _logger.warning(
                "NATS outbox: event %s (seq %s of topic %s) discarded by user %s",
                row.message_id.id,
                row.seq,
                row.topic_id.name,
                self.env.uid,
            )
        self.unlink()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning",
                "message": _("The events were discarded: NATS will not get them."),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }


async def _publish_chains(link, chains, stream, timeout):
    """Publish each topic's rows in order, the topics concurrently; a topic
    stops at its first failure. Rows older than half the stream's duplicate
    window are first compared with the last message of their subject in the
    stream (sent before a crash, their acknowledgement never recorded)."""
    js = await link.ensure()
    # the stream's duplicate window, read again every minute (it may change)
    window, read_at = link.state.get(("duplicate_window", stream), (None, 0))
    if window is None or time.monotonic() - read_at > 60:
        info = await js.stream_info(stream)
        window = float(info.config.duplicate_window or DEFAULT_DUPLICATE_WINDOW)
        link.state[("duplicate_window", stream)] = (window, time.monotonic())
    late_before = time.time() - window / 2
    deadline = asyncio.get_running_loop().time() + SEND_BUDGET

    async def chain(rows):
        result = {"done": [], "skipped": [], "failed": None, "duplicates": 0}
        if _epoch(rows[0].enqueued_at) < late_before:
            try:
                last = await _last_seq(js, stream, rows[0])
            except Exception as exc:  # noqa: BLE001 - the chain is retried
                return dict(result, failed=rows[0].id, error=describe_error(exc))
            result["skipped"] = [row.id for row in rows if row.seq <= last]
            rows = [row for row in rows if row.seq > last]
        for row in rows:
            if asyncio.get_running_loop().time() > deadline:
                break
            try:
                ack = await js.publish(
                    row.subject,
                    (row.payload or "null").encode(),
                    timeout=timeout,
                    stream=stream,
                    headers={
                        "Nats-Msg-Id": str(row.message_id),
                        "Live-Topic": row.topic_name,
                        "Live-Seq": str(row.seq),
                        "Live-Event-Id": str(row.message_id),
                        "Content-Type": "application/json",
                    },
                )
            except Exception as exc:  # noqa: BLE001 - the chain is retried
                return dict(result, failed=row.id, error=describe_error(exc))
            result["done"].append(row.id)
            result["duplicates"] += bool(ack.duplicate)
        return result

    return await asyncio.gather(*(chain(rows) for rows in chains.values()))


async def _last_seq(js, stream, row):
    """The ``Live-Seq`` of the last message of ``row``'s subject in the stream
    when it is an event of the same topic, else 0."""
    try:
        message = await js.get_last_msg(stream, row.subject)
    except nats_module().js.errors.NotFoundError:
        return 0
    headers = message.headers or {}
    if headers.get("Live-Topic") != row.topic_name:
        return 0
    try:
        return int(headers.get("Live-Seq") or 0)
    except ValueError:
        return 0


def _epoch(value):
    """Seconds since the epoch of a naive UTC datetime (as Odoo stores them)."""
    return value.replace(tzinfo=timezone.utc).timestamp()
