from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = 'res.config.settings'

    crm_lost_reason_required = fields.Boolean(related='company_id.crm_lost_reason_required',
                                              string='Loss Reason Required')
