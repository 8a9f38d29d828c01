from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression

from .mail_activity import is_sales_manager, readable_record_sql, reader_of_search


class CrmActivityLog(models.Model):
    """A done activity. Odoo deletes a mail.activity once marked done; this keeps what was done, by whom,
    when and with whom, for the effort and SLA reports. An automation rule's task removed without being done
    (its deal archived or lost, a manager's deletion) is kept too, as cancelled, with its time standard."""
    _name = 'crm.activity.log'
    _description = 'Done Activity'
    _order = 'date_done desc, id desc'
    _rec_name = 'summary'

    activity_type_id = fields.Many2one('mail.activity.type', string='Activity Type', ondelete='restrict',
                                       index=True)
    summary = fields.Char(string='Summary')
    note = fields.Html(string='Note')
    feedback = fields.Html(string='Outcome')
    date_planned = fields.Date(string='Planned Date')
    date_done = fields.Datetime(string='Done On', required=True, default=fields.Datetime.now, index=True)
    duration = fields.Float(string='Duration (hours)')
    user_id = fields.Many2one('res.users', string='Responsible', index=True, default=lambda self: self.env.user)
    participant_user_ids = fields.Many2many('res.users', 'crm_activity_log_user_rel', 'log_id', 'user_id',
                                            string='Participants (users)')
    res_model = fields.Char(string='Document Model', index=True)
    res_id = fields.Integer(string='Document ID')
    lead_id = fields.Many2one('crm.lead', string='Opportunity', ondelete='cascade', index=True)
    team_id = fields.Many2one(related='lead_id.team_id', store=True, readonly=True, string='Sales Channel')
    contact_ids = fields.Many2many('res.partner', 'crm_activity_log_contact_rel', 'log_id', 'partner_id',
                                   string='Project Contacts')
    calendar_event_id = fields.Many2one('calendar.event', string='Meeting', ondelete='set null')
    stage_rule_id = fields.Many2one('crm.stage.rule', string='Automation Rule', ondelete='set null')
    sla_deadline = fields.Datetime(string='SLA Deadline')
    sla_status = fields.Selection([('none', 'No Time Standard'), ('on_time', 'On Time'), ('late', 'Late')],
                                  string='SLA', compute='_compute_sla_status', store=True, index=True)
    source = fields.Selection([('activity', 'Planned Activity'), ('retroactive', 'Logged After the Fact')],
                              string='Source', required=True, default='activity')
    state = fields.Selection([('done', 'Done'), ('cancelled', 'Cancelled')], string='State', required=True,
                             default='done', index=True,
                             help="Cancelled: an automation rule's task removed without being done (its deal "
                                  "archived or lost, or a sales manager deleted it).")
    # Searched by the multi-company record rule (security/crm_deal_data_security.xml) with a user's id: the done
    # activities of other documents than deals (an order, a customer, any document with activities) whose
    # document that user may read. Odoo applies record rules as superuser, so the user comes as the value
    # searched. Read, it is empty.
    document_reader_uid = fields.Integer(string='Document Readable By', compute='_compute_document_reader_uid',
                                         search='_search_document_reader_uid')

    @api.model_cr
    def init(self):
        # the models of the done activities of other documents than deals, read at every application of the
        # record rule (_search_document_reader_uid)
        self.env.cr.execute("""CREATE INDEX IF NOT EXISTS crm_activity_log_document_model_idx
                               ON crm_activity_log (res_model) WHERE lead_id IS NULL""")

    def _compute_document_reader_uid(self):
        for log in self:
            log.document_reader_uid = 0

    def _search_document_reader_uid(self, operator, value):
        user = reader_of_search(self.env, operator, value)
        if not user:
            return expression.FALSE_DOMAIN
        # the models present, each in one step of the partial index (a few models, however many records)
        self.env.cr.execute("""
            WITH RECURSIVE models(name) AS (
                SELECT min(res_model) FROM crm_activity_log WHERE lead_id IS NULL
                UNION ALL
                SELECT (SELECT min(res_model) FROM crm_activity_log WHERE lead_id IS NULL AND res_model > name)
                  FROM models WHERE name IS NOT NULL)
            SELECT name FROM models WHERE name IS NOT NULL""")
        domains = []
        for (name,) in self.env.cr.fetchall():
            Model = self.env.get(name)
            if Model is None or Model._abstract or not Model._auto:
                continue   # a model uninstalled since, or one without a table of its own: nobody's document
            select = readable_record_sql(self.env, name, user, '"%s".res_id' % self._table)
            if select:
                # each record's own document looked up by its id (normalized: Odoo 11 combines it as it is)
                domains.append(['&', ('res_model', '=', name), ('res_id', 'inselect', select)])
        return expression.OR(domains) if domains else expression.FALSE_DOMAIN

    @api.depends('sla_deadline', 'date_done', 'state')
    def _compute_sla_status(self):
        for log in self:
            if not log.sla_deadline:
                log.sla_status = 'none'
            elif log.date_done > log.sla_deadline:
                # cancelled past its deadline: it was late when it was dropped
                log.sla_status = 'late'
            elif log.state == 'cancelled':
                # cancelled in time: not done, so not on time either
                log.sla_status = 'none'
            else:
                log.sla_status = 'on_time'

    @api.model
    def create(self, vals):
        """The done records of planned activities come from marking them done (as superuser, with the
        activity's time standard and rule); a sales user creates only what Log Call/Meeting creates: his own
        call or meeting, logged after the fact, without time standard. Otherwise a rep could forge on-time
        records or put his lateness on a colleague. Sales users cannot write done records at all."""
        if not is_sales_manager(self.env):
            if (vals.get('source', 'retroactive') != 'retroactive' or vals.get('user_id', self.env.uid) != self.env.uid
                    or vals.get('stage_rule_id') or vals.get('sla_deadline') or vals.get('state', 'done') != 'done'):
                raise UserError(_("You can only log a call or meeting you did yourself, after the fact: the done "
                                  "records of planned activities come from marking them done."))
            vals = dict(vals, source='retroactive', user_id=self.env.uid, state='done')
        log = super(CrmActivityLog, self).create(vals)
        if not self.env.user._is_superuser():
            log._check_happened()
        return log

    @api.multi
    def _check_happened(self):
        """What Log Call/Meeting checks (_check_happened_values), for every record a user creates (the dialog,
        an import, a JSON-RPC call). Marking an activity done creates its record as superuser, from the
        activity itself."""
        for log in self:
            self._check_happened_values(log.lead_id, log.date_done, log.duration, log.contact_ids)

    @api.model
    def _check_happened_values(self, lead, date_done, duration, contacts):
        """It happened, for a while, with people of the deal, on a deal the user may change."""
        if date_done and fields.Datetime.from_string(date_done) > fields.Datetime.from_string(fields.Datetime.now()):
            raise UserError(_("This logs what already happened: the date cannot be in the future. "
                              "Schedule an activity instead."))
        if duration < 0:
            raise UserError(_("The duration cannot be negative."))
        if lead:
            if contacts - lead.contact_ids.mapped('partner_id'):
                raise UserError(_("The contacts must be among the people of the opportunity."))
            lead.check_access_rights('write')
            lead.check_access_rule('write')


class CrmActivityLogInputGuard(models.Model):
    _name = 'crm.activity.log'
    _inherit = ['impact.input.guard', 'crm.activity.log']
