from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_date

from ..reports.crm_forecast_waterfall_report import MEASURES
from ..sql_rules import QUARTER, quarter_start


class CrmForecastWaterfall(models.TransientModel):
    """Open the waterfall of a period's pipeline between two moments."""
    _name = 'crm.forecast.waterfall'
    _description = 'Forecast Waterfall'

    def _default_period_start(self):
        today = fields.Date.from_string(fields.Date.context_today(self))
        return fields.Date.to_string(quarter_start(today))

    def _default_period_end(self):
        start = fields.Date.from_string(self._default_period_start())
        return fields.Date.to_string(start + QUARTER - relativedelta(days=1))

    def _default_date_from(self):
        return fields.Datetime.to_string(fields.Datetime.from_string(fields.Datetime.now()) - relativedelta(months=1))

    period_start = fields.Date(string='Period Start', required=True, default=_default_period_start,
                               help="The deals whose forecast date falls in the period are its pipeline.")
    period_end = fields.Date(string='Period End', required=True, default=_default_period_end)
    date_from = fields.Datetime(string='From', required=True, default=_default_date_from,
                                help="The first picture of the pipeline.")
    date_to = fields.Datetime(string='To', required=True, default=fields.Datetime.now,
                              help="The second picture of the pipeline.")
    measure = fields.Selection(MEASURES, string='Measure', required=True, default='weighted')

    @api.multi
    def _check_input(self):
        self.ensure_one()
        if self.period_end < self.period_start:
            raise UserError(_("The end of the period is before its start."))
        if self.date_to <= self.date_from:
            raise UserError(_("The second moment must come after the first."))

    @api.multi
    def _context_values(self):
        self.ensure_one()
        return {
            'waterfall_date_from': self.date_from,
            'waterfall_date_to': self.date_to,
            'waterfall_period_start': self.period_start,
            'waterfall_period_end': self.period_end,
            'waterfall_measure': self.measure,
        }

    @api.multi
    def action_open(self):
        self._check_input()
        action = self.env.ref('impact_crm.crm_forecast_waterfall_report_action').read()[0]
        # the dates as the user's language writes them (31/12/2026 in Hebrew)
        action['name'] = _("Waterfall %s - %s") % (format_date(self.env, self.period_start),
                                                   format_date(self.env, self.period_end))
        action['context'] = self._context_values()
        return action


# --------------------------------------------------------------------------------------------------
# Input guard (impact_input_guard.py): the values sent to create/write are checked before anything else
# runs (an impossible date or a NaN would otherwise reach PostgreSQL as a raw error), so this class stays
# last in the file.
# --------------------------------------------------------------------------------------------------


class CrmForecastWaterfallInputGuard(models.TransientModel):
    _name = 'crm.forecast.waterfall'
    _inherit = ['impact.input.guard', 'crm.forecast.waterfall']
