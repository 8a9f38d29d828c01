from odoo import api, models


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
        confirmed = self.filtered(lambda o: o.state in ('sale', 'done') and o.is_latest_revision)
        res = super(SaleOrder, self).write(vals)
        if confirmed:
            confirmed.sudo().mapped('opportunity_id')._flag_orders_cancelled(confirmed)
        return res
