from odoo import api, fields, models

from .crm_forecast_asof_report import setting_sql, state_query

# display order (the keys sort as shown: read_group orders a selection by its key)
BUCKETS = [
    ('01_start', 'Pipeline at Start'),
    ('02_new', 'New'),
    ('03_pulled_in', 'Pulled In'),
    ('04_pushed_out', 'Pushed Out'),
    ('05_increased', 'Increased'),
    ('06_decreased', 'Decreased'),
    ('07_won', 'Won'),
    ('08_lost', 'Lost'),
    ('09_end', 'Pipeline at End'),
]
MEASURES = [('weighted', 'Weighted Amount'), ('amount', 'Amount')]


class CrmForecastWaterfallReport(models.Model):
    """How the open pipeline of a period moved between two moments (a waterfall).

    Parameters (context keys, read by the view as transaction settings): ``waterfall_date_from`` and
    ``waterfall_date_to`` (UTC moments), ``waterfall_period_start`` and ``waterfall_period_end`` (the
    period of forecast dates), ``waterfall_measure`` ('weighted', default, or 'amount').

    A deal is *in the pipeline* at a moment when it is then an active, not lost opportunity in an open
    stage whose forecast date (end date, else expected closing, else creation) falls in the period. Rows:
    one 'start' row per deal in the pipeline at the first moment (its value then), one 'end' row per deal
    in it at the second (its value then), and one movement row per deal whose contribution changed,
    in exactly one bucket, by this order of precedence:

    1. in at the start, out at the end:  **won** if then won (an execution or closed stage), else
       **lost** if then lost, archived, deleted or no longer an opportunity, else **pushed out** (still
       open, its forecast date moved out of the period);
    2. out at the start, in at the end: **pulled in** if it was then an open opportunity (dated outside
       the period), else **new** (created, converted or reopened since);
    3. in at both: **increased** or **decreased** by the change of its value (none when unchanged).

    The movement is the end value minus the start value (start value for those leaving), so the start plus
    every movement equals the end to the cent. Movement rows of deals leaving carry the deal's dimensions
    at the start, the others those at the end."""
    _name = 'crm.forecast.waterfall.report'
    _inherit = ['crm.forecast.history.mixin', 'crm.deal.report.mixin']
    _description = 'Forecast Waterfall'
    _auto = False
    _order = 'bucket, value desc, id'
    _rec_name = 'lead_id'
    _history_parameters = {'waterfall_date_from': 'datetime', 'waterfall_date_to': 'datetime',
                           'waterfall_period_start': 'date', 'waterfall_period_end': 'date',
                           'waterfall_measure': ('weighted', 'amount')}

    bucket = fields.Selection(BUCKETS, string='Step', readonly=True)
    lead_id = fields.Many2one('crm.lead', string='Opportunity', readonly=True)
    region_id = fields.Many2one('crm.region', string='Sales Region', readonly=True)
    stage_id = fields.Many2one('crm.stage', string='Stage', readonly=True)
    date = fields.Date(string='Forecast Date', readonly=True)
    currency_id = fields.Many2one('res.currency', string='Currency', readonly=True)
    value = fields.Monetary(string='Value', readonly=True, currency_field='currency_id',
                            help="The deal's value at the start or end, or its movement in this step.")

    @api.model_cr
    def init(self):
        period = "BETWEEN %s AND %s" % (setting_sql('waterfall_period_start', 'date', 'NULL'),
                                        setting_sql('waterfall_period_end', 'date', 'NULL'))
        value = "CASE WHEN %s = 'amount' THEN {s}.amount ELSE {s}.weighted_amount END" % setting_sql(
            'waterfall_measure', 'varchar', "'weighted'")
        self.env.cr.execute("DROP VIEW IF EXISTS %s" % self._table)
        self.env.cr.execute("""
            CREATE VIEW {table} AS (
                SELECT x.lead_id::bigint * 16 + b.seq AS id, b.bucket, x.lead_id, b.user_id, b.team_id,
                       b.region_id, b.stage_id, b.date, b.company_id, comp.currency_id, b.value
                  FROM (
                    SELECT COALESCE(s1.lead_id, s2.lead_id) AS lead_id,
                           COALESCE(s1.is_open AND s1.date {period}, FALSE) AS in1,
                           COALESCE(s2.is_open AND s2.date {period}, FALSE) AS in2,
                           COALESCE(s1.is_open, FALSE) AS open1,
                           COALESCE(s2.is_open, FALSE) AS open2,
                           COALESCE(s2.in_forecast, FALSE) AS forecast2,
                           {value1} AS v1, {value2} AS v2,
                           s1.user_id AS user1, s1.team_id AS team1, s1.region_id AS region1,
                           s1.stage_id AS stage1, s1.date AS date1, s1.company_id AS company1,
                           s2.user_id AS user2, s2.team_id AS team2, s2.region_id AS region2,
                           s2.stage_id AS stage2, s2.date AS date2, s2.company_id AS company2
                      FROM ({state1}) s1
                      FULL JOIN ({state2}) s2 ON s2.lead_id = s1.lead_id
                  ) x
                  CROSS JOIN LATERAL (
                    SELECT CASE
                             WHEN x.in1 AND NOT x.in2 THEN
                                 CASE WHEN x.forecast2 AND NOT x.open2 THEN '07_won'
                                      WHEN NOT x.forecast2 THEN '08_lost'
                                      ELSE '04_pushed_out' END
                             WHEN x.in2 AND NOT x.in1 THEN
                                 CASE WHEN x.open1 THEN '03_pulled_in' ELSE '02_new' END
                             WHEN x.in1 AND x.in2 AND x.v2 > x.v1 THEN '05_increased'
                             WHEN x.in1 AND x.in2 AND x.v2 < x.v1 THEN '06_decreased'
                           END::varchar AS bucket,
                           (CASE WHEN x.in2 THEN x.v2 ELSE 0 END) - (CASE WHEN x.in1 THEN x.v1 ELSE 0 END)
                               AS delta
                  ) m
                  CROSS JOIN LATERAL (
                    SELECT '01_start'::varchar, 1, x.v1, x.user1, x.team1, x.region1, x.stage1, x.date1,
                           x.company1 WHERE x.in1
                    UNION ALL
                    SELECT '09_end'::varchar, 9, x.v2, x.user2, x.team2, x.region2, x.stage2, x.date2,
                           x.company2 WHERE x.in2
                    UNION ALL
                    SELECT m.bucket, 2, m.delta,
                           CASE WHEN x.in2 THEN x.user2 ELSE x.user1 END,
                           CASE WHEN x.in2 THEN x.team2 ELSE x.team1 END,
                           CASE WHEN x.in2 THEN x.region2 ELSE x.region1 END,
                           CASE WHEN x.in2 THEN x.stage2 ELSE x.stage1 END,
                           CASE WHEN x.in2 THEN x.date2 ELSE x.date1 END,
                           CASE WHEN x.in2 THEN x.company2 ELSE x.company1 END
                     WHERE m.bucket IS NOT NULL
                  ) b(bucket, seq, value, user_id, team_id, region_id, stage_id, date, company_id)
                  LEFT JOIN res_company comp ON comp.id = b.company_id
                 WHERE x.in1 OR x.in2
            )""".format(
            table=self._table, period=period, value1=value.format(s='s1'), value2=value.format(s='s2'),
            state1=state_query(setting_sql('waterfall_date_from', 'timestamp', 'NULL')),
            state2=state_query(setting_sql('waterfall_date_to', 'timestamp', 'NULL'))))

    @api.model
    def _totals(self):
        """{bucket: total value} for the parameters of the context, every bucket present (0 when empty)."""
        totals = dict((key, 0.0) for key, _label in BUCKETS)
        for row in self.read_group([], ['bucket', 'value'], ['bucket'], orderby='bucket'):
            totals[row['bucket']] = row['value'] or 0.0
        return totals
