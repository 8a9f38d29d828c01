from odoo import _, api, fields, models
from odoo.exceptions import UserError


class CrmLeadLost(models.TransientModel):
    """Odoo's lost wizard, made the lost flow: reason (required by the company setting), competitor
    (created on the fly), competitor price, note; for one deal or many (one reason for all, or per deal)."""
    _inherit = 'crm.lead.lost'

    lead_ids = fields.Many2many('crm.lead', string='Deals')
    lead_count = fields.Integer(compute='_compute_lead_count')
    reason_required = fields.Boolean(default=lambda self: self.env.user.company_id.crm_lost_reason_required,
                                     readonly=True)
    mode = fields.Selection([('all', 'One reason for all deals'), ('each', 'A reason per deal')],
                            string='Reasons', default='all', required=True)
    criterion_id = fields.Many2one('crm.lost.criterion', string='Criterion')
    competitor_id = fields.Many2one('res.partner', string='Lost to Competitor',
                                    domain=[('is_competitor', '=', True)])
    competitor_price = fields.Float(string='Competitor Price',
                                    help="The price of the competitor who won, if known.")
    note = fields.Text(string='Note')
    line_ids = fields.One2many('crm.lead.lost.line', 'wizard_id', string='Deals')

    @api.model
    def default_get(self, fields_list):
        res = super(CrmLeadLost, self).default_get(fields_list)
        context = self.env.context
        lead_ids = []
        if context.get('active_model', 'crm.lead') == 'crm.lead':
            lead_ids = context.get('active_ids') or (context.get('active_id') and [context['active_id']]) or []
        if not lead_ids and context.get('default_lead_id'):
            lead_ids = [context['default_lead_id']]
        if 'lead_ids' in fields_list:
            res['lead_ids'] = [(6, 0, lead_ids)]
        if 'line_ids' in fields_list and len(lead_ids) > 1:
            res['line_ids'] = [(0, 0, {'lead_id': lead_id}) for lead_id in lead_ids]
        return res

    @api.depends('lead_ids')
    def _compute_lead_count(self):
        for wizard in self:
            wizard.lead_count = len(wizard.lead_ids)

    @api.onchange('criterion_id')
    def _onchange_criterion_id(self):
        if self.criterion_id and self.lost_reason_id.criterion_id != self.criterion_id:
            self.lost_reason_id = False
        domain = self.criterion_id and [('criterion_id', '=', self.criterion_id.id)] or []
        return {'domain': {'lost_reason_id': domain}}

    @api.onchange('lost_reason_id')
    def _onchange_lost_reason_id(self):
        if self.lost_reason_id.criterion_id:
            self.criterion_id = self.lost_reason_id.criterion_id

    @api.multi
    def _get_leads(self):
        self.ensure_one()
        leads = self.lead_ids or self.line_ids.mapped('lead_id')
        if not leads:
            leads = self.env['crm.lead'].browse(self.env.context.get('active_ids') or [])
        if not leads:
            raise UserError(_("Select the deals to mark as lost."))
        return leads

    @api.multi
    def action_lost_reason_apply(self):
        self.ensure_one()
        leads = self._get_leads()
        required = self.env.user.company_id.crm_lost_reason_required
        if self.mode == 'each' and self.line_ids:
            missing = self.line_ids.filtered(lambda line: not line.lost_reason_id)
            if required and missing:
                raise UserError(_("Give a loss reason for every deal: missing for %s.")
                                % ', '.join(missing.mapped('lead_id.name')))
            reasons = dict((line.lead_id.id, line.lost_reason_id.id) for line in self.line_ids)
        else:
            if required and not self.lost_reason_id:
                raise UserError(_("Give the reason why the deal was lost."))
            reasons = dict((lead.id, self.lost_reason_id.id) for lead in leads)
        if self.competitor_id and not self.competitor_id.is_competitor:
            # a partner picked as the competitor who won becomes a competitor
            self.competitor_id.sudo().write({'is_competitor': True})
        common = {
            'lost_competitor_id': self.competitor_id.id,
            'lost_competitor_price': self.competitor_price,
            'lost_note': self.note,
        }
        by_reason = {}
        for lead in leads:
            by_reason.setdefault(reasons.get(lead.id) or False, []).append(lead.id)
        for reason_id, lead_ids in by_reason.items():
            self.env['crm.lead'].browse(lead_ids)._action_lose(dict(common, lost_reason=reason_id))
        return True


# --------------------------------------------------------------------------------------------------
# Input guard (impact_input_guard.py): the values sent to create/write are checked before anything else
# runs (an impossible date or a NaN would otherwise reach PostgreSQL as a raw error), so this class stays
# last in the file.
# --------------------------------------------------------------------------------------------------


class CrmLeadLostInputGuard(models.TransientModel):
    _name = 'crm.lead.lost'
    _inherit = ['impact.input.guard', 'crm.lead.lost']
