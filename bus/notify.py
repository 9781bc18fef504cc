"""NOTIFY on a connection kept per process.

Odoo's bus (``bus.bus._ensure_hooks``) NOTIFYs ``imbus`` after each commit
that sent something, on a new connection to the ``postgres`` database: about
3 ms per commit, more than the rest of a post. The listeners (Odoo's, the live
bus dispatcher's, in every process and node) LISTEN on ``postgres``, so the
NOTIFY must go there, not into the transaction of the application database.
``models/bus_bus.py`` sends it here instead, once the transaction is
committed (never on rollback), with Odoo's payloads (``get_notify_payloads``)
and Odoo's function (``ODOO_NOTIFY_FUNCTION``).

The connection is opened at the first NOTIFY of the process (a forked worker
opens its own), autocommit, and opened again when it breaks. A NOTIFY that
still fails is logged, not raised: the transaction is committed already, and
dispatchers sweep the bus every second whatever they hear.
"""

import logging
import os
import threading

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

import odoo

from odoo.addons.bus.models.bus import ODOO_NOTIFY_FUNCTION

_logger = logging.getLogger(__name__)

APPLICATION_NAME = "odoo-live-notify-%s"


class Notifier:
    def __init__(self):
        self._lock = threading.Lock()
        self._connection = None
        self._pid = None

    def _connect(self):
        if self._pid != os.getpid():
            # a connection inherited through fork belongs to the parent: it is
            # left alone (closing it would end the parent's session)
            self._connection = None
        if self._connection is None or self._connection.closed:
            _dbname, info = odoo.sql_db.connection_info_for("postgres")
            info = dict(info, application_name=APPLICATION_NAME % os.getpid())
            connection = psycopg2.connect(**info)
            connection.set_isolation_level(
                psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT
            )
            self._connection, self._pid = connection, os.getpid()
        return self._connection

    def _drop(self):
        connection, self._connection = self._connection, None
        if connection is not None and self._pid == os.getpid():
            try:
                connection.close()
            except psycopg2.Error:
                _logger.debug("live bus: closing the NOTIFY connection", exc_info=True)

    def backend_pid(self):
        """The PostgreSQL backend of the kept connection (None before the
        first NOTIFY): tests check that commits reuse it."""
        with self._lock:
            connection = self._connection
            if connection is None or connection.closed or self._pid != os.getpid():
                return None
            return connection.get_backend_pid()

    def notify(self, channel, payloads):
        """``SELECT pg_notify(channel, payload)`` for each payload, at once (in
        autocommit). Returns whether they were sent."""
        if not payloads:
            return True
        query = sql.SQL("SELECT {}(%s, %s)").format(
            sql.Identifier(ODOO_NOTIFY_FUNCTION)
        )
        with self._lock:
            for attempt in (1, 2):
                try:
                    with self._connect().cursor() as cursor:
                        for payload in payloads:
                            cursor.execute(query, (channel, payload))
                    return True
                except psycopg2.Error:
                    # a connection broken since the last NOTIFY (restart of
                    # PostgreSQL, idle timeout): one more try on a new one
                    self._drop()
                    if attempt == 2:
                        _logger.warning(
                            "live bus: NOTIFY %s failed", channel, exc_info=True
                        )
        return False


notifier = Notifier()
