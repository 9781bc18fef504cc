from odoo import api, models


class Base(models.AbstractModel):
    _inherit = "base"

    # Live business screens: whether changes of this model's records are pushed
    # to the open views of the model and to the topic named after it. Set by
    # ``live.record.mixin``, or at registry load for the models ticked in
    # Settings (``ir.model.live_records``).
    _live_records = False
    # columns whose change alone is not worth a push (see live.record.mixin)
    _live_ignored_fields = frozenset()

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        if self._live_records and records:
            self.env["live.record.watch"]._live_collect(records, "created")
        return records

    def _write_multi(self, vals_list):
        # the low-level write: sees write() and the stored fields the ORM
        # recomputes and flushes (amounts after an order line changed)
        if self._live_records and self:
            self.env["live.record.watch"]._live_collect(self, "updated", vals_list)
        return super()._write_multi(vals_list)

    def unlink(self):
        if self._live_records and self:
            # before the rows go: who may read them is only known now
            self.env["live.record.watch"]._live_collect(self, "deleted")
        return super().unlink()

    def _live_event(self, operation, changed=()):
        """The payload of the event published about this record on the topic
        named after its model: ``{op, id, name, changed}``; ``changed`` lists the
        updated columns (empty for ``created`` and ``deleted``). Override to add
        business fields; keep it small and JSON-serialisable. Called in sudo, by
        the push, and before the deletion for ``deleted``."""
        self.ensure_one()
        return {
            "op": operation,
            "id": self.id,
            "name": self.display_name,
            "changed": sorted(changed),
        }

    def _live_room_default_users(self):
        """Users who join a record's chat room when it is first opened, besides
        the person opening it: the record's responsible user (``user_id``) and the
        users among its followers. Override per model to change who is invited."""
        self.ensure_one()
        users = self.env["res.users"]
        field = self._fields.get("user_id")
        if field is not None and field.comodel_name == "res.users":
            users |= self.user_id
        if "message_partner_ids" in self._fields:
            # sudo: res.partner - reading the users behind the record's followers
            users |= self.sudo().message_partner_ids.user_ids
        return users.filtered("active")
