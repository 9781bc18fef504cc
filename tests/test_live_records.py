from odoo.exceptions import UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from odoo.addons.live_messaging.models.live_record_watch import PRECOMMIT_KEY

from .common import LiveCase

RECORDS = "live_messaging/records"
EVENTS = "live_messaging/events"


class LiveRecordsCase(LiveCase):
    """Sale orders of two companies, salespeople who see their own orders or
    all of them, and helpers to watch a model and to commit like a request."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "LM Company B"})
        all_docs = "base.group_user,sales_team.group_sale_salesman_all_leads"
        cls.user_sam = new_test_user(cls.env, "lm_sam", all_docs, name="Sam All Orders")
        cls.user_dora = new_test_user(
            cls.env,
            "lm_dora",
            all_docs,
            name="Dora Company B",
            company_id=cls.company_b.id,
            company_ids=[(6, 0, cls.company_b.ids)],
        )
        cls.user_emil = new_test_user(
            cls.env,
            "lm_emil",
            all_docs,
            name="Emil Both Companies",
            company_id=cls.company_a.id,
            company_ids=[(6, 0, (cls.company_a | cls.company_b).ids)],
        )
        cls.partner = cls.env["res.partner"].create({"name": "LM Customer"})
        cls.product = cls.env["product.product"].create(
            {"name": "LM Widget", "list_price": 100.0}
        )
        cls.topic = cls.env.ref("live_messaging.live_topic_sale_order")
        # nobody listens to start with (the demo data subscribes the admin)
        cls.topic.subscription_ids.unlink()
        cls.env["live.record.watch"].search([]).unlink()

    def order(self, user=None, company=None, **values):
        """A draft order of ``user`` (default alice), created in sudo."""
        company = company or self.company_a
        return (
            self.env["sale.order"]
            .with_company(company)
            .create(
                dict(
                    {
                        "partner_id": self.partner.id,
                        "user_id": (user or self.user_alice).id,
                        "company_id": company.id,
                    },
                    **values,
                )
            )
        )

    def watch(self, *users, model="sale.order", companies=None):
        """``users`` open a live view of ``model`` (in the active ``companies``,
        default all of theirs); returns the accepted models of the last one."""
        result = None
        for user in users:
            Watch = self.env["live.record.watch"].with_user(user)
            if companies:
                Watch = Watch.with_context(allowed_company_ids=companies.ids)
            result = Watch.live_watch([model], f"tab-{user.login}")["models"]
        return result

    def commit(self):
        """What a request does at commit: flush, then run the precommit hooks
        (which create the bus notifications)."""
        self.env.cr.flush()

    def records_to(self, user):
        return self.pushed(user.partner_id, RECORDS)

    def events_to(self, user):
        return [
            event
            for payload in self.pushed(user.partner_id, EVENTS)
            for event in payload["events"]
        ]


@tagged("post_install", "-at_install")
class TestLiveRecords(LiveRecordsCase):
    def test_nobody_listens_nothing_is_collected(self):
        Watch = self.env["live.record.watch"]
        self.assertNotIn("sale.order", Watch._live_listened_models())
        order = self.order()
        order.write({"note": "nobody watches"})
        self.env.flush_all()
        self.assertNotIn(PRECOMMIT_KEY, self.env.cr.precommit.data)
        # the check is a cached set lookup: no query at all
        with self.assertQueryCount(0):
            Watch._live_collect(order, "updated", [{"note": "x"}])
        self.commit()
        self.assertFalse(self.bus_notifications(notification_type=RECORDS))
        self.assertFalse(self.env["live.message"].search([("res_id", "=", order.id)]))

    def test_pushed_to_watchers_who_may_read(self):
        """Alice sees her own orders, Sam all of them, Bob only his: an order of
        Alice's is pushed to Alice and Sam, never to Bob, nor to Carol who has
        no sales rights, nor to Manny who has not opened the view."""
        self.assertEqual(self.watch(self.user_alice, self.user_bob), ["sale.order"])
        self.watch(self.user_sam)
        self.assertEqual(self.watch(self.user_carol), [], "no right to read orders")
        self.assertFalse(
            self.env["live.record.watch"].search([("user_id", "=", self.user_carol.id)])
        )
        # a watcher whose rights were revoked after registering gets nothing
        self.env["live.record.watch"].create(
            {
                "user_id": self.user_carol.id,
                "res_model": "sale.order",
                "token": "stale-registration",
                "heartbeat": "2100-01-01 00:00:00",
            }
        )
        self.assertIn(
            "sale.order", self.env["live.record.watch"]._live_listened_models()
        )
        order = self.order()
        self.commit()
        expected = [
            {"model": "sale.order", "created": order.ids, "updated": [], "deleted": []}
        ]
        self.assertEqual(self.records_to(self.user_alice), expected)
        self.assertEqual(self.records_to(self.user_sam), expected)
        for user in (self.user_bob, self.user_carol, self.user_manager):
            self.assertFalse(self.records_to(user), user.name)

    def test_one_notification_per_transaction_with_batched_ids(self):
        existing = self.order() | self.order()
        self.commit()
        self.reset_bus()
        self.watch(self.user_sam)
        created = self.order() | self.order() | self.order()
        existing[0].write({"note": "first"})
        existing.write({"client_order_ref": "REF"})
        existing[1].action_confirm()
        created[0].write({"note": "written after create"})
        self.commit()
        self.assertEqual(
            self.records_to(self.user_sam),
            [
                {
                    "model": "sale.order",
                    "created": sorted(created.ids),
                    "updated": sorted(existing.ids),
                    "deleted": [],
                }
            ],
        )
        # 200 writes, one transaction: still one notification
        self.reset_bus()
        for index in range(200):
            existing[index % 2].write({"client_order_ref": f"REF-{index}"})
            self.env.flush_all()
        self.commit()
        pushed = self.records_to(self.user_sam)
        self.assertEqual(len(pushed), 1)
        self.assertEqual(pushed[0]["updated"], sorted(existing.ids))

    def test_other_companies(self):
        """An order of company B reaches the watchers who may read company B's
        orders in the companies active in their tab, and nobody else."""
        self.watch(self.user_alice, self.user_sam, self.user_dora)
        self.watch(self.user_emil, companies=self.company_a)
        order_b = self.order(user=self.user_dora, company=self.company_b)
        self.commit()
        self.assertEqual(self.records_to(self.user_dora)[0]["created"], order_b.ids)
        for user in (self.user_alice, self.user_sam, self.user_emil):
            self.assertFalse(self.records_to(user), user.name)
        # Emil switches on company B in his tab
        self.reset_bus()
        self.watch(self.user_emil, companies=self.company_a | self.company_b)
        order_b.write({"note": "seen by both companies' users"})
        self.commit()
        self.assertEqual(self.records_to(self.user_emil)[0]["updated"], order_b.ids)
        self.assertEqual(self.records_to(self.user_dora)[0]["updated"], order_b.ids)
        self.assertFalse(self.records_to(self.user_sam))

    def test_deletion_pushed_to_who_could_read(self):
        self.watch(self.user_alice, self.user_bob, self.user_sam)
        order, bobs = self.order(), self.order(user=self.user_bob)
        self.commit()
        self.reset_bus()
        (order | bobs).unlink()
        # created and deleted within one transaction: nobody hears of it
        self.order().unlink()
        self.commit()
        self.assertEqual(
            self.records_to(self.user_alice),
            [
                {
                    "model": "sale.order",
                    "created": [],
                    "updated": [],
                    "deleted": order.ids,
                }
            ],
        )
        self.assertEqual(self.records_to(self.user_bob)[0]["deleted"], bobs.ids)
        self.assertEqual(
            self.records_to(self.user_sam)[0]["deleted"], sorted((order | bobs).ids)
        )

    def test_unlink_rolled_back_is_no_deletion(self):
        self.watch(self.user_sam)
        order = self.order()
        self.commit()
        self.reset_bus()
        order.action_confirm()
        with self.assertRaises(UserError), self.env.cr.savepoint():
            order.unlink()  # a confirmed order cannot be deleted
        self.commit()
        pushed = self.records_to(self.user_sam)
        self.assertEqual(pushed[0]["deleted"], [])
        self.assertEqual(pushed[0]["updated"], order.ids)

    def test_cron_and_sudo_changes_still_filtered(self):
        self.watch(self.user_alice, self.user_bob)
        order = self.order()
        self.commit()
        self.reset_bus()
        # the way a cron (OdooBot) or a server action writes
        self.env["sale.order"].browse(order.id).with_user(
            self.env.ref("base.user_root")
        ).sudo().write({"note": "by a cron"})
        self.commit()
        self.assertEqual(self.records_to(self.user_alice)[0]["updated"], order.ids)
        self.assertFalse(self.records_to(self.user_bob))

    def test_stored_recompute_through_order_lines(self):
        """A new order line changes the order's stored amounts, flushed by the
        ORM without any write() on the order: the order is pushed."""
        self.watch(self.user_alice)
        order = self.order()
        self.commit()
        self.reset_bus()
        self.env["sale.order.line"].create(
            {"order_id": order.id, "product_id": self.product.id, "product_uom_qty": 3}
        )
        self.commit()
        self.assertEqual(self.records_to(self.user_alice)[0]["updated"], order.ids)
        self.assertGreater(order.amount_total, 0)

    def test_no_push_for_technical_columns_only(self):
        self.watch(self.user_alice)
        order = self.order()
        self.commit()
        self.reset_bus()
        order.write({"access_token": "new-token"})  # ignored for sale.order
        self.commit()
        self.assertFalse(self.records_to(self.user_alice))

    def test_expired_and_closed_views(self):
        self.watch(self.user_alice, self.user_sam)
        Watch = self.env["live.record.watch"]
        Watch.with_user(self.user_sam).live_unwatch(["sale.order"], "tab-lm_sam")
        self.env.cr.execute(
            SQL(
                "UPDATE live_record_watch SET heartbeat = heartbeat - interval '1 hour'"
                " WHERE user_id = %s",
                self.user_alice.id,
            )
        )
        self.order()
        self.commit()
        self.assertFalse(self.records_to(self.user_alice), "expired")
        self.assertFalse(self.records_to(self.user_sam), "closed")
        Watch._gc_expired_watchers()
        self.assertFalse(Watch.search([]))
        # a heartbeat brings the view back
        self.reset_bus()
        self.watch(self.user_alice)
        self.order()
        self.commit()
        self.assertEqual(len(self.records_to(self.user_alice)), 1)

    def test_watch_api_bad_inputs(self):
        Watch = self.env["live.record.watch"].with_user(self.user_alice)
        for token in ("short", "bad token with spaces", None, 42, "x" * 65):
            with self.subTest(token=token), self.assertRaises(ValueError):
                Watch.live_watch(["sale.order"], token)
        # not live, unknown, abstract, not a list: refused, nothing registered
        self.assertEqual(Watch.live_watch(["res.partner"], "tab-alice")["models"], [])
        self.assertEqual(Watch.live_watch(["no.such.model"], "tab-alice")["models"], [])
        self.assertEqual(
            Watch.live_watch(["live.record.mixin"], "tab-alice")["models"], []
        )
        self.assertEqual(Watch.live_watch("sale.order", "tab-alice")["models"], [])
        portal = self.env["live.record.watch"].with_user(self.user_portal)
        self.assertEqual(portal.live_watch(["sale.order"], "tab-portal")["models"], [])
        self.assertFalse(self.env["live.record.watch"].search([]))
        # one row per tab and model; a heartbeat updates it
        self.assertEqual(
            Watch.live_watch(["sale.order", "sale.order"], "tab-alice"),
            {"models": ["sale.order"], "heartbeat": 60},
        )
        Watch.live_watch(["sale.order"], "tab-alice")
        Watch.live_watch(["sale.order"], "tab-alice-2")
        self.assertEqual(len(self.env["live.record.watch"].search([])), 2)
        # Bob cannot close Alice's view
        self.env["live.record.watch"].with_user(self.user_bob).live_unwatch(
            ["sale.order"], "tab-alice"
        )
        self.assertEqual(len(self.env["live.record.watch"].search([])), 2)

    def test_first_watcher_starts_collection_everywhere(self):
        """The listened models are cached per process; the first watcher of a
        model clears the cache (and signals the other processes)."""
        Watch = self.env["live.record.watch"]
        self.assertNotIn("sale.order", Watch._live_listened_models())
        self.env.registry.cache_invalidated.clear()
        self.watch(self.user_alice)
        self.assertIn("default", self.env.registry.cache_invalidated)
        self.assertIn("sale.order", Watch._live_listened_models())
        self.env.registry.cache_invalidated.clear()
        self.watch(self.user_sam)  # not the first: no invalidation
        self.assertFalse(self.env.registry.cache_invalidated)


@tagged("post_install", "-at_install")
class TestLiveRecordTopicEvents(LiveRecordsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for user in (cls.user_alice, cls.user_bob, cls.user_sam):
            cls.topic.with_user(user).live_subscribe()

    def test_events_content_and_access(self):
        order = self.order()
        self.commit()
        [created] = self.events_to(self.user_alice)
        self.assertEqual(created["res_model"], "sale.order")
        self.assertEqual(created["res_id"], order.id)
        self.assertEqual(
            created["payload"],
            {
                "op": "created",
                "id": order.id,
                "name": order.name,
                "state": "draft",
                "amount_total": 0.0,
                "currency": order.currency_id.name,
                "partner": {"id": self.partner.id, "name": "LM Customer"},
                "user_id": self.user_alice.id,
                "company_id": self.company_a.id,
                "changed": [],
            },
        )
        self.assertEqual(self.events_to(self.user_sam), [created])
        self.assertFalse(self.events_to(self.user_bob), "Bob cannot read the order")
        self.reset_bus()
        self.env["sale.order.line"].create(
            {"order_id": order.id, "product_id": self.product.id, "product_uom_qty": 2}
        )
        order.action_confirm()
        self.commit()
        [updated] = self.events_to(self.user_alice)
        # filtered per reader: no shared numbering (it would tell how many
        # events of others' orders happened), ordered by id
        self.assertIsNone(updated["seq"])
        self.assertGreater(updated["id"], created["id"])
        payload = updated["payload"]
        self.assertEqual(payload["op"], "updated")
        self.assertEqual(payload["state"], "sale")
        self.assertEqual(payload["amount_total"], order.amount_total)
        self.assertGreater(payload["amount_total"], 0)
        self.assertTrue({"state", "amount_total"} <= set(payload["changed"]))
        self.assertEqual(updated["author"]["id"], self.env.uid)

    def test_filtered_stream_leaks_no_numbering(self):
        """Issue 11, item 6: a salesperson who sees only their own orders must
        neither learn how many events happened on the others' orders, nor see
        gaps they would try to fill: filtered topics have no shared numbering
        (seq null, a documented flag), in pushes, history and the topic."""
        self.order()
        self.order(user=self.user_bob)
        self.order(user=self.user_bob)
        self.order()
        self.commit()
        pushed = self.pushed(self.user_alice.partner_id, EVENTS)
        self.assertTrue(all(p["filtered"] for p in pushed))
        events = [e for p in pushed for e in p["events"]]
        self.assertEqual(len(events), 2)
        self.assertEqual([e["seq"] for e in events], [None, None])
        self.assertEqual(events, sorted(events, key=lambda e: e["id"]))
        topic = self.topic.with_user(self.user_alice)
        page = topic.live_fetch_events()
        # a public model method answers Odoo's RPC values: False for no seq (the
        # REST API and the pushes say null)
        self.assertEqual([e["seq"] for e in page["messages"]], [False, False])
        self.assertEqual([e["id"] for e in page["messages"]], [e["id"] for e in events])
        [formatted] = topic._format()
        self.assertTrue(formatted["filtered"])
        self.assertIsNone(formatted["last_seq"])
        # an unfiltered topic keeps its gapless numbering
        plain = self.env["live.topic"].create(
            {"name": "plain", "publish_access": "users"}
        )
        self.assertEqual(plain.with_user(self.user_alice).live_publish({})["seq"], 1)
        self.assertFalse(plain._format()[0]["filtered"])

    def test_deleted_order_event_and_history(self):
        """The deletion event reaches who could read the order when it was
        deleted, and stays in their history; never anybody else's."""
        order, bobs = self.order(), self.order(user=self.user_bob)
        self.commit()
        self.reset_bus()
        name = order.name
        (order | bobs).unlink()
        self.commit()
        [deleted] = self.events_to(self.user_alice)
        self.assertEqual(deleted["payload"]["op"], "deleted")
        self.assertEqual(deleted["payload"]["id"], order.id)
        self.assertEqual(deleted["payload"]["name"], name)
        self.assertEqual(
            [e["payload"]["id"] for e in self.events_to(self.user_bob)], bobs.ids
        )
        self.assertEqual(len(self.events_to(self.user_sam)), 2)

        def history(user):
            page = self.topic.with_user(user).live_fetch_events()
            return [(e["payload"]["op"], e["res_id"]) for e in page["messages"]]

        self.assertEqual(
            history(self.user_alice), [("created", order.id), ("deleted", order.id)]
        )
        self.assertEqual(
            history(self.user_bob), [("created", bobs.id), ("deleted", bobs.id)]
        )
        self.assertEqual(len(history(self.user_sam)), 4)

    def test_no_event_without_subscribers(self):
        self.topic.subscription_ids.unlink()
        before = self.topic.last_seq
        self.order().action_confirm()
        self.commit()
        self.assertEqual(self.topic.last_seq, before)
        self.assertFalse(self.bus_notifications(notification_type=EVENTS))

    def test_burst_events_are_chunked(self):
        orders = self.env["sale.order"].create(
            [
                {"partner_id": self.partner.id, "user_id": self.user_sam.id}
                for _index in range(150)
            ]
        )
        self.commit()
        pushed = self.pushed(self.user_sam.partner_id, EVENTS)
        self.assertEqual([len(p["events"]) for p in pushed], [100, 50])
        self.assertEqual({e["seq"] for p in pushed for e in p["events"]}, {None})
        ids = [e["id"] for p in pushed for e in p["events"]]
        self.assertEqual(ids, sorted(ids))
        self.assertEqual(
            sorted(e["res_id"] for p in pushed for e in p["events"]), orders.ids
        )


