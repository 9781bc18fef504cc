from odoo import models


class SaleOrder(models.Model):
    """Live sale orders: open order lists and kanbans refresh themselves, and
    every change is published on the ``sale.order`` topic."""

    _name = "sale.order"
    _inherit = ["sale.order", "live.record.mixin"]

    # written by the chatter and the portal, invisible in the views
    _live_ignored_fields = frozenset({"message_main_attachment_id", "access_token"})

    def _live_event(self, operation, changed=()):
        event = super()._live_event(operation, changed)
        changed = event.pop("changed")
        event.update(
            name=self.name,
            state=self.state,
            amount_total=self.amount_total,
            currency=self.currency_id.name,
            partner={"id": self.partner_id.id, "name": self.partner_id.display_name},
            user_id=self.user_id.id or None,
            company_id=self.company_id.id,
            changed=changed,
        )
        return event
