from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = 'res.config.settings'

    crm_auto_done = fields.Boolean(related='company_id.crm_auto_done', readonly=False,
                                   string='Move Paid Deals to Done')
    quotation_creates_opportunity = fields.Boolean(
        related='company_id.quotation_creates_opportunity', string='Quotations Create Opportunities')
    crm_lost_reason_required = fields.Boolean(related='company_id.crm_lost_reason_required',
                                              string='Loss Reason Required')


# --------------------------------------------------------------------------------------------------
# Forecast settings.
# --------------------------------------------------------------------------------------------------


class ResConfigSettingsForecast(models.TransientModel):
    _inherit = 'res.config.settings'

    forecast_tz = fields.Selection(related='company_id.forecast_tz', string='Reporting Time Zone')
    forecast_push_reason_days = fields.Integer(related='company_id.forecast_push_reason_days',
                                               string='Reason for Pushes Beyond (Days)')
