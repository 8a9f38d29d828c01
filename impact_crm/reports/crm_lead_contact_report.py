from odoo import fields, models, tools


class CrmLeadContactReport(models.Model):
    """One row per (person of an opportunity, role), so the won amount can be grouped by the contact's
    company and by role ("won amount per architect's firm"). A person holding two roles counts under
    both roles: totals over roles count a deal once per role."""
    _name = 'crm.lead.contact.report'
    _description = 'People and Roles of Opportunities'
    _auto = False
    _rec_name = 'partner_id'

    contact_id = fields.Many2one('crm.lead.contact', string='Person of Opportunity', readonly=True)
    lead_id = fields.Many2one('crm.lead', string='Opportunity', readonly=True)
    partner_id = fields.Many2one('res.partner', string='Contact', readonly=True)
    partner_company_id = fields.Many2one('res.partner', string='Company', readonly=True)
    role_id = fields.Many2one('crm.lead.role', string='Role', readonly=True)
    is_primary = fields.Boolean(string='Primary Contact', readonly=True)
    user_id = fields.Many2one('res.users', string='Salesperson', readonly=True)
    stage_id = fields.Many2one('crm.stage', string='Stage', readonly=True)
    is_won = fields.Boolean(string='Won', readonly=True)
    planned_revenue = fields.Float(string='Expected Revenue', readonly=True)
    won_amount = fields.Float(string='Won Amount', readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute("""
            CREATE VIEW crm_lead_contact_report AS (
                SELECT row_number() OVER (ORDER BY c.id, r.role_id) AS id,
                       c.id AS contact_id, c.lead_id, c.partner_id, c.partner_company_id, r.role_id,
                       c.is_primary, c.user_id, c.stage_id, c.is_won, c.planned_revenue, c.won_amount
                  FROM crm_lead_contact c
             LEFT JOIN crm_lead_contact_role_rel r ON r.contact_id = c.id
            )""")
