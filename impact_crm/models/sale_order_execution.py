from odoo import api, models

from ..sql_rules import is_counted_order


class SaleOrder(models.Model):
    _inherit = 'sale.order'

    @api.multi
    def write(self, vals):
        if vals.get('state') != 'cancel':
            res = super(SaleOrder, self).write(vals)
            if 'state' in vals:
                leads = self.sudo().mapped('opportunity_id')
                if leads:
                    leads._check_auto_done()
            return res
        confirmed = self.filtered(is_counted_order)
        res = super(SaleOrder, self).write(vals)
        if confirmed:
            confirmed.sudo().mapped('opportunity_id')._flag_orders_cancelled(confirmed)
        return res
