from odoo import fields, models


class ResPartner(models.Model):
    _inherit = 'res.partner'

    is_competitor = fields.Boolean(string='Is a Competitor', index=True,
                                   help="A company that bids against us; offered when a deal is lost.")
