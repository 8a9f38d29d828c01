from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = 'res.config.settings'

    forecast_push_reason_days = fields.Integer(related='company_id.forecast_push_reason_days',
                                               string='Reason for Pushes Beyond (Days)')
