
from odoo import api, fields, models

from ..internal_flags import with_flags


class CrmStageGroup(models.Model):
    """A group of pipeline stages: Open, Execution, Closed.

    The group's ``kind`` gives its stages their meaning: entering an Execution stage
    wins the deal, a Closed stage ends it (done, or lost through the lost flow).
    """
    _name = 'crm.stage.group'
    _description = 'Stage Group'
    _order = 'sequence, id'

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10, help="Groups, and with them their stages, are ordered by this number.")
    fold = fields.Boolean(string='Folded in Pipeline',
                          help="Stages of this group are folded in the pipeline kanban.")
    kind = fields.Selection([
        ('open', 'Open'),
        ('execution', 'Execution'),
        ('closed', 'Closed'),
    ], required=True, default='open',
        help="Open: the deal is being negotiated. Execution: the deal is won and being delivered. "
             "Closed: the deal is done or lost.")
    color = fields.Integer(string='Color Index', help="Colour of the cards of this group's stages in the pipeline.")
    stage_ids = fields.One2many('crm.stage', 'group_id', string='Stages')
    stage_count = fields.Integer(compute='_compute_stage_count', string='Number of Stages')

    @api.depends('stage_ids')
    def _compute_stage_count(self):
        counts = dict((row['group_id'][0], row['group_id_count']) for row in self.env['crm.stage'].read_group(
            [('group_id', 'in', self.ids)], ['group_id'], ['group_id']))
        for group in self:
            group.stage_count = counts.get(group.id, 0)

    @api.multi
    def write(self, vals):
        res = super(CrmStageGroup, self).write(vals)
        if 'sequence' in vals:
            # stages are ordered by their group first: keep the stored copy in step (a field nobody else writes)
            with_flags(self.mapped('stage_ids'), 'impact_internal_write')._compute_group_sequence()
        return res


# --------------------------------------------------------------------------------------------------
# Input guard (impact_input_guard.py): the types and ranges of the values sent to create/write are
# checked before anything else runs, so this class stays last in the file.
# --------------------------------------------------------------------------------------------------


class CrmStageGroupInputGuard(models.Model):
    _name = 'crm.stage.group'
    _inherit = ['impact.input.guard', 'crm.stage.group']
