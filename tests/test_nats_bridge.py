"""The NATS bridge's model logic, inside a test transaction: what is queued with
the events, what the sender does with a real nats-server (order, headers, ids,
duplicates, backoff), and what the inbound feed makes of real messages.

What needs commits (runners in real server processes, restarts, two senders
side by side) is in e2e/test_nats_bridge.py."""

import json
from datetime import timedelta
from unittest.mock import patch

from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.live_messaging.models.nats import runner
from odoo.addons.live_messaging.models.nats.live_nats_feed import (
    consumer_subscription,
    fetch,
    finish,
)
from odoo.addons.live_messaging.utils import nats_link

from .common import LiveCase
from .nats_common import (
    NATS_URL,
    add_stream,
    consumer_pending,
    delete_stream,
    open_link,
    publish,
    require_nats,
    stream_messages,
    unique,
)

SCHEMA = {
    "type": "object",
    "required": ["sku", "qty"],
    "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}},
}


class NatsCase(LiveCase):
    """A stream and a subject prefix of the test's own on the real server."""

    def setUp(self):
        super().setUp()
        self.prefix = unique("lmt")
        self.stream = unique("LMT_")
        self.params = self.env["ir.config_parameter"].sudo()
        for key, value in (
            ("servers", NATS_URL),
            ("stream", self.stream),
            ("subject_prefix", self.prefix),
            ("retry_max_seconds", "2"),
        ):
            self.params.set_param(f"live_messaging.nats_{key}", value)
        self.Outbox = self.env["live.nats.outbox"]
        self.Mirror = self.env["live.nats.mirror"]

    def with_stream(self, duplicate_window=120.0):
        require_nats(self)
        self.link = open_link(self)
        self.link.run(
            add_stream, 10, self.stream, [f"{self.prefix}.>"], duplicate_window
        )
        self.addCleanup(self.link.run, delete_stream, 10, self.stream)

    def topic(self, name, **values):
        return self.env["live.topic"].create(
            dict(
                name=name,
                publish_access="restricted",
                publish_user_ids=[(6, 0, self.user_alice.ids)],
                **values,
            )
        )

    def publish(self, topic, count, user=None):
        topic = topic.with_user(user or self.user_alice)
        return [topic._publish({"n": n}).sudo() for n in range(count)]

    def rows(self, topic=None):
        domain = [("topic_id", "=", topic.id)] if topic else []
        return self.Outbox.search(domain, order="topic_id, seq")

    def send(self, link=None):
        stats = self.Outbox._nats_send_batch(link or self.link)
        self.env.invalidate_all()
        return stats


