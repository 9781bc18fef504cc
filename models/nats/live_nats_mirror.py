from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ...utils.nats_subjects import (
    check_topic_pattern,
    pattern_specificity,
    pattern_subject,
    topic_matches,
)


class LiveNatsMirror(models.Model):
    """A rule mirroring topics to NATS JetStream: a topic name (``shop/42``) or
    a pattern (``shop/*``, ``shop/**``). Each event of a matching topic is
    written to the outbox with the event, and sent after commit."""

    _name = "live.nats.mirror"
    _description = "Live Messaging NATS Mirror Rule"
    _order = "pattern"
    _rec_name = "pattern"

    pattern = fields.Char(
        "Topics",
        required=True,
        help="A topic name (shop/42), or a pattern: * stands for any one "
        "segment (shop/*), ** as the last segment for one or more (shop/**).",
    )
    active = fields.Boolean(default=True)
    note = fields.Char()
    topic_ids = fields.One2many(
        "live.topic", "nats_mirror_id", string="Topics Mirrored"
    )
    topic_count = fields.Integer(compute="_compute_lag")
    outbox_count = fields.Integer(compute="_compute_lag", string="Outbox Depth")
    oldest_pending = fields.Datetime(compute="_compute_lag")
    last_error = fields.Char(compute="_compute_lag")
    subject_example = fields.Char(compute="_compute_subject_example", string="Subject")

    _sql_constraints = [
        (
            "pattern_unique",
            "UNIQUE(pattern)",
            "There is already a rule for these topics.",
        )
    ]

    @api.constrains("pattern")
    def _check_pattern(self):
        for rule in self:
            try:
                check_topic_pattern(rule.pattern)
            except ValueError as exc:
                raise ValidationError(str(exc)) from None

    @api.depends("pattern")
    def _compute_subject_example(self):
        prefix = self.env["live.nats.bridge"]._nats_config()["subject_prefix"]
        for rule in self:
            rule.subject_example = rule.pattern and pattern_subject(
                prefix, rule.pattern
            )

    def _compute_lag(self):
        Outbox = self.env["live.nats.outbox"]
        for rule in self:
            topics = rule.with_context(active_test=False).topic_ids
            lag = Outbox._lag(topics)
            rule.topic_count = len(topics)
            rule.outbox_count = lag["count"]
            rule.oldest_pending = lag["oldest"]
            rule.last_error = lag["last_error"]

    @api.model_create_multi
    def create(self, vals_list):
        rules = super().create(vals_list)
        self._match_all_topics()
        return rules

    def write(self, vals):
        result = super().write(vals)
        if vals.keys() & {"pattern", "active"}:
            self._match_all_topics()
        return result

    def unlink(self):
        result = super().unlink()
        self._match_all_topics()
        return result

    @api.model
    def _rule_for(self, topic_name, rules=None):
        """The active rule mirroring ``topic_name`` (the most specific), or an
        empty recordset."""
        if rules is None:
            # sudo: live.nats.mirror - which rule applies is not a secret
            rules = self.sudo().search([])
        matching = rules.filtered(lambda r: topic_matches(r.pattern, topic_name))
        return (
            matching.sorted(lambda r: pattern_specificity(r.pattern))[:1]
            if matching
            else self.browse()
        )

    @api.model
    def _match_all_topics(self):
        """Point every topic at the rule that mirrors it now."""
        # sudo: live.nats.mirror, live.topic - the mirroring of every topic
        rules = self.sudo().search([])
        topics = self.env["live.topic"].sudo().with_context(active_test=False)
        by_rule = {}
        for topic in topics.search([]):
            rule = self._rule_for(topic.name, rules)
            if topic.nats_mirror_id != rule:
                by_rule.setdefault(rule, topics.browse())
                by_rule[rule] |= topic
        for rule, changed in by_rule.items():
            changed.write({"nats_mirror_id": rule.id or False})

    def action_view_topics(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Topics mirrored by %s", self.pattern),
            "res_model": "live.topic",
            "view_mode": "list,form",
            "domain": [("nats_mirror_id", "=", self.id)],
            "context": {"active_test": False},
        }
