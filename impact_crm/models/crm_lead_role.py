from odoo import fields, models


class CrmLeadRole(models.Model):
    _name = 'crm.lead.role'
    _description = 'Role of a Person in an Opportunity'
    _order = 'sequence, name'

    name = fields.Char(string='Role', required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    color = fields.Integer(string='Color Index')

    _sql_constraints = [
        ('name_uniq', 'unique (name)', "A role with this name already exists."),
    ]


class CrmLeadRoleInputGuard(models.Model):
    _name = 'crm.lead.role'
    _inherit = ['impact.input.guard', 'crm.lead.role']
