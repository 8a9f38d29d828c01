from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..models.crm_stage import FORECAST_CATEGORIES
from .crm_forecast_report import SOURCES
from ..sql_rules import company_day_sql, status_sql

SETTING_PREFIX = 'impact_crm.'


def state_query(as_of_sql):
    """The forecast-relevant state of every deal as of ``as_of_sql`` (an SQL timestamp expression): the
    deal's latest change at or before that moment, with the forecast's own derivations (status, date,
    amount, weighted amount) and ``in_forecast`` (an active, not lost opportunity, as the live forecast
    keeps) and ``is_open`` (in the forecast and in an open stage)."""
    return """
        SELECT c.lead_id, c.lead_type, c.user_id, c.team_id, c.region_id, c.stage_id, c.company_id,
               st.group_id AS stage_group_id,
               %(status)s AS status,
               -- the stage's category (a rep's override of the time is not in the log); won deals are Closed
               CASE WHEN g.kind = 'open' THEN COALESCE(st.forecast_category, 'pipeline') ELSE 'closed'
               END::varchar AS forecast_category,
               COALESCE(c.date_end, c.date_deadline, %(created)s) AS date,
               COALESCE(c.probability, 0)::numeric AS probability,
               COALESCE(c.planned_revenue, 0)::numeric AS amount,
               COALESCE(c.planned_revenue, 0)::numeric * COALESCE(c.probability, 0)::numeric / 100.0
                   AS weighted_amount,
               (c.lead_type = 'opportunity' AND c.lead_active AND NOT COALESCE(st.is_lost, FALSE)
                AND g.id IS NOT NULL) AS in_forecast,
               (c.lead_type = 'opportunity' AND c.lead_active AND NOT COALESCE(st.is_lost, FALSE)
                AND g.kind = 'open') AS is_open
          FROM (SELECT DISTINCT ON (lead_id) * FROM crm_lead_forecast_change
                 WHERE date <= %(as_of)s ORDER BY lead_id, date DESC, id DESC) c
          JOIN crm_lead l ON l.id = c.lead_id
          LEFT JOIN crm_stage st ON st.id = c.stage_id
          LEFT JOIN crm_stage_group g ON g.id = st.group_id
    """ % {'as_of': as_of_sql, 'status': status_sql('g'),
           'created': company_day_sql('l.create_date', company='c.company_id')}


def setting_sql(name, cast, default):
    """A parameter of a history view, read from the transaction's settings (set by the model from the
    context before each query; see CrmForecastHistoryMixin)."""
    return "COALESCE(NULLIF(current_setting('%s%s', true), '')::%s, %s)" % (SETTING_PREFIX, name, cast, default)


class CrmForecastHistoryMixin(models.AbstractModel):
    """SQL views with parameters (an 'as of' moment, two dates, a period): the parameters travel in the
    context (so the web client's pivot, list, drill-down and export keep them) and reach the view as
    transaction-local settings, set right before every query the ORM runs on the view."""
    _name = 'crm.forecast.history.mixin'
    _description = 'Forecast History Views'
    # {context key, also the setting's name: what it is, 'datetime', 'date' or a tuple of the accepted values
    # (the view casts the setting)}
    _history_parameters = {}

    @api.model
    def _apply_history_parameters(self):
        # always set (to '' when absent): a previous call in the same transaction must not leak its values
        for key in self._history_parameters:
            value = self._history_parameter_value(key, self.env.context.get(key) or '')
            self.env.cr.execute("SELECT set_config(%s, %s, true)", (SETTING_PREFIX + key, value))

    @api.model
    def _history_parameter_value(self, key, value):
        """``value`` of the parameter ``key`` as its setting, checked: a client sends the context, and a value
        the view's cast refuses would otherwise reach the user as a raw database error."""
        value = str(value).strip()
        kind = self._history_parameters[key]
        if not value or not kind:
            return value
        try:
            if kind == 'datetime':
                return fields.Datetime.to_string(fields.Datetime.from_string(value))
            if kind == 'date':
                return fields.Date.to_string(fields.Date.from_string(value[:10]))
        except ValueError:
            raise UserError(_("%s: a date (YYYY-MM-DD) or a date and time (YYYY-MM-DD HH:MM:SS) is expected, "
                              "not \"%s\".") % (key, value))
        if value not in kind:
            raise UserError(_("%s: one of %s is expected, not \"%s\".") % (key, ', '.join(kind), value))
        return value

    @api.model
    def _search(self, args, offset=0, limit=None, order=None, count=False, access_rights_uid=None):
        self._apply_history_parameters()
        return super(CrmForecastHistoryMixin, self)._search(
            args, offset=offset, limit=limit, order=order, count=count, access_rights_uid=access_rights_uid)

    @api.multi
    def _read_from_database(self, field_names, inherited_field_names=[]):
        self._apply_history_parameters()
        return super(CrmForecastHistoryMixin, self)._read_from_database(field_names, inherited_field_names)

    @api.model
    def _read_group_raw(self, domain, fields, groupby, offset=0, limit=None, orderby=False, lazy=True):
        self._apply_history_parameters()
        return super(CrmForecastHistoryMixin, self)._read_group_raw(
            domain, fields, groupby, offset=offset, limit=limit, orderby=orderby, lazy=lazy)


