from odoo import api, fields, models

from ..internal_flags import has_flag, internal_set

# Raised by crm.lead's write and create around the instalments written with the deals (the deals' own constraint
# checks each whole schedule after them): the ids of the deals written (an internal set), or, for a deal being
# created, an internal flag. Neither can come from a client's context; and only those deals' schedules are left
# to their constraint: an instalment of another deal that the same call changes is checked here.
FROM_LEAD = 'impact_instalments_from_lead'
FROM_NEW_LEAD = 'impact_instalments_from_new_lead'


class CrmLeadInstalment(models.Model):
    """One instalment of a deal's schedule: how much of its expected revenue is delivered/invoiced when."""
    _name = 'crm.lead.instalment'
    _description = 'Deal Revenue Instalment'
    _order = 'lead_id, date, id'

    lead_id = fields.Many2one('crm.lead', string='Opportunity', required=True, ondelete='cascade', index=True)
    date = fields.Date(string='Date', required=True)
    amount = fields.Monetary(string='Amount', required=True, currency_field='currency_id')
    name = fields.Char(string='Description')
    currency_id = fields.Many2one(related='lead_id.company_currency', readonly=True, string='Currency')
    user_id = fields.Many2one(related='lead_id.user_id', readonly=True, store=True, string='Salesperson')
    team_id = fields.Many2one(related='lead_id.team_id', readonly=True, store=True, string='Sales Channel')
    company_id = fields.Many2one(related='lead_id.company_id', readonly=True, store=True, string='Company')

    # The deal checks that its schedule sums to its revenue: after its own create/write (the instalments of
    # a form are written with it, one by one, so a check per instalment would see half a schedule), and here
    # after an instalment is changed on its own (import, RPC).
    def _check_leads(self, leads):
        written = internal_set(self, FROM_LEAD)
        leads.exists().filtered(lambda lead: lead.id not in written)._check_revenue_spread()

    @api.model
    def create(self, vals):
        instalment = super(CrmLeadInstalment, self).create(vals)
        if not has_flag(self, FROM_NEW_LEAD):
            # (a deal's creation makes its own instalments only: one2many creations carry the new deal)
            self._check_leads(instalment.lead_id)
        return instalment

    @api.multi
    def write(self, vals):
        leads = self.mapped('lead_id')
        res = super(CrmLeadInstalment, self).write(vals)
        self._check_leads(leads | self.mapped('lead_id'))
        return res

    @api.multi
    def unlink(self):
        leads = self.mapped('lead_id')
        res = super(CrmLeadInstalment, self).unlink()
        self._check_leads(leads)
        return res


# --------------------------------------------------------------------------------------------------
# Input guard (impact_input_guard.py): the types and ranges of the values sent to create/write are
# checked before anything else runs, so this class stays last in the file.
# --------------------------------------------------------------------------------------------------


class CrmLeadInstalmentInputGuard(models.Model):
    _name = 'crm.lead.instalment'
    _inherit = ['impact.input.guard', 'crm.lead.instalment']
