from odoo import api, fields, models


class LiveRecordTombstone(models.Model):
    """Who could read a record when it was deleted.

    Topic events about a record are only for the subscribers who may read that
    record; once it is deleted nobody can, so the subscribers who could read it
    just before are kept here: the event of its deletion (and the earlier ones)
    stay theirs, pushed and in the history."""

    _name = "live.record.tombstone"
    _description = "Live Messaging Deleted Record"
    _order = "id desc"
    _rec_name = "res_model"

    res_model = fields.Char("Model", required=True, readonly=True)
    res_id = fields.Integer("Record ID", required=True, readonly=True)
    user_ids = fields.Many2many(
        "res.users",
        "live_record_tombstone_user_rel",
        "tombstone_id",
        "user_id",
        string="Readers",
        readonly=True,
    )

    def init(self):
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS live_record_tombstone_res_model_res_id_idx "
            "ON live_record_tombstone (res_model, res_id)"
        )

    @api.model
    def _readable_ids(self, model_name, res_ids, user):
        """The ids among ``res_ids`` (deleted records of ``model_name``; all of
        them when ``res_ids`` is None) that ``user`` could read when deleted."""
        if res_ids is not None and not res_ids:
            return set()
        domain = [("res_model", "=", model_name), ("user_ids", "in", user.ids)]
        if res_ids is not None:
            domain.append(("res_id", "in", list(res_ids)))
        # sudo: live.record.tombstone - the user's own entries only
        return set(self.sudo().search(domain).mapped("res_id"))
