"""The prefork server's listen backlog, widened by the addon (utils/server.py):
on real loopback sockets, what a backlog lets wait without a worker."""

import contextlib
import os
import socket

from odoo.tests import BaseCase, tagged

from odoo.addons.live_messaging.utils import server as live_server


def waiting(port, count):
    """How many of ``count`` connections to ``port`` complete their handshake
    within half a second while nobody accepts them."""
    done = 0
    with contextlib.ExitStack() as stack:
        for _i in range(count):
            client = stack.enter_context(socket.socket())
            client.settimeout(0.5)
            try:
                client.connect(("127.0.0.1", port))
            except OSError:
                continue
            done += 1
    return done


def listening(backlog):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(backlog)
    return sock


@tagged("post_install", "-at_install")
class TestServerBacklog(BaseCase):
    def test_widened_backlog_holds_every_waiting_connection(self):
        # what Odoo's 8 x workers does to a burst of clients, in small: the
        # kernel drops the handshakes beyond the backlog
        with listening(1) as narrow:
            self.assertLess(waiting(narrow.getsockname()[1], 10), 10)
        with listening(1) as sock:
            self.assertTrue(live_server.widen_backlog(sock, 64))
            self.assertEqual(waiting(sock.getsockname()[1], 10), 10)

    def test_backlog_from_the_environment(self):
        self.addCleanup(os.environ.pop, live_server.BACKLOG_ENV, None)
        os.environ[live_server.BACKLOG_ENV] = "512"
        self.assertEqual(live_server.wanted_backlog(), 512)
        os.environ[live_server.BACKLOG_ENV] = "0"
        self.assertEqual(live_server.wanted_backlog(), 0)
        with listening(1) as sock:
            self.assertFalse(live_server.widen_backlog(sock, 0))
        os.environ[live_server.BACKLOG_ENV] = "many"
        self.assertEqual(live_server.wanted_backlog(), socket.SOMAXCONN)

    def test_hook_leaves_other_servers_alone(self):
        # the test server is threaded (or none): the hook changes nothing
        self.assertIsNone(live_server.widen_prefork_backlog())
