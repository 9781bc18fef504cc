from odoo.tests import tagged

from .common import LiveWebsocketCase

MESSAGE = "live_messaging/message"


@tagged("post_install", "-at_install")
class TestLiveWebsocket(LiveWebsocketCase):
    def test_member_receives_within_a_second_outsider_nothing(self):
        ws_bob = self.connect_as(self.user_bob)
        ws_carol = self.connect_as(self.user_carol)
        ws_anon = self.connect_as(None)
        message = self.room.with_user(self.user_alice)._post_message("Hello Bob")
        # what the bus does on NOTIFY: poke every socket of these channels;
        # carol's and the anonymous socket are poked too (their own channels)
        self.trigger_notification_dispatching(
            [self.room, self.user_carol.partner_id, "broadcast"]
        )
        notif, elapsed = self.receive_first(ws_bob, MESSAGE, timeout=1.0)
        self.assertLess(elapsed, 1.0)
        self.assertEqual(notif["message"]["payload"], message._format()[0])
        self.assertEqual(notif["message"]["payload"]["body"], "Hello Bob")
        self.assertFalse(self.receive(ws_carol, 0.5, MESSAGE))
        self.assertFalse(self.receive(ws_anon, 0.5, MESSAGE))

    def test_naming_a_channel_grants_nothing(self):
        """An outsider asking for the room's channel by name, or guessing the
        shape of the internal channel, gets nothing."""
        room_id = self.room.id
        guesses = [
            f"live.room_{room_id}",
            f'["{self.env.cr.dbname}","live.room",{room_id}]',
            f"live.room,{room_id}",
            "live.room",
        ]
        ws_carol = self.connect_as(self.user_carol, channels=guesses)
        ws_anon = self.connect_as(None, channels=guesses)
        self.room.with_user(self.user_alice)._post_message("secret")
        self.trigger_notification_dispatching(
            [self.room, self.user_carol.partner_id, "broadcast", *guesses]
        )
        self.assertFalse(self.receive(ws_carol, 0.5, MESSAGE))
        self.assertFalse(self.receive(ws_anon, 0.5, MESSAGE))

    def test_reconnect_with_last_id_gets_what_was_missed(self):
        ws_bob = self.connect_as(self.user_bob)
        self.room.with_user(self.user_alice)._post_message("one")
        self.trigger_notification_dispatching([self.room])
        first, _elapsed = self.receive_first(ws_bob, MESSAGE)
        ws_bob.close()
        self.wait_remaining_websocket_connections()
        # bob is offline while two more messages are posted
        self.room.with_user(self.user_alice)._post_message("two")
        self.room.with_user(self.user_alice)._post_message("three")
        self.env.cr.precommit.run()
        ws_bob = self.connect_as(self.user_bob, last=first["id"])
        got = self.receive(ws_bob, 1.0, MESSAGE)
        self.assertEqual(
            [n["message"]["payload"]["body"] for n in got], ["two", "three"]
        )
        self.assertEqual([n["message"]["payload"]["seq"] for n in got], [2, 3])
        self.assertGreater(got[0]["id"], first["id"])

    def test_order_is_kept(self):
        ws_bob = self.connect_as(self.user_bob)
        for i in range(10):
            self.room.with_user(
                self.user_alice if i % 2 else self.user_bob
            )._post_message(f"m{i}")
        self.trigger_notification_dispatching([self.room])
        got = self.receive(ws_bob, 1.0, MESSAGE)
        self.assertEqual(
            [n["message"]["payload"]["seq"] for n in got], list(range(1, 11))
        )

    def test_new_member_socket_gets_the_room_without_subscribing(self):
        """Once added, a member's open socket gets the room at once (the server
        keeps subscriptions): the join notice and what follows, no
        ``subscribe`` needed; a client that subscribes again anyway (as older
        clients do on live_messaging/room) gets nothing twice."""
        ws_carol = self.connect_as(self.user_carol)
        self.room.with_user(self.user_alice).live_add_members([self.user_carol.id])
        self.trigger_notification_dispatching([self.user_carol.partner_id])
        got = self.receive(ws_carol, 1.0)
        types = [n["message"]["type"] for n in got]
        self.assertIn("live_messaging/room", types)
        bodies = [
            n["message"]["payload"]["body"]
            for n in got
            if n["message"]["type"] == MESSAGE
        ]
        self.assertEqual(bodies, ["Carol joined the room."])
        self.subscribe(ws_carol, [], got[-1]["id"])
        self.room.with_user(self.user_alice)._post_message("welcome Carol")
        self.trigger_notification_dispatching([self.room])
        bodies = [
            n["message"]["payload"]["body"]
            for n in self.receive(ws_carol, 1.0, MESSAGE)
        ]
        self.assertEqual(bodies, ["welcome Carol"])

    def test_topic_subscribers_receive_events(self):
        topic = self.env["live.topic"].create(
            {"name": "shop/ws", "subscribe_access": "users", "publish_access": "users"}
        )
        topic.with_user(self.user_bob).live_subscribe()
        ws_bob = self.connect_as(self.user_bob)
        ws_carol = self.connect_as(self.user_carol)  # may subscribe, did not
        topic.with_user(self.user_alice).live_publish({"event": "paid"})
        self.trigger_notification_dispatching([topic, self.user_carol.partner_id])
        notif, _elapsed = self.receive_first(ws_bob, "live_messaging/events")
        self.assertEqual(
            notif["message"]["payload"]["events"][0]["payload"], {"event": "paid"}
        )
        self.assertFalse(self.receive(ws_carol, 0.5, "live_messaging/events"))


@tagged("post_install", "-at_install")
class TestDemoUsersWebsocket(LiveWebsocketCase):
    """The demo data at work: Mitchell Admin writes to Marc Demo in their direct
    room; Marc's live socket gets it, Lisa's (another demo user) does not."""

    def test_demo_direct_message(self):
        admin = self.env.ref("base.user_admin")
        demo = self.env.ref("base.user_demo")
        lisa = self.env.ref("live_messaging.user_demo_lisa")
        room = self.env.ref("live_messaging.demo_room_direct_admin_demo")
        self.assertEqual(room.member_ids.user_id, admin | demo)
        ws_demo = self.connect_as(demo)  # demo users' passwords are their logins
        ws_lisa = self.connect_as(lisa)
        room.with_user(admin).live_post_message("Marc, the customer called back.")
        self.trigger_notification_dispatching([room, lisa.partner_id])
        notif, elapsed = self.receive_first(ws_demo, MESSAGE)
        self.assertLess(elapsed, 1.0)
        payload = notif["message"]["payload"]
        self.assertEqual(payload["author"]["name"], admin.name)
        self.assertEqual(payload["body"], "Marc, the customer called back.")
        self.assertFalse(self.receive(ws_lisa, 0.5, MESSAGE))
