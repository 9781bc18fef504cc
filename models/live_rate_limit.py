import logging
import math
import os
import threading

import psycopg2

from odoo import api, models
from odoo.modules import module
from odoo.sql_db import connection_info_for
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# One token bucket per key, in PostgreSQL: the store every worker and every
# node already share. UNLOGGED (not written to the WAL: a crash only forgets
# the counts) and one row per key.
_TABLE = "live_rate_limit"


class _Connections:
    """One autocommit connection per process and database, for the limits
    only. Not from Odoo's pool: a request already holds a cursor of it, and a
    second one per request would empty the pool under load (then nothing is
    counted, and the bus's own notification fails). Autocommit (READ
    COMMITTED): the statement is its own transaction, one round trip; a
    concurrent hit of the same key waits for the row, then counts on its
    result."""

    def __init__(self):
        self._lock = threading.Lock()
        self._connections = {}  # dbname -> (pid, connection)

    def execute(self, dbname, query):
        """The row ``query`` (an ``odoo.tools.SQL``) returns."""
        with self._lock:
            for attempt in (1, 2):
                connection = self._connection(dbname)
                try:
                    with connection.cursor() as cr:
                        cr.execute(query.code, query.params)
                        return cr.fetchone()
                except (psycopg2.OperationalError, psycopg2.InterfaceError):
                    # a connection lost (server restarted...): one new try
                    self._connections.pop(dbname, None)
                    if attempt == 2:
                        raise
        return None

    def _connection(self, dbname):
        pid, connection = self._connections.get(dbname, (None, None))
        if pid != os.getpid() or connection is None or connection.closed:
            # a worker forked from a process that had one opens its own
            _db, info = connection_info_for(dbname)
            connection = psycopg2.connect(**info)
            connection.autocommit = True
            self._connections[dbname] = (os.getpid(), connection)
        return connection


_CONNECTIONS = _Connections()


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
    def _hit(self, key, per_minute, burst=None, cost=1):
        """Spend one request of ``key``'s budget: ``0`` when allowed, else the
        seconds to wait before the next one is (for ``Retry-After``). A limit
        of ``0`` (or less) allows everything.

        ``cost``: requests spent at once (a batch's items). They are allowed
        while one token is left, and may overdraw the bucket: the debt is paid
        back by refilling before anything else is allowed."""
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
            VALUES (%(key)s, %(burst)s - %(cost)s, TRUE,
                    clock_timestamp() AT TIME ZONE 'UTC')
            ON CONFLICT (key) DO UPDATE SET
                tokens = CASE WHEN %(refill)s >= 1 THEN %(refill)s - %(cost)s
                              ELSE %(refill)s END,
                allowed = %(refill)s >= 1,
                updated_at = clock_timestamp() AT TIME ZONE 'UTC'
            RETURNING tokens, allowed
            """,
            table=SQL.identifier(_TABLE),
            key=key,
            burst=float(burst),
            cost=float(max(1, cost)),
            refill=refill,
        )
        try:
            if module.current_test or self.env.registry.in_test_mode():
                # what a test counts is rolled back with it
                self.env.cr.execute(query)
                tokens, allowed = self.env.cr.fetchone()
            else:
                tokens, allowed = _CONNECTIONS.execute(self.env.cr.dbname, query)
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