@tagged("post_install", "-at_install")
class TestLiveRecordsSetting(LiveRecordsCase):
    """Another model made live from Settings, without code."""

    def set_live(self, model_name, value):
        registry = self.env.registry
        self.env["ir.model"]._get(model_name).live_records = value
        # the other processes are told to reload their registry; this one is
        # patched already, and the test rolls back: no reload here
        self.assertTrue(registry.registry_invalidated)
        registry.registry_invalidated = False

    def test_setting_makes_a_model_live(self):
        Partner = self.env["res.partner"]
        self.assertFalse(type(Partner)._live_records)
        self.set_live("res.partner", True)
        self.addCleanup(self.set_live, "res.partner", False)
        self.assertTrue(type(Partner)._live_records)
        self.assertTrue(self.env["ir.model"]._get("sale.order").live_records_by_code)
        self.assertFalse(self.env["ir.model"]._get("res.partner").live_records_by_code)
        self.assertEqual(
            self.watch(self.user_alice, model="res.partner"), ["res.partner"]
        )
        self.watch(self.user_carol, model="res.partner")
        partner = Partner.create({"name": "LM Live Partner"})
        self.commit()
        self.assertEqual(
            self.records_to(self.user_alice),
            [
                {
                    "model": "res.partner",
                    "created": partner.ids,
                    "updated": [],
                    "deleted": [],
                }
            ],
        )
        self.assertEqual(self.records_to(self.user_carol)[0]["created"], partner.ids)
        # switched off: nothing more
        self.set_live("res.partner", False)
        self.assertFalse(type(Partner)._live_records)
        self.reset_bus()
        partner.write({"name": "LM Quiet Partner"})
        self.commit()
        self.assertFalse(self.bus_notifications(notification_type=RECORDS))
        # a model live by code stays live whatever the setting says
        self.set_live("sale.order", True)
        self.set_live("sale.order", False)
        self.assertTrue(type(self.env["sale.order"])._live_records)

    def test_technical_models_cannot_be_live(self):
        for model_name in ("bus.bus", "live.message", "ir.ui.view", "res.users.log"):
            with self.subTest(model=model_name), self.assertRaises(ValidationError):
                self.set_live(model_name, True)
        with self.assertRaises(ValidationError):
            self.set_live("mail.thread", True)  # abstract
        with self.assertRaises(ValidationError):
            self.set_live("sale.advance.payment.inv", True)  # transient
