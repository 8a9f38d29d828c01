from odoo import _, api, fields, models


class CrmLostCriterion(models.Model):
    """A category of loss reasons (price, needs, competition, ...): what the analysis groups losses by."""
    _name = 'crm.lost.criterion'
    _description = 'Loss Criterion'
    _order = 'sequence, name, id'

    name = fields.Char(string='Criterion', required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    reason_ids = fields.One2many('crm.lost.reason', 'criterion_id', string='Reasons')

    _sql_constraints = [
        ('name_uniq', 'unique (name)', "A loss criterion with this name already exists."),
    ]

    @api.multi
    def copy(self, default=None):
        # the name is unique: a duplicate gets its own
        default = dict(default or {})
        default.setdefault('name', _("%s (copy)") % self.name)
        return super(CrmLostCriterion, self).copy(default)


class CrmLostCriterionInputGuard(models.Model):
    _name = 'crm.lost.criterion'
    _inherit = ['impact.input.guard', 'crm.lost.criterion']
