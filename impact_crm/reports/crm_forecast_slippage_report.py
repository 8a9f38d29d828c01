from odoo import api, fields, models, tools


class CrmForecastSlippageReport(models.Model):
    """One row per move of a deal's end date (else expected closing) to a later date, from the forecast
    change log: who held the deal then, by how many days, and whether it left its month (a push)."""
    _name = 'crm.forecast.slippage.report'
    _inherit = 'crm.deal.report.mixin'
    _description = 'End Date Slippage'
    _auto = False
    _order = 'date desc, id desc'
    _rec_name = 'lead_id'

    lead_id = fields.Many2one('crm.lead', string='Opportunity', readonly=True)
    date = fields.Datetime(string='Moved On', readonly=True)
    changed_by_id = fields.Many2one('res.users', string='Moved By', readonly=True)
    date_from = fields.Date(string='From Date', readonly=True)
    date_to = fields.Date(string='To Date', readonly=True)
    days = fields.Integer(string='Days Slipped', readonly=True)
    push_count = fields.Integer(string='Pushes', readonly=True, help="1 when the date moved to a later month.")
    note = fields.Char(string='Reason', readonly=True)

    @api.model_cr
    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute("""
            CREATE VIEW %s AS (
                SELECT m.id, m.lead_id, m.date, m.changed_by_id, m.user_id, m.team_id, m.company_id,
                       m.prev AS date_from, m.fdate AS date_to, (m.fdate - m.prev) AS days,
                       CASE WHEN date_trunc('month', m.fdate) > date_trunc('month', m.prev) THEN 1 ELSE 0 END
                           AS push_count,
                       m.note
                  FROM (SELECT c.id, c.lead_id, c.date, c.changed_by_id, c.user_id, c.team_id, c.company_id,
                               c.note, COALESCE(c.date_end, c.date_deadline) AS fdate,
                               LAG(COALESCE(c.date_end, c.date_deadline)) OVER (
                                   PARTITION BY c.lead_id ORDER BY c.date, c.id) AS prev
                          FROM crm_lead_forecast_change c) m
                 WHERE m.fdate > m.prev
            )""" % self._table)
