from odoo import api, fields, models, tools

from ..models.crm_lead import SPREAD_SQL
from ..models.crm_stage import FORECAST_CATEGORIES
from ..sql_rules import company_day_sql, status_sql


class CrmForecastDeliveryReport(models.Model):
    """The opportunities' forecast by delivery period: one row per opportunity and month it delivers in. Deals
    spread over their project (linear or by instalments) have a row per month of the spread; the others one row
    at their forecast date (end date, else expected closing, else creation), as in the forecast by close period.
    Lost and archived opportunities are left out; record rules as the forecast's."""
    _name = 'crm.forecast.delivery.report'
    _inherit = 'crm.deal.report.mixin'
    _description = 'Sales Forecast by Delivery Period'
    _auto = False
    _order = 'date desc, id'
    _rec_name = 'lead_id'

    lead_id = fields.Many2one('crm.lead', string='Opportunity', readonly=True)
    partner_id = fields.Many2one('res.partner', string='Customer', readonly=True)
    region_id = fields.Many2one('crm.region', string='Sales Region', readonly=True)
    stage_id = fields.Many2one('crm.stage', string='Stage', readonly=True)
    forecast_category = fields.Selection(FORECAST_CATEGORIES, string='Forecast Category', readonly=True)
    revenue_spread = fields.Selection([('end', 'At the End Date'), ('linear', 'Linear over the Project'),
                                       ('schedule', 'Instalment Schedule')], string='Revenue Spread', readonly=True)
    status = fields.Selection([('open', 'Open'), ('won', 'Won')], string='Status', readonly=True)
    date = fields.Date(string='Delivery Date', readonly=True)
    currency_id = fields.Many2one('res.currency', string='Currency', readonly=True)
    amount = fields.Monetary(string='Amount', readonly=True, currency_field='currency_id')
    weighted_amount = fields.Monetary(string='Weighted Amount', readonly=True, currency_field='currency_id')

    @api.model
    def _query(self):
        return """
            SELECT (l.id::bigint * 100000 + COALESCE(s.n, 0)) AS id, l.id AS lead_id, l.partner_id, l.user_id,
                   l.team_id, l.region_id, l.stage_id, l.forecast_category, l.revenue_spread,
                   %(status)s AS status,
                   COALESCE(s.date, l.date_end, l.date_deadline, %(created)s) AS date,
                   l.company_id, comp.currency_id,
                   COALESCE(l.planned_revenue, 0)::numeric * COALESCE(s.share, 1.0) AS amount,
                   COALESCE(l.planned_revenue, 0)::numeric * COALESCE(s.share, 1.0)
                       * COALESCE(l.probability, 0)::numeric / 100.0 AS weighted_amount
              FROM crm_lead l
              JOIN crm_stage st ON st.id = l.stage_id
              JOIN crm_stage_group g ON g.id = st.group_id
              LEFT JOIN res_company comp ON comp.id = l.company_id
              LEFT JOIN (SELECT sp.*, ROW_NUMBER() OVER (PARTITION BY sp.lead_id ORDER BY sp.date) AS n
                           FROM (%(spread)s) sp) s ON s.lead_id = l.id
             WHERE l.type = 'opportunity' AND l.active AND NOT COALESCE(st.is_lost, FALSE)
        """ % {'spread': SPREAD_SQL, 'status': status_sql('g'),
               'created': company_day_sql('l.create_date', tz='comp.forecast_tz')}

    @api.model_cr
    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute("CREATE OR REPLACE VIEW %s AS (%s)" % (self._table, self._query()))
