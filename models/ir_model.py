from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

# technical models whose changes must never be pushed (the push itself writes
# some of them)
NOT_LIVE_PREFIXES = ("ir.", "bus.", "live.", "base.", "res.users.")


class IrModel(models.Model):
    _inherit = "ir.model"

    live_records = fields.Boolean(
        "Live Screens",
        help="Open list and kanban views of this model refresh themselves when its "
        "records change, for the users who may read them, and the changes are "
        "published on the topic named after the model. Users reload their browser "
        "to get a newly enabled model live.",
    )
    live_records_by_code = fields.Boolean(
        "Live by Code",
        compute="_compute_live_records_by_code",
        help="The model inherits live.record.mixin: it is live whatever the "
        "setting says.",
    )

    def _compute_live_records_by_code(self):
        for model in self:
            Model = self.env.get(model.model)
            model.live_records_by_code = bool(
                Model is not None
                and type(Model)._live_records
                and not type(Model).__dict__.get("_live_records_by_setting")
            )

    @api.constrains("live_records")
    def _check_live_records(self):
        for model in self.filtered("live_records"):
            Model = self.env.get(model.model)
            if (
                Model is None
                or Model._abstract
                or Model._transient
                or not Model._auto
                or model.model.startswith(NOT_LIVE_PREFIXES)
            ):
                raise ValidationError(
                    _("The model %s cannot have live screens.", model.model)
                )

    @api.model_create_multi
    def create(self, vals_list):
        models_ = super().create(vals_list)
        if any(vals.get("live_records") for vals in vals_list):
            models_._live_records_changed()
        return models_

    def write(self, vals):
        result = super().write(vals)
        if "live_records" in vals:
            self._live_records_changed()
        return result

    def _live_records_changed(self):
        self.flush_model(["live_records"])
        self._live_records_sync()
        # the other processes reload their registry, whose _register_hook
        # patches the models the same way (as base_automation does)
        self.env.registry.registry_invalidated = True

    def _register_hook(self):
        super()._register_hook()
        self._live_records_sync()

    @api.model
    def _live_records_sync(self):
        """Mark the models ticked in Settings as live on their registry class
        (``_live_records``, read by the base hooks), and unmark the others.
        Only a class attribute is set: no method is patched, so nothing here
        competes with other patchers of create/write/unlink (base_automation
        removes and reinstalls its own)."""
        self.env.cr.execute("SELECT model FROM ir_model WHERE live_records")
        listed = {row[0] for row in self.env.cr.fetchall()}
        for name, cls in self.env.registry.items():
            by_setting = cls.__dict__.get("_live_records_by_setting", False)
            if name in listed and not by_setting:
                cls._live_records = True
                cls._live_records_by_setting = True
            elif by_setting and name not in listed:
                del cls._live_records
                del cls._live_records_by_setting