class CrmForecastAsofReport(models.Model):
    """The opportunities' forecast (crm.forecast.report, source 'opportunity') as it stood at the moment
    given in the context key ``forecast_as_of`` (UTC; absent: now), rebuilt from the forecast change log.

    Same measures and dimensions, except the product category (quotation lines have no history): one row
    per deal, without category. The customer is the deal's current one; stages are read with their current
    group and lost flag."""
    _name = 'crm.forecast.asof.report'
    _inherit = ['crm.forecast.history.mixin', 'crm.deal.report.mixin']
    _description = 'Sales Forecast as of a Date'
    _auto = False
    _order = 'date desc, id'
    _rec_name = 'lead_id'
    _history_parameters = {'forecast_as_of': 'datetime'}

    source = fields.Selection(SOURCES, string='Source', readonly=True)
    lead_id = fields.Many2one('crm.lead', string='Opportunity', readonly=True)
    partner_id = fields.Many2one('res.partner', string='Customer', readonly=True)
    region_id = fields.Many2one('crm.region', string='Sales Region', readonly=True)
    categ_id = fields.Many2one('product.category', string='Product Category', readonly=True)
    stage_id = fields.Many2one('crm.stage', string='Stage', readonly=True)
    stage_group_id = fields.Many2one('crm.stage.group', string='Stage Group', readonly=True)
    status = fields.Selection([('open', 'Open'), ('won', 'Won')], string='Status', readonly=True)
    forecast_category = fields.Selection(FORECAST_CATEGORIES, string='Forecast Category', readonly=True,
                                         help="The category of the deal's stage at that moment (won deals: Closed).")
    date = fields.Date(string='Forecast Date', readonly=True)
    currency_id = fields.Many2one('res.currency', string='Currency', readonly=True)
    probability = fields.Float(string='Probability (%)', group_operator='avg', readonly=True)
    amount = fields.Monetary(string='Amount', readonly=True, currency_field='currency_id')
    weighted_amount = fields.Monetary(string='Weighted Amount', readonly=True, currency_field='currency_id')

    @api.model_cr
    def init(self):
        self.env.cr.execute("DROP VIEW IF EXISTS %s" % self._table)
        self.env.cr.execute("""
            CREATE VIEW %s AS (
                SELECT s.lead_id AS id, 'opportunity'::varchar AS source, s.lead_id, l.partner_id, s.user_id,
                       s.team_id, s.region_id, NULL::integer AS categ_id, s.stage_id, s.stage_group_id,
                       s.status, s.forecast_category, s.date, s.company_id, comp.currency_id, s.probability, s.amount,
                       s.weighted_amount
                  FROM (%s) s
                  JOIN crm_lead l ON l.id = s.lead_id
                  LEFT JOIN res_company comp ON comp.id = s.company_id
                 WHERE s.in_forecast
            )""" % (self._table, state_query(setting_sql('forecast_as_of', 'timestamp', "'infinity'::timestamp"))))
