from odoo import fields, models


class ResCompany(models.Model):
    _inherit = 'res.company'

    crm_lost_reason_required = fields.Boolean(
        string='Loss Reason Required', default=True,
        help="A deal can only be marked lost with a loss reason.")
