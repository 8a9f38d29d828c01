from odoo import fields, models


class ResCompany(models.Model):
    _inherit = 'res.company'

    quotation_creates_opportunity = fields.Boolean(
        string='Quotations Create Opportunities', default=True,
        help="A quotation created without an opportunity gets one, in the Quote stage, so no deal escapes "
             "the pipeline.")
