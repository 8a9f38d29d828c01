from odoo import api, fields, models

from .crm_forecast_asof_report import setting_sql
from ..sql_rules import company_day_sql, group_won_sql

HORIZONS = [('90', '90 Days Before'), ('60', '60 Days Before'), ('30', '30 Days Before')]
PERIOD_KINDS = [('month', 'Month'), ('quarter', 'Quarter')]


class CrmForecastAccuracyReport(models.Model):
    """How right the forecast was: for every closed month and quarter (of the last three years), the
    weighted forecast for it (open and won opportunities dated in it, as in the forecast report) as it
    stood 90, 60 and 30 days before it started, rebuilt from the forecast change log, against what was
    actually won in it (the expected revenue of the deals now won and dated in it).

    One row per period, horizon, salesperson, sales channel and company. The forecast takes the deal's
    salesperson and channel at the horizon, the actual those of today. Error = forecast - actual (its sum
    is the bias in money: positive means over-forecast), absolute error = |error| per salesperson and
    channel. ``accuracy_today`` in the context sets 'today' (which periods are closed; tests)."""
    _name = 'crm.forecast.accuracy.report'
    _inherit = ['crm.forecast.history.mixin', 'crm.deal.report.mixin']
    _description = 'Forecast Accuracy'
    _auto = False
    _order = 'period_start desc, horizon, id'
    _history_parameters = {'accuracy_today': 'date'}

    period_kind = fields.Selection(PERIOD_KINDS, string='Period Type', readonly=True)
    period_start = fields.Date(string='Period', readonly=True)
    horizon = fields.Selection(HORIZONS, string='Forecast Taken', readonly=True)
    currency_id = fields.Many2one('res.currency', string='Currency', readonly=True)
    forecast = fields.Monetary(string='Weighted Forecast', readonly=True, currency_field='currency_id')
    actual = fields.Monetary(string='Won', readonly=True, currency_field='currency_id')
    error = fields.Monetary(string='Error', readonly=True, currency_field='currency_id',
                            help="Forecast - won: positive when the forecast was too high.")
    abs_error = fields.Monetary(string='Absolute Error', readonly=True, currency_field='currency_id')

    @api.model_cr
    def init(self):
        today = setting_sql('accuracy_today', 'date', "(now() AT TIME ZONE 'UTC')::date")
        self.env.cr.execute("DROP VIEW IF EXISTS %s" % self._table)
        self.env.cr.execute("""
            CREATE VIEW {table} AS (
                WITH periods AS (
                    SELECT k.kind, p::date AS start, (p + k.step - interval '1 day')::date AS stop
                      FROM (VALUES ('month', interval '1 month'), ('quarter', interval '3 months')) k(kind, step)
                     CROSS JOIN LATERAL generate_series(
                           date_trunc(k.kind, GREATEST((SELECT MIN(date) FROM crm_lead_forecast_change),
                                                       {today} - interval '3 years')),
                           date_trunc(k.kind, {today}::timestamp) - k.step, k.step) p
                ),
                snapshots AS (
                    SELECT p.kind, p.start, p.stop, h.horizon, (p.start - h.horizon::integer)::timestamp AS moment
                      FROM periods p CROSS JOIN (VALUES ('90'), ('60'), ('30')) h(horizon)
                ),
                changes AS (
                    -- each row of the log with the moment the next one replaced it
                    SELECT c.lead_id, c.date,
                           LEAD(c.date) OVER (PARTITION BY c.lead_id ORDER BY c.date, c.id) AS date_next,
                           c.user_id, c.team_id, c.company_id,
                           COALESCE(c.date_end, c.date_deadline, {created}) AS fdate,
                           COALESCE(c.planned_revenue, 0)::numeric AS amount,
                           COALESCE(c.planned_revenue, 0)::numeric * COALESCE(c.probability, 0)::numeric / 100.0
                               AS weighted,
                           (c.lead_type = 'opportunity' AND c.lead_active AND NOT COALESCE(st.is_lost, FALSE)
                            AND g.id IS NOT NULL) AS in_forecast,
                           (g.kind IS NOT NULL AND {won}) AS is_won
                      FROM crm_lead_forecast_change c
                      JOIN crm_lead l ON l.id = c.lead_id
                      LEFT JOIN crm_stage st ON st.id = c.stage_id
                      LEFT JOIN crm_stage_group g ON g.id = st.group_id
                ),
                forecast AS (
                    SELECT s.kind, s.start, s.horizon, c.user_id, c.team_id, c.company_id,
                           SUM(c.weighted) AS forecast
                      FROM snapshots s
                      JOIN changes c ON c.date <= s.moment AND (c.date_next IS NULL OR c.date_next > s.moment)
                                    AND c.fdate BETWEEN s.start AND s.stop AND c.in_forecast
                     GROUP BY s.kind, s.start, s.horizon, c.user_id, c.team_id, c.company_id
                ),
                actual AS (
                    SELECT p.kind, p.start, h.horizon, c.user_id, c.team_id, c.company_id, SUM(c.amount) AS actual
                      FROM periods p
                      JOIN changes c ON c.date_next IS NULL AND c.in_forecast AND c.is_won
                                    AND c.fdate BETWEEN p.start AND p.stop
                     CROSS JOIN (VALUES ('90'), ('60'), ('30')) h(horizon)
                     GROUP BY p.kind, p.start, h.horizon, c.user_id, c.team_id, c.company_id
                )
                SELECT row_number() OVER (ORDER BY r.kind, r.start, r.horizon, r.user_id, r.team_id,
                                                   r.company_id) AS id,
                       r.kind::varchar AS period_kind, r.start AS period_start, r.horizon::varchar AS horizon,
                       r.user_id, r.team_id, r.company_id, comp.currency_id,
                       r.forecast, r.actual, r.forecast - r.actual AS error, ABS(r.forecast - r.actual) AS abs_error
                  FROM (SELECT kind, start, horizon, user_id, team_id, company_id,
                               SUM(forecast) AS forecast, SUM(actual) AS actual
                          FROM (SELECT kind, start, horizon, user_id, team_id, company_id, forecast, 0 AS actual
                                  FROM forecast
                                UNION ALL
                                SELECT kind, start, horizon, user_id, team_id, company_id, 0, actual
                                  FROM actual) u
                         GROUP BY kind, start, horizon, user_id, team_id, company_id) r
                  LEFT JOIN res_company comp ON comp.id = r.company_id
            )""".format(table=self._table, today=today, won=group_won_sql('g'),
                        created=company_day_sql('l.create_date', company='c.company_id')))
