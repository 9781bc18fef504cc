"""The NATS bridge's runner: the threads that send the outbox and consume the
inbound feeds of one database, in one Odoo process.

Where it runs. The bridge's cron (every minute) calls ``ensure_runner`` in the
process that runs it: the server process in threaded mode (its cron threads),
a cron worker process in prefork mode (``--workers``), never an HTTP worker nor
the gevent (websocket) process, never in tests. The runner then lives as long
as its process; the next cron run starts a new one if it died. Several
processes or nodes may each run one: every outbox row is sent by exactly one of
them (row locks, SKIP LOCKED), and each feed is consumed by one of them at a
time (a PostgreSQL advisory lock per feed, held on a connection of its own).

Threads, per process and database:

- the *runner* sends the outbox in batches, one transaction each, and sleeps
  until a transaction that queued events commits (``LISTEN live_nats_outbox``
  on a connection of its own; the publishers ``NOTIFY`` in their transaction),
  until a row is due for a retry, or 30 seconds;
- one *consumer* per active feed: when it holds the feed's lock, it fetches a
  batch (long poll, 2 s), turns it into events in one transaction, commits,
  then acknowledges;
- the ``NatsLink``'s event loop (nats-py is asyncio), shared by the others.

Every wait is bounded; an error is logged, noted (outbox rows, feed, worker
row) and retried with backoff.
"""

import functools
import logging
import os
import select
import socket
import threading
import time
from datetime import datetime, timezone

import psycopg2

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.service.model import retrying

from ...utils.nats_link import NatsLink, describe_error

_logger = logging.getLogger(__name__)

IDLE_WAIT = 30.0
REPORT_EVERY = 10.0
SUPERVISE_EVERY = 5.0
FETCH_WAIT = 2.0
LEADER_RETRY = 5.0
LOCKED_RETRY = 0.5
ERROR_BACKOFF_MAX = 30.0
# advisory lock namespace of the feeds (pg_try_advisory_lock(int, int))
FEED_LOCK_CLASS = 0x4C4E46  # "LNF"

_runners = {}
_runners_lock = threading.Lock()


def ensure_runner(dbname):
    """Start the runner of ``dbname`` in this process unless it runs already.
    Never in the gevent process nor in tests (a runner's cursors would be the
    test's cursor)."""
    if (
        odoo.evented
        or odoo.modules.module.current_test
        or odoo.tools.config["test_enable"]
        or Registry(dbname).in_test_mode()
    ):
        return None
    with _runners_lock:
        runner = _runners.get(dbname)
        if runner and runner.is_alive():
            return runner
        runner = _runners[dbname] = Runner(dbname)
        runner.start()
        return runner


def running(dbname):
    runner = _runners.get(dbname)
    return bool(runner and runner.is_alive())


def _utcnow():
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _raw_connection(dbname):
    """A PostgreSQL connection outside Odoo's pool (which a cron worker may
    close under our feet in multi-database mode), in autocommit."""
    _name, params = odoo.sql_db.connection_info_for(dbname)
    connection = psycopg2.connect(connect_timeout=10, **params)
    connection.autocommit = True
    return connection


