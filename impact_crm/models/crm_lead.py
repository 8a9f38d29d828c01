"""crm.lead extended by impact_crm, one class per concern, in this order.

Odoo builds the model from these classes in the order of this file: a class further down wraps the ones
above it, so its create/write runs first and calls theirs through super(). Where order matters:
- CrmLead's write is the one choke point of a stage change: every path that changes the stage ends in
  _write_stage, which calls _stage_changed once; CrmLead records the stage history there, then
  CrmLeadStageRules (the next class) fires the stage rules, so a rule's activity follows the change.
- The lost flow wraps the probability and stage logic, so that any path to 'lost' goes through it.
- The input guard is last and lists impact.input.guard first: values are type-checked (its create/write)
  before any other override reads them."""

import math
import re

from odoo import SUPERUSER_ID, _, api, fields, models, tools
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.tools.misc import format_date

from ..internal_flags import has_flag, internal_set, token, with_flags, with_internal_set
from ..sql_rules import (
    COUNTED_ORDER_WHERE, LEAD_INVOICE_SQL, QUARTER, WON_STAGE_KINDS, company_day_sql, is_counted_order, is_won,
    order_company_amount_sql, quarter_start, stage_is_won)
from .crm_stage import FORECAST_CATEGORIES
from .crm_stage_rule import FOLLOWED as RULE_FOLLOWERS

# the commands Odoo reads in the lines of an e-mail to a deal ("Set-Revenue: 5000", crm.lead.message_update)
MAIL_COMMANDS = {'revenue': 'planned_revenue', 'probability': 'probability'}


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
    # bookkeeping nobody reads while writing a deal: not loaded with every read of the deal's row (prefetch=False),
    # which each write does several times (forms and lists read them as any field)
    probability_manual_uid = fields.Many2one('res.users', string='Probability Set By', readonly=True, copy=False,
                                             prefetch=False)
    probability_manual_date = fields.Datetime(string='Probability Set On', readonly=True, copy=False,
                                              prefetch=False)
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
        vals = self._impact_team_defaults(vals)
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

    @api.model
    def _impact_team_defaults(self, vals):
        """The company and first stage of a new deal given a sales channel but neither of them: the channel's.
        Odoo takes both from the user who creates the deal (his company, the first stage of his own channel):
        the mail gateway creates the deals of every channel's alias as one user, so a deal e-mailed to another
        company's channel was created in the gateway user's company (out of sight of that channel, see the
        deals' company rule), and one e-mailed to another channel took the first stage of the gateway user's
        channel (refused when that stage is his channel's own). Not when the deal's salesperson is no member of
        the channel: Odoo then moves the deal to the salesperson's own channel (crm.lead._valid_team)."""
        if not vals.get('team_id'):
            return vals
        context = self.env.context
        team = self.env['crm.team'].sudo().browse(vals['team_id'])
        salesperson = vals['user_id'] if 'user_id' in vals else context.get('default_user_id', self.env.uid)
        if salesperson and salesperson not in team.member_ids.ids:
            return vals
        vals = dict(vals)
        if 'company_id' not in vals and 'default_company_id' not in context and team.company_id:
            vals['company_id'] = team.company_id.id
        if 'stage_id' not in vals and 'default_stage_id' not in context:
            stage = self._stage_find(team_id=team.id, domain=[('fold', '=', False)])
            if stage:
                vals['stage_id'] = stage.id
                # Odoo's default probability is its default stage's
                if 'probability' not in vals and 'default_probability' not in context:
                    vals['probability'] = stage.probability
        return vals

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
        # a probability Odoo's write adds itself is the new stage's default: no override to record
        given = 'probability' in vals and 'probability_is_manual' not in vals
        # an override written again unchanged (Odoo's conversion, an import, a mass edit of other deals) keeps
        # who set it and when
        unchanged = self._impact_unchanged_overrides(vals['probability']) if given else ()
        res = self._write_stage(vals)
        if given:
            # after a tracked write the whole cache is gone (see message_track): reload these deals only
            self.with_prefetch()._update_probability_override(vals, unchanged=unchanged)
        return res

    @api.multi
    def _impact_unchanged_overrides(self, probability):
        """The ids of the overridden deals whose probability ``probability`` leaves as it is."""
        if isinstance(probability, bool) or not isinstance(probability, (int, float)):
            return frozenset()
        return frozenset(lead.id for lead in self if lead.probability_is_manual
                         and abs(lead.probability - probability) <= 0.001)

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

    @api.model
    def recompute(self):
        """Odoo recomputes stored computed fields one field (one compute method) at a time, each with its own
        UPDATE of crm_lead: a stage change rewrote the deal's row five times (weighted revenue, day_close,
        stage group, its kind, forecast category), each UPDATE a new row version, index entries and a pass
        of the forecast's trigger. The deals' pending fields are computed together here, in Odoo's order
        (a field after the fields it depends on), and written by one UPDATE per distinct set of values;
        whatever the writes add to recompute, and the other models, Odoo's loop does next."""
        self._recompute_together()
        return super(CrmLead, self).recompute()

    @api.model
    def _recompute_together(self):
        todo = self.env.all.todo
        pending = [(field, recs) for field in todo if field.model_name == self._name for recs in todo[field]]
        if not pending:
            return
        sequence = self.pool.field_sequence
        pending.sort(key=lambda item: sequence(item[0]))
        # written in the environment (user, context) of the write that called this, else of the first field
        env = self.env if any(recs.env is self.env for _field, recs in pending) else pending[0][1].env
        own_ids = set(rec_id for _field, recs in pending if recs.env is env for rec_id in recs._ids)
        batches = []
        covered = set()
        for field, recs in pending:
            if (field, recs._ids) in covered:
                continue
            group = self._field_computed[field]
            if recs.env is not env:
                # computed as superuser (related fields): merged into the user's UPDATE only for records the
                # user's UPDATE writes anyway (so that nobody gets an access error Odoo would not give) and
                # fields without groups; the others are left to Odoo's loop
                if not (recs.env.uid == SUPERUSER_ID and recs.env.cr is env.cr and recs.env.context == env.context
                        and own_ids.issuperset(recs._ids) and not any(member.groups for member in group)):
                    continue
            covered.update((member, recs._ids) for member in group)
            batches.append((group, recs))
        if len(batches) < 2:
            return
        values = {}
        for group, recs in batches:
            names = [member.name for member in group if member.store]
            for rec in recs:
                try:
                    vals = dict((name, rec[name]) for name in names)
                except MissingError:
                    continue
                values.setdefault(rec.id, {}).update(rec.with_env(env)._convert_to_write(vals))
        updates = {}
        for rec_id, vals in values.items():
            updates.setdefault(tuple(sorted(vals.items())), []).append(rec_id)
        model = env[self._name]
        with env.norecompute():
            for items, ids in updates.items():
                vals = dict(items)
                target = model.browse(ids)
                try:
                    target._write(dict(vals))
                except MissingError:
                    target = target.exists()
                    target._write(dict(vals))
                # _write empties the cache of what it wrote: these values are what the rows now hold
                for rec in target:
                    rec._cache.update(rec._convert_to_cache(dict(vals), update=True, validate=False))
        for group, recs in batches:
            for member in group:
                recs._recompute_done(member)

    @api.multi
    def message_subscribe(self, partner_ids=None, channel_ids=None, subtype_ids=None, force=True):
        """Following a deal changes none of its tracked fields, yet Odoo's write of the followers reads every
        tracked field of the deals before and after, to find nothing to post (each activity created on a deal
        subscribes its assignee this way). Written without tracking.
        The stage rules subscribe the assignees of their activities to all the deals at once before creating
        them (crm.stage.rule._create_activities): the activity's own subscription of a pair they did is
        skipped (Odoo's would delete the follower just created and create it again)."""
        followed = internal_set(self, RULE_FOLLOWERS)
        if (followed and partner_ids and not channel_ids and subtype_ids is None and force
                and all((lead_id, partner_id) in followed for lead_id in self.ids for partner_id in partner_ids)):
            return True
        return super(CrmLead, self.with_context(mail_notrack=True)).message_subscribe(
            partner_ids=partner_ids, channel_ids=channel_ids, subtype_ids=subtype_ids, force=force)

    @api.multi
    def message_update(self, msg_dict, update_vals=None):
        """Odoo reads the lines "Set-Probability: 60" and "Set-Revenue: 5000" of an e-mail to a deal and writes
        their texts: refused by the deal's checks (numbers only), the whole e-mail was lost, a customer's reply
        too. They are a salesperson's commands: read here as numbers and written as the internal user who sent
        them (his override of the probability, within his rights); from anyone else, or when the deal refuses
        them, they stay in the message only."""
        commands = self._impact_mail_commands(msg_dict.get('body') or '')
        if commands is None:
            return super(CrmLead, self).message_update(msg_dict, update_vals=update_vals)
        # the message itself is posted from msg_dict, untouched
        res = super(CrmLead, self).message_update(dict(msg_dict, body=''), update_vals=update_vals)
        if not commands:
            return res
        sender = self.env['res.users'].sudo().search([('partner_id', '=', msg_dict.get('author_id') or 0),
                                                      ('share', '=', False)], limit=1)
        leads = self.sudo(sender) if sender else None
        if leads and leads.env.user.has_group('sales_team.group_sale_salesman'):
            try:
                with self.env.cr.savepoint():
                    leads.write(commands)
            except (AccessError, UserError, ValidationError):
                # what the savepoint undid may still be in the cache
                self.invalidate_cache()
        return res

    @api.model
    def _impact_mail_commands(self, body):
        """The values of Odoo's commands in the lines of ``body`` (see message_update) that are numbers in
        range; None when it holds no such command."""
        commands, found = {}, False
        for line in body.split('\n'):
            # without the markup around the text of the e-mail (a plain text e-mail's first line starts with <pre>)
            match = tools.command_re.match(re.sub(r'<[^>]*>', '', line).strip())
            field = match and MAIL_COMMANDS.get(match.group(1).lower())
            if not field:
                continue
            found = True
            text = re.sub(r'[%\s,]', '', match.group(2))
            try:
                value = float(text)
            except ValueError:
                continue
            if math.isfinite(value) and value >= 0 and (field != 'probability' or value <= 100):
                commands[field] = value
        return commands if found else None

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

    @api.constrains('user_id')
    def _valid_team(self):
        """Odoo's constraint puts a deal into its salesperson's default team when the salesperson is not a
        member of the deal's team, and writes that team even when the deal is already in it (the case of every
        deal of a salesperson who belongs to no team): a second write of each created or reassigned deal,
        with its tracking, recomputations and triggers, that changes nothing. Those deals are left out."""
        unchanged = self.browse()
        for lead in self.filtered('user_id'):
            values = lead.with_context(team_id=lead.team_id.id)._onchange_user_values(lead.user_id.id)
            team = values.get('team_id')
            if list(values) == ['team_id'] and (team.id if isinstance(team, models.BaseModel)
                                                else team or False) == lead.team_id.id:
                unchanged |= lead
        return super(CrmLead, self - unchanged)._valid_team()

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
    def _update_probability_override(self, vals, unchanged=()):
        """After ``vals['probability']`` was written: a value other than the stage default is a rep's
        override (who and when are kept); the stage default itself is no override. ``unchanged``: the ids of
        the deals already overridden with that value before the write, whose override keeps its author and date."""
        if vals.get('active') is False or has_flag(self, 'impact_probability_reset'):
            return
        overridden = self.filtered(lambda lead: lead.stage_id and lead.stage_group_kind != 'execution' and
                                   abs(lead.probability - lead.stage_id.probability) > 0.001)
        default = (self - overridden).filtered('probability_is_manual')
        overridden = overridden.filtered(lambda lead: lead.id not in unchanged or not lead.probability_is_manual)
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


