from odoo import fields, models


class CrmLostReason(models.Model):
    _inherit = 'crm.lost.reason'
    _order = 'criterion_sequence, sequence, name, id'

    criterion_id = fields.Many2one('crm.lost.criterion', string='Criterion', ondelete='restrict', index=True,
                                   help="The category this reason is analysed under.")
    criterion_sequence = fields.Integer(related='criterion_id.sequence', store=True, readonly=True)
    sequence = fields.Integer(default=10)
