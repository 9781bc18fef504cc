import inspect
from xmlrpc.client import Fault

from odoo.tests import new_test_user, tagged

from .common import LiveHttpCase, LiveSupportMixin

ADDON_MODULE = "odoo.addons.live_messaging."
# Odoo's XML-RPC fault code of a UserError (a clean refusal, told before any
# work is done), as opposed to a failure to marshal the answer
RPC_FAULT_CODE_WARNING = 2
# actions that talk to a NATS server: here it is unreachable (a closed loopback
# port), so they may answer with a clean refusal instead of a value
MAY_REFUSE = {
    ("live.nats.feed", "action_reset_consumer"),
    ("res.config.settings", "action_live_nats_create_stream"),
    ("res.config.settings", "action_live_nats_test_connection"),
}


def public_methods(registry):
    """``{(model, method)}``: the public methods (no leading underscore) that
    this addon's classes add to the concrete models of the registry, leaving
    out its overrides of methods defined elsewhere (``create``, ``write``...)."""
    found = set()
    for name, model_class in registry.items():
        if model_class._abstract:
            continue
        mro = model_class.__mro__
        for cls in mro:
            if not cls.__module__.startswith(ADDON_MODULE):
                continue
            for attr, value in vars(cls).items():
                if attr.startswith("_") or not inspect.isfunction(value):
                    continue
                if any(
                    attr in vars(other)
                    for other in mro
                    if not other.__module__.startswith(ADDON_MODULE)
                ):
                    continue  # an override: Odoo's own contract
                found.add((name, attr))
    return found