# --------------------------------------------------------------------------------------------------
# Merging deals: Odoo deletes every merged deal but the one kept (as superuser), which would take their
# stage history, people and activities with them and leave their quotations and orders without a deal.
# --------------------------------------------------------------------------------------------------


class CrmLeadMerge(models.Model):
    _inherit = 'crm.lead'

    @api.multi
    def merge_opportunity(self, user_id=False, team_id=False):
        if len(self.ids) > 1:
            self._check_merge()
        head = super(CrmLeadMerge, with_flags(self, 'impact_merging')).merge_opportunity(
            user_id=user_id, team_id=team_id)
        return head.with_env(self.env)

    @api.multi
    def _check_merge(self):
        """A sales user may not delete deals: he merges duplicates that are still open (not won, in execution,
        closed, lost or archived) and hold no confirmed order; a sales manager merges any."""
        if self.check_access_rights('unlink', raise_exception=False):
            return
        kept = self.sudo().filtered(
            lambda lead: not lead.active or lead.lost_date or lead.stage_id.is_lost
            or (lead.stage_group_kind and lead.stage_group_kind != 'open')
            or any(order.fiscal_number for order in lead.order_ids))
        if kept:
            raise UserError(_("Merging deletes the merged deals but one: only a sales manager merges deals that "
                              "are won, in execution, closed, lost or archived, or hold a confirmed order.\n"
                              "Deals: %s") % ', '.join(kept.mapped('name')))

    @api.multi
    def _merge_data(self, fields):
        # Odoo keeps the deal of the furthest stage, a lost one (the Lost stage comes last) when the merged deals
        # include it (its lead conversion offers to merge with lost duplicates), and gives it the first probability
        # that is not 0, another deal's: the kept deal stays lost, at 0, until it is restored
        data = super(CrmLeadMerge, self)._merge_data(fields)
        head = self[:1]
        if 'probability' in data and head and head._is_lost_deal():
            data['probability'] = head.probability
        return data

    @api.multi
    def merge_dependences(self, opportunities):
        res = super(CrmLeadMerge, self).merge_dependences(opportunities)
        if has_flag(self, 'impact_merging'):
            self._merge_deal_records(opportunities)
        return res

    @api.multi
    def _merge_deal_records(self, opportunities):
        """Before ``opportunities`` are deleted, move onto this deal (the one the merge keeps) their quotations
        and orders (revisions and fiscal numbers unchanged), their people (but those already in this deal),
        their planned activities and their done ones. Their stage history and forecast log stay theirs: they
        go with them."""
        # imported here: at the top of this file it would load sale_order.py before models/__init__.py does,
        # and change the order in which Odoo stacks the add-on's classes of a model
        from .sale_order import numbering_guard
        self.ensure_one()
        orders = self.env['sale.order'].sudo().with_context(active_test=False).search(
            [('opportunity_id', 'in', opportunities.ids)])
        if orders:
            # earlier revisions and numbered orders are read-only to everyone: the move is the add-on's own
            with numbering_guard():
                orders.write({'opportunity_id': self.id})
        present = self.sudo().contact_ids.mapped('partner_id')
        people = opportunities.sudo().mapped('contact_ids').filtered(
            lambda contact: contact.partner_id not in present)
        seen = set()
        for contact in people:
            if contact.partner_id.id not in seen:
                seen.add(contact.partner_id.id)
                contact.write({'lead_id': self.id})
        # a person of several of the deals stays once, with the roles he holds in each (the other records go
        # with their deals)
        self.invalidate_cache(['contact_ids'])
        kept = dict((contact.partner_id.id, contact) for contact in self.sudo().contact_ids)
        for contact in self.env['crm.lead.contact'].sudo().search([('lead_id', 'in', opportunities.ids)]):
            missing = contact.role_ids - kept[contact.partner_id.id].role_ids
            if missing:
                kept[contact.partner_id.id].write({'role_ids': [(4, role.id) for role in missing]})
        opportunities.sudo().mapped('activity_log_ids').write({'lead_id': self.id})
        self.env['mail.activity'].sudo().search(
            [('res_model', '=', self._name), ('res_id', 'in', opportunities.ids)]).write({'res_id': self.id})


