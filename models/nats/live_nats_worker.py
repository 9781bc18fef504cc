from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

HEARTBEAT_SECONDS = 10
GONE_AFTER = timedelta(minutes=10)


class LiveNatsWorker(models.Model):
    """A process running the NATS bridge for this database (one row per
    process, refreshed every few seconds): where the bridge runs, what it did,
    its last error. Rows of processes silent for ten minutes are removed."""

    _name = "live.nats.worker"
    _description = "Live Messaging NATS Bridge Worker"
    _order = "heartbeat_at desc"
    _log_access = False

    name = fields.Char("Process", required=True, readonly=True)
    started_at = fields.Datetime(readonly=True)
    heartbeat_at = fields.Datetime("Last Seen", readonly=True)
    is_alive = fields.Boolean(compute="_compute_is_alive", string="Alive")
    sent_count = fields.Integer("Events Sent", readonly=True)
    duplicate_count = fields.Integer(
        "Dropped As Duplicates",
        readonly=True,
        help="Sends that JetStream recognised by their message id and dropped.",
    )
    ingested_count = fields.Integer("Events Received", readonly=True)
    feeds = fields.Char("Consuming", readonly=True)
    connected = fields.Boolean("Connected to NATS", readonly=True)
    last_error = fields.Char(readonly=True)
    last_error_at = fields.Datetime(readonly=True)

    _sql_constraints = [("name_unique", "UNIQUE(name)", "One row per process.")]

    def _compute_is_alive(self):
        limit = fields.Datetime.now() - timedelta(seconds=3 * HEARTBEAT_SECONDS)
        for worker in self:
            worker.is_alive = bool(worker.heartbeat_at and worker.heartbeat_at > limit)

    @api.model
    def _report(self, name, started_at, stats):
        """Upsert the row of process ``name`` (called by its runner)."""
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO live_nats_worker AS w (name, started_at, heartbeat_at,
                    sent_count, duplicate_count, ingested_count, feeds, connected,
                    last_error, last_error_at)
                VALUES (%(name)s, %(started)s, now() AT TIME ZONE 'UTC', %(sent)s,
                        %(duplicates)s, %(ingested)s, %(feeds)s, %(connected)s,
                        %(error)s, %(error_at)s)
                ON CONFLICT (name) DO UPDATE SET
                    started_at = EXCLUDED.started_at,
                    heartbeat_at = EXCLUDED.heartbeat_at,
                    sent_count = EXCLUDED.sent_count,
                    duplicate_count = EXCLUDED.duplicate_count,
                    ingested_count = EXCLUDED.ingested_count,
                    feeds = EXCLUDED.feeds,
                    connected = EXCLUDED.connected,
                    last_error = EXCLUDED.last_error,
                    last_error_at = EXCLUDED.last_error_at
                """,
                name=name,
                started=started_at,
                sent=stats["sent"],
                duplicates=stats["duplicates"],
                ingested=stats["ingested"],
                feeds=", ".join(sorted(stats["feeds"])) or None,
                connected=stats["connected"],
                error=(stats["last_error"] or None) and stats["last_error"][:500],
                error_at=stats["last_error_at"],
            )
        )

    @api.model
    def _gc_workers(self):
        self.env.cr.execute(
            SQL(
                "DELETE FROM live_nats_worker WHERE heartbeat_at < %s",
                fields.Datetime.now() - GONE_AFTER,
            )
        )
