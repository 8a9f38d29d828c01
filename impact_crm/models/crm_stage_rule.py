from datetime import timedelta

from odoo import _, api, fields, models, tools
from odoo.addons.base.ir.ir_model import MODULE_UNINSTALL_FLAG
from odoo.exceptions import ValidationError

from ..internal_flags import has_flag, with_flags, with_internal_set
from .mail_activity import MAX_SLA_DAYS, RULE_GUARD, SLA_UNITS, check_sla_range
# the (deal id, partner id) pairs the rules subscribed before creating their activities (crm.lead.message_subscribe)
FOLLOWED = 'impact_rule_followers'
DEFAULT_WORKDAYS = (0, 1, 2, 3, 4)  # Mon-Fri, when the company has no working-time calendar


class CrmStageRule(models.Model):
    """When a deal enters a stage (optionally from a given stage), or when a quotation of it is sent,
    create an activity. Rules only create activities; they never change stages."""
    _name = 'crm.stage.rule'
    _description = 'Stage Automation Rule'
    _order = 'sequence, id'
    _rec_name = 'summary'

    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    trigger = fields.Selection([('stage', 'Deal enters the stage'), ('quotation_sent', 'A quotation is sent')],
                               string='When', required=True, default='stage')
    stage_id = fields.Many2one('crm.stage', string='To Stage', ondelete='cascade', index=True)
    from_stage_id = fields.Many2one('crm.stage', string='Coming From', ondelete='cascade',
                                    help="Only when the deal comes from this stage. Empty: from any stage.")
    activity_type_id = fields.Many2one('mail.activity.type', string='Activity Type', required=True,
                                       ondelete='restrict')
    summary = fields.Char(string='Summary', required=True, translate=True)
    note = fields.Html(string='Note', translate=True)
    assignee = fields.Selection([('salesperson', "Deal's Salesperson"), ('team_leader', 'Team Leader'),
                                 ('user', 'Named User')], string='Assign To', required=True, default='salesperson')
    # restrict: a deleted user would leave a rule for a named user without one, its tasks the superuser's
    user_id = fields.Many2one('res.users', string='User', ondelete='restrict')
    due_days = fields.Integer(string='Due After (days)', default=0,
                              help="Days after the change; 0 means the same day.")
    working_days = fields.Boolean(string='Working Days',
                                  help="Count working days of the company's working time (resource calendar); "
                                       "Monday to Friday when it has none.")
    sla_value = fields.Float(string='Time Standard')
    sla_unit = fields.Selection(SLA_UNITS, string='Time Standard Unit', default='hours', required=True)

    @api.constrains('trigger', 'stage_id', 'from_stage_id', 'assignee', 'user_id', 'due_days', 'sla_value',
                    'sla_unit')
    def _check_rule(self):
        for rule in self:
            if rule.trigger == 'stage' and not rule.stage_id:
                raise ValidationError(_("A stage rule needs the stage the deal enters."))
            if rule.from_stage_id and rule.from_stage_id == rule.stage_id:
                raise ValidationError(_("The stage a deal comes from must differ from the stage it enters."))
            if rule.assignee == 'user' and not rule.user_id:
                raise ValidationError(_("Choose the user the activity is assigned to."))
            if rule.due_days < 0 or rule.sla_value < 0:
                raise ValidationError(_("Days and time standards cannot be negative."))
            if rule.due_days > MAX_SLA_DAYS:
                raise ValidationError(_("An activity is due at most %s days after the change (%s given).")
                                      % (MAX_SLA_DAYS, rule.due_days))
            check_sla_range(self.env, rule.sla_value, rule.sla_unit)

    @api.model
    def _workdays(self, company):
        calendar = company.resource_calendar_id
        days = calendar and calendar._get_weekdays() or []
        return set(days) or set(DEFAULT_WORKDAYS)

    @api.multi
    def _due_date(self, start, company):
        """The due date ``due_days`` after ``start`` (a date), in working days if the rule says so: the
        result is then a working day (a rule due the same day on a day off is due the next working day)."""
        self.ensure_one()
        if not self.working_days:
            return start + timedelta(days=self.due_days)
        workdays = self._workdays(company)
        day = start
        while day.weekday() not in workdays:
            day += timedelta(days=1)
        remaining = self.due_days
        while remaining:
            day += timedelta(days=1)
            if day.weekday() in workdays:
                remaining -= 1
        return day

    @api.multi
    def _assignee_for(self, lead):
        """The rule's user, else the team leader, else the deal's salesperson, else the user who made the change
        (the deal's env; the rule's is the superuser's). An archived user counts as none: nobody would see a task
        given to him (a named user or team leader who left falls back on the salesperson)."""
        self.ensure_one()
        candidates = {'user': self.user_id, 'team_leader': lead.team_id.user_id}.get(self.assignee)
        for user in (candidates, lead.user_id):
            if user and user.sudo().active:
                return user
        return lead.env.user

    @api.model
    def _assignee_today(self, lead, assignee):
        """Today in the assignee's time zone (he is the one who does the task: a rep in Asia/Jerusalem whose deal
        is moved at 00:30 his time by a manager or a scheduled job in UTC is due on his day, not on theirs);
        in the time zone of whoever made the change when the assignee has none."""
        tz = assignee.sudo().tz
        record = lead.with_context(tz=tz) if tz else lead
        return fields.Date.from_string(fields.Date.context_today(record))

    @api.multi
    def _prepare_activity(self, lead, today=None):
        """:param today: the day the deal entered the stage (a date; today in the assignee's time zone when
        empty, see _assignee_today)"""
        self.ensure_one()
        company = lead.company_id or self.env.user.company_id
        assignee = self._assignee_for(lead)
        today = today or self._assignee_today(lead, assignee)
        # the task is the assignee's: its summary and note in his language, not in that of whoever moved the deal
        # (a manager working in English moving a Hebrew-speaking rep's deal)
        rule = self.with_context(lang=assignee.sudo().lang or self.env.lang)
        return {
            'res_model_id': self.env['ir.model']._get('crm.lead').id,
            'res_id': lead.id,
            'activity_type_id': self.activity_type_id.id,
            'summary': rule.summary,
            'note': rule.note,
            'user_id': assignee.id,
            'date_deadline': fields.Date.to_string(self._due_date(today, company)),
            'sla_value': self.sla_value,
            'sla_unit': self.sla_unit,
            'stage_rule_id': self.id,
        }

    @api.multi
    def _apply(self, leads, today=None):
        """Create the activities of rules ``self`` on ``leads`` (see _create_activities). ``today``: see
        _prepare_activity."""
        return self._create_activities([(rule, lead) for lead in leads for rule in self], today)

    @api.model
    def _create_activities(self, pairs, today):
        """The activities of the (rule, deal) ``pairs``, in their order, as superuser (automation acts for
        the company), with the recursion guard in the context.

        Odoo 11 creates activities one at a time, and each creation subscribes its assignee to the deal:
        a search of the follower, its deletion and re-creation (Odoo's subscription replaces it, with the
        default subtypes) and a write of the deal, per activity; every follower created empties the deal's
        cache. Here the values of every activity are prepared first (the deals read together), each
        assignee is subscribed once to all its deals by Odoo's own ``message_subscribe`` (the same
        followers with the same subtypes), then the activities are created through ``mail.activity.create``
        (defaults, access check, the assignee's notification) without subscribing again, and their stored
        fields are recomputed together at the end."""
        activities = self.env['mail.activity']
        if not pairs:
            return activities
        vals_list = [rule._prepare_activity(lead, today=today) for rule, lead in pairs]
        users = self.env['res.users'].sudo().browse(sorted(set(vals['user_id'] for vals in vals_list)))
        partner_of = dict((user.id, user.partner_id.id) for user in users)
        deals_of = {}
        for vals in vals_list:
            deals_of.setdefault(partner_of[vals['user_id']], set()).add(vals['res_id'])
        leads = self.env['crm.lead'].sudo()
        followed = set()
        for partner_id in sorted(deals_of):
            leads.browse(sorted(deals_of[partner_id])).message_subscribe(partner_ids=[partner_id])
            followed.update((lead_id, partner_id) for lead_id in deals_of[partner_id])
        model = with_internal_set(with_flags(self.env['mail.activity'].sudo(), RULE_GUARD), FOLLOWED, followed)
        with model.env.norecompute():
            for vals in vals_list:
                activities |= model.create(vals)
        model.recompute()
        return activities

    @api.model
    @tools.ormcache()
    def _stage_ids_with_rules(self):
        """The stages some active stage rule fires on: most stage changes go to a stage without rule, and
        skip the search of the rules. Cached per registry, emptied by any change of a rule (every worker
        sees it: Odoo signals the cleared cache to the others)."""
        self.env.cr.execute("SELECT DISTINCT stage_id FROM crm_stage_rule "
                            "WHERE active AND trigger = 'stage' AND stage_id IS NOT NULL")
        return frozenset(row[0] for row in self.env.cr.fetchall())

    @api.model
    def _clear_stage_cache(self):
        """Empty ``_stage_ids_with_rules`` now, for this transaction's own stage changes, and again once the
        change is committed: another request of the same process (a threaded server shares the cache) may
        fill it in between from the rules it could see, without the uncommitted change."""
        self.clear_caches()
        self.env.cr.after('commit', self.clear_caches)

    @api.model
    def create(self, vals):
        self._clear_stage_cache()
        return super(CrmStageRule, self).create(vals)

    @api.multi
    def write(self, vals):
        self._clear_stage_cache()
        return super(CrmStageRule, self).write(vals)

    @api.multi
    def _with_open_tasks(self):
        """The rules of ``self`` an open task was created by (read by SQL: every deal's, whoever asks)."""
        if not self.ids:
            return self
        self.env.cr.execute("SELECT DISTINCT stage_rule_id FROM mail_activity WHERE stage_rule_id IN %s",
                            (tuple(self.ids),))
        return self.browse([rule_id for rule_id, in self.env.cr.fetchall()])

    @api.multi
    def unlink(self):
        self._clear_stage_cache()
        if self.env.context.get(MODULE_UNINSTALL_FLAG):
            return super(CrmStageRule, self).unlink()
        # An open task keeps its rule: without it the task would become an ordinary activity, its time standard
        # free to change and its assignee free to delete it. Such a rule is archived (it fires no more), as a
        # role people hold is.
        kept = self._with_open_tasks()
        kept.write({'active': False})
        return super(CrmStageRule, self - kept).unlink()

    @api.model
    def _fire_stage_rules(self, leads, old_stages):
        if has_flag(self, RULE_GUARD) or not leads:
            return self.env['mail.activity']
        stage_ids = self._stage_ids_with_rules().intersection(leads.mapped('stage_id').ids)
        if not stage_ids:
            return self.env['mail.activity']
        rules = self.sudo().search([('trigger', '=', 'stage'), ('stage_id', 'in', sorted(stage_ids))])
        pairs = [(rule, lead) for lead in leads for rule in rules if rule.stage_id == lead.stage_id and
                 (not rule.from_stage_id or rule.from_stage_id == old_stages.get(lead.id))]
        return self._create_activities(self._without_open_tasks(pairs), None)

    @api.model
    def _without_open_tasks(self, pairs):
        """The (rule, deal) ``pairs`` whose deal has no open activity of that rule: a deal moved back and
        into the stage again keeps the task it has (its time standard running since the first move) rather
        than getting the same task twice. Read in SQL, past the record rules: the automation acts for the
        company, and a task is open until it is marked done (Odoo deletes it then)."""
        if not pairs:
            return pairs
        self.env.cr.execute(
            "SELECT stage_rule_id, res_id FROM mail_activity WHERE res_model = 'crm.lead' AND res_id IN %s "
            "AND stage_rule_id IN %s", (tuple(set(lead.id for _rule, lead in pairs)),
                                        tuple(set(rule.id for rule, _lead in pairs))))
        open_tasks = set(self.env.cr.fetchall())
        return [(rule, lead) for rule, lead in pairs if (rule.id, lead.id) not in open_tasks]

    @api.model
    def _fire_quotation_sent_rules(self, leads):
        if has_flag(self, RULE_GUARD) or not leads:
            return self.env['mail.activity']
        return self.sudo().search([('trigger', '=', 'quotation_sent')])._apply(leads)


class CrmStageRuleInputGuard(models.Model):
    _name = 'crm.stage.rule'
    _inherit = ['impact.input.guard', 'crm.stage.rule']
