from odoo import fields, models


class ResCompany(models.Model):
    _inherit = 'res.company'

    crm_auto_done = fields.Boolean(
        string='Move Paid Deals to Done', default=True,
        help="A deal in an Execution stage whose orders are fully invoiced and paid moves to the Done stage "
             "by itself.")
    quotation_creates_opportunity = fields.Boolean(
        string='Quotations Create Opportunities', default=True,
        help="A quotation created without an opportunity gets one, in the Quote stage, so no deal escapes "
             "the pipeline.")
    crm_lost_reason_required = fields.Boolean(
        string='Loss Reason Required', default=True,
        help="A deal can only be marked lost with a loss reason.")