# --------------------------------------------------------------------------------------------------
# Execution and collection on the opportunity: what was ordered, invoiced, paid and is still due,
# the automatic move to Done, and the flag on deals whose orders were cancelled after winning.
# --------------------------------------------------------------------------------------------------


# The deals (ids twice) with their company currency and its rounding, the sum of ``amount`` over their counted
# orders (``where``) and ``foreign`` (an aggregate: whether one of those orders is in another currency than its
# company's).
AMOUNT_ORDERED_SQL = """
    SELECT l.id, rc_lead.currency_id, cur.rounding, o.amount, o.in_foreign
      FROM crm_lead l
      LEFT JOIN res_company rc_lead ON rc_lead.id = l.company_id
      LEFT JOIN res_currency cur ON cur.id = rc_lead.currency_id
      LEFT JOIN (
            SELECT so.opportunity_id AS lead_id, SUM({amount}) AS amount, {foreign} AS in_foreign
              FROM sale_order so
              JOIN product_pricelist pl ON pl.id = so.pricelist_id
              JOIN res_company rc ON rc.id = so.company_id
             WHERE so.opportunity_id IN %s AND {where}
             GROUP BY so.opportunity_id) o ON o.lead_id = l.id
     WHERE l.id IN %s"""


class CrmLeadExecution(models.Model):
    _inherit = 'crm.lead'

    amount_ordered = fields.Monetary(
        string='Ordered', compute='_compute_amount_ordered', store=True, currency_field='company_currency',
        help="Total of the confirmed orders (latest revision only), in the company currency.")
    amount_invoiced = fields.Monetary(
        string='Invoiced', compute='_compute_invoice_amounts', store=True, currency_field='company_currency',
        help="Validated customer invoices of the deal's orders minus their credit notes, in the company currency.")
    amount_paid = fields.Monetary(
        string='Paid', compute='_compute_invoice_amounts', store=True, currency_field='company_currency',
        help="Part of the invoiced amount that is paid (credit notes count against it).")
    amount_outstanding = fields.Monetary(
        string='Outstanding', compute='_compute_invoice_amounts', store=True, currency_field='company_currency',
        help="Invoiced and not paid yet.")
    execution_invoice_count = fields.Integer(string='Invoices', compute='_compute_execution_invoice_count')
    execution_order_count = fields.Integer(string='Confirmed Orders', compute='_compute_execution_invoice_count')
    orders_cancelled_after_win = fields.Boolean(
        string='Orders Cancelled After Winning', readonly=True, copy=False, track_visibility='onchange',
        help="An order of this won deal was cancelled: check the deal and move it yourself; "
             "it is never moved automatically while this flag is set.")

    # The orders' own fields that the ordered amount reads (state, is_latest_revision, amount_total) are not
    # declared here: ``sale.order.modified`` marks the orders' deals itself (EXECUTION_ORDER_FIELDS in
    # models/sale_order.py). Declared, they made Odoo search the deals of the orders (two statements) before
    # and after every write of an order's state, although each order names its deal.
    @api.depends('order_ids')
    def _compute_amount_ordered(self):
        ids = tuple(lead.id for lead in self if isinstance(lead.id, int))
        ordered = {}
        if ids:
            # with the deal's company currency and its rounding, which rounds the amount as it is set: not read
            # again by the ORM (the deal's company, then every column of the company's currency). The orders'
            # totals are summed as they are where every counted order is in its company's currency (nearly
            # always): PostgreSQL plans the query again in every request (Odoo resets each pooled connection
            # with DISCARD ALL), and the lookups of the currency rates were a third of that. The deals with an
            # order in another currency are summed again with the rates.
            self.env.cr.execute(AMOUNT_ORDERED_SQL.format(
                amount='so.amount_total', where=COUNTED_ORDER_WHERE,
                foreign='bool_or(pl.currency_id IS DISTINCT FROM rc.currency_id)'), (ids, ids))
            foreign = []
            for lead_id, currency_id, rounding, amount, in_foreign in self.env.cr.fetchall():
                self.browse(lead_id)._impact_cache_currency(currency_id, rounding)
                if in_foreign:
                    foreign.append(lead_id)
                elif amount is not None:
                    ordered[lead_id] = amount
            if foreign:
                self.env.cr.execute(AMOUNT_ORDERED_SQL.format(
                    amount=order_company_amount_sql(), where=COUNTED_ORDER_WHERE, foreign='TRUE'),
                    (tuple(foreign), tuple(foreign)))
                for lead_id, _currency_id, _rounding, amount, _in_foreign in self.env.cr.fetchall():
                    if amount is not None:
                        ordered[lead_id] = amount
        self._impact_read_new_currencies()
        for lead in self:
            lead.amount_ordered = ordered.get(lead.id, 0.0)

    # The invoices do not depend on the orders' state or revision (LEAD_INVOICE_SQL): a confirmation, a
    # cancellation or a revision recomputes the ordered amount alone.
    @api.depends('order_ids.order_line.invoice_lines.invoice_id.state',
                 'order_ids.order_line.invoice_lines.invoice_id.amount_total_company_signed',
                 'order_ids.order_line.invoice_lines.invoice_id.residual_company_signed',
                 'order_ids.order_line.invoice_lines.invoice_id.refund_invoice_ids.state',
                 'order_ids.order_line.invoice_lines.invoice_id.refund_invoice_ids.amount_total_company_signed',
                 'order_ids.order_line.invoice_lines.invoice_id.refund_invoice_ids.residual_company_signed')
    def _compute_invoice_amounts(self):
        ids = tuple(lead.id for lead in self if isinstance(lead.id, int))
        invoiced = {}
        if ids:
            self.env.cr.execute("""
                SELECT l.id, rc_lead.currency_id, i.total, i.residual
                  FROM crm_lead l
                  LEFT JOIN res_company rc_lead ON rc_lead.id = l.company_id
                  LEFT JOIN (
                        SELECT li.lead_id, SUM(inv.amount_total_company_signed) AS total,
                               SUM(inv.residual_company_signed) AS residual
                          FROM ({lead_invoice}) li
                          JOIN account_invoice inv ON inv.id = li.invoice_id
                         WHERE li.lead_id IN %s AND inv.type IN ('out_invoice', 'out_refund')
                           AND inv.state IN ('open', 'paid')
                         GROUP BY li.lead_id) i ON i.lead_id = l.id
                 WHERE l.id IN %s""".format(lead_invoice=LEAD_INVOICE_SQL), (ids, ids))
            for lead_id, currency_id, total, residual in self.env.cr.fetchall():
                self.browse(lead_id)._impact_cache_currency(currency_id)
                if total is not None:
                    invoiced[lead_id] = (total, residual)
        self._impact_read_new_currencies()
        for lead in self:
            total, residual = invoiced.get(lead.id, (0.0, 0.0))
            lead.amount_invoiced = total
            lead.amount_paid = total - residual
            lead.amount_outstanding = residual

    @api.multi
    def _impact_cache_currency(self, currency_id, rounding=None):
        """The deal's company currency into the cache, with its rounding when given (the rounding of the amounts
        as they are set and written needs nothing else of the currency)."""
        if 'company_currency' not in self._cache:
            self._cache.update(self._convert_to_cache({'company_currency': currency_id or False}, validate=False))
        if currency_id and rounding is not None:
            currency = self.env['res.currency'].browse(currency_id)
            if 'rounding' not in currency._cache:
                currency._cache.update(currency._convert_to_cache({'rounding': rounding}, validate=False))

    @api.multi
    def _impact_read_new_currencies(self):
        """The company currency of new records (of a form), read alone: not with every column of the deal and
        of its company."""
        self.filtered(lambda lead: not isinstance(lead.id, int)).with_context(
            prefetch_fields=False).mapped('company_currency')

    @api.model
    def _init_execution_amounts(self):
        """_compute_amount_ordered and _compute_invoice_amounts for every deal with orders or invoices, in two
        statements (install on a large database: the others hold zero)."""
        cr = self.env.cr
        cr.execute("""
            UPDATE crm_lead l SET amount_ordered = o.amount FROM (
                SELECT so.opportunity_id, SUM({amount}) AS amount
                  FROM sale_order so
                  JOIN product_pricelist pl ON pl.id = so.pricelist_id
                  JOIN res_company rc ON rc.id = so.company_id
                 WHERE so.opportunity_id IS NOT NULL AND {where}
                 GROUP BY so.opportunity_id) o
             WHERE o.opportunity_id = l.id""".format(amount=order_company_amount_sql(), where=COUNTED_ORDER_WHERE))
        cr.execute("""
            UPDATE crm_lead l SET amount_invoiced = i.total, amount_paid = i.total - i.residual,
                                  amount_outstanding = i.residual FROM (
                SELECT li.lead_id, SUM(inv.amount_total_company_signed) AS total,
                       SUM(inv.residual_company_signed) AS residual
                  FROM ({lead_invoice}) li
                  JOIN account_invoice inv ON inv.id = li.invoice_id
                 WHERE inv.type IN ('out_invoice', 'out_refund') AND inv.state IN ('open', 'paid')
                 GROUP BY li.lead_id) i
             WHERE i.lead_id = l.id""".format(lead_invoice=LEAD_INVOICE_SQL))
        self.invalidate_cache()

    @api.multi
    def _execution_orders(self):
        """The confirmed orders that count (latest revision, state sale/done)."""
        return self.mapped('order_ids').filtered(is_counted_order)

    @api.multi
    def _execution_invoices(self):
        return self.mapped('order_ids.invoice_ids').filtered(
            lambda i: i.type in ('out_invoice', 'out_refund') and i.state in ('open', 'paid'))

    @api.multi
    def _compute_execution_invoice_count(self):
        for lead in self:
            lead.execution_invoice_count = len(lead._execution_invoices())
            lead.execution_order_count = len(lead._execution_orders())

    @api.multi
    def action_view_execution_orders(self):
        self.ensure_one()
        action = self.env.ref('sale.action_orders').read()[0]
        action['domain'] = [('id', 'in', self._execution_orders().ids)]
        action['context'] = {'default_opportunity_id': self.id, 'default_partner_id': self.partner_id.id}
        return action

    @api.multi
    def action_view_execution_invoices(self):
        self.ensure_one()
        action = self.env.ref('account.action_invoice_tree1').read()[0]
        action['domain'] = [('id', 'in', self.mapped('order_ids.invoice_ids').ids)]
        action['context'] = {'create': False}
        return action

    @api.multi
    def _backdate_close(self, date_closed):
        """Demo data and imports of history: these deals were closed on ``date_closed`` (server side only: a
        private method, not callable over RPC)."""
        return with_flags(self, 'impact_internal_write').write({'date_closed': date_closed})

    @api.multi
    def action_clear_orders_cancelled(self):
        with_flags(self, 'impact_internal_write').write({'orders_cancelled_after_win': False})
        return True

    # -- automatic move to Done ------------------------------------------------------------------

    @api.multi
    def _is_fully_executed(self):
        """True when the deal's counted orders are all fully invoiced and every invoice of its
        orders is validated and paid (none left in draft or open)."""
        self.ensure_one()
        orders = self._execution_orders()
        if not orders or any(o.invoice_status not in ('invoiced', 'upselling') for o in orders):
            return False
        # invoice states, not the stored amounts: those may still wait for their recomputation here
        invoices = self.mapped('order_ids.invoice_ids').filtered(lambda i: i.state != 'cancel')
        return bool(invoices) and all(i.state == 'paid' for i in invoices)

    @api.multi
    def _impact_read_stage_groups(self):
        """The stage group of these deals into the cache where ``_check_auto_done`` reads it (as superuser,
        without prefetching the deals' other columns), by their ids: an order's confirmation reads it once its
        chatter message dropped the orders from the cache, and a query joining the orders cost PostgreSQL four
        times as much to plan, which it does at every request (Odoo resets each pooled connection with
        DISCARD ALL)."""
        leads = self.sudo().with_context(prefetch_fields=False)
        field = self._fields['stage_group_kind']
        missing = [lead_id for lead_id in leads.ids if field.name not in leads.browse(lead_id)._cache]
        if not missing:
            return
        if self.env.field_todo(field):
            # a stage group waiting for its recomputation: read through the ORM, which recomputes it
            leads.mapped('stage_group_kind')
            return
        self.env.cr.execute("SELECT id, stage_group_kind FROM crm_lead WHERE id IN %s", [tuple(missing)])
        for lead_id, kind in self.env.cr.fetchall():
            lead = leads.browse(lead_id)
            lead._cache.update(lead._convert_to_cache({field.name: kind}, validate=False))

    @api.multi
    def _check_auto_done(self):
        """Move the deals of an Execution stage that are fully invoiced and paid to the Done stage,
        when their company enables it. Written through ``write`` so that the stage history,
        ``_stage_changed`` and automated actions see the move like any other."""
        # the stage group first, read alone (every change of an order's state checks its deal, seldom in an
        # Execution stage): not every column of the deal
        executing = self.sudo().with_context(prefetch_fields=False).filtered(
            lambda lead: lead.stage_group_kind == 'execution')
        done_stage = executing and self.env.ref('impact_crm.stage_done', raise_if_not_found=False)
        if not done_stage:
            return self.browse()
        leads = self.sudo().browse(executing.ids).filtered(
            lambda lead: lead.active and lead.stage_id != done_stage
            and not lead.orders_cancelled_after_win
            and (lead.company_id or self.env.user.company_id).crm_auto_done)
        to_done = leads.filtered(lambda lead: lead._is_fully_executed())
        if to_done:
            to_done.write({'stage_id': done_stage.id})
        return to_done

    @api.multi
    def _flag_orders_cancelled(self, orders):
        """Flag won deals whose confirmed ``orders`` were just cancelled and give their rep a to-do."""
        won = self.sudo().filtered(lambda lead: is_won(lead, active=False))
        if not won:
            return won
        with_flags(won, 'impact_internal_write').write({'orders_cancelled_after_win': True})
        activity_type = self.env.ref('mail.mail_activity_data_todo', raise_if_not_found=False)
        model = self.env['ir.model'].sudo()._get('crm.lead')
        for lead in won:
            names = ', '.join(orders.filtered(lambda o: o.opportunity_id == lead).mapped('name'))
            # the chatter note in the language of the user cancelling; the to-do is the rep's, in the rep's language
            lead.message_post(body=_('Orders cancelled after winning: %s') % names)
            assignee = lead.user_id or self.env.user
            lead.with_context(lang=assignee.sudo().lang or self.env.lang)._impact_post_cancelled_todo(
                model, activity_type, assignee, names)
        return won

    @api.multi
    def _impact_post_cancelled_todo(self, model, activity_type, assignee, names):
        """The to-do of a won deal whose orders were cancelled (``self`` in the language of its assignee, which
        ``_`` reads from ``self``'s environment)."""
        self.ensure_one()
        return self.env['mail.activity'].sudo().create({
            'res_model_id': model.id,
            'res_id': self.id,
            'activity_type_id': activity_type.id if activity_type else False,
            'summary': _('Orders cancelled after winning: %s') % names,
            'note': _('This won deal is not moved automatically: check it and move it yourself.'),
            'user_id': assignee.id,
        })

    @api.multi
    def action_view_customer_history(self):
        self.ensure_one()
        if not self.partner_id:
            return False
        return self.partner_id.action_view_customer_history()