@tagged("post_install", "-at_install")
class TestNatsOutbox(NatsCase):
    def test_rows_written_with_the_events(self):
        before = self.topic("lmt-shop/1")
        self.Mirror.create({"pattern": "lmt-shop/*"})
        after = self.topic("lmt-shop/2")
        other = self.topic("lmt-other/1")
        self.assertTrue(before.nats_mirror_id and after.nats_mirror_id)
        self.assertFalse(other.nats_mirror_id)
        # published by a plain live user: the outbox is written all the same
        events = self.publish(after, 3)
        self.publish(other, 2)
        rows = self.rows()
        self.assertEqual(rows.message_id.ids, [e.id for e in events])
        self.assertEqual(rows.mapped("seq"), [1, 2, 3])
        self.assertEqual(set(rows.mapped("subject")), {f"{self.prefix}.lmt-shop.2"})
        self.assertEqual(after.nats_subject, f"{self.prefix}.lmt-shop.2")
        # several events stored at once (the batch path) are queued in order
        batch = after._store_events([{"payload": {"b": i}} for i in range(4)])
        self.assertEqual(self.rows(after).mapped("seq"), [1, 2, 3, 4, 5, 6, 7])
        self.assertEqual(self.rows(after)[3:].message_id, batch)
        # an event rolled back takes its row with it
        with self.assertRaises(ZeroDivisionError), self.env.cr.savepoint():
            self.publish(after, 1)
            raise ZeroDivisionError
        self.assertEqual(len(self.rows(after)), 7)
        self.assertEqual(after.nats_outbox_count, 7)

    def test_rules_follow_topics(self):
        topic = self.topic("lmt-a/1")
        exact = self.Mirror.create({"pattern": "lmt-a/1"})
        wide = self.Mirror.create({"pattern": "lmt-a/**"})
        self.assertEqual(topic.nats_mirror_id, exact)
        exact.active = False
        self.assertEqual(topic.nats_mirror_id, wide)
        topic.name = "lmt-b/1"
        self.assertFalse(topic.nats_mirror_id)
        self.publish(topic, 1)
        self.assertFalse(self.rows(topic))
        wide.pattern = "lmt-b/*"
        self.assertEqual(topic.nats_mirror_id, wide)
        wide.unlink()
        self.assertFalse(topic.nats_mirror_id)
        for bad in ("lmt a", "lmt/**/x", ""):
            with self.subTest(pattern=bad), self.assertRaises(ValidationError):
                self.Mirror.create({"pattern": bad})

    def test_send_in_order_with_headers(self):
        self.with_stream()
        self.Mirror.create({"pattern": "lmt-s/*"})
        first, second = self.topic("lmt-s/1"), self.topic("lmt-s/sale.order")
        events = {first: self.publish(first, 4), second: self.publish(second, 3)}
        stats = self.send()
        self.assertEqual(stats["sent"], 7)
        self.assertEqual((stats["failed"], stats["duplicates"]), (0, 0))
        self.assertFalse(self.rows())
        for topic, published in events.items():
            subject = topic.nats_subject
            got = self.link.run(stream_messages, 10, self.stream, subject)
            self.assertEqual(
                [headers["Nats-Msg-Id"] for _s, headers, _d in got],
                [str(event.id) for event in published],
            )
            self.assertEqual(
                [int(headers["Live-Seq"]) for _s, headers, _d in got],
                [1, 2, 3, 4][: len(published)],
            )
            self.assertEqual(
                {headers["Live-Topic"] for _s, headers, _d in got}, {topic.name}
            )
            self.assertEqual(
                [json.loads(data) for _s, _h, data in got],
                [event.payload for event in published],
            )
        self.assertEqual(second.nats_subject, f"{self.prefix}.lmt-s.sale%2Eorder")

    def test_resent_rows_are_not_doubled(self):
        self.with_stream()
        self.Mirror.create({"pattern": "lmt-d/*"})
        topic = self.topic("lmt-d/1")
        events = self.publish(topic, 3)
        self.assertEqual(self.send()["sent"], 3)
        # as if a sender had crashed between JetStream's ack and its commit
        Event = self.env["live.message"].browse([e.id for e in events])
        self.Outbox._enqueue(topic, Event, topic.nats_subject)
        stats = self.send()
        self.assertEqual((stats["sent"], stats["duplicates"]), (3, 3))
        # and long after, beyond JetStream's duplicate window: the stream's
        # last message of the subject says they are there already
        self.Outbox._enqueue(topic, Event, topic.nats_subject)
        self.rows(topic).write(
            {"enqueued_at": fields.Datetime.now() - timedelta(hours=1)}
        )
        stats = self.send()
        self.assertEqual((stats["sent"], stats["skipped"]), (0, 3))
        later = self.publish(topic, 1)
        self.rows(topic).write(
            {"enqueued_at": fields.Datetime.now() - timedelta(hours=1)}
        )
        stats = self.send()
        self.assertEqual((stats["sent"], stats["skipped"]), (1, 0))
        got = self.link.run(stream_messages, 10, self.stream)
        self.assertEqual(
            [headers["Nats-Msg-Id"] for _s, headers, _d in got],
            [str(e.id) for e in events + later],
        )

    def test_nats_down_backoff_and_lag(self):
        require_nats(self)
        self.Mirror.create({"pattern": "lmt-x/*"})
        topic = self.topic("lmt-x/1")
        self.publish(topic, 2)
        # nothing listens on port 1
        link = open_link(self, "nats://127.0.0.1:1")
        stats = self.send(link)
        self.assertEqual((stats["sent"], stats["failed"]), (0, 1))
        head, behind = self.rows(topic)
        self.assertEqual(head.attempts, 1)
        self.assertIn("127.0.0.1:1", head.last_error)
        self.assertGreater(
            head.next_attempt_at, fields.Datetime.now() - timedelta(seconds=1)
        )
        self.assertEqual((behind.attempts, behind.last_error), (0, False))
        self.assertEqual(topic.nats_outbox_count, 2)
        self.assertEqual(topic.nats_last_error, head.last_error)
        self.assertTrue(topic.nats_oldest_pending)
        rule = topic.nats_mirror_id
        self.assertEqual((rule.outbox_count, rule.last_error), (2, head.last_error))
        # the head waits for its retry: nothing of the topic is taken meanwhile
        self.assertEqual(self.send(link)["rows"], 0)
        self.assertGreater(self.Outbox._next_attempt_delay(), 0)
        head.action_retry_now()
        # a stream that does not exist is an error of its own
        self.with_stream()
        self.params.set_param("live_messaging.nats_stream", "LMT_NO_SUCH_STREAM")
        stats = self.send()
        self.assertEqual(stats["failed"], 1)
        self.assertIn("stream", self.rows(topic)[0].last_error.lower())
        self.params.set_param("live_messaging.nats_stream", self.stream)
        self.rows(topic).action_retry_now()
        self.assertEqual(self.send()["sent"], 2)
        self.assertFalse(self.rows(topic))

    def test_discard(self):
        self.Mirror.create({"pattern": "lmt-z/*"})
        topic = self.topic("lmt-z/1")
        self.publish(topic, 2)
        self.rows(topic)[:1].action_discard()
        self.assertEqual(self.rows(topic).mapped("seq"), [2])
        # events stay in Odoo
        self.assertEqual(topic.last_seq, 2)


