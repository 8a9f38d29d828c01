from odoo import api, fields, models, tools

from ..sql_rules import WON_BY_PROBABILITY_SQL, company_day_sql, lost_sql


class CrmCompetitorReport(models.Model):
    """Win/loss by competitor: one row per (deal, competitor) for the competitors recorded on a deal
    (its competitors, and the competitor it was lost to), with the outcome of the deal."""
    _name = 'crm.competitor.report'
    _inherit = 'crm.deal.report.mixin'
    _description = 'Win/Loss by Competitor'
    _auto = False
    _rec_name = 'competitor_id'
    _order = 'date desc'

    competitor_id = fields.Many2one('res.partner', string='Competitor', readonly=True)
    lead_id = fields.Many2one('crm.lead', string='Deal', readonly=True)
    outcome = fields.Selection([
        ('won', 'Won'),
        ('lost_to', 'Lost to this competitor'),
        ('lost_other', 'Lost (to another or no competitor)'),
        ('open', 'Open'),
    ], string='Outcome', readonly=True)
    date = fields.Date(string='Closing Date', readonly=True,
                       help="Lost on, or closed on (won), or the expected closing of an open deal.")
    nbr = fields.Integer(string='# Deals', readonly=True)
    won_count = fields.Integer(string='# Won', readonly=True)
    lost_count = fields.Integer(string='# Lost to', readonly=True)
    amount = fields.Float(string='Amount', readonly=True)
    won_amount = fields.Float(string='Won Amount', readonly=True)
    lost_amount = fields.Float(string='Amount Lost to', readonly=True)

    @api.model_cr
    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute("""
            CREATE OR REPLACE VIEW %(table)s AS (
                WITH pairs AS (
                    SELECT lead_id, partner_id AS competitor_id FROM crm_lead_competitor_rel
                    UNION
                    SELECT id, lost_competitor_id FROM crm_lead WHERE lost_competitor_id IS NOT NULL
                ), deals AS (
                    SELECT
                        p.competitor_id, l.id AS lead_id, l.user_id, l.team_id, l.company_id,
                        CASE
                            WHEN %(lost)s AND l.lost_competitor_id = p.competitor_id THEN 'lost_to'
                            WHEN %(lost)s THEN 'lost_other'
                            WHEN %(won)s THEN 'won'
                            ELSE 'open'
                        END AS outcome,
                        CASE
                            WHEN %(lost)s THEN COALESCE(l.lost_amount, 0.0)
                            ELSE COALESCE(l.planned_revenue, 0.0)
                        END AS amount,
                        COALESCE(l.lost_date, %(closed)s, l.date_deadline) AS date
                    FROM pairs p
                    JOIN crm_lead l ON l.id = p.lead_id
                    WHERE l.type = 'opportunity' AND (l.active OR l.lost_date IS NOT NULL)
                )
                SELECT
                    row_number() OVER (ORDER BY lead_id, competitor_id) AS id,
                    competitor_id, lead_id, outcome, date, user_id, team_id, company_id,
                    1 AS nbr,
                    CASE WHEN outcome = 'won' THEN 1 ELSE 0 END AS won_count,
                    CASE WHEN outcome = 'lost_to' THEN 1 ELSE 0 END AS lost_count,
                    amount,
                    CASE WHEN outcome = 'won' THEN amount ELSE 0.0 END AS won_amount,
                    CASE WHEN outcome = 'lost_to' THEN amount ELSE 0.0 END AS lost_amount
                FROM deals
            )""" % {'table': self._table, 'lost': lost_sql(), 'won': WON_BY_PROBABILITY_SQL.format(lead='l'),
                    'closed': company_day_sql('l.date_closed', company='l.company_id')})