# --------------------------------------------------------------------------------------------------
# Forecast categories of the deals: the stage gives the default, a rep may override it on a deal
# (the choice survives stage changes until reset, with who and when), won deals are Closed and lost
# ones Omitted whatever anyone chose.
# --------------------------------------------------------------------------------------------------
# the rep's override and its who/when are recorded by setting forecast_category, never written by a
# client (import, RPC, mass edit), so that nobody can attribute a forecast call to someone else
OVERRIDE_FIELDS = ('forecast_category_manual', 'forecast_category_manual_uid', 'forecast_category_manual_date')


class CrmLeadForecast(models.Model):
    _inherit = 'crm.lead'

    forecast_category = fields.Selection(
        FORECAST_CATEGORIES, string='Forecast Category', compute='_compute_forecast_category', store=True,
        readonly=False, index=True, track_visibility='onchange',
        # the same in every context (Odoo caches computed fields per context by default): the chatter's
        # tracking, in the user's language, reads the value the write just computed instead of the row again
        context_dependent=False,
        help="Where the deal stands in the forecast call. Follows the stage unless a rep sets another one, "
             "which then stays through stage changes until reset. Won deals are Closed, lost ones Omitted.")
    forecast_category_manual = fields.Selection(
        FORECAST_CATEGORIES, string='Forecast Category Set by Rep', readonly=True, copy=False,
        help="The category a rep chose for this deal instead of its stage's; empty when it follows the stage.")
    forecast_category_manual_uid = fields.Many2one('res.users', string='Forecast Category Set By', readonly=True,
                                                   copy=False, prefetch=False)  # see probability_manual_uid
    forecast_category_manual_date = fields.Datetime(string='Forecast Category Set On', readonly=True, copy=False,
                                                    prefetch=False)

    @api.depends('stage_id.forecast_category', 'stage_id.group_id.kind', 'stage_id.is_lost', 'active',
                 'probability', 'forecast_category_manual')
    def _compute_forecast_category(self):
        for lead in self:
            lead.forecast_category = lead._forced_forecast_category() or lead.forecast_category_manual \
                or lead.stage_id.forecast_category or 'pipeline'

    @api.multi
    def _forced_forecast_category(self):
        """'omitted' for a lost deal, 'closed' for a won one, False for an open deal."""
        self.ensure_one()
        if self.stage_id.is_lost or (not self.active and not self.probability):
            return 'omitted'
        if self.stage_id.group_id.kind in WON_STAGE_KINDS:
            return 'closed'
        return False

    @api.model
    def _check_forecast_override_vals(self, vals, creating=False):
        """Refuse the override's bookkeeping sent by a caller (empty values on create are harmless)."""
        if has_flag(self, 'impact_internal_write'):
            return
        written = [fname for fname in OVERRIDE_FIELDS if fname in vals and (vals[fname] or not creating)]
        if written:
            raise UserError(_("%s: recorded when the Forecast Category of a deal is set; nobody can write it "
                              "directly.") % ', '.join(
                self._fields[fname].get_description(self.env)['string'] for fname in written))

    @api.model
    def create(self, vals):
        self._check_forecast_override_vals(vals, creating=True)
        category = vals.get('forecast_category')
        vals = dict((key, value) for key, value in vals.items() if key != 'forecast_category')
        lead = super(CrmLeadForecast, self).create(vals)
        if category:
            lead._set_forecast_category(category)
        return lead

    @api.multi
    def write(self, vals):
        self._check_forecast_override_vals(vals)
        if 'forecast_category' in vals:
            category = vals['forecast_category']
            vals = dict((key, value) for key, value in vals.items() if key != 'forecast_category')
            res = super(CrmLeadForecast, self).write(vals) if vals else True
            self._set_forecast_category(category)
            return res
        if vals.get('stage_id') and self.filtered('forecast_category_manual'):
            stage = self.env['crm.stage'].browse(vals['stage_id'])
            if stage_is_won(stage):
                # winning the deal ends the rep's choice, as it ends the probability override
                vals = dict(vals, forecast_category_manual=False, forecast_category_manual_uid=False,
                            forecast_category_manual_date=False)
        return super(CrmLeadForecast, self).write(vals)

    @api.multi
    def _set_forecast_category(self, category):
        """A rep (or an import) sets the category: another value than the stage's becomes the deal's override,
        the stage's own value ends it. Won and lost deals keep their category: setting another is refused."""
        if category and category not in dict(FORECAST_CATEGORIES):
            raise ValidationError(_("Unknown forecast category: %s") % category)
        for lead in self:
            forced = lead._forced_forecast_category()
            if forced:
                if category and category != forced:
                    raise ValidationError(_("'%s' is won or lost: its forecast category is always %s.")
                                          % (lead.name, dict(self._fields['forecast_category']._description_selection(
                                              self.env))[forced]))
                continue
            if category == 'closed' and lead.stage_id.forecast_category != 'closed':
                # Closed is what is won: an open deal put there would count in the forecast call as closed
                raise ValidationError(_("'%s' is open: only a won deal is in the Closed forecast category.")
                                      % lead.name)
            own = with_flags(lead, 'impact_internal_write')
            if not category or category == lead.stage_id.forecast_category:
                if lead.forecast_category_manual:
                    own.write({'forecast_category_manual': False, 'forecast_category_manual_uid': False,
                               'forecast_category_manual_date': False})
            elif category != lead.forecast_category_manual:
                own.write({'forecast_category_manual': category, 'forecast_category_manual_uid': self.env.uid,
                           'forecast_category_manual_date': fields.Datetime.now()})
        return True

    @api.multi
    def action_reset_forecast_category(self):
        """Back to the stage's category; stage changes move it again."""
        with_flags(self, 'impact_internal_write').write({
            'forecast_category_manual': False, 'forecast_category_manual_uid': False,
            'forecast_category_manual_date': False})
        return True