@tagged("post_install", "-at_install")
class TestNatsFeed(NatsCase):
    def setUp(self):
        super().setUp()
        self.in_prefix = unique("lmtin")
        self.topic_in = self.topic("lmt-in/1", json_schema=json.dumps(SCHEMA))

    def feed(self, **values):
        defaults = {
            "name": "Warehouse",
            "subject": f"{self.in_prefix}.>",
            "stream": self.stream,
            "topic_id": self.topic_in.id,
            "user_id": self.user_alice.id,
            "batch_size": 10,
        }
        return self.env["live.nats.feed"].create(dict(defaults, **values))

    def test_feed_checks(self):
        feed = self.feed()
        self.assertTrue(feed.consumer_name.startswith("live-"))
        self.assertTrue(feed.consumer_name.endswith(f"-feed-{feed.id}"))
        self.assertEqual(
            feed.dead_letter_subject, f"{self.prefix}.$dlq.{feed.consumer_name}"
        )
        for values in (
            {"subject": f"{self.prefix}.shop.*"},  # would consume our own events
            {"subject": ">"},
            {"subject": "a b"},
            {"stream": "no.dots"},
            {"dead_letter_subject": f"{self.in_prefix}.dead"},  # consumed again
            {"dead_letter_subject": "dead.*"},
        ):
            with self.subTest(values=values), self.assertRaises(ValidationError):
                feed.write(values)
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"):
            with self.env.cr.savepoint():
                feed.write({"batch_size": 0})
                feed.flush_recordset()

    def test_ingest_idempotent_with_rejects(self):
        self.with_stream()
        self.link.run(
            add_stream, 10, f"{self.stream}_IN", [f"{self.in_prefix}.>"], 120.0
        )
        self.addCleanup(self.link.run, delete_stream, 10, f"{self.stream}_IN")
        feed = self.feed(stream=f"{self.stream}_IN")
        bodies = [
            b'{"sku": "A", "qty": 1}',
            b'{"sku": "B", "qty": 0}',  # the schema says qty >= 1
            b"not json",
            b"[1, 2]",  # not an object
            b'{"sku": "C", "qty": 2}',
        ]
        for index, body in enumerate(bodies):
            self.link.run(publish, 10, f"{self.in_prefix}.wh.{index}", body)
        spec = feed._consumer_spec()
        messages = self.link.run(fetch, 15, spec, 5)
        self.assertEqual([m.data for m in messages], bodies)
        outcomes = feed._nats_ingest(
            [(m.data, m.metadata.stream, m.metadata.sequence.stream) for m in messages]
        )
        self.assertEqual(
            [o["status"] for o in outcomes],
            ["created", "rejected", "rejected", "rejected", "created"],
        )
        self.assertEqual(outcomes[1]["path"], "/qty")
        self.assertIn("JSON", outcomes[2]["reason"])
        events = self.env["live.message"].browse(
            [o["event_id"] for o in outcomes if o.get("event_id")]
        )
        self.assertEqual(
            events.mapped("payload"), [{"sku": "A", "qty": 1}, {"sku": "C", "qty": 2}]
        )
        self.assertEqual(events.mapped("seq"), [1, 2])
        self.assertEqual(events.author_id, self.user_alice)
        self.assertEqual(set(events.mapped("author_app")), {"NATS Warehouse"})
        stream = f"{self.stream}_IN"
        self.assertEqual(
            events.mapped("client_id"), [f"nats:{stream}:1", f"nats:{stream}:5"]
        )
        self.assertEqual((feed.message_count, feed.reject_count), (2, 3))
        # the same messages again (a redelivery): the same events, nothing new
        again = feed._nats_ingest(
            [(m.data, m.metadata.stream, m.metadata.sequence.stream) for m in messages]
        )
        self.assertEqual(
            [o["status"] for o in again],
            ["duplicate", "rejected", "rejected", "rejected", "duplicate"],
        )
        self.assertEqual(self.topic_in.last_seq, 2)
        # after commit: rejects to the dead-letter subject, everything acked
        dead = self.link.run(finish, 15, spec, messages, outcomes)
        self.assertEqual(dead, 3)
        letters = self.link.run(
            stream_messages, 10, self.stream, feed.dead_letter_subject
        )
        self.assertEqual([data for _s, _h, data in letters], bodies[1:4])
        headers = letters[0][1]
        self.assertIn("/qty", headers["Live-Reject-Reason"])
        self.assertEqual(headers["Live-Reject-Path"], "/qty")
        self.assertEqual(headers["Live-Source-Seq"], "2")
        self.assertEqual(headers["Live-Source-Subject"], f"{self.in_prefix}.wh.1")
        self.assertEqual(
            self.link.run(consumer_pending, 10, stream, feed.consumer_name), (0, 0)
        )

    def test_consumer_follows_the_feed(self):
        self.with_stream()
        self.link.run(
            add_stream, 10, f"{self.stream}_IN", [f"{self.in_prefix}.>"], 120.0
        )
        self.addCleanup(self.link.run, delete_stream, 10, f"{self.stream}_IN")
        feed = self.feed(stream=f"{self.stream}_IN", subject=f"{self.in_prefix}.a.*")
        self.link.run(publish, 10, f"{self.in_prefix}.b.1", b'{"sku": "B", "qty": 1}')
        self.link.run(publish, 10, f"{self.in_prefix}.a.1", b'{"sku": "A", "qty": 1}')
        messages = self.link.run(fetch, 15, feed._consumer_spec(), 3)
        self.assertEqual([m.subject for m in messages], [f"{self.in_prefix}.a.1"])
        self.link.run(
            finish, 15, feed._consumer_spec(), messages, [{"status": "created"}]
        )
        feed.subject = f"{self.in_prefix}.b.*"
        sub = self.link.run(consumer_subscription, 10, feed._consumer_spec())
        info = self.link.run(lambda link: sub.consumer_info(), 10)
        self.assertEqual(info.config.filter_subject, f"{self.in_prefix}.b.*")
        self.assertEqual(info.config.max_ack_pending, 10)


