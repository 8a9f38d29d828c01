from datetime import timedelta

from odoo import _, api, fields, models, tools
from odoo.exceptions import UserError, ValidationError
from odoo.osv import expression

from ..internal_flags import has_flag, with_flags

SLA_UNITS = [('hours', 'Hours'), ('days', 'Days')]
# internal flag raised while the stage rules run (see crm_stage_rule.py): a stage change made meanwhile (by another
# automation) fires no rule, and the activities they create are theirs
RULE_GUARD = 'impact_stage_rule_running'
# the longest time standard (and a rule's longest delay): ten years, far within the dates Python can compute
MAX_SLA_DAYS = 3650
# internal flag raised by action_feedback: Odoo deletes the activity it marks done, a rule's one too
DONE_FLAG = 'impact_activity_done'
# what a rule's activity is measured by in the SLA report: a rep changing them would hide his lateness
RULE_FIELDS = ('sla_value', 'sla_unit', 'sla_deadline', 'stage_rule_id')
# whose and on what a rule's activity is: a rep handing it to a colleague would put his lateness on the colleague,
# moving it to another document would take it off its deal and out of the SLA report
RULE_TARGET_FIELDS = ('user_id', 'res_model_id', 'res_model', 'res_id')
# on any activity: the deadline follows the time standard, the rule link is made by the rules' own code
COMPUTED_FIELDS = ('sla_deadline', 'stage_rule_id')


def sla_delta(value, unit):
    """The time standard as a timedelta (days are calendar days of 24 hours)."""
    return timedelta(hours=value) if unit == 'hours' else timedelta(days=value)


def check_sla_range(env, value, unit):
    """Refuse a time standard that is negative or longer than MAX_SLA_DAYS (its deadline could not be computed).
    ``value``: a number, or a text the input guard found to be one. ``env``: the message's language (``_``
    reads it from the caller's frame: a function has no ``self`` to read it from)."""
    value = float(value or 0.0)
    days = value / 24.0 if unit != 'days' else value
    if days < 0 or days > MAX_SLA_DAYS:
        context, cr = env.context, env.cr  # noqa: F841 (the user's language and the cursor, read by _())
        units = dict(env['mail.activity']._fields['sla_unit']._description_selection(env))
        raise ValidationError(_("The time standard must be between 0 and %s days (%s %s given).")
                              % (MAX_SLA_DAYS, value, units.get(unit, unit)))


def is_sales_manager(env):
    """A sales manager, or the superuser (the rules and Odoo's own clean-ups run as superuser)."""
    return env.user._is_superuser() or env.user.has_group('sales_team.group_sale_manager')


def check_reader_search(env, operator, value):
    """The search of a record rule by who may read a document is ``('...reader_uid', '=', user.id)``: Odoo
    applies record rules as superuser, so the user comes as the value searched. A search a client sends
    otherwise is refused."""
    if operator != '=' or not isinstance(value, int) or isinstance(value, bool):
        context, cr = env.context, env.cr  # noqa: F841 (the user's language and the cursor, read by _())
        raise UserError(_("A search by the user who may read the document takes '=' and a user id, not %s %r.")
                        % (operator, value))


def reader_of_search(env, operator, value):
    """The user named by such a search (check_reader_search); an id that is no user's gives an empty user (who
    reads nothing)."""
    check_reader_search(env, operator, value)
    return env['res.users'].sudo().browse(value).exists()


def readable_record_sql(env, model_name, user, correlated):
    """(SQL, parameters) of a sub-select of the record of ``model_name`` whose id is ``correlated`` (an SQL
    expression of the outer query's row) when ``user`` may read it (access rights and record rules, archived
    records too), or None when he may read no record of the model."""
    Model = env[model_name].sudo(user.id).with_context(active_test=False)
    if not Model.check_access_rights('read', raise_exception=False):
        return None
    query = Model._where_calc([], active_test=False)
    Model._apply_ir_rules(query, 'read')
    from_clause, where_clause, params = query.get_sql()
    where = ' AND '.join(['"%s".id = %s' % (Model._table, correlated)] + ([where_clause] if where_clause else []))
    return 'SELECT "%s".id FROM %s WHERE %s' % (Model._table, from_clause, where), params


