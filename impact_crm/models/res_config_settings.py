from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = 'res.config.settings'

    quotation_creates_opportunity = fields.Boolean(
        related='company_id.quotation_creates_opportunity', string='Quotations Create Opportunities')