@tagged("post_install", "-at_install")
class TestNatsSettings(NatsCase):
    def test_status_says_what_is_missing(self):
        Bridge = self.env["live.nats.bridge"]
        self.params.set_param("live_messaging.nats_servers", "")
        # what is said once nats-py is there (this part needs no nats-py)
        with patch.object(nats_link, "nats_available", return_value=True):
            self.assertIn("No NATS server", Bridge._nats_missing())
            settings = self.env["res.config.settings"].create({})
            self.assertIn("No NATS server", settings.live_nats_status)
        with patch.object(nats_link, "nats_available", return_value=False):
            self.assertIn("nats-py", Bridge._nats_missing())
        # the cron does nothing then, and never starts a runner in tests
        Bridge._cron_nats_bridge()
        self.assertFalse(runner.running(self.env.cr.dbname))
        self.params.set_param("live_messaging.nats_servers", NATS_URL)
        Bridge._cron_nats_bridge()
        self.assertFalse(runner.running(self.env.cr.dbname))

    def test_admin_actions_need_system_rights(self):
        feed = self.env["live.nats.feed"].create(
            {
                "name": "Rights",
                "subject": "lmt-rights.>",
                "stream": self.stream,
                "topic_id": self.topic("lmt-rights/1").id,
            }
        )
        for user in (self.user_manager, self.user_alice, self.user_portal):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env["live.nats.bridge"].with_user(user).action_wake()
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                feed.with_user(user).action_reset_consumer()
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env["live.nats.mirror"].with_user(user).create({"pattern": "x/*"})
        # the mirroring of a topic is the administrators' business
        topic = feed.topic_id
        with self.assertRaises(AccessError):
            topic.with_user(self.user_alice).read(["nats_mirror_id"])
        self.assertIn("nats_outbox_count", topic.with_user(self.user_manager).read()[0])
        self.assertNotIn("nats_subject", topic.with_user(self.user_alice).read()[0])
        cron = self.env.ref("live_messaging.ir_cron_nats_bridge")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        self.env["live.nats.bridge"].action_wake()
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]),
            triggers + 1,
        )

    def test_settings_checks(self):
        for values in (
            {"live_nats_servers": "http://127.0.0.1:4222"},
            {"live_nats_stream": "a.b"},
            {"live_nats_subject_prefix": "live.>"},
        ):
            with self.subTest(values=values), self.assertRaises(ValidationError):
                self.env["res.config.settings"].create(values)

    def test_connection_and_stream_buttons(self):
        require_nats(self)
        self.link = open_link(self)
        self.addCleanup(self.link.run, delete_stream, 10, self.stream)
        settings = self.env["res.config.settings"].create(
            {
                "live_nats_servers": f"nats://127.0.0.1:1, {NATS_URL}",
                "live_nats_stream": self.stream,
                "live_nats_subject_prefix": self.prefix,
            }
        )
        action = settings.action_live_nats_test_connection()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn("does not exist", action["params"]["message"])
        settings.action_live_nats_create_stream()
        action = settings.action_live_nats_test_connection()
        self.assertEqual(action["params"]["type"], "success", action)
        self.assertIn(f"captures {self.prefix}.>", action["params"]["message"])
        settings.live_nats_servers = "nats://127.0.0.1:1"
        action = settings.action_live_nats_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("127.0.0.1:1", action["params"]["message"])