# --------------------------------------------------------------------------------------------------
# Revenue spread over the project: a deal's expected revenue dated month by month between its start and end
# dates (linear, by the days of each month), or by a schedule of instalments that sums to it, so that the forecast
# can be read by delivery period as well as by close period.
# --------------------------------------------------------------------------------------------------
SPREADS = [('end', 'At the End Date'), ('linear', 'Linear over the Project'), ('schedule', 'Instalment Schedule')]


# The first days of the months from a start to an end date, as a PL/pgSQL function declaring how many rows it
# returns (about a year): generate_series() called per deal is estimated at 1,000 rows, which makes PostgreSQL
# plan the forecast by delivery period a hundred times too big (and spend seconds JIT-compiling it).
MONTH_STARTS_FUNCTION = """
    CREATE OR REPLACE FUNCTION impact_crm_month_starts(date_from date, date_to date) RETURNS SETOF date
    LANGUAGE plpgsql IMMUTABLE STRICT ROWS 12 AS $$
    BEGIN
        RETURN QUERY SELECT d::date FROM generate_series(date_trunc('month', date_from), date_to::timestamp,
                                                         INTERVAL '1 month') AS d;
    END $$
"""


# (lead_id, date, share of the deal's revenue) for the deals whose revenue is spread; the shares of a deal sum
# to 1. Linear: each month of the project gets its days' share (a project of 15 January - 10 March has
# 17 + 28 + 10 = 55 days: January 17/55, ...). Schedule: each instalment's amount / the expected revenue.
SPREAD_SQL = """
    SELECT l.id AS lead_id, m.month::date AS date,
           (LEAST((m.month + INTERVAL '1 month')::date - 1, l.date_end) - GREATEST(m.month::date, l.date_start) + 1)
               ::numeric / (l.date_end - l.date_start + 1) AS share
      FROM crm_lead l
     CROSS JOIN LATERAL impact_crm_month_starts(l.date_start, l.date_end) AS m(month)
     WHERE l.revenue_spread = 'linear' AND l.date_start IS NOT NULL AND l.date_end IS NOT NULL
    UNION ALL
    SELECT i.lead_id, i.date, i.amount / l.planned_revenue::numeric AS share
      FROM crm_lead_instalment i
      JOIN crm_lead l ON l.id = i.lead_id
     WHERE l.revenue_spread = 'schedule' AND COALESCE(l.planned_revenue, 0) != 0
"""


