from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = 'sale.order'

    is_latest_revision = fields.Boolean(string='Latest Revision', default=True, readonly=True, index=True,
                                        help="Only the latest revision of a quotation counts, can be sent, "
                                             "edited or confirmed.")
