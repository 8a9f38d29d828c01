from odoo import _, api, fields, models
from odoo.tools.misc import format_date


class CrmForecastAsof(models.TransientModel):
    """Open the forecast as it stood at a past moment (empty: the live forecast)."""
    _name = 'crm.forecast.asof'
    _description = 'Forecast as of a Date'

    as_of = fields.Datetime(string='As of', help="Leave empty for the forecast as it stands now.")

    @api.multi
    def action_open(self):
        self.ensure_one()
        if not self.as_of:
            return self.env.ref('impact_crm.crm_forecast_report_action').read()[0]
        action = self.env.ref('impact_crm.crm_forecast_asof_report_action').read()[0]
        as_of = fields.Datetime.context_timestamp(self, fields.Datetime.from_string(self.as_of))
        # the date as the user's language writes it (31/12/2026 in Hebrew)
        action['name'] = _("Forecast as of %s") % ('%s %s' % (format_date(self.env, as_of.date()),
                                                              as_of.strftime('%H:%M')))
        action['context'] = {'forecast_as_of': self.as_of}
        return action


# --------------------------------------------------------------------------------------------------
# Input guard (impact_input_guard.py): the values sent to create/write are checked before anything else
# runs (an impossible date or a NaN would otherwise reach PostgreSQL as a raw error), so this class stays
# last in the file.
# --------------------------------------------------------------------------------------------------


class CrmForecastAsofInputGuard(models.TransientModel):
    _name = 'crm.forecast.asof'
    _inherit = ['impact.input.guard', 'crm.forecast.asof']
