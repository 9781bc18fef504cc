from odoo import models


class SaleOrder(models.Model):
    """Sale orders get a "Chat" button: the order's room gathers the salesperson
    and the followers."""

    _name = "sale.order"
    _inherit = ["sale.order", "live.chat.mixin"]
