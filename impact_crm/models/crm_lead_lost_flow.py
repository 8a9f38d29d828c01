"""The lost flow of crm.lead: a deal is lost only with a reason (company setting), and the loss is
recorded (stage and stage group lost at, amount, competitor) for the analysis. Restoring undoes it.

Kept apart from crm_lead.py (several features extend crm.lead) to keep merges small."""
from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..internal_flags import has_flag, token, with_flags
from ..sql_rules import QUARTER, quarter_start

# Marks the writes of the lost flow itself: an internal flag (see internal_flags), which a JSON-RPC
# client cannot put in its context, so the guards cannot be switched off from outside.
LOST_FLOW = token()

# recorded by the lost flow and the probability override only: never written by a client (import, RPC,
# mass edit), so that the loss analysis and the override's who/when cannot be falsified
BOOKKEEPING_FIELDS = ('lost_stage_id', 'lost_stage_group_id', 'lost_amount', 'lost_date',
                      'probability_is_manual', 'probability_manual_uid', 'probability_manual_date')

LOST_FIELDS = ('lost_stage_id', 'lost_stage_group_id', 'lost_amount', 'lost_date', 'lost_competitor_id',
               'lost_competitor_price', 'lost_note')


class CrmLead(models.Model):
    _inherit = 'crm.lead'

    lost_criterion_id = fields.Many2one(related='lost_reason.criterion_id', store=True, readonly=True,
                                        string='Loss Criterion', index=True)
    lost_stage_id = fields.Many2one('crm.stage', string='Lost at Stage', readonly=True, copy=False,
                                    ondelete='set null', index=True,
                                    help="The stage the deal was in when it was lost; restoring returns it there.")
    lost_stage_group_id = fields.Many2one('crm.stage.group', string='Lost at Stage Group', readonly=True,
                                          copy=False, ondelete='set null')
    lost_amount = fields.Monetary(string='Lost Amount', currency_field='company_currency', readonly=True,
                                  copy=False, help="The expected revenue of the deal when it was lost.")
    lost_date = fields.Date(string='Lost on', readonly=True, copy=False, index=True)
    lost_competitor_id = fields.Many2one('res.partner', string='Lost to Competitor', copy=False,
                                         domain=[('is_competitor', '=', True)], ondelete='restrict',
                                         track_visibility='onchange')
    lost_competitor_price = fields.Monetary(string='Competitor Price', currency_field='company_currency',
                                            copy=False, track_visibility='onchange',
                                            help="The price of the competitor who won, if known.")
    lost_note = fields.Text(string='Loss Note', copy=False, track_visibility='onchange')
    competitor_ids = fields.Many2many('res.partner', 'crm_lead_competitor_rel', 'lead_id', 'partner_id',
                                      string='Competitors', domain=[('is_competitor', '=', True)],
                                      help="The competitors bidding for this deal (win/loss by competitor).")
    lost_this_quarter = fields.Boolean(compute='_compute_lost_this_quarter', search='_search_lost_this_quarter',
                                       string='Lost this Quarter')

    # ------------------------------------------------------------------
    # Lost this quarter
    # ------------------------------------------------------------------
    @api.model
    def _quarter_bounds(self, day=None):
        day = fields.Date.from_string(day or fields.Date.context_today(self))
        start = quarter_start(day)
        return fields.Date.to_string(start), fields.Date.to_string(start + QUARTER)

    @api.depends('lost_date')
    def _compute_lost_this_quarter(self):
        start, stop = self._quarter_bounds()
        for lead in self:
            lead.lost_this_quarter = bool(lead.lost_date) and start <= lead.lost_date < stop

    @api.model
    def _search_lost_this_quarter(self, operator, value):
        start, stop = self._quarter_bounds()
        domain = ['&', ('lost_date', '>=', start), ('lost_date', '<', stop)]
        if (operator == '=') != bool(value):
            domain = ['|', ('lost_date', '=', False), '|', ('lost_date', '<', start), ('lost_date', '>=', stop)]
        return domain

    # ------------------------------------------------------------------
    # The lost flow
    # ------------------------------------------------------------------
    @api.multi
    def _check_lost_reason(self, reason_id=None):
        """Refuse to lose deals without a reason when their company requires one."""
        missing = self.filtered(
            lambda lead: not (reason_id or lead.lost_reason)
            and (lead.company_id or self.env.user.company_id).crm_lost_reason_required)
        if missing:
            raise UserError(_(
                "A loss reason is required to mark a deal as lost. Use \"Mark Lost\" (or the action "
                "\"Mark as lost\" on the list), which asks for the reason.\nDeals without a reason: %s"
            ) % ', '.join(missing.mapped('name')))

    @api.multi
    def _lost_stages(self):
        """{lead id: the Lost stage of its sales channel (or the shared one), possibly empty}"""
        stages = self.env['crm.stage'].search([('is_lost', '=', True)])
        shared = stages.filtered(lambda stage: not stage.team_id)[:1]
        result = {}
        for lead in self:
            own = stages.filtered(lambda stage: lead.team_id and stage.team_id == lead.team_id)[:1]
            result[lead.id] = own or shared
        return result

    @api.multi
    def action_set_lost(self):
        """Lose the deals: reason checked, loss recorded, probability 0, archived, into the Lost stage.
        Whatever the caller (wizard, RPC, controller link, server action), a reason is required
        when the company says so."""
        return self._action_lose({})

    @api.multi
    def _action_lose(self, vals):
        """The lost flow. ``vals``: what the lost dialog gives for all of ``self`` (lost_reason,
        lost_competitor_id, lost_competitor_price, lost_note), written with the loss in one tracked
        write per target stage, so that each deal's chatter gets one message."""
        self._check_lost_reason(vals.get('lost_reason'))
        flow = with_flags(self, 'impact_lost_flow')
        today = fields.Date.context_today(self)
        competitor_id = vals.get('lost_competitor_id')
        # per deal: what it is worth and where it stands when lost (untracked: no chatter message)
        for lead in flow:
            snapshot = {'lost_date': today, 'lost_amount': lead.planned_revenue}
            if not lead.stage_id.is_lost:
                snapshot.update(lost_stage_id=lead.stage_id.id, lost_stage_group_id=lead.stage_id.group_id.id)
            competitor = competitor_id or lead.lost_competitor_id.id
            if competitor and competitor not in lead.competitor_ids.ids:
                snapshot['competitor_ids'] = [(4, competitor)]
            lead.write(snapshot)
        lost_stages = self._lost_stages()
        by_stage = {}
        for lead in flow:
            by_stage.setdefault(lost_stages[lead.id], []).append(lead.id)
        for stage, lead_ids in by_stage.items():
            lose = dict(vals, probability=0, active=False)
            if stage:
                lose['stage_id'] = stage.id
            # grouped per target stage: one write (and one stage change) per group
            flow.browse(lead_ids).write(lose)
        return True

    # ------------------------------------------------------------------
    # Guards: no path to lost without the flow
    # ------------------------------------------------------------------
    def _in_lost_flow(self):
        return has_flag(self, 'impact_lost_flow')

    @api.model
    def _check_bookkeeping_vals(self, vals, creating=False):
        """Refuse loss and override bookkeeping sent by a caller (empty values on create are harmless)."""
        if self._in_lost_flow() or has_flag(self, 'impact_internal_write'):
            return
        written = [fname for fname in BOOKKEEPING_FIELDS if fname in vals and (vals[fname] or not creating)]
        if written:
            raise UserError(_("%s: recorded by \"Mark Lost\" and by the probability override themselves; "
                              "nobody can write it.") % ', '.join(
                self._fields[fname].get_description(self.env)['string'] for fname in written))

    @api.multi
    def _lose_silent_losses(self):
        """Deals that end archived at probability 0 (Odoo's meaning of lost: its Lost filter shows them)
        without having gone through the lost flow: they go through it now, so a reason is required
        (the whole operation is refused without one) and the loss is recorded."""
        silent = self.filtered(lambda lead: lead.type == 'opportunity' and not lead.active
                               and not lead.probability and not lead.lost_date)
        if silent:
            silent._check_lost_reason()
            silent._action_lose({})

    @api.model
    def create(self, vals):
        self._check_bookkeeping_vals(vals, creating=True)
        lead = super(CrmLead, self).create(vals)
        if lead.stage_id.is_lost and not self._in_lost_flow():
            # e.g. an import of historical lost deals: allowed with a reason, recorded as lost
            lead._check_lost_reason()
            lead.action_set_lost()
        elif not self._in_lost_flow():
            lead._lose_silent_losses()
        return lead

    @api.multi
    def write(self, vals):
        if self._in_lost_flow():
            return super(CrmLead, self).write(vals)
        self._check_bookkeeping_vals(vals)
        if any(fname in vals for fname in ('active', 'probability', 'type')) and \
                not ('active' in vals and not vals['active'] and 'probability' in vals and not vals['probability']):
            res = self._write_checked(vals)
            self.exists()._lose_silent_losses()
            return res
        return self._write_checked(vals)

    @api.multi
    def _write_checked(self, vals):
        lost_stage = vals.get('stage_id') and self.env['crm.stage'].browse(vals['stage_id']).is_lost
        if 'active' in vals and not vals['active'] and 'probability' in vals and not vals['probability']:
            # Odoo's "lost" semantic written directly: route it through the flow
            rest = dict((key, value) for key, value in vals.items()
                        if key not in ('active', 'probability') and not (key == 'stage_id' and lost_stage))
            self._check_lost_reason(rest.get('lost_reason'))
            if rest:
                super(CrmLead, self).write(rest)
            return self.action_set_lost()
        if lost_stage and any(lead.stage_id.id != vals['stage_id'] for lead in self):
            raise UserError(_(
                "A deal enters the Lost stage only through \"Mark Lost\", which asks for the loss reason: "
                "use the \"Mark Lost\" button of the deal (or the action \"Mark as lost\" on the list) "
                "instead of moving it there."))
        if vals.get('active'):
            restoring = self.filtered(lambda lead: not lead.active and (lead.lost_date or lead.stage_id.is_lost))
            res = super(CrmLead, self).write(vals)
            if restoring:
                restoring._restore_lost()
            return res
        return super(CrmLead, self).write(vals)

    @api.multi
    def _backdate_loss(self, lost_date):
        """Demo data and imports of history: these lost deals were lost on ``lost_date`` (server side only:
        a private method, not callable over RPC)."""
        return with_flags(self.filtered('lost_date'), 'impact_internal_write').write({'lost_date': lost_date})

    # ------------------------------------------------------------------
    # Restore
    # ------------------------------------------------------------------
    @api.multi
    def _restore_lost(self):
        """Clear the loss of restored deals and return them to the stage they were lost from
        (through the normal write, so that the stage history records it), with a chatter note."""
        clear = dict((fname, False) for fname in LOST_FIELDS)
        clear['lost_reason'] = False
        targets = {}
        for lead in self:
            stage = lead.lost_stage_id
            if not stage or stage.is_lost:
                stage = lead._stage_find(domain=[('is_lost', '=', False), ('fold', '=', False)])
            body = _("Restored from lost (reason: %s, lost on %s, at stage %s): back to stage %s.") % (
                lead.lost_reason.name or _('none'), lead.lost_date or _('unknown date'),
                lead.lost_stage_id.name or _('unknown'), stage.name or _('none'))
            lead.message_post(body=body, subtype='mail.mt_note')
            targets.setdefault(stage, []).append(lead.id)
        for stage, lead_ids in targets.items():
            vals = dict(clear)
            if stage:
                vals['stage_id'] = stage.id
            with_flags(self.browse(lead_ids), 'impact_internal_write').write(vals)
        return True
