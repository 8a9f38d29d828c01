from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = 'res.partner'

    lead_contact_ids = fields.One2many('crm.lead.contact', 'partner_id', string='Opportunity Roles')
    lead_contact_count = fields.Integer(compute='_compute_lead_contact_count', string='Opportunities',
                                        help="Opportunities this contact (or, for a company, its people) "
                                             "takes part in.")

    @api.model
    def _lead_contact_domain(self, partners):
        return ['|', ('partner_id', 'in', partners.ids), ('partner_company_id', 'in', partners.ids)]

    @api.multi
    def _compute_lead_contact_count(self):
        partners = self.filtered(lambda partner: isinstance(partner.id, int))
        counts = {}
        if partners:
            self.env.cr.execute("""
                SELECT p.id, count(DISTINCT c.lead_id)
                  FROM unnest(%s) AS p(id)
                  JOIN crm_lead_contact c ON c.partner_id = p.id OR c.partner_company_id = p.id
              GROUP BY p.id""", (partners.ids,))
            counts = dict(self.env.cr.fetchall())
        for partner in self:
            partner.lead_contact_count = counts.get(partner.id, 0)

    @api.multi
    def action_view_lead_contacts(self):
        self.ensure_one()
        action = self.env.ref('impact_crm.crm_lead_contact_action').read()[0]
        action['domain'] = self._lead_contact_domain(self)
        action['context'] = {'search_default_groupby_lead': 1}
        return action
