from odoo import api, fields, models

from ...utils.nats_subjects import topic_subject


class LiveTopic(models.Model):
    """Mirroring of topics to NATS JetStream (see live.nats.mirror)."""

    _inherit = "live.topic"

    # administrators' business: the other users never see these fields
    nats_mirror_id = fields.Many2one(
        "live.nats.mirror",
        "NATS Mirror Rule",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        groups="live_messaging.group_live_manager",
        help="The rule mirroring this topic's events to NATS, if any.",
    )
    nats_subject = fields.Char(
        "NATS Subject",
        compute="_compute_nats_subject",
        groups="live_messaging.group_live_manager",
    )
    nats_outbox_count = fields.Integer(
        "Outbox Depth",
        compute="_compute_nats_lag",
        groups="live_messaging.group_live_manager",
    )
    nats_oldest_pending = fields.Datetime(
        "Oldest Pending",
        compute="_compute_nats_lag",
        groups="live_messaging.group_live_manager",
    )
    nats_last_error = fields.Char(
        "Last NATS Error",
        compute="_compute_nats_lag",
        groups="live_messaging.group_live_manager",
    )

    @api.depends("name")
    def _compute_nats_subject(self):
        prefix = self.env["live.nats.bridge"]._nats_config()["subject_prefix"]
        for topic in self:
            topic.nats_subject = topic.name and topic_subject(prefix, topic.name)

    def _compute_nats_lag(self):
        # sudo: live.nats.outbox - the topic's backlog, no event content
        lags = self.env["live.nats.outbox"].sudo()._lag_by_topic(self.ids)
        for topic in self:
            lag = lags.get(topic.id) or {}
            topic.nats_outbox_count = lag.get("count", 0)
            topic.nats_oldest_pending = lag.get("oldest", False)
            topic.nats_last_error = lag.get("last_error", False)

    @api.model_create_multi
    def create(self, vals_list):
        topics = super().create(vals_list)
        topics._nats_match()
        return topics

    def write(self, vals):
        result = super().write(vals)
        if "name" in vals:
            self._nats_match()
        return result

    def _nats_match(self):
        # sudo: live.nats.mirror, live.topic - which rule mirrors the topics
        Mirror = self.env["live.nats.mirror"].sudo()
        rules = Mirror.search([])
        for topic in self.sudo():
            rule = Mirror._rule_for(topic.name, rules)
            if topic.nats_mirror_id != rule:
                topic.nats_mirror_id = rule

    def _store_events(self, values_list):
        """Also queue the events of a mirrored topic for NATS, in the same
        transaction (see live.nats.outbox)."""
        events = super()._store_events(values_list)
        # sudo: live.topic - the mirroring is not the publisher's business
        topic = self.sudo()
        if topic.nats_mirror_id:
            prefix = self.env["live.nats.bridge"]._nats_config()["subject_prefix"]
            # sudo: live.nats.outbox - written with the events, whoever publishes
            self.env["live.nats.outbox"].sudo()._enqueue(
                topic, events, topic_subject(prefix, topic.name)
            )
        return events
