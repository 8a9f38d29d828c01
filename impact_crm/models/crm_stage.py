"""crm.stage extended by impact_crm: stage groups, probabilities, forecast categories, automation rules,
input guard (last, so it checks values first)."""

from odoo import _, api, fields, models
from odoo.addons.base.ir.ir_model import MODULE_UNINSTALL_FLAG
from odoo.exceptions import UserError, ValidationError


# The categories a sales manager reads a forecast call by, from the surest to the least sure; Omitted is
# what no longer counts (lost deals, and open deals a rep takes out of the forecast).
FORECAST_CATEGORIES = [('closed', 'Closed'), ('commit', 'Commit'), ('best_case', 'Best Case'),
                       ('pipeline', 'Pipeline'), ('omitted', 'Omitted')]

# crm.lead's stored columns that follow the stage, which the install sets by SQL (hooks.post_init_hook)
DEAL_COLUMNS_SET_AT_INSTALL = ('stage_group_id', 'stage_group_kind', 'forecast_category')


class CrmStage(models.Model):
    _inherit = 'crm.stage'
    _order = 'group_sequence, sequence, name, id'

    def _default_group_id(self):
        return self.env['crm.stage.group'].search([('kind', '=', 'open')], limit=1)

    # Required in the views and by _check_group_id, not as NOT NULL in the table: on install the
    # stages a database already has get their group from post_init_hook, after the column exists.
    group_id = fields.Many2one('crm.stage.group', string='Stage Group', ondelete='restrict',
                               index=True, default=_default_group_id,
                               help="Open, Execution or Closed: what entering this stage means for a deal.")
    group_kind = fields.Selection(related='group_id.kind', store=True, readonly=True, string='Group Kind')
    group_sequence = fields.Integer(compute='_compute_group_sequence', store=True, readonly=True)
    is_lost = fields.Boolean(string='Lost Stage',
                             help="Deals enter this stage only through the lost flow, which asks for a reason.")
    forecast_category = fields.Selection(
        FORECAST_CATEGORIES, string='Forecast Category', default='pipeline',
        help="The forecast category of the open deals of this stage, unless a rep sets another one on a deal. "
             "Won deals are always Closed and lost ones Omitted, whatever their stage says.")

    @api.constrains('group_id')
    def _check_group_id(self):
        if any(not stage.group_id for stage in self):
            raise ValidationError(_("Every stage belongs to a stage group."))

    @api.depends('group_id.sequence')
    def _compute_group_sequence(self):
        for stage in self:
            stage.group_sequence = stage.group_id.sequence

    @api.multi
    def action_apply_probability(self):
        """Re-apply this stage's default probability to its open deals that no rep has overridden."""
        for stage in self:
            leads = self.env['crm.lead'].search([
                ('stage_id', '=', stage.id), ('probability_is_manual', '=', False),
                ('probability', '!=', stage.probability)])
            if stage.group_kind != 'execution' and leads:
                leads.write({'probability': stage.probability})
        return True

    @api.multi
    def unlink(self):
        # crm.lead.stage_id is ondelete='set null': deleting a stage deals are in would empty their stage
        # behind the stage history's back (no record, no rule) and leave the history pointing nowhere. Moving
        # them first goes through the deals' write, which records it. Read by SQL: the stage counts for every
        # deal in it, archived or lost, of any company, also those the manager deleting it cannot see.
        # A stage only the history or the forecast changes refer to may go (its rows keep their dates and
        # amounts, without that stage): otherwise no stage ever used could be deleted, the add-on's own at
        # uninstall included.
        if self.ids:
            self.env.cr.execute("""SELECT stage_id, count(*) FROM crm_lead WHERE stage_id IN %s
                                   GROUP BY stage_id""", (tuple(self.ids),))
            counts = dict(self.env.cr.fetchall())
            for stage in self:
                if counts.get(stage.id) == 1:
                    # a sentence of its own for one deal: a translation words the singular its own way
                    raise UserError(_(
                        "The stage \"%(stage)s\" still holds 1 deal (perhaps an archived or lost one): move it to "
                        "another stage first, then delete the stage. Moving it is recorded in its stage history.")
                        % {'stage': stage.name})
                if counts.get(stage.id):
                    raise UserError(_(
                        "The stage \"%(stage)s\" still holds %(count)s deal(s), archived and lost ones included: "
                        "move them to another stage first, then delete the stage. Moving them is recorded in "
                        "their stage history.") % {'stage': stage.name, 'count': counts[stage.id]})
            # the database deletes a stage's rules with it, past their unlink: a rule with open tasks is kept
            rules = self.env['crm.stage.rule'].sudo().with_context(active_test=False).search(
                ['|', ('stage_id', 'in', self.ids), ('from_stage_id', 'in', self.ids)])
            busy = rules._with_open_tasks()[:1]
            if busy and not self.env.context.get(MODULE_UNINSTALL_FLAG):
                raise UserError(_(
                    "The automation rule \"%(rule)s\" of the stage \"%(stage)s\" has tasks still open, which stay "
                    "open until done: delete the stage once they are done.")
                    % {'rule': busy.summary, 'stage': (busy.stage_id & self or busy.from_stage_id).name})
        return super(CrmStage, self).unlink()

    @api.multi
    def write(self, vals):
        if not self._context.get('install_mode') or not self._impact_installing():
            return super(CrmStage, self).write(vals)
        # The add-on's data gives the stages a database already has their groups: the ORM would recompute the
        # columns of every deal in them one by one (minutes on a large database). post_init_hook sets them with
        # one statement each, right after the data.
        res = super(CrmStage, self.with_context(recompute=False)).write(vals)
        Lead = self.env['crm.lead']
        for fname in DEAL_COLUMNS_SET_AT_INSTALL:
            field = Lead._fields[fname]
            self.env.remove_todo(field, self.env.field_todo(field))
        if self.env.recompute and self._context.get('recompute', True):
            self.recompute()
        return res

    @api.model
    def _impact_installing(self):
        self.env.cr.execute("SELECT state FROM ir_module_module WHERE name = 'impact_crm'")
        row = self.env.cr.fetchone()
        return bool(row) and row[0] == 'to install'


# --------------------------------------------------------------------------------------------------
# The automation rules of a stage (the rule model is in crm_stage_rule.py).
# --------------------------------------------------------------------------------------------------


class CrmStageRuleLinks(models.Model):
    _inherit = 'crm.stage'

    rule_ids = fields.One2many('crm.stage.rule', 'stage_id', string='Automation',
                               domain=[('trigger', '=', 'stage')])


# --------------------------------------------------------------------------------------------------
# Input guard (impact_input_guard.py): the types and ranges of the values sent to create/write are
# checked before anything else runs, so this class stays last in the file.
# --------------------------------------------------------------------------------------------------


class CrmStageInputGuard(models.Model):
    _name = 'crm.stage'
    _inherit = ['impact.input.guard', 'crm.stage']
