from odoo import api, fields, models

from ..bus import control


class LiveTopicSubscription(models.Model):
    """An explicit subscription of a user (or of the external app using their API
    key) to a topic. Created through ``live.topic.live_subscribe`` after the access
    check; the user's sockets then get the topic's channel."""

    _name = "live.topic.subscription"
    _description = "Live Messaging Topic Subscription"
    _order = "topic_id, user_id"
    _rec_name = "topic_id"

    topic_id = fields.Many2one(
        "live.topic", required=True, ondelete="cascade", index=True, readonly=True
    )
    user_id = fields.Many2one(
        "res.users", required=True, ondelete="cascade", index=True, readonly=True
    )

    _sql_constraints = [
        (
            "topic_user_unique",
            "UNIQUE(topic_id, user_id)",
            "This user is already subscribed to the topic.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        subscriptions = super().create(vals_list)
        control.notify(self.env, channels=subscriptions.user_id.ids)
        subscriptions._notify_subscription(True)
        subscriptions._live_record_topics_changed()
        return subscriptions

    def unlink(self):
        control.notify(self.env, channels=self.user_id.ids)
        self._notify_subscription(False)
        self._live_record_topics_changed()
        return super().unlink()

    def _live_record_topics_changed(self):
        # changes of a record topic's model are only collected while somebody
        # listens (live.record.watch._live_listened_models, cached per process)
        if any(self.topic_id.mapped("res_model")):
            self.env.registry.clear_cache()

    def _notify_subscription(self, subscribed):
        # the user's clients update their lists (their sockets already gained
        # or lost the topic: see bus/control.py)
        for subscription in self:
            subscription.user_id._bus_send(
                "live_messaging/topic_subscription",
                {"topic": subscription.topic_id.name, "subscribed": subscribed},
            )
