from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..internal_flags import has_flag, with_flags


class CrmLead(models.Model):
    _inherit = 'crm.lead'

    stage_group_id = fields.Many2one(related='stage_id.group_id', store=True, readonly=True,
                                     string='Stage Group', index=True)
    stage_group_kind = fields.Selection(related='stage_id.group_id.kind', store=True, readonly=True,
                                        string='Stage Group Kind')
    date_start = fields.Date(string='Start Date', track_visibility='onchange',
                             help="Planned start of the project.")
    date_end = fields.Date(string='End Date', track_visibility='onchange',
                           help="Planned end of the project; the forecast dates the deal's revenue by it.")
    weighted_revenue = fields.Monetary(string='Weighted Revenue', compute='_compute_weighted_revenue', store=True,
                                       currency_field='company_currency',
                                       help="Expected revenue x probability / 100.")
    # probability override: a rep's value survives stage changes until reset
    probability_is_manual = fields.Boolean(string='Manual Probability', readonly=True, copy=False,
                                           help="A rep set this probability: stage changes keep it until it is "
                                                "reset to the stage default.")
    probability_manual_uid = fields.Many2one('res.users', string='Probability Set By', readonly=True, copy=False)
    probability_manual_date = fields.Datetime(string='Probability Set On', readonly=True, copy=False)
    stage_group_color = fields.Integer(related='stage_id.group_id.color', readonly=True, string='Stage Group Color')
    next_step = fields.Char(string='Next Step', size=120, track_visibility='onchange',
                            help="The next thing to do to move this deal forward.")
    quotation_amount_total = fields.Monetary(compute='_compute_sale_figures', string='Sum of Quotations',
                                             currency_field='company_currency',
                                             help="Untaxed total of the open quotations (latest revisions).")
    sale_order_count = fields.Integer(compute='_compute_sale_figures', string='Number of Orders',
                                      help="Confirmed orders of this opportunity.")
    stage_history_ids = fields.One2many('crm.lead.stage.history', 'lead_id', string='Stage History', readonly=True)
    stage_history_count = fields.Integer(compute='_compute_stage_history_count', string='Stage Changes')

    region_id = fields.Many2one('crm.region', string='Sales Region', index=True, track_visibility='onchange',
                                help="Defaulted from the customer's address; the forecast groups by it.")

    @api.onchange('partner_id')
    def _onchange_partner_id_region(self):
        if self.partner_id:
            region = self.env['crm.region']._find_for_partner(self.partner_id, self.company_id)
            if region:
                self.region_id = region

    @api.depends('planned_revenue', 'probability')
    def _compute_weighted_revenue(self):
        for lead in self:
            lead.weighted_revenue = (lead.planned_revenue or 0.0) * (lead.probability or 0.0) / 100.0

    @api.model
    def create(self, vals):
        if 'region_id' not in vals and vals.get('partner_id'):
            vals = dict(vals, region_id=self.env['crm.region']._find_for_partner(
                self.env['res.partner'].browse(vals['partner_id']),
                self.env['res.company'].browse(vals['company_id']) if vals.get('company_id') else None).id)
        self._check_probability_value(vals)
        if vals.get('stage_id') and 'probability' not in vals:
            # the default probability is the default stage's: a deal created in a given stage
            # (import, RPC, quotation) takes that stage's probability, as the form's onchange does
            vals = dict(vals, **self._onchange_stage_id_values(vals['stage_id']))
        lead = super(CrmLead, self).create(vals)
        if 'probability' in vals:
            lead._update_probability_override(vals)
        if lead.stage_id:
            lead._stage_changed({lead.id: self.env['crm.stage']})
        return lead

    @api.multi
    def write(self, vals):
        self._check_probability_value(vals)
        if vals.get('stage_id'):
            stage = self.env['crm.stage'].browse(vals['stage_id'])
            if stage.group_kind == 'execution':
                # entering an Execution stage wins the deal: 100 %, and the rep's override ends
                vals = dict(vals, probability=100.0, probability_is_manual=False,
                            probability_manual_uid=False, probability_manual_date=False)
            elif 'probability' not in vals and not has_flag(self, 'impact_keep_probability'):
                manual = self.filtered('probability_is_manual')
                if manual:
                    # overridden deals keep their probability; the others take the stage default
                    rest = self - manual
                    if rest:
                        rest.write(dict(vals))  # Odoo's write adds the stage probability to the dict it gets
                    return with_flags(manual, 'impact_keep_probability').write(dict(vals))
        res = self._write_stage(vals)
        if 'probability' in vals and 'probability_is_manual' not in vals:
            # after a tracked write the whole cache is gone (see message_track): reload these deals only
            self.with_prefetch()._update_probability_override(vals)
        return res

    @api.multi
    def _write_stage(self, vals):
        if 'stage_id' not in vals:
            return super(CrmLead, self).write(vals)
        old_stages = dict((lead.id, lead.stage_id) for lead in self)
        res = super(CrmLead, self).write(vals)
        changed = self.with_prefetch().filtered(lambda lead: lead.stage_id != old_stages[lead.id])
        if changed:
            changed._stage_changed(old_stages)
        return res

    @api.multi
    def message_track(self, tracked_fields, initial_values):
        """One deal at a time, each with its own prefetch. Odoo posts a message per deal, and posting empties
        the whole ORM cache (mail.message._notify invalidates its parent message's cache without ids): the next
        field read then reloads every deal prefetched with this one, i.e. the whole batch of a mass edit (or
        every deal a loop browsed) once per deal. Alone, the deal reloads one row. Same messages, same values
        (crm.lead has no tracking template, the only batch-level part of Odoo's method)."""
        if len(self) <= 1 and len(self._prefetch[self._name]) <= 1:
            return super(CrmLead, self).message_track(tracked_fields, initial_values)
        for lead in self:
            super(CrmLead, lead.with_prefetch()).message_track(tracked_fields, initial_values)
        return True

    @api.multi
    def _stage_changed(self, old_stages):
        """Called once for every create or write that puts ``self`` into a new stage,
        whatever the path (form, kanban, import, RPC, automated action, mass edit).

        :param old_stages: {lead id: the crm.stage it was in before (empty on create)}
        Extension point for the stage history, automation rules and the like.
        """
        self.env['crm.lead.stage.history']._record_stage_changes(self, old_stages)
        return True

    # ------------------------------------------------------------------
    # Probability override
    # ------------------------------------------------------------------
    @api.model
    def _check_probability_value(self, vals):
        probability = vals.get('probability')
        if probability is None or probability is False:
            return
        if isinstance(probability, bool) or not isinstance(probability, (int, float)):
            # a text ('50') too: Odoo's own crm.lead.write compares the value with numbers
            raise ValidationError(_("The probability must be a number between 0 and 100 (got %r).")
                                  % (probability,))
        if not 0.0 <= probability <= 100.0:
            raise ValidationError(_("The probability must be between 0 and 100 %% (got %s).") % probability)

    # the deal's own rules (the input guard checks only the types of the values)
    @api.constrains('planned_revenue')
    def _check_planned_revenue(self):
        if any(lead.planned_revenue < 0 for lead in self):
            raise ValidationError(_("The expected revenue of a deal cannot be negative."))

    @api.constrains('date_start', 'date_end')
    def _check_date_end(self):
        for lead in self:
            if lead.date_start and lead.date_end and lead.date_end < lead.date_start:
                raise ValidationError(_("The end date of a deal cannot be before its start date."))

    @api.constrains('stage_id', 'team_id')
    def _check_stage_team(self):
        for lead in self:
            if lead.stage_id.team_id and lead.stage_id.team_id != lead.team_id:
                raise ValidationError(_("The stage %s belongs to the sales channel %s, not to the deal's.") % (
                    lead.stage_id.name, lead.stage_id.team_id.name))

    @api.model
    def _onchange_stage_id_values(self, stage_id):
        values = super(CrmLead, self)._onchange_stage_id_values(stage_id)
        stage = self.env['crm.stage'].browse(stage_id) if stage_id else self.env['crm.stage']
        if stage.group_kind == 'execution':
            values['probability'] = 100.0
        elif has_flag(self, 'impact_keep_probability'):
            values.pop('probability', None)
        return values

    @api.onchange('stage_id')
    def _onchange_stage_id(self):
        if self.probability_is_manual and self.stage_id.group_kind != 'execution':
            return  # the rep's probability survives the stage change
        return super(CrmLead, self)._onchange_stage_id()

    @api.multi
    def _update_probability_override(self, vals):
        """After ``vals['probability']`` was written: a value other than the stage default is a rep's
        override (who and when are kept); the stage default itself is no override."""
        if vals.get('active') is False or has_flag(self, 'impact_probability_reset'):
            return
        overridden = self.filtered(lambda lead: lead.stage_id and lead.stage_group_kind != 'execution' and
                                   abs(lead.probability - lead.stage_id.probability) > 0.001)
        default = (self - overridden).filtered('probability_is_manual')
        if overridden:
            super(CrmLead, overridden).write({
                'probability_is_manual': True,
                'probability_manual_uid': self.env.uid,
                'probability_manual_date': fields.Datetime.now(),
            })
        if default:
            super(CrmLead, default).write({
                'probability_is_manual': False, 'probability_manual_uid': False, 'probability_manual_date': False})

    @api.multi
    def action_reset_probability(self):
        """One click: back to the probability of the deal's stage; stage changes move it again."""
        for stage in self.mapped('stage_id'):
            leads = self.filtered(lambda lead: lead.stage_id == stage)
            with_flags(leads, 'impact_probability_reset', 'impact_internal_write').write({
                'probability': 100.0 if stage.group_kind == 'execution' else stage.probability,
                'probability_is_manual': False,
                'probability_manual_uid': False,
                'probability_manual_date': False,
            })
        return True

    # ------------------------------------------------------------------
    # Stage history
    # ------------------------------------------------------------------
    @api.multi
    def _compute_stage_history_count(self):
        data = self.env['crm.lead.stage.history'].read_group(
            [('lead_id', 'in', self.ids)], ['lead_id'], ['lead_id'])
        counts = dict((row['lead_id'][0], row['lead_id_count']) for row in data)
        for lead in self:
            lead.stage_history_count = counts.get(lead.id, 0)

    @api.multi
    def action_view_stage_history(self):
        self.ensure_one()
        action = self.env.ref('impact_crm.crm_lead_stage_history_action').read()[0]
        action['domain'] = [('lead_id', '=', self.id)]
        action['context'] = {'default_lead_id': self.id}
        return action

    # ------------------------------------------------------------------
    # Lead -> opportunity -> quote
    # ------------------------------------------------------------------
    @api.multi
    def action_new_quotation(self):
        """'New Quotation' on a lead: convert it as Odoo's conversion wizard does (linking the matching
        customer, or creating one from the lead), then open a new quotation linked to the opportunity."""
        self.ensure_one()
        if self.type == 'lead':
            wizard_model = self.env['crm.lead2opportunity.partner'].with_context(
                active_model='crm.lead', active_id=self.id, active_ids=self.ids)
            wizard_model.view_init([])
            values = wizard_model.default_get(['action', 'partner_id', 'user_id', 'team_id'])
            if values.get('action') == 'nothing' and not self.partner_name:
                raise ValidationError(_("A quotation needs a customer: give the lead a contact or company "
                                        "name, or a customer, first."))
            if values.get('action') == 'nothing':
                values['action'] = 'create'
            values['name'] = 'convert'  # this lead becomes the opportunity; no merge behind the rep's back
            wizard_model.create(values).action_apply()
        action = self.env.ref('sale_crm.sale_action_quotations_new').read()[0]
        action['domain'] = [('opportunity_id', '=', self.id)]
        action['context'] = {
            'search_default_opportunity_id': self.id,
            'default_opportunity_id': self.id,
            'search_default_partner_id': self.partner_id.id,
            'default_partner_id': self.partner_id.id,
            'default_team_id': self.team_id.id,
            'default_campaign_id': self.campaign_id.id,
            'default_medium_id': self.medium_id.id,
            'default_source_id': self.source_id.id,
        }
        return action

    # ------------------------------------------------------------------
    # Quotes and orders of the opportunity (sale_crm gives sale_number and sale_amount_total)
    # ------------------------------------------------------------------
    @api.multi
    def _compute_sale_figures(self):
        quoted = dict((lead.id, 0.0) for lead in self)
        orders = dict((lead.id, 0) for lead in self)
        if self.ids:
            rows = self.env['sale.order'].read_group(
                [('opportunity_id', 'in', self.ids), ('state', 'not in', ('cancel',))],
                ['opportunity_id', 'pricelist_id', 'state', 'amount_untaxed', 'is_latest_revision'],
                ['opportunity_id', 'pricelist_id', 'state', 'is_latest_revision'], lazy=False)
            Pricelist = self.env['product.pricelist']
            for row in rows:
                lead_id = row['opportunity_id'][0]
                if row['state'] in ('draft', 'sent'):
                    if row['is_latest_revision']:
                        lead = self.browse(lead_id)
                        pricelist = Pricelist.browse(row['pricelist_id'][0]) if row['pricelist_id'] else Pricelist
                        currency = pricelist.currency_id
                        target = lead.company_currency or self.env.user.company_id.currency_id
                        amount = row['amount_untaxed'] or 0.0
                        quoted[lead_id] += currency.compute(amount, target) if currency else amount
                else:
                    orders[lead_id] += row['__count']
        for lead in self:
            lead.quotation_amount_total = quoted.get(lead.id, 0.0)
            lead.sale_order_count = orders.get(lead.id, 0)


class CrmLeadStageRules(models.Model):
    """A stage change fires the stage's automation rules (crm.stage.rule: tasks with an SLA). After the
    change is recorded in the stage history (``super()``, the class above), so that a rule's activity comes
    after the change it follows."""
    _inherit = 'crm.lead'

    @api.multi
    def _stage_changed(self, old_stages):
        res = super(CrmLeadStageRules, self)._stage_changed(old_stages)
        self.env['crm.stage.rule']._fire_stage_rules(self, old_stages)
        return res


class CrmLeadPeople(models.Model):
    """The people of a deal with their roles, and its done activities."""
    _inherit = 'crm.lead'

    contact_ids = fields.One2many('crm.lead.contact', 'lead_id', string='People', copy=True)
    activity_log_ids = fields.One2many('crm.activity.log', 'lead_id', string='Done Activities')

    @api.multi
    def action_log_activity_done(self):
        """Open the wizard that records a call/meeting that already happened."""
        self.ensure_one()
        action = self.env.ref('impact_crm.crm_activity_log_wizard_action').read()[0]
        action['context'] = {'default_lead_id': self.id}
        return action
