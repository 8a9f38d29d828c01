
from odoo import api, models

from .sale_order import _guard_active


class SaleOrderLine(models.Model):
    _inherit = 'sale.order.line'

    @api.depends('order_id.is_latest_revision')
    def _compute_invoice_status(self):
        """An earlier revision is a record of what was agreed, not something to invoice (its latest revision is)."""
        super(SaleOrderLine, self)._compute_invoice_status()
        for line in self.filtered(lambda l: not l.order_id.is_latest_revision):
            line.invoice_status = 'no'

    # An earlier revision is frozen line by line too: its lines are written through sale.order.line
    # directly by the web client (one2many edits), imports, RPC and down payments.
    @api.model
    def _impact_check_orders_latest(self, orders, action):
        """``action``: see sale.order._impact_check_latest."""
        if not _guard_active():
            orders._impact_check_latest(action)

    @api.model
    def create(self, vals):
        if vals.get('order_id'):
            self._impact_check_orders_latest(self.env['sale.order'].browse(vals['order_id']), 'change')
        return super(SaleOrderLine, self).create(vals)

    @api.multi
    def write(self, vals):
        self._impact_check_orders_latest(self.mapped('order_id'), 'change')
        if vals.get('order_id'):
            self._impact_check_orders_latest(self.env['sale.order'].browse(vals['order_id']), 'change')
        return super(SaleOrderLine, self).write(vals)

    @api.multi
    def unlink(self):
        self._impact_check_orders_latest(self.mapped('order_id'), 'change')
        return super(SaleOrderLine, self).unlink()

    @api.multi
    def invoice_line_create(self, invoice_id, qty):
        self.mapped('order_id')._impact_check_latest('invoice')
        return super(SaleOrderLine, self).invoice_line_create(invoice_id, qty)


# --------------------------------------------------------------------------------------------------
# Input guard (impact_input_guard.py): the types and ranges of the values sent to create/write are
# checked before anything else runs, so this class stays last in the file.
# --------------------------------------------------------------------------------------------------


class SaleOrderLineInputGuard(models.Model):
    _name = 'sale.order.line'
    _inherit = ['impact.input.guard', 'sale.order.line']
