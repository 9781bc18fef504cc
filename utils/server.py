"""The HTTP listen backlog of Odoo's prefork server.

Odoo's prefork server (``workers > 0``) listens with a backlog of ``8 *
workers`` connections (odoo/service/server.py ``PreforkServer.start``): 16 with
two workers. Its HTTP workers answer one request per connection and close it,
so every API request opens a connection. When more clients connect at once than
the backlog holds (50 publishers, or nginx forwarding their requests), the
kernel drops the excess handshakes; the clients resend them after 1 s, 3 s...,
and a worker that accepts a connection whose request has not been resent yet
waits for it for ``ODOO_HTTP_SOCKET_TIMEOUT`` (2 s), idle, then closes it: the
client gets a reset connection (nginx: 502 or 504) and throughput collapses.

There is no option for that backlog. ``listen()`` on a listening socket sets a
new backlog (Linux), so the addon widens it once the server runs: from the
manifest's ``post_load`` hook, which Odoo calls when the addon is imported (in
the master process when it preloads the database, else in each worker, whose
inherited socket is the same). The kernel caps it at ``net.core.somaxconn``.
"""

import logging
import os
import socket

_logger = logging.getLogger(__name__)

# the queue of connections waiting for a free worker; environment variable to
# change it, as Odoo's own ODOO_HTTP_SOCKET_TIMEOUT
BACKLOG_ENV = "ODOO_LIVE_LISTEN_BACKLOG"


def wanted_backlog():
    """The backlog asked by ``ODOO_LIVE_LISTEN_BACKLOG`` (0: leave Odoo's),
    else the system's maximum."""
    value = os.environ.get(BACKLOG_ENV, "").strip()
    if value.isdigit():
        return int(value)
    return socket.SOMAXCONN


def widen_backlog(sock, backlog):
    """Listen on ``sock`` (already listening) with ``backlog``; True if done."""
    if not backlog:
        return False
    try:
        sock.listen(backlog)
    except OSError as exc:
        _logger.warning("Could not widen the HTTP listen backlog: %s", exc)
        return False
    return True


def widen_prefork_backlog():
    """``post_load`` hook: widen the listen backlog of Odoo's prefork server
    (nothing in threaded or gevent mode, whose servers listen with 128 or
    more)."""
    # imported here: the server module is not needed to import the addon
    from odoo.service import server  # noqa: PLC0415

    prefork = server.server
    sock = getattr(prefork, "socket", None)
    if not isinstance(prefork, server.PreforkServer) or sock is None:
        return
    backlog = wanted_backlog()
    if backlog > 8 * prefork.population and widen_backlog(sock, backlog):
        _logger.info("HTTP listen backlog: %s connections", backlog)
