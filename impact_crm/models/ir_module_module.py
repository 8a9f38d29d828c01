from odoo import api, models
from odoo.exceptions import UserError

from ..hooks import CONFLICTING_MODULES, conflict_message


class IrModuleModule(models.Model):
    _inherit = 'ir.module.module'

    @api.multi
    def button_install(self):
        """Installing an add-on that numbers quotations its own way (or one that depends on it) is refused
        while Impact CRM is installed; the other way round, pre_init_hook refuses Impact CRM."""
        result = super(IrModuleModule, self).button_install()
        conflicts = self.search([('name', 'in', CONFLICTING_MODULES), ('state', '=', 'to install')])
        if conflicts:
            raise UserError(conflict_message(self.env, conflicts.mapped('name')))
        return result