class CrmLeadSpread(models.Model):
    _inherit = 'crm.lead'

    revenue_spread = fields.Selection(
        # not NOT NULL: rows inserted by SQL (imports by scripts, benchmarks) are simply not spread
        SPREADS, string='Revenue Spread', default='end', track_visibility='onchange',
        help="How the forecast by delivery period dates this deal's revenue: all at the end date, spread "
             "linearly over the months between the start and end dates (by their days), or by instalments "
             "that sum to the expected revenue.")
    instalment_ids = fields.One2many('crm.lead.instalment', 'lead_id', string='Instalments', copy=True)

    @api.model_cr
    def init(self):
        super(CrmLeadSpread, self).init()
        self.env.cr.execute(MONTH_STARTS_FUNCTION)

    @api.model
    def create(self, vals):
        if 'instalment_ids' in vals:
            lead = super(CrmLeadSpread, with_flags(self, 'impact_instalments_from_new_lead')).create(vals)
            return lead.with_env(self.env)
        return super(CrmLeadSpread, self).create(vals)

    @api.multi
    def write(self, vals):
        if 'instalment_ids' in vals:
            return super(CrmLeadSpread, with_internal_set(self, 'impact_instalments_from_lead', self.ids)).write(vals)
        return super(CrmLeadSpread, self).write(vals)

    @api.constrains('revenue_spread', 'planned_revenue', 'date_start', 'date_end', 'instalment_ids')
    def _check_revenue_spread(self):
        for lead in self:
            if lead.revenue_spread == 'linear' and not (lead.date_start and lead.date_end):
                raise ValidationError(_("'%s' is spread linearly over the project: give it a start and an end "
                                        "date.") % lead.name)
            if lead.revenue_spread == 'schedule':
                total = sum(lead.instalment_ids.mapped('amount'))
                currency = lead.company_currency or self.env.user.company_id.currency_id
                if not lead.instalment_ids or currency.compare_amounts(total, lead.planned_revenue or 0.0):
                    raise ValidationError(
                        _("The instalments of '%s' sum to %s, not to its expected revenue %s: correct the "
                          "instalments or the expected revenue.")
                        % (lead.name, currency.round(total), currency.round(lead.planned_revenue or 0.0)))

    @api.multi
    def _revenue_by_month(self):
        """{lead id: [(first day of the month as 'YYYY-MM-DD', amount)]} of the deals' expected revenue as the
        forecast by delivery period dates it (deals not spread: all in the month of their forecast date)."""
        result = dict((lead.id, []) for lead in self)
        if not self.ids:
            return result
        self.env.cr.execute("""
            SELECT l.id, date_trunc('month', COALESCE(s.date, l.date_end, l.date_deadline, {created}))::date,
                   SUM(COALESCE(l.planned_revenue, 0)::numeric * COALESCE(s.share, 1.0))
              FROM crm_lead l
              LEFT JOIN ({spread}) s ON s.lead_id = l.id
             WHERE l.id IN %s
             GROUP BY 1, 2 ORDER BY 1, 2""".format(
                spread=SPREAD_SQL, created=company_day_sql('l.create_date', company='l.company_id')),
            (tuple(self.ids),))
        for lead_id, month, amount in self.env.cr.fetchall():
            result[lead_id].append((fields.Date.to_string(month) if not isinstance(month, str) else month,
                                    float(amount)))
        return result


# --------------------------------------------------------------------------------------------------
# The lost flow of crm.lead: a deal is lost only with a reason (company setting), and the loss is
# recorded (stage and stage group lost at, amount, competitor) for the analysis. Restoring undoes it.
#
# --------------------------------------------------------------------------------------------------
# Marks the writes of the lost flow itself: an internal flag (see internal_flags), which a JSON-RPC
# client cannot put in its context, so the guards cannot be switched off from outside.
LOST_FLOW = token()


# recorded by the lost flow and the probability override only: never written by a client (import, RPC,
# mass edit), so that the loss analysis and the override's who/when cannot be falsified
BOOKKEEPING_FIELDS = ('lost_stage_id', 'lost_stage_group_id', 'lost_amount', 'lost_date',
                      'probability_is_manual', 'probability_manual_uid', 'probability_manual_date')