class MailActivity(models.Model):
    _inherit = 'mail.activity'

    contact_ids = fields.Many2many('res.partner', 'mail_activity_contact_rel', 'activity_id', 'partner_id',
                                   string='Project Contacts',
                                   help="People of the opportunity this activity involves.")
    allowed_contact_ids = fields.Many2many('res.partner', compute='_compute_allowed_contact_ids',
                                           string='Allowed Contacts')
    stage_rule_id = fields.Many2one('crm.stage.rule', string='Automation Rule', readonly=True, ondelete='set null',
                                    help="The automation rule that created this activity.")
    sla_value = fields.Float(string='Time Standard', help="Time allowed to do the activity, counted from its "
                                                          "creation (SLA).")
    sla_unit = fields.Selection(SLA_UNITS, string='Time Standard Unit', default='hours')
    sla_deadline = fields.Datetime(string='SLA Deadline', readonly=True, index=True,
                                   help="Creation time + time standard. Past it, the open activity is late.")
    sla_late = fields.Boolean(string='SLA Late', compute='_compute_sla_late', search='_search_sla_late',
                              help="Still open after its SLA deadline.")
    # Searched by the record rule on the activities of deals (security/crm_deal_data_security.xml) with a user's
    # id: the activities whose deal that user may read. Odoo applies record rules as superuser, so the user
    # comes as the value searched. Read, it is empty.
    lead_reader_uid = fields.Integer(string='Deal Readable By', compute='_compute_lead_reader_uid',
                                     search='_search_lead_reader_uid')

    def _compute_lead_reader_uid(self):
        for activity in self:
            activity.lead_reader_uid = 0

    def _search_lead_reader_uid(self, operator, value):
        check_reader_search(self.env, operator, value)
        # the activity's own deal looked up by its id (one index look-up per activity read), rather than every
        # deal the user may read listed for each query: a manager may read a hundred thousand
        select = self._lead_reader_sql(value)
        if not select:
            return expression.FALSE_DOMAIN
        return [('res_id', 'inselect', (select[0], list(select[1])))]

    @api.model
    @tools.ormcache('uid')
    def _lead_reader_sql(self, uid):
        """(SQL, parameters) of the rule's sub-select for user ``uid``, or None. Kept with Odoo's cache of the
        record rules' domains (the same clearing: a rule, a group, a company changed): the rule is applied at
        every read of activities, a few times per request, and writing the deal's rules as SQL cost more than the
        query itself."""
        user = self.env['res.users'].sudo().browse(uid).exists()
        select = readable_record_sql(self.env, 'crm.lead', user, '"%s".res_id' % self._table) if user else None
        return (select[0], tuple(select[1])) if select else None

    @api.depends('res_model', 'res_id')
    def _compute_allowed_contact_ids(self):
        # the people of the activity's deal, to pick from; none when the user may not read the deal (an activity
        # of a colleague's deal assigned to him): they are the deal's data, as the deal is
        lead_ids = set(activity.res_id for activity in self if activity.res_model == 'crm.lead' and activity.res_id)
        readable = set(self.env['crm.lead'].with_context(active_test=False).search([('id', 'in', list(lead_ids))]).ids)
        for activity in self:
            if activity.res_model == 'crm.lead' and activity.res_id in readable:
                activity.allowed_contact_ids = self.env['crm.lead'].browse(activity.res_id).contact_ids.mapped(
                    'partner_id')

    def _compute_sla_late(self):
        now = fields.Datetime.now()
        for activity in self:
            activity.sla_late = bool(activity.sla_deadline and activity.sla_deadline < now)

    def _search_sla_late(self, operator, value):
        now = fields.Datetime.now()
        late = ['&', ('sla_deadline', '!=', False), ('sla_deadline', '<', now)]  # normalized: Odoo 11 needs it
        if (operator == '=') == bool(value):
            return late
        return ['|', ('sla_deadline', '=', False), ('sla_deadline', '>=', now)]

    @api.constrains('contact_ids', 'res_model', 'res_id')
    def _check_contact_ids(self):
        # as superuser: the people of the deal, whoever saves the activity (its assignee may not read the deal)
        for activity in self.sudo().filtered('contact_ids'):
            if activity.contact_ids - activity.allowed_contact_ids:
                raise ValidationError(_("The contacts of an activity must be among the people of its "
                                        "opportunity."))

    @api.model
    def _sla_deadline_vals(self, vals, start=None):
        value = float(vals.get('sla_value') or 0.0)
        check_sla_range(self.env, value, vals.get('sla_unit') or 'hours')
        if not value:
            return {'sla_deadline': False}
        start = fields.Datetime.from_string(start or fields.Datetime.now())
        return {'sla_deadline': fields.Datetime.to_string(start + sla_delta(value, vals.get('sla_unit') or 'hours'))}

    @api.model
    def create(self, vals):
        if vals.get('stage_rule_id') and not is_sales_manager(self.env):
            raise UserError(_("The SLA deadline follows the time standard and only the automation rules link "
                              "an activity to a rule: only a sales manager can set them."))
        # always from the time standard: a deadline sent along would fake it
        vals = dict(vals, **self._sla_deadline_vals(vals))
        return super(MailActivity, self).create(vals)

    @api.multi
    def _check_sla_write(self, vals):
        """Refuse a non-manager's change of what the SLA report measures (see RULE_FIELDS), and of the
        assignee or document of a rule's activity (RULE_TARGET_FIELDS). Values sent unchanged pass: a form
        saving its fields changes nothing."""
        if not set(RULE_FIELDS + RULE_TARGET_FIELDS).intersection(vals) or is_sales_manager(self.env):
            return
        for activity in self.sudo():
            if activity.stage_rule_id:
                for name in RULE_TARGET_FIELDS:
                    # taking a colleague's task over is his own lateness (Odoo's meeting scheduled from the
                    # task makes its organiser the assignee): handing one to someone else is not
                    if name == 'user_id' and vals.get('user_id') == self.env.uid:
                        continue
                    if name in vals and activity._sla_field_changes(name, vals[name]):
                        raise UserError(_("This activity was created by an automation rule: only a sales manager "
                                          "can assign it to someone else or move it to another document."))
                names, message = RULE_FIELDS, _("This activity was created by an automation rule: only a sales "
                                                "manager can change its time standard, SLA deadline or rule.")
            else:
                names, message = COMPUTED_FIELDS, _(
                    "The SLA deadline follows the time standard and only the automation rules link an activity "
                    "to a rule: only a sales manager can set them.")
            for name in names:
                if name in vals and activity._sla_field_changes(name, vals[name]):
                    raise UserError(message)

    @api.multi
    def _sla_field_changes(self, name, value):
        self.ensure_one()
        field = self._fields[name]
        return field.convert_to_record(field.convert_to_cache(value, self), self) != self[name]

    @api.multi
    def write(self, vals):
        self._check_sla_write(vals)
        if 'sla_value' in vals or 'sla_unit' in vals:
            for activity in self:
                merged = {'sla_value': vals.get('sla_value', activity.sla_value),
                          'sla_unit': vals.get('sla_unit', activity.sla_unit)}
                super(MailActivity, activity).write(
                    dict(vals, **self._sla_deadline_vals(merged, start=activity.create_date)))
            return True
        return super(MailActivity, self).write(vals)

    @api.multi
    def unlink(self):
        # a rule's activity stays open until done: deleting it would leave no done record, late or not
        rule_tasks = self.env['mail.activity'] if has_flag(self, DONE_FLAG) else self.sudo().filtered('stage_rule_id')
        if rule_tasks and not is_sales_manager(self.env):
            raise UserError(_("This activity was created by an automation rule and stays open until done: mark "
                              "it done, or ask a sales manager to delete it."))
        # removed undone by a manager or by Odoo itself (it deletes the activities of a deal archived, lost or
        # deleted, as superuser): kept as cancelled, so the SLA report still counts the time it was late
        logs = self.env['crm.activity.log'].sudo()
        for activity in rule_tasks:
            vals = activity._prepare_activity_log()
            if vals['lead_id']:
                logs.create(dict(vals, state='cancelled', feedback=False, duration=0.0))
        return super(MailActivity, self).unlink()

    def action_feedback(self, feedback=False):
        """Odoo deletes the activity once done (action_done calls this): keep a record of it first."""
        logs = self.env['crm.activity.log'].sudo()
        for activity in self:
            logs.create(activity._prepare_activity_log(feedback=feedback))
        return super(MailActivity, with_flags(self, DONE_FLAG)).action_feedback(feedback=feedback)

    @api.multi
    def _deal(self):
        """The deal the activity is about: its document, or the deal of its quotation or order (a deal that
        still exists: Odoo deletes a deleted deal's activities after it)."""
        self.ensure_one()
        record = self.env[self.res_model].sudo().browse(self.res_id).exists() if self.res_model in (
            'crm.lead', 'sale.order') and self.res_id else None
        if not record:
            return self.env['crm.lead']
        return record if self.res_model == 'crm.lead' else record.opportunity_id

    @api.multi
    def _prepare_activity_log(self, feedback=False):
        self.ensure_one()
        return {
            'activity_type_id': self.activity_type_id.id,
            'summary': self.summary,
            'note': self.note,
            'feedback': feedback or self.feedback,
            'date_planned': self.date_deadline,
            'date_done': fields.Datetime.now(),
            'user_id': self.user_id.id,
            'res_model': self.res_model,
            'res_id': self.res_id,
            'lead_id': self._deal().id,
            'contact_ids': [(6, 0, self.contact_ids.ids)],
            'sla_deadline': self.sla_deadline,
            'stage_rule_id': self.stage_rule_id.id,
            'duration': self.calendar_event_id.duration or 0.0,
            'calendar_event_id': self.calendar_event_id.id,
            'source': 'activity',
        }


# --------------------------------------------------------------------------------------------------
# Input guard, last: the values' types are checked before the overrides above compute the SLA deadline.
# --------------------------------------------------------------------------------------------------


class MailActivityInputGuard(models.Model):
    _name = 'mail.activity'
    _inherit = ['impact.input.guard', 'mail.activity']

    @api.model
    def _guard_kept(self, vals, creating=False):
        # Odoo's own activity: its related document fields are refused (or not) by _check_sla_write above
        return

    @api.model
    def _guard_values(self, vals):
        # the automation rules' own activities (their values made by the rules' code): not checked again, one
        # look-up per many2one per activity of a mass stage change
        if has_flag(self, RULE_GUARD):
            return
        return super(MailActivityInputGuard, self)._guard_values(vals)
