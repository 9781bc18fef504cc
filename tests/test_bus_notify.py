"""The bus NOTIFY after commit (``bus/notify.py``), on real transactions.

Test cursors never commit, so these tests open a cursor of their own on the
test database, commit through it for real (what they test happens at commit),
and remove what they committed."""

import select
import time
import uuid
from contextlib import closing

import psycopg2
import psycopg2.extensions

import odoo
from odoo import SUPERUSER_ID, api
from odoo.tests import BaseCase, tagged

from odoo.addons.bus.models.bus import json_dump
from odoo.addons.live_messaging.bus.control import control_channel, notify
from odoo.addons.live_messaging.bus.notify import notifier


@tagged("post_install", "-at_install")
class TestBusNotify(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dbname = odoo.tests.get_db_name()

    def listen(self):
        """A connection LISTENing on ``imbus`` where Odoo's listeners do (the
        ``postgres`` database)."""
        _dbname, info = odoo.sql_db.connection_info_for("postgres")
        connection = psycopg2.connect(**info)
        connection.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
        with connection.cursor() as cursor:
            cursor.execute("LISTEN imbus")
        self.addCleanup(connection.close)
        return connection

    def heard(self, connection, channel, within):
        """The ``imbus`` payloads naming ``channel`` heard within ``within``
        seconds."""
        found = []
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if select.select([connection], [], [], 0.1)[0]:
                connection.poll()
            while connection.notifies:
                payload = connection.notifies.pop(0).payload
                if channel in payload:
                    found.append(payload)
            if found:
                break
        return found

    def transaction(self):
        """A real cursor on the test database (not the test's cursor)."""
        cr = odoo.sql_db.db_connect(self.dbname).cursor()
        return closing(cr)

    def bus_rows(self, channel):
        with self.transaction() as cr:
            cr.execute(
                "SELECT channel, message FROM bus_bus WHERE channel = %s ORDER BY id",
                [channel],
            )
            return cr.fetchall()

    def drop_rows(self, *channels):
        with self.transaction() as cr:
            cr.execute("DELETE FROM bus_bus WHERE channel IN %s", [channels])
            cr.commit()  # pylint: disable=invalid-commit

    def test_notify_at_commit_never_on_rollback(self):
        listener = self.listen()
        name = f"live_messaging_test_{uuid.uuid4().hex}"
        channel = json_dump([self.dbname, name])
        self.addCleanup(self.drop_rows, channel)

        with self.transaction() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["bus.bus"]._sendone(name, "live_messaging/test", {"n": 1})
            cr.rollback()
        self.assertEqual(self.heard(listener, name, within=1.0), [])
        self.assertEqual(self.bus_rows(channel), [])

        backends = set()
        for n in (2, 3):
            with self.transaction() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                env["bus.bus"]._sendone(name, "live_messaging/test", {"n": n})
                cr.commit()  # pylint: disable=invalid-commit
            # Odoo's payload: the JSON list of the channels, with the database
            heard = self.heard(listener, name, within=5.0)
            self.assertEqual(heard, [json_dump([[self.dbname, name]])])
            backends.add(notifier.backend_pid())
        # both commits NOTIFYed through the connection kept by the process
        self.assertEqual(len(backends), 1)
        self.assertNotIn(None, backends)
        rows = self.bus_rows(channel)
        self.assertEqual(
            [row[1] for row in rows],
            [
                json_dump({"type": "live_messaging/test", "payload": {"n": n}})
                for n in (2, 3)
            ],
        )

    def test_control_row_first_and_notified(self):
        listener = self.listen()
        name = f"live_messaging_test_{uuid.uuid4().hex}"
        channel = json_dump([self.dbname, name])
        control = control_channel(self.dbname)
        with self.transaction() as cr:
            cr.execute("SELECT COALESCE(MAX(id), 0) FROM bus_bus")
            last = cr.fetchone()[0]
        self.addCleanup(self.drop_rows, channel)

        with self.transaction() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["bus.bus"]._sendone(name, "live_messaging/test", {"n": 1})
            # a control sent after the notification still goes first
            notify(env, validity=[SUPERUSER_ID])
            cr.commit()  # pylint: disable=invalid-commit
            cr.execute(
                "SELECT id, channel FROM bus_bus WHERE id > %s AND channel IN %s "
                "ORDER BY id",
                [last, (channel, control)],
            )
            rows = cr.fetchall()
            cr.execute(
                "DELETE FROM bus_bus WHERE id IN %s", [tuple(r[0] for r in rows)]
            )
            cr.commit()  # pylint: disable=invalid-commit
        self.assertEqual([row[1] for row in rows], [control, channel])
        self.assertTrue(self.heard(listener, name, within=5.0))
