from odoo import api, models


class IrRule(models.Model):
    _inherit = 'ir.rule'

    @api.model
    def _eval_context(self):
        """Adds ``company_child_ids`` to what a rule's domain can name: the user's company and its subsidiaries,
        the ids that ``('company_id', 'child_of', [user.company_id.id])`` stands for.

        Odoo evaluates a rule's domain once per user, model and mode and caches the result; a ``child_of`` in it
        is still resolved by a query on res.company every time the domain is applied, several times in every
        request that reads or writes a deal. The ids resolved here are cached with the domain. That cache is
        emptied whenever a company is created or changed and whenever a user changes company (res.company's
        create/write and res.users' write of company_id clear the registry's caches), so the list cannot go
        stale."""
        context = super(IrRule, self)._eval_context()
        company = self.env.user.company_id
        context['company_child_ids'] = self.env['res.company'].sudo().search([('id', 'child_of', company.ids)]).ids
        return context
