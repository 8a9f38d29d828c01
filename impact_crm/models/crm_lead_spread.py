"""Revenue spread over the project: a deal's expected revenue dated month by month between its start and end
dates (linear, by the days of each month), or by a schedule of instalments that sums to it, so that the forecast
can be read by delivery period as well as by close period."""
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

SPREADS = [('end', 'At the End Date'), ('linear', 'Linear over the Project'), ('schedule', 'Instalment Schedule')]

# The first days of the months from a start to an end date, as a PL/pgSQL function declaring how many rows it
# returns (about a year): generate_series() called per deal is estimated at 1,000 rows, which makes PostgreSQL
# plan the forecast by delivery period a hundred times too big (and spend seconds JIT-compiling it).
MONTH_STARTS_FUNCTION = """
    CREATE OR REPLACE FUNCTION impact_crm_month_starts(date_from date, date_to date) RETURNS SETOF date
    LANGUAGE plpgsql IMMUTABLE STRICT ROWS 12 AS $$
    BEGIN
        RETURN QUERY SELECT d::date FROM generate_series(date_trunc('month', date_from), date_to::timestamp,
                                                         INTERVAL '1 month') AS d;
    END $$
"""

# (lead_id, date, share of the deal's revenue) for the deals whose revenue is spread; the shares of a deal sum
# to 1. Linear: each month of the project gets its days' share (a project of 15 January - 10 March has
# 17 + 28 + 10 = 55 days: January 17/55, ...). Schedule: each instalment's amount / the expected revenue.
SPREAD_SQL = """
    SELECT l.id AS lead_id, m.month::date AS date,
           (LEAST((m.month + INTERVAL '1 month')::date - 1, l.date_end) - GREATEST(m.month::date, l.date_start) + 1)
               ::numeric / (l.date_end - l.date_start + 1) AS share
      FROM crm_lead l
     CROSS JOIN LATERAL impact_crm_month_starts(l.date_start, l.date_end) AS m(month)
     WHERE l.revenue_spread = 'linear' AND l.date_start IS NOT NULL AND l.date_end IS NOT NULL
    UNION ALL
    SELECT i.lead_id, i.date, i.amount / l.planned_revenue::numeric AS share
      FROM crm_lead_instalment i
      JOIN crm_lead l ON l.id = i.lead_id
     WHERE l.revenue_spread = 'schedule' AND COALESCE(l.planned_revenue, 0) != 0
"""


class CrmLead(models.Model):
    _inherit = 'crm.lead'

    revenue_spread = fields.Selection(
        # not NOT NULL: rows inserted by SQL (imports by scripts, benchmarks) are simply not spread
        SPREADS, string='Revenue Spread', default='end', track_visibility='onchange',
        help="How the forecast by delivery period dates this deal's revenue: all at the end date, spread "
             "linearly over the months between the start and end dates (by their days), or by instalments "
             "that sum to the expected revenue.")
    instalment_ids = fields.One2many('crm.lead.instalment', 'lead_id', string='Instalments', copy=True)

    @api.model_cr
    def init(self):
        super(CrmLead, self).init()
        self.env.cr.execute(MONTH_STARTS_FUNCTION)

    @api.model
    def create(self, vals):
        if 'instalment_ids' in vals:
            lead = super(CrmLead, self.with_context(impact_instalments_from_lead=True)).create(vals)
            return lead.with_env(self.env)
        return super(CrmLead, self).create(vals)

    @api.multi
    def write(self, vals):
        if 'instalment_ids' in vals:
            return super(CrmLead, self.with_context(impact_instalments_from_lead=True)).write(vals)
        return super(CrmLead, self).write(vals)

    @api.constrains('revenue_spread', 'planned_revenue', 'date_start', 'date_end', 'instalment_ids')
    def _check_revenue_spread(self):
        for lead in self:
            if lead.revenue_spread == 'linear' and not (lead.date_start and lead.date_end):
                raise ValidationError(_("'%s' is spread linearly over the project: give it a start and an end "
                                        "date.") % lead.name)
            if lead.revenue_spread == 'schedule':
                total = sum(lead.instalment_ids.mapped('amount'))
                currency = lead.company_currency or self.env.user.company_id.currency_id
                if not lead.instalment_ids or currency.compare_amounts(total, lead.planned_revenue or 0.0):
                    raise ValidationError(
                        _("The instalments of '%s' sum to %s, not to its expected revenue %s: correct the "
                          "instalments or the expected revenue.")
                        % (lead.name, currency.round(total), currency.round(lead.planned_revenue or 0.0)))

    @api.multi
    def _revenue_by_month(self):
        """{lead id: [(first day of the month as 'YYYY-MM-DD', amount)]} of the deals' expected revenue as the
        forecast by delivery period dates it (deals not spread: all in the month of their forecast date)."""
        result = dict((lead.id, []) for lead in self)
        if not self.ids:
            return result
        self.env.cr.execute("""
            SELECT l.id, date_trunc('month', COALESCE(s.date, l.date_end, l.date_deadline, l.create_date::date))::date,
                   SUM(COALESCE(l.planned_revenue, 0)::numeric * COALESCE(s.share, 1.0))
              FROM crm_lead l
              LEFT JOIN ({spread}) s ON s.lead_id = l.id
             WHERE l.id IN %s
             GROUP BY 1, 2 ORDER BY 1, 2""".format(spread=SPREAD_SQL), (tuple(self.ids),))
        for lead_id, month, amount in self.env.cr.fetchall():
            result[lead_id].append((fields.Date.to_string(month) if not isinstance(month, str) else month,
                                    float(amount)))
        return result
