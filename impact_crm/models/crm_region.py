from odoo import api, fields, models


class CrmRegion(models.Model):
    """A sales region: a set of countries and/or states a deal's customer can be in."""
    _name = 'crm.region'
    _description = 'Sales Region'
    _order = 'sequence, name'

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one('res.company', string='Company',
                                 help="Leave empty to use the region in every company.")
    country_ids = fields.Many2many('res.country', 'crm_region_country_rel', 'region_id', 'country_id',
                                   string='Countries',
                                   help="Customers in these countries belong to the region "
                                        "(unless a region lists their state).")
    state_ids = fields.Many2many('res.country.state', 'crm_region_state_rel', 'region_id', 'state_id',
                                 string='States', help="Customers in these states belong to the region.")

    @api.model
    def _find_for_partner(self, partner, company=None):
        """The region of a customer's address: a region listing its state first,
        else a region listing its country; regions of the deal's company before shared ones."""
        partner = partner.commercial_partner_id if partner and not (partner.state_id or partner.country_id) \
            else partner
        if not partner or not (partner.state_id or partner.country_id):
            return self.browse()
        company = company or self.env.user.company_id
        company_domain = ['|', ('company_id', '=', False), ('company_id', '=', company.id)]
        if partner.state_id:
            region = self.search(company_domain + [('state_ids', 'in', partner.state_id.ids)],
                                 order='company_id, sequence, name', limit=1)
            if region:
                return region
        if partner.country_id:
            return self.search(company_domain + [('country_ids', 'in', partner.country_id.ids)],
                               order='company_id, sequence, name', limit=1)
        return self.browse()


class CrmRegionInputGuard(models.Model):
    _name = 'crm.region'
    _inherit = ['impact.input.guard', 'crm.region']
