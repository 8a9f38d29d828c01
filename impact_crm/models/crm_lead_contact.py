from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..sql_rules import is_won_by_probability


class CrmLeadContact(models.Model):
    """A person (or company) taking part in an opportunity, with the roles they hold in it."""
    _name = 'crm.lead.contact'
    _description = 'Person of an Opportunity'
    # not by lead_id: ordering by a many2one joins the deals to sort by their own order, and Odoo searches the
    # people of a deal in this order at every change of the deal's stage, salesperson, revenue or probability
    # (the stored copies below), twice per write. The people's list still shows them deal by deal (its
    # default_order); within a deal the order is the same.
    _order = 'is_primary desc, sequence, id'
    _rec_name = 'partner_id'

    sequence = fields.Integer(default=10)
    lead_id = fields.Many2one('crm.lead', string='Opportunity', required=True, ondelete='cascade', index=True)
    partner_id = fields.Many2one('res.partner', string='Contact', ondelete='restrict', index=True,
                                 help="Leave empty and fill in the name (and company) below to create a new contact.")
    partner_company_id = fields.Many2one('res.partner', string='Company', related='partner_id.commercial_partner_id',
                                         store=True, readonly=True, index=True)
    role_ids = fields.Many2many('crm.lead.role', 'crm_lead_contact_role_rel', 'contact_id', 'role_id',
                                string='Roles')
    is_primary = fields.Boolean(string='Primary Contact')
    email = fields.Char(related='partner_id.email', readonly=True)
    phone = fields.Char(related='partner_id.phone', readonly=True)
    # typed in to create a contact who is not yet a partner
    new_name = fields.Char(string='New Contact Name')
    new_company_name = fields.Char(string='New Contact Company')
    new_email = fields.Char(string='New Contact Email')
    new_phone = fields.Char(string='New Contact Phone')
    # copies of the deal, for the reports ("won amount per architect's firm")
    user_id = fields.Many2one(related='lead_id.user_id', store=True, readonly=True, string='Salesperson')
    stage_id = fields.Many2one(related='lead_id.stage_id', store=True, readonly=True, string='Stage')
    company_currency = fields.Many2one(related='lead_id.company_currency', readonly=True, string='Currency')
    planned_revenue = fields.Float(related='lead_id.planned_revenue', store=True, readonly=True,
                                   string='Expected Revenue')
    won_amount = fields.Monetary(compute='_compute_won_amount', store=True, currency_field='company_currency',
                                 string='Won Amount',
                                 help="Expected revenue of the deal once it is won (probability 100%), else 0.")
    is_won = fields.Boolean(compute='_compute_won_amount', store=True, string='Won')

    _sql_constraints = [
        ('lead_partner_uniq', 'unique (lead_id, partner_id)', "This contact is already in the opportunity's people."),
    ]

    @api.depends('lead_id.planned_revenue', 'lead_id.probability', 'lead_id.active')
    def _compute_won_amount(self):
        for contact in self:
            lead = contact.lead_id
            contact.is_won = is_won_by_probability(lead)
            contact.won_amount = lead.planned_revenue if contact.is_won else 0.0

    @api.constrains('is_primary', 'lead_id')
    def _check_is_primary(self):
        # as superuser: the record rules are checked after the constraints, and give the clearer error
        self = self.sudo()
        leads = self.filtered('is_primary').mapped('lead_id')
        if not leads:
            return
        groups = self.read_group([('lead_id', 'in', leads.ids), ('is_primary', '=', True)],
                                 ['lead_id'], ['lead_id'])
        for group in groups:
            if group['lead_id_count'] > 1:
                raise ValidationError(_("An opportunity has only one primary contact (%s).") % group['lead_id'][1])

    @api.constrains('partner_id')
    def _check_partner_id(self):
        if self.sudo().filtered(lambda contact: not contact.partner_id):
            raise ValidationError(_("Choose a contact, or type the name of a new one."))

    @api.model
    def _find_or_create_company(self, name):
        name = name.strip()
        company = self.env['res.partner'].search([('is_company', '=', True), ('name', '=ilike', name)], limit=1)
        if not company:
            company = self.env['res.partner'].create({'name': name, 'is_company': True})
        return company

    @api.model
    def _prepare_new_partner(self, vals):
        name = (vals.get('new_name') or '').strip()
        if not name:
            raise ValidationError(_("Choose a contact, or type the name of a new one."))
        partner_vals = {'name': name, 'email': vals.get('new_email') or False, 'phone': vals.get('new_phone') or False}
        if (vals.get('new_company_name') or '').strip():
            company = self._find_or_create_company(vals['new_company_name'])
            partner_vals.update(parent_id=company.id, type='contact')
        return partner_vals

    @api.model
    def create(self, vals):
        if not vals.get('partner_id'):
            partner = self.env['res.partner'].create(self._prepare_new_partner(vals))
            vals = dict(vals, partner_id=partner.id)
        return super(CrmLeadContact, self).create(vals)


# --------------------------------------------------------------------------------------------------
# Input guard (impact_input_guard.py): the values sent to create/write are checked before anything else runs,
# and the copies of the deal kept for the reports (its salesperson, stage, revenue, won amount) are written by
# nobody, so this class stays last in the file.
# --------------------------------------------------------------------------------------------------


class CrmLeadContactInputGuard(models.Model):
    _name = 'crm.lead.contact'
    _inherit = ['impact.input.guard', 'crm.lead.contact']
