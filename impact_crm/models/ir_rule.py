from odoo import api, models, tools


class IrRule(models.Model):
    _inherit = 'ir.rule'

    @api.model
    @tools.ormcache('self._uid', 'model_name', 'mode')
    def _compute_domain(self, model_name, mode="read"):
        """The rules' domain with every ``child_of`` on companies resolved into the list of the companies.

        Odoo evaluates the rules' domain once per user, model and mode and caches it, but a
        ``('company_id', 'child_of', [user.company_id.id])`` in it (Odoo's multi-company rules and the add-on's)
        is resolved again by a query on res.company each time the domain is applied: a sales user's stage
        change applied it 9 times, the creation of a quotation about 40 times. The companies resolved here are
        cached with the domain. That cache cannot go stale: it is emptied whenever a company is created or
        changed (res.company's create and write clear the registry's caches, in every worker) and whenever a
        user changes company (res.users' write of company_id does the same). ``child_of`` on any other model
        (partners, categories ...) is left to Odoo: those change without emptying any cache."""
        domain = super(IrRule, self)._compute_domain(model_name, mode)
        if not domain:
            return domain
        model = self.env[model_name]
        resolved = []
        for leaf in domain:
            if (isinstance(leaf, (list, tuple)) and len(leaf) == 3 and leaf[1] == 'child_of'
                    and self._company_path(model, leaf[0])):
                ids = leaf[2] if isinstance(leaf[2], (list, tuple)) else [leaf[2]]
                if ids and all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
                    companies = self.env['res.company'].sudo().search([('id', 'child_of', list(ids))])
                    leaf = (leaf[0], 'in', companies.ids)
            resolved.append(leaf)
        return resolved

    @api.model
    def _company_path(self, model, path):
        """Whether ``path`` (``company_id``, ``lead_id.company_id``, ``id`` on res.company) names a company
        through many2one fields only: there Odoo's ``child_of`` means "in these companies or their
        subsidiaries", which is what the resolved list says."""
        names = path.split('.')
        for name in names[:-1]:
            field = model._fields.get(name)
            if not field or field.type != 'many2one':
                return False
            model = self.env[field.comodel_name]
        if names[-1] == 'id':
            return model._name == 'res.company'
        field = model._fields.get(names[-1])
        # a many2one of res.company to itself (parent_id) is the hierarchy's own field: there Odoo's child_of
        # means the records below, not the records whose value is below
        return (bool(field) and field.type == 'many2one' and field.comodel_name == 'res.company'
                and model._name != 'res.company')
