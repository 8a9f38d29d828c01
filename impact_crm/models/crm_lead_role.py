from odoo import _, api, fields, models
from odoo.exceptions import UserError


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

    @api.multi
    def copy(self, default=None):
        # the name is unique: a duplicate gets its own
        default = dict(default or {})
        default.setdefault('name', _("%s (copy)") % self.name)
        return super(CrmLeadRole, self).copy(default)

    @api.multi
    def unlink(self):
        """A role that people of deals hold is archived, not deleted: deleting it would take it silently from every
        deal's people (the roles are a many2many), losing who was the architect of which project. Archived, it
        is no longer offered and the deals keep it."""
        if self.ids:
            self.env.cr.execute("SELECT DISTINCT role_id FROM crm_lead_contact_role_rel WHERE role_id IN %s",
                                (tuple(self.ids),))
            held = self.browse([row[0] for row in self.env.cr.fetchall()])
            if held:
                raise UserError(_("The role \"%s\" is held by people of deals: archive it instead, so that it is no "
                                  "longer offered while those deals keep it.") % held[0].name)
        return super(CrmLeadRole, self).unlink()


class CrmLeadRoleInputGuard(models.Model):
    _name = 'crm.lead.role'
    _inherit = ['impact.input.guard', 'crm.lead.role']
