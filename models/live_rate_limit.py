import logging
import math

import psycopg2
from psycopg2.extensions import ISOLATION_LEVEL_READ_COMMITTED

from odoo import api, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# One token bucket per key, in PostgreSQL: the store every worker and every
# node already share. UNLOGGED (not written to the WAL: a crash only forgets
# the counts) and one row per key.
_TABLE = "live_rate_limit"


class LiveRateLimit(models.AbstractModel):
    """Rate limits that hold across workers and nodes.

    ``_hit(key, per_minute, burst)`` spends one token of the bucket ``key``:
    the bucket holds up to ``burst`` tokens and refills at ``per_minute``
    tokens a minute. One statement (an ``INSERT ... ON CONFLICT DO UPDATE``,
    which locks the key's row while it computes) decides atomically, on a
    short transaction of its own (READ COMMITTED, committed at once): the
    request's own transaction does not hold the row, and a refused request
    still counts."""

    _name = "live.rate.limit"
    _description = "Live Messaging Rate Limits"

    def init(self):
        self.env.cr.execute(
            SQL(
                """
                CREATE UNLOGGED TABLE IF NOT EXISTS %s (
                    key varchar PRIMARY KEY,
                    tokens double precision NOT NULL,
                    allowed boolean NOT NULL,
                    updated_at timestamp NOT NULL
                )
                """,
                SQL.identifier(_TABLE),
            )
        )

    @api.model
    def _hit(self, key, per_minute, burst=None):
        """Spend one request of ``key``'s budget: ``0`` when allowed, else the
        seconds to wait before the next one is (for ``Retry-After``). A limit
        of ``0`` (or less) allows everything."""
        if per_minute <= 0:
            return 0
        burst = max(1, burst or per_minute)
        per_second = per_minute / 60.0
        refill = SQL(
            "LEAST(%s, b.tokens + GREATEST(0, EXTRACT(EPOCH FROM "
            "(clock_timestamp() AT TIME ZONE 'UTC') - b.updated_at)) * %s)",
            float(burst),
            per_second,
        )
        query = SQL(
            """
            INSERT INTO %(table)s AS b (key, tokens, allowed, updated_at)
            VALUES (%(key)s, %(burst)s - 1, TRUE, clock_timestamp() AT TIME ZONE 'UTC')
            ON CONFLICT (key) DO UPDATE SET
                tokens = CASE WHEN %(refill)s >= 1 THEN %(refill)s - 1
                              ELSE %(refill)s END,
                allowed = %(refill)s >= 1,
                updated_at = clock_timestamp() AT TIME ZONE 'UTC'
            RETURNING tokens, allowed
            """,
            table=SQL.identifier(_TABLE),
            key=key,
            burst=float(burst),
            refill=refill,
        )
        try:
            with self.env.registry.cursor() as cr:
                if not self.env.registry.in_test_mode():
                    # wait for a concurrent hit's row, then count on its result
                    # (REPEATABLE READ would fail to serialise instead)
                    cr.connection.set_isolation_level(ISOLATION_LEVEL_READ_COMMITTED)
                cr.execute(query, log_exceptions=False)
                tokens, allowed = cr.fetchone()
        except psycopg2.Error:
            # a limit that cannot be counted must not take the service down
            _logger.warning("live_messaging: rate limit %s not counted", key)
            return 0
        if allowed:
            return 0
        return max(1, math.ceil((1 - tokens) / per_second))

    @api.autovacuum
    def _gc_rate_limits(self):
        """Forget buckets untouched for a day (they are full again anyway)."""
        self.env.cr.execute(
            SQL(
                "DELETE FROM %s WHERE updated_at < "
                "(now() AT TIME ZONE 'UTC') - interval '1 day'",
                SQL.identifier(_TABLE),
            )
        )