@tagged("post_install", "-at_install")
class TestPublicMethodsOverXmlrpc(LiveSupportMixin, LiveHttpCase):
    """Public model methods are RPC methods: called over XML-RPC, every one
    answers a value XML-RPC can marshal (never None, which fails *after* the
    work was done, so that a client retrying on the error does it twice)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_support_agents()
        cls.topic = cls.env["live.topic"].create(
            {"name": "rpc/test", "publish_access": "users"}
        )
        cls.session, _token = cls.env["live.support.session"]._visitor_join(
            "Val", "Hello", ip="10.0.0.9"
        )
        # the NATS bridge's admin actions, against a server that is not there
        cls.user_sysadmin = new_test_user(
            cls.env,
            "lm_sysadmin",
            "base.group_user,base.group_system,live_messaging.group_live_manager",
        )
        cls.env["ir.config_parameter"].sudo().set_param(
            "live_messaging.nats_servers", "nats://127.0.0.1:1"
        )
        cls.mirror = cls.env["live.nats.mirror"].create({"pattern": "rpc/*"})
        cls.topic.with_user(cls.user_alice).live_publish({"event": "mirrored"})
        cls.outbox = cls.env["live.nats.outbox"].search(
            [("topic_id", "=", cls.topic.id)]
        )
        cls.feed = cls.env["live.nats.feed"].create(
            {"name": "RPC feed", "topic_id": cls.topic.id, "subject": "rpc.in"}
        )
        cls.settings = cls.env["res.config.settings"].create(
            {"live_nats_servers": "nats://127.0.0.1:1"}
        )
        # a message of alice's, for the edit, reaction and delete calls
        cls.message = cls.room.with_user(cls.user_alice)._post_message("edit me")
        cls.order = cls.env["sale.order"].create(
            {
                "partner_id": cls.env["res.partner"].create({"name": "RPC"}).id,
                "user_id": cls.user_alice.id,
            }
        )

    def calls(self):
        """``(login, model, method, args, kwargs)``, in an order that works."""
        alice, sam, sysadmin = "lm_alice", "lm_sam", "lm_sysadmin"
        outbox, settings = self.outbox.ids, self.settings.ids
        room, topic = [self.room.id], [self.topic.id]
        message = [self.message.id]
        token = "rpc-test-tab-1"
        return [
            (alice, "live.room", "live_get_rooms", [], {}),
            (alice, "live.room", "live_post_message", [room, "over XML-RPC"], {}),
            (
                alice,
                "live.room",
                "live_post_message",
                [room, "again"],
                {"client_id": "rpc-1", "payload": {"k": False}},
            ),
            (alice, "live.room", "live_fetch_messages", [room], {"limit": 5}),
            (alice, "live.room", "live_mark_seen", [room], {}),
            (alice, "live.room", "live_search_messages", [room, "edit"], {}),
            (alice, "live.room", "live_search_messages", [[], "edit"], {}),
            (alice, "live.message", "live_edit", [message, "edited"], {}),
            (alice, "live.message", "live_react", [message, "\N{THUMBS UP SIGN}"], {}),
            (
                alice,
                "live.message",
                "live_toggle_reaction",
                [message, "\N{THUMBS UP SIGN}"],
                {},
            ),
            (alice, "live.message", "live_delete", [message], {}),
            (alice, "live.room", "live_set_typing", [room], {"is_typing": True}),
            (
                alice,
                "live.room",
                "live_create_group_room",
                ["RPC room", [self.user_carol.id]],
                {},
            ),
            (alice, "live.room", "live_get_direct_room", [self.user_carol.id], {}),
            (
                alice,
                "live.room",
                "live_get_record_room",
                ["sale.order", self.order.id],
                {},
            ),
            (alice, "live.room", "live_add_members", [room, [self.user_carol.id]], {}),
            (alice, "live.room", "live_remove_member", [room, self.user_carol.id], {}),
            (alice, "live.topic", "live_get_topics", [], {}),
            (alice, "live.topic", "live_subscribe", [topic], {}),
            (alice, "live.topic", "live_publish", [topic, {"event": "rpc"}], {}),
            (alice, "live.topic", "live_fetch_events", [topic], {}),
            (alice, "live.topic", "live_unsubscribe", [topic], {}),
            (alice, "live.record.watch", "live_watch", [["sale.order"], token], {}),
            (alice, "live.record.watch", "live_unwatch", [["sale.order"], token], {}),
            (alice, "sale.order", "action_live_chat", [[self.order.id]], {}),
            (sam, "live.support.session", "live_queue", [], {}),
            (sam, "live.support.session", "live_claim", [[self.session.id]], {}),
            (sam, "live.support.session", "live_my_chats", [], {}),
            (sam, "live.support.session", "live_close", [[self.session.id]], {}),
            (sysadmin, "live.nats.mirror", "action_view_topics", [self.mirror.ids], {}),
            (sysadmin, "live.nats.outbox", "action_retry_now", [outbox], {}),
            (sysadmin, "live.nats.outbox", "action_discard", [outbox], {}),
            (sysadmin, "live.nats.feed", "action_reset_consumer", [self.feed.ids], {}),
            (
                sysadmin,
                "res.config.settings",
                "action_live_nats_test_connection",
                [settings],
                {},
            ),
            (
                sysadmin,
                "res.config.settings",
                "action_live_nats_create_stream",
                [settings],
                {},
            ),
        ]

    def test_every_public_method_is_called_here(self):
        called = {(model, method) for _l, model, method, _a, _k in self.calls()}
        missing = public_methods(self.registry) - called
        self.assertFalse(
            missing,
            "public model methods not called over XML-RPC by this test: add them "
            f"to calls(): {sorted(missing)}",
        )

    def test_public_methods_answer_over_xmlrpc(self):
        uids = {}
        for login, model, method, args, kwargs in self.calls():
            with self.subTest(login=login, model=model, method=method):
                if login not in uids:
                    uids[login] = self.env["res.users"].search([("login", "=", login)])
                try:
                    result = self.xmlrpc_object.execute_kw(
                        self.env.cr.dbname,
                        uids[login].id,
                        login.ljust(8, "x"),  # new_test_user's password
                        model,
                        method,
                        args,
                        kwargs,
                    )
                except Fault as fault:
                    if (model, method) not in MAY_REFUSE:
                        raise
                    self.assertEqual(fault.faultCode, RPC_FAULT_CODE_WARNING, fault)
                    continue
                self.assertIsNotNone(result)

    def test_post_message_over_xmlrpc_is_stored_once_and_answered(self):
        """The reported case: the message was stored, then the answer failed
        with "cannot marshal None"."""
        result = self.xmlrpc_object.execute_kw(
            self.env.cr.dbname,
            self.user_alice.id,
            "lm_alice",
            "live.room",
            "live_post_message",
            [[self.room.id], "stored once"],
            {"client_id": "xmlrpc-once"},
        )
        self.assertEqual(result["body"], "stored once")
        # Odoo's RPC convention: False for an empty value
        self.assertIs(result["payload"], False)
        self.assertIs(result["author"]["app"], False)
        self.assertEqual(
            self.env["live.message"].search_count(
                [("room_id", "=", self.room.id), ("client_id", "=", "xmlrpc-once")]
            ),
            1,
        )
