from odoo import api, models


class SaleOrderLine(models.Model):
    _inherit = 'sale.order.line'

    @api.depends('order_id.is_latest_revision')
    def _compute_invoice_status(self):
        """An earlier revision is a record of what was agreed, not something to invoice (its latest revision is)."""
        super(SaleOrderLine, self)._compute_invoice_status()
        for line in self.filtered(lambda l: not l.order_id.is_latest_revision):
            line.invoice_status = 'no'
