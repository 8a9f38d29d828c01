from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = 'res.config.settings'

    crm_auto_done = fields.Boolean(related='company_id.crm_auto_done', readonly=False,
                                   string='Move Paid Deals to Done')