class Runner(threading.Thread):
    def __init__(self, dbname):
        super().__init__(name=f"live_nats_runner:{dbname}", daemon=True)
        # Odoo's log records read the thread's dbname
        self.dbname = dbname
        self.process = f"{socket.gethostname()}:{os.getpid()}"
        self.started_at = _utcnow()
        self.stopping = threading.Event()
        self.link = None
        self.link_options = None
        self.consumers = {}
        self.stats = {
            "sent": 0,
            "duplicates": 0,
            "ingested": 0,
            "feeds": set(),
            "connected": False,
            "last_error": None,
            "last_error_at": None,
        }
        self.stats_lock = threading.Lock()
        self._listener = None

    # -- main loop ---------------------------------------------------------

    def run(self):
        _logger.info("NATS bridge started in process %s", self.process)
        try:
            self._loop()
        except Exception:
            _logger.exception("NATS bridge runner stopped")
        finally:
            self.stopping.set()
            for consumer in list(self.consumers.values()):
                consumer.stopping.set()
            for consumer in list(self.consumers.values()):
                consumer.join(FETCH_WAIT + 10)
            if self.link:
                self.link.close()
            if self._listener:
                self._listener.close()
            with _runners_lock:
                if _runners.get(self.dbname) is self:
                    del _runners[self.dbname]
            _logger.info("NATS bridge stopped in process %s", self.process)

    def _loop(self):
        next_report = next_supervise = 0.0
        failures = 0
        while not self.stopping.is_set():
            try:
                registry = Registry(self.dbname).check_signaling()
                if "live.nats.bridge" not in registry:
                    return  # the addon was uninstalled
                with registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    bridge = env["live.nats.bridge"]
                    config = bridge._nats_config()
                    missing = bridge._nats_missing(config)
                    options = bridge._nats_link_options(config)
                    feeds = env["live.nats.feed"].search([]).ids
                if missing:
                    _logger.info("NATS bridge stops: %s", missing)
                    return
                self._use_link(options)
                now = time.monotonic()
                if now >= next_report:
                    self._report(registry)
                    next_report = now + REPORT_EVERY
                if now >= next_supervise:
                    self._supervise(feeds)
                    next_supervise = now + SUPERVISE_EVERY
                delay = self._send_outbox(registry, config)
                failures = 0
            except Exception as exc:  # noqa: BLE001 - logged, retried with backoff
                failures += 1
                self._note_error(exc)
                _logger.warning("NATS bridge: %s", describe_error(exc), exc_info=True)
                delay = min(ERROR_BACKOFF_MAX, 0.5 * 2**failures)
            self._wait(min(delay, SUPERVISE_EVERY if self.consumers else IDLE_WAIT))

    def _use_link(self, options):
        if self.link and self.link_options == options:
            return
        old, self.link = self.link, NatsLink(options)
        self.link_options = options
        if old:
            old.close()

    def _send_outbox(self, registry, config):
        """Send batches until none is left to send now; returns the seconds
        until the next retry is due (or IDLE_WAIT)."""
        while not self.stopping.is_set():
            try:
                with registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    stats = env["live.nats.outbox"]._nats_send_batch(self.link, config)
                    # the rows sent are deleted with JetStream's acknowledgement
                    cr.commit()  # pylint: disable=invalid-commit
            except psycopg2.errors.LockNotAvailable:
                # rows held by another transaction for 5 s (an administrator's
                # discard, a table lock): report, then try again shortly
                return LOCKED_RETRY
            except psycopg2.errors.SerializationFailure:
                time.sleep(0.05)  # a row changed since the snapshot: claim again
                continue
            with self.stats_lock:
                self.stats["sent"] += stats["sent"]
                self.stats["duplicates"] += stats["duplicates"]
                self.stats["connected"] = self.link.connected
            if stats["failed"]:
                self._note_error(stats["error"])
            if not stats["rows"] or not stats["sent"] + stats["skipped"]:
                break
        with registry.cursor() as cr:
            delay = api.Environment(cr, SUPERUSER_ID, {})[
                "live.nats.outbox"
            ]._next_attempt_delay()
        return IDLE_WAIT if delay is None else min(IDLE_WAIT, delay + 0.01)

    def _supervise(self, feed_ids):
        for feed_id, consumer in list(self.consumers.items()):
            if feed_id not in feed_ids or not consumer.is_alive():
                consumer.stopping.set()
                if not consumer.is_alive():
                    del self.consumers[feed_id]
        for feed_id in feed_ids:
            if feed_id not in self.consumers:
                consumer = self.consumers[feed_id] = FeedConsumer(self, feed_id)
                consumer.start()

    def _report(self, registry):
        with self.stats_lock:
            self.stats["connected"] = bool(self.link and self.link.connected)
            stats = dict(self.stats, feeds=set(self.stats["feeds"]))
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["live.nats.worker"]._report(self.process, self.started_at, stats)
            cr.commit()  # pylint: disable=invalid-commit

    def _note_error(self, error):
        with self.stats_lock:
            self.stats["last_error"] = (
                error if isinstance(error, str) else describe_error(error)
            )
            self.stats["last_error_at"] = _utcnow()

    def _wait(self, timeout):
        """Sleep up to ``timeout`` seconds, less when events are queued."""
        try:
            if self._listener is None:
                self._listener = _raw_connection(self.dbname)
                self._listener.cursor().execute("LISTEN live_nats_outbox")
            ready, _w, _x = select.select([self._listener], [], [], timeout)
            if ready:
                self._listener.poll()
                self._listener.notifies.clear()
                # a burst of commits: one batch for all of them
                time.sleep(0.002)
        except (psycopg2.Error, OSError):
            _logger.debug("NATS bridge listener", exc_info=True)
            if self._listener:
                self._listener.close()
            self._listener = None
            self.stopping.wait(min(timeout, 5))


