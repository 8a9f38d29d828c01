from odoo import _, api, fields, models, tools

from ..sql_rules import company_currency_factors, lost_sql


class CrmLeadLostReport(models.Model):
    """Lost deals analysis: one row per lost deal (a deal lost through the lost flow)."""
    _name = 'crm.lead.lost.report'
    _inherit = 'crm.deal.report.mixin'
    _description = 'Lost Deals Analysis'
    _auto = False
    _rec_name = 'lead_id'
    _order = 'lost_date desc'

    lead_id = fields.Many2one('crm.lead', string='Deal', readonly=True)
    lost_date = fields.Date(string='Lost on', readonly=True)
    # the quarter of today in the user's time zone, as the pipeline's filter (crm.lead.lost_this_quarter): the
    # database's CURRENT_DATE is UTC's, still the last quarter at 00:30 on 1 April in Jerusalem
    lost_this_quarter = fields.Boolean(string='Lost this Quarter', compute='_compute_lost_this_quarter',
                                       search='_search_lost_this_quarter')
    criterion_id = fields.Many2one('crm.lost.criterion', string='Criterion', readonly=True)
    lost_reason_id = fields.Many2one('crm.lost.reason', string='Reason', readonly=True)
    competitor_id = fields.Many2one('res.partner', string='Competitor', readonly=True)
    lost_stage_id = fields.Many2one('crm.stage', string='Lost at Stage', readonly=True)
    lost_stage_group_id = fields.Many2one('crm.stage.group', string='Lost at Stage Group', readonly=True)
    partner_id = fields.Many2one('res.partner', string='Customer', readonly=True)
    product_categ_id = fields.Many2one('product.category', string='Main Product Category', readonly=True,
                                       help="The product category with the largest amount in the deal's "
                                            "latest quotations.")
    nbr = fields.Integer(string='# Lost Deals', readonly=True)
    lost_amount = fields.Float(string='Lost Amount', readonly=True)
    competitor_price = fields.Float(string='Competitor Price', readonly=True, group_operator='avg')

    @api.depends('lost_date')
    def _compute_lost_this_quarter(self):
        start, stop = self.env['crm.lead']._quarter_bounds()
        for row in self:
            row.lost_this_quarter = bool(row.lost_date) and start <= row.lost_date < stop

    def _search_lost_this_quarter(self, operator, value):
        start, stop = self.env['crm.lead']._quarter_bounds()
        domain = ['&', ('lost_date', '>=', start), ('lost_date', '<', stop)]
        if (operator in ('=', '==')) != bool(value):
            domain = ['|', ('lost_date', '=', False), '|', ('lost_date', '<', start), ('lost_date', '>=', stop)]
        return domain

    @api.model_cr
    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute("""
            CREATE OR REPLACE VIEW %(table)s AS (
                SELECT
                    l.id AS id,
                    l.id AS lead_id,
                    l.lost_date AS lost_date,
                    r.criterion_id AS criterion_id,
                    l.lost_reason AS lost_reason_id,
                    l.lost_competitor_id AS competitor_id,
                    l.lost_stage_id AS lost_stage_id,
                    l.lost_stage_group_id AS lost_stage_group_id,
                    l.user_id AS user_id,
                    l.team_id AS team_id,
                    l.company_id AS company_id,
                    l.partner_id AS partner_id,
                    cat.categ_id AS product_categ_id,
                    1 AS nbr,
                    COALESCE(l.lost_amount, 0.0) AS lost_amount,
                    l.lost_competitor_price AS competitor_price
                FROM crm_lead l
                LEFT JOIN crm_lost_reason r ON r.id = l.lost_reason
                LEFT JOIN (
                    SELECT DISTINCT ON (so.opportunity_id) so.opportunity_id, pt.categ_id
                    FROM sale_order_line sol
                    JOIN sale_order so ON so.id = sol.order_id
                    JOIN product_product pp ON pp.id = sol.product_id
                    JOIN product_template pt ON pt.id = pp.product_tmpl_id
                    WHERE so.opportunity_id IS NOT NULL AND so.is_latest_revision IS NOT FALSE
                    GROUP BY so.opportunity_id, pt.categ_id
                    ORDER BY so.opportunity_id, SUM(sol.price_subtotal) DESC, pt.categ_id
                ) cat ON cat.opportunity_id = l.id
                WHERE %(lost)s
            )""" % {'table': self._table, 'lost': lost_sql()})

    @api.model
    def _by_criterion_reason(self, date_from=None, date_to=None, domain=None):
        """Losses between two dates (inclusive, on the loss date), by criterion and reason.

        :param date_from: 'YYYY-MM-DD' or None (no lower bound)
        :param date_to: 'YYYY-MM-DD' or None (no upper bound)
        :param domain: extra domain on this report (e.g. [('team_id', '=', 3)])
        :returns: list of dicts sorted by criterion then reason sequence, one per (criterion, reason):
            {'criterion_id': id or False, 'criterion': name, 'reason_id': id or False, 'reason': name,
             'count': number of lost deals, 'amount': sum of lost amounts (in the currency of the user's
             company: the losses of a subsidiary in another currency converted at today's rate)}
        Access rules of the current user apply (a rep sees his own losses).
        """
        full = list(domain or [])
        if date_from:
            full.append(('lost_date', '>=', date_from))
        if date_to:
            full.append(('lost_date', '<=', date_to))
        # the amounts of companies in another currency converted to the user's company's, which the sheet shows:
        # grouped by company too, and each group's sum converted
        factors = dict(company_currency_factors(self.env))
        groupby = ['criterion_id', 'lost_reason_id'] + (['company_id'] if factors else [])
        groups = self.read_group(full, groupby + ['lost_amount', 'nbr'], groupby, lazy=False)
        rows, by_key = [], {}
        for group in groups:
            criterion = group['criterion_id']
            reason = group['lost_reason_id']
            company = group.get('company_id')
            key = (criterion and criterion[0], reason and reason[0])
            if key not in by_key:
                by_key[key] = {
                    'criterion_id': criterion and criterion[0] or False,
                    'criterion': criterion and criterion[1] or _('Undefined'),
                    'reason_id': reason and reason[0] or False,
                    'reason': reason and reason[1] or _('Undefined'),
                    'count': 0,
                    'amount': 0.0,
                }
                rows.append(by_key[key])
            row = by_key[key]
            row['count'] += group['nbr']
            row['amount'] += (group['lost_amount'] or 0.0) * factors.get(company and company[0], 1.0)
        return rows