LOST_FIELDS = ('lost_stage_id', 'lost_stage_group_id', 'lost_amount', 'lost_date', 'lost_competitor_id',
               'lost_competitor_price', 'lost_note')


class CrmLeadLostFlow(models.Model):
    _inherit = 'crm.lead'

    lost_criterion_id = fields.Many2one(related='lost_reason.criterion_id', store=True, readonly=True,
                                        string='Loss Criterion', index=True)
    # prefetch=False: see probability_manual_uid
    lost_stage_id = fields.Many2one('crm.stage', string='Lost at Stage', readonly=True, copy=False,
                                    ondelete='set null', index=True, prefetch=False,
                                    help="The stage the deal was in when it was lost; restoring returns it there.")
    lost_stage_group_id = fields.Many2one('crm.stage.group', string='Lost at Stage Group', readonly=True,
                                          copy=False, ondelete='set null', prefetch=False)
    lost_amount = fields.Monetary(string='Lost Amount', currency_field='company_currency', readonly=True,
                                  copy=False, prefetch=False, help="The expected revenue of the deal when it was lost.")
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
    def _check_lost_reason_kept(self):
        """A lost deal keeps its loss reason when its company requires one: the loss analysis would count it
        under no reason. Another reason may replace it; restoring the deal clears it."""
        if has_flag(self, 'impact_internal_write'):
            return
        lost = self.filtered(lambda lead: (lead.lost_date or lead.stage_id.is_lost) and lead.lost_reason
                             and (lead.company_id or self.env.user.company_id).crm_lost_reason_required)
        if lost:
            raise UserError(_("A lost deal keeps its loss reason: choose another reason, or restore the deal."
                              "\nDeals: %s") % ', '.join(lost.mapped('name')))

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
    def _check_lost_stays(self, vals):
        """A lost deal stays where the lost flow put it (a Lost stage, probability 0) until it is restored: moved
        to another stage or given a probability while archived, it would be won (an Execution stage) or open and
        lost at once, counted by the stage history and the forecast's calibration and by the loss analysis.
        Restoring it (active, e.g. its Restore button) clears the loss and moves it back. A move into a Lost stage
        is left to the lost flow's own check (_write_checked)."""
        if has_flag(self, 'impact_internal_write'):
            return
        stage = self.env['crm.stage'].browse(vals['stage_id']) if vals.get('stage_id') else self.env['crm.stage']
        probability = vals.get('probability')
        numeric = isinstance(probability, (int, float)) and not isinstance(probability, bool)

        def moved(lead):
            if not lead._is_lost_deal():
                return False
            if 'stage_id' in vals and lead.stage_id != stage and not stage.is_lost:
                return True
            # a value of the wrong type is refused by the probability's own check
            return 'probability' in vals and (probability is False or numeric) \
                and abs((probability or 0.0) - lead.probability) > 0.001

        refused = self.filtered(moved)
        if refused:
            raise UserError(_("A lost deal stays in its Lost stage at probability 0 until it is restored: use "
                              "\"Restore\" (which clears the loss and brings it back to the stage it was lost "
                              "at), then move it.\nDeals: %s") % ', '.join(refused.mapped('name')))

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
        lead = super(CrmLeadLostFlow, self).create(vals)
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
            return super(CrmLeadLostFlow, self).write(vals)
        self._check_bookkeeping_vals(vals)
        if ('stage_id' in vals or 'probability' in vals) and not vals.get('active'):
            self._check_lost_stays(vals)
        if 'lost_reason' in vals and not vals['lost_reason'] and not vals.get('active'):
            self._check_lost_reason_kept()
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
                super(CrmLeadLostFlow, self).write(rest)
            return self.action_set_lost()
        # (a deal already lost may move to another Lost stage: it stays lost, e.g. before its stage is deleted)
        if lost_stage and any(lead.stage_id.id != vals['stage_id'] and not lead._is_lost_deal() for lead in self):
            raise UserError(_(
                "A deal enters the Lost stage only through \"Mark Lost\", which asks for the loss reason: "
                "use the \"Mark Lost\" button of the deal (or the action \"Mark as lost\" on the list) "
                "instead of moving it there."))
        if vals.get('active'):
            restoring = self.filtered(lambda lead: lead._is_lost_deal())
            if not restoring:
                return super(CrmLeadLostFlow, self).write(vals)
            # restored with a stage in the same write: straight into that stage, in one move (not through the
            # stage it was lost at first, whose rules would fire)
            stage = self.env['crm.stage'].browse(vals['stage_id']) if vals.get('stage_id') else None
            if self - restoring:
                super(CrmLeadLostFlow, self - restoring).write(vals)
            super(CrmLeadLostFlow, restoring).write(dict((key, value) for key, value in vals.items()
                                                         if key != 'stage_id'))
            restoring._restore_lost(stage=stage)
            return True
        return super(CrmLeadLostFlow, self).write(vals)

    @api.multi
    def _is_lost_deal(self):
        """Archived by the lost flow (or, before the add-on, archived in a Lost stage)."""
        self.ensure_one()
        return not self.active and bool(self.lost_date or self.stage_id.is_lost)

    @api.multi
    def _backdate_loss(self, lost_date):
        """Demo data and imports of history: these lost deals were lost on ``lost_date`` (server side only:
        a private method, not callable over RPC)."""
        return with_flags(self.filtered('lost_date'), 'impact_internal_write').write({'lost_date': lost_date})

    # ------------------------------------------------------------------
    # Restore
    # ------------------------------------------------------------------
    @api.multi
    def _restore_lost(self, stage=None):
        """Clear the loss of restored deals and return them to the stage they were lost from, or to ``stage``
        (through the normal write, so that the stage history records it), with a chatter note."""
        clear = dict((fname, False) for fname in LOST_FIELDS)
        clear['lost_reason'] = False
        targets = {}
        requested = stage
        for lead in self:
            stage = requested or lead.lost_stage_id
            if not stage or stage.is_lost:
                stage = lead._stage_find(domain=[('is_lost', '=', False), ('fold', '=', False)])
            body = _("Restored from lost (reason: %s, lost on %s, at stage %s): back to stage %s.") % (
                lead.lost_reason.name or _('none'), format_date(self.env, lead.lost_date) or _('unknown date'),
                lead.lost_stage_id.name or _('unknown'), stage.name or _('none'))
            lead.message_post(body=body, subtype='mail.mt_note')
            targets.setdefault(stage, []).append(lead.id)
        for stage, lead_ids in targets.items():
            vals = dict(clear)
            if stage:
                vals['stage_id'] = stage.id
            with_flags(self.browse(lead_ids), 'impact_internal_write').write(vals)
        return True


# --------------------------------------------------------------------------------------------------
# The forecast change log on the deal (the log's model is in crm_lead_forecast_change.py):
# one row per create/write that changes what the forecast depends on; slippage counters.
# --------------------------------------------------------------------------------------------------
# the fields of a deal the forecast depends on: a change of any of them is kept
TRACKED_FIELDS = ('stage_id', 'probability', 'planned_revenue', 'date_end', 'date_deadline', 'user_id',
                  'team_id', 'region_id', 'company_id', 'active', 'type')


DATE_FIELDS = ('date_end', 'date_deadline')


