"""A currency rate entered, corrected or deleted after the fact (the day's rate entered once the day's orders are
confirmed, a typo fixed): the deals' Ordered amounts, converted at their orders' confirmation dates, follow it as
the stored forecast rows do (their triggers on res_currency_rate)."""
from odoo import api, models

from ..sql_rules import COUNTED_ORDER_WHERE

# the deals with a counted order in another currency than its company's, where that currency or the company's is
# one of %s
FOREIGN_ORDER_DEALS_SQL = """
    SELECT DISTINCT so.opportunity_id
      FROM sale_order so
      JOIN product_pricelist pl ON pl.id = so.pricelist_id
      JOIN res_company rc ON rc.id = so.company_id
     WHERE so.opportunity_id IS NOT NULL AND {where}
       AND pl.currency_id != rc.currency_id
       AND (pl.currency_id IN %s OR rc.currency_id IN %s)""".format(where=COUNTED_ORDER_WHERE)


class ResCurrencyRate(models.Model):
    _inherit = 'res.currency.rate'

    @api.model
    def _impact_recompute_ordered(self, currency_ids):
        currency_ids = tuple(set(currency_ids))
        if not currency_ids:
            return
        self.env.cr.execute(FOREIGN_ORDER_DEALS_SQL, (currency_ids, currency_ids))
        lead_ids = [row[0] for row in self.env.cr.fetchall()]
        if not lead_ids:
            return
        leads = self.env['crm.lead'].sudo().with_context(active_test=False).browse(lead_ids)
        field = leads._fields['amount_ordered']
        self.env.cache.invalidate([(field, leads._ids)])
        leads._recompute_todo(field)
        leads.recompute()

    @api.model
    def create(self, vals):
        rate = super(ResCurrencyRate, self).create(vals)
        self._impact_recompute_ordered(rate.currency_id.ids)
        return rate

    @api.multi
    def write(self, vals):
        currency_ids = self.mapped('currency_id').ids
        res = super(ResCurrencyRate, self).write(vals)
        if set(vals) & set(['rate', 'name', 'currency_id', 'company_id']):
            self._impact_recompute_ordered(currency_ids + self.mapped('currency_id').ids)
        return res

    @api.multi
    def unlink(self):
        currency_ids = self.mapped('currency_id').ids
        res = super(ResCurrencyRate, self).unlink()
        self._impact_recompute_ordered(currency_ids)
        return res