class FeedConsumer(threading.Thread):
    """Consumes one feed while this process holds the feed's advisory lock."""

    def __init__(self, runner, feed_id):
        super().__init__(name=f"live_nats_feed:{runner.dbname}:{feed_id}", daemon=True)
        self.dbname = runner.dbname
        self.runner = runner
        self.feed_id = feed_id
        self.stopping = threading.Event()
        self.lock_connection = None
        self.consumer_name = None

    def run(self):
        from .live_nats_feed import fetch, finish, nak_all

        failures = 0
        try:
            while not self.stopping.is_set() and not self.runner.stopping.is_set():
                messages = []
                committed = False
                try:
                    if not self._lead():
                        self.stopping.wait(LEADER_RETRY)
                        continue
                    registry = Registry(self.dbname)
                    spec = self._spec(registry)
                    if not spec:
                        return
                    self.consumer_name = spec["consumer"]
                    with self.runner.stats_lock:
                        self.runner.stats["feeds"].add(spec["consumer"])
                    link = self.runner.link
                    messages = link.run(fetch, FETCH_WAIT + 10, spec, FETCH_WAIT)
                    if not messages:
                        continue
                    self._check_still_leader()
                    outcomes = self._ingest(registry, messages)
                    committed = True
                    link.run(finish, 30, spec, messages, outcomes)
                    with self.runner.stats_lock:
                        self.runner.stats["ingested"] += sum(
                            outcome["status"] == "created" for outcome in outcomes
                        )
                    failures = 0
                except Exception as exc:  # noqa: BLE001 - noted, retried
                    failures += 1
                    error = describe_error(exc)
                    _logger.warning(
                        "NATS feed %s: %s", self.feed_id, error, exc_info=True
                    )
                    self.runner._note_error(error)
                    if messages and not committed:
                        self._give_back(nak_all, messages)
                    self._note_feed_error(error)
                    self.stopping.wait(min(ERROR_BACKOFF_MAX, 0.5 * 2**failures))
        finally:
            self._release()
            if self.consumer_name:
                with self.runner.stats_lock:
                    self.runner.stats["feeds"].discard(self.consumer_name)

    def _lead(self):
        """Whether this process holds the feed's lock (taking it if free)."""
        if self.lock_connection is not None and not self.lock_connection.closed:
            return True
        self.lock_connection = _raw_connection(self.dbname)
        with self.lock_connection.cursor() as cr:
            cr.execute(
                "SELECT pg_try_advisory_lock(%s, %s)", (FEED_LOCK_CLASS, self.feed_id)
            )
            leader = cr.fetchone()[0]
        if not leader:
            self._release()
        return leader

    def _check_still_leader(self):
        with self.lock_connection.cursor() as cr:
            cr.execute("SELECT 1")

    def _release(self):
        connection, self.lock_connection = self.lock_connection, None
        if connection is not None and not connection.closed:
            connection.close()  # ends the session: the lock is released

    def _spec(self, registry):
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            feed = env["live.nats.feed"].search([("id", "=", self.feed_id)])
            return feed._consumer_spec() if feed else None

    def _ingest(self, registry, messages):
        batch = [
            (message.data, message.metadata.stream, message.metadata.sequence.stream)
            for message in messages
        ]
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            feed = env["live.nats.feed"].browse(self.feed_id)
            outcomes = retrying(functools.partial(feed._nats_ingest, batch), env)
            # the events exist before their messages are acknowledged
            cr.commit()  # pylint: disable=invalid-commit
        return outcomes

    def _give_back(self, nak_all, messages):
        try:
            self.runner.link.run(nak_all, 10, messages, 5)
        except Exception:  # noqa: BLE001 - redelivered after the ack wait anyway
            _logger.debug("NATS nak", exc_info=True)

    def _note_feed_error(self, error):
        try:
            registry = Registry(self.dbname)
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                env["live.nats.feed"].browse(self.feed_id).exists()._note_error(error)
                cr.commit()  # pylint: disable=invalid-commit
        except Exception:  # noqa: BLE001 - the log has it
            _logger.debug("noting a feed error", exc_info=True)