class CrmLeadForecastChange(models.Model):
    _inherit = 'crm.lead'

    forecast_change_ids = fields.One2many('crm.lead.forecast.change', 'lead_id', string='Forecast Changes',
                                          readonly=True)
    # prefetch=False: see probability_manual_uid
    forecast_date_first = fields.Date(string='First Committed Date', readonly=True, copy=False, prefetch=False,
                                      help="The first end date (else expected closing) this deal was given.")
    # 0 from the start: a new deal without dates already holds what its log says, so the slippage UPDATE after
    # its creation matches no row (no new row version of the deal)
    push_count = fields.Integer(string='Times Pushed', readonly=True, copy=False, index=True, prefetch=False, default=0,
                                help="How many times the end date (else expected closing) moved to a later month.")
    slip_days = fields.Integer(string='Days Slipped', readonly=True, copy=False, prefetch=False, default=0,
                               help="The days of every move of the end date (else expected closing) to a later "
                                    "date, added up.")
    date_push_reason = fields.Char(string='Reason for Pushing', compute='_compute_date_push_reason',
                                   inverse='_inverse_date_push_reason',
                                   help="Why the end date moves later: kept with the change. Required when the "
                                        "company asks for it (Settings: pushes of more than N days).")

    @api.multi
    def _compute_date_push_reason(self):
        for lead in self:
            lead.date_push_reason = False

    @api.multi
    def _inverse_date_push_reason(self):
        return  # written by write() into the change log, not kept on the deal

    @api.model
    def create(self, vals):
        reason = vals.get('date_push_reason')
        vals = dict((key, value) for key, value in vals.items() if key != 'date_push_reason')
        lead = super(CrmLeadForecastChange, self).create(vals)
        Change = self.env['crm.lead.forecast.change']
        Change._record(lead.ids, note=reason or None)
        Change._update_slippage(lead.ids)
        return lead

    @api.multi
    def write(self, vals):
        reason = vals.get('date_push_reason')
        if 'date_push_reason' in vals:
            vals = dict((key, value) for key, value in vals.items() if key != 'date_push_reason')
        dates = not set(vals).isdisjoint(DATE_FIELDS)
        if dates and not reason:
            self._check_push_reason(vals)
        res = super(CrmLeadForecastChange, self).write(vals)
        if self.ids and not set(vals).isdisjoint(TRACKED_FIELDS):
            Change = self.env['crm.lead.forecast.change']
            Change._record(self.ids, note=reason or None)
            if dates:
                Change._update_slippage(self.ids)
        return res

    @api.multi
    def _check_push_reason(self, vals):
        """The company may ask why an end date moves later by more than N days (0: never asks)."""
        pushed = []
        for lead in self:
            limit = (lead.company_id or self.env.user.company_id).forecast_push_reason_days
            if limit <= 0:
                continue
            old = lead.date_end or lead.date_deadline
            new = (vals['date_end'] if 'date_end' in vals else lead.date_end) or \
                (vals['date_deadline'] if 'date_deadline' in vals else lead.date_deadline)
            if old and new and (fields.Date.from_string(new) - fields.Date.from_string(old)).days > limit:
                pushed.append((lead, limit))
        if pushed:
            raise ValidationError(_(
                "Moving the end date later by more than %s days needs a reason (the field 'Reason for "
                "Pushing'): %s") % (pushed[0][1], ', '.join(lead.name for lead, _limit in pushed)))


# --------------------------------------------------------------------------------------------------
# What the pipeline kanban needs beyond Odoo's columns: the stage groups its stages belong to, with
# the totals of each group (static/src/js/pipeline_kanban.js draws them as bands above the columns).
# --------------------------------------------------------------------------------------------------


class CrmLeadKanban(models.Model):
    _inherit = 'crm.lead'

    @api.model
    def impact_stage_group_bands(self, domain=None, stage_ids=None):
        """The stage groups of the kanban's columns, in the kanban's order, with the expected and
        weighted revenue of the deals of ``domain`` in each (one read_group, the user's record rules
        apply), and the stages a card may not be dropped into (Lost: the lost dialog asks why).

        :returns: {'bands': [{'id', 'name', 'kind', 'fold', 'color', 'stage_ids', 'count', 'expected',
            'weighted'}], 'lost_stage_ids': [...], 'currency_id': the company currency}
        """
        Stage = self.env['crm.stage']
        if stage_ids and (not isinstance(stage_ids, (list, tuple)) or not all(
                isinstance(stage_id, int) and not isinstance(stage_id, bool) for stage_id in stage_ids)):
            raise UserError(_("%r is not a list of stage ids.") % (stage_ids,))
        stages = Stage.browse(stage_ids) if stage_ids else Stage.search([])
        stages = stages.exists()
        totals = {}
        if stages:
            for row in self.read_group(list(domain or []) + [('stage_id', 'in', stages.ids)],
                                       ['stage_id', 'planned_revenue', 'weighted_revenue'], ['stage_id']):
                totals[row['stage_id'][0]] = row
        bands = []
        by_group = {}
        for stage in stages.sorted(lambda s: (s.group_id.sequence, s.group_id.id, s.sequence, s.id)):
            group = stage.group_id
            band = by_group.get(group.id)
            if band is None:
                band = by_group[group.id] = {
                    'id': group.id, 'name': group.name or '', 'kind': group.kind or False, 'fold': group.fold,
                    'color': group.color, 'stage_ids': [], 'count': 0, 'expected': 0.0, 'weighted': 0.0}
                bands.append(band)
            band['stage_ids'].append(stage.id)
            row = totals.get(stage.id)
            if row:
                band['count'] += row['stage_id_count']
                band['expected'] += row['planned_revenue'] or 0.0
                band['weighted'] += row['weighted_revenue'] or 0.0
        return {
            'bands': bands,
            'lost_stage_ids': stages.filtered('is_lost').ids,
            'currency_id': self.env.user.company_id.currency_id.id,
        }


# --------------------------------------------------------------------------------------------------
# Input guard (impact_input_guard.py): the types and ranges of the values sent to create/write are
# checked before anything else runs, so this class stays last in the file.
# --------------------------------------------------------------------------------------------------


# The models whose values users type in or send through JSON-RPC.
class CrmLeadInputGuard(models.Model):
    _name = 'crm.lead'
    _inherit = ['impact.input.guard', 'crm.lead']

    # the closing date (Odoo sets it when a deal is won, and the quotas' attainment counts the deal in its
    # period), the execution's flag (cleared by its button) and the slippage counters (from the forecast log)
    _impact_kept_fields = ('date_closed', 'orders_cancelled_after_win', 'forecast_date_first', 'push_count',
                           'slip_days')

    @api.multi
    def write(self, vals):
        if any(getattr(self._fields.get(name), 'track_visibility', None) for name in vals):
            # A tracked change posts a message, and Odoo's message_post empties the whole ORM cache: every read
            # after it (and in the next write of a loop) would reload all the deals prefetched with these ones.
            # Written with their own prefetch, they reload themselves only.
            records = self.with_prefetch()
            if 'lang' not in records._context and not records._context.get('tracking_disable'):
                # Odoo's tracking reads the deals in the user's language (mail.thread.write); the overrides
                # below read them first without it. Computed fields are cached per context: each read would
                # load the whole row again. Read once, in the tracking's context; the others hit the cache.
                records.with_context(lang=records.env.user.lang).mapped('stage_id')
            return super(CrmLeadInputGuard, records).write(vals)
        return super(CrmLeadInputGuard, self).write(vals)
