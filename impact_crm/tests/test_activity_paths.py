"""A deal's activities, tried as sales users through the paths Odoo offers besides the activity's own buttons:

- an automation rule's task removed without being done (its deal archived or lost: Odoo deletes the activities
  of an archived record as superuser; a sales manager deleting it) is kept as a cancelled record with its time
  standard, so the SLA report still counts it late when it was; a rep still cannot delete it;
- a rule's task scheduled as a meeting stays open when the meeting is deleted (the database deleted it with
  the meeting, past every check);
- the activities of a deal's quotations and orders are in the deal's SLA report and, once done, among its done
  activities; a done meeting's record names its meeting;
- a meeting given a deal in the calendar is planned on the deal, as one made from the deal's Meeting button.
"""
from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import UserError

from .test_integrity_paths import IntegrityCase

STAYS_OPEN = 'stays open until done'


class TestDealActivityPaths(IntegrityCase):

    @classmethod
    def setUpClass(cls):
        super(TestDealActivityPaths, cls).setUpClass()
        cls.manager = cls.user('activity_manager', 'sales_team.group_sale_manager')
        cls.potential = cls.env.ref('impact_crm.stage_potential')
        cls.quote = cls.env.ref('impact_crm.stage_quote')
        # Potential -> Quote: "Prepare the quote", the salesperson's, a time standard of one day
        cls.rule = cls.env.ref('impact_crm.stage_rule_prepare_quote')
        cls.meeting_type = cls.env.ref('mail.mail_activity_data_meeting')
        cls.Activities = cls.env['mail.activity'].sudo(cls.rep)
        cls.Events = cls.env['calendar.event'].sudo(cls.rep)

    def deal(self, name):
        return self.Leads.create({'name': name, 'type': 'opportunity', 'stage_id': self.potential.id,
                                  'user_id': self.rep.id, 'lost_reason': self.reason.id})

    def rule_task(self, deal):
        deal.write({'stage_id': self.quote.id})
        task = self.env['mail.activity'].search([('res_model', '=', 'crm.lead'), ('res_id', '=', deal.id),
                                                 ('stage_rule_id', '=', self.rule.id)])
        self.assertEqual(len(task), 1)
        return task

    def report(self, deal, user=None):
        """{(state, SLA status, responsible)} of the deal in the SLA report, as ``user`` sees it."""
        rows = self.env['crm.activity.sla.report'].sudo(user or self.manager).search([('lead_id', '=', deal.id)])
        return sorted((row.state, row.sla_status, row.user_id.login) for row in rows)

    def logs(self, deal):
        return self.env['crm.activity.log'].search([('lead_id', '=', deal.id)])

    def test_a_rule_task_removed_undone_is_kept_as_cancelled(self):
        late, in_time, archived = self.deal('Audit Lost Late'), self.deal('Audit Lost In Time'), self.deal('Audit Arch')
        with freeze_time('2026-11-02 08:00:00'):
            tasks = [self.rule_task(deal) for deal in (late, in_time, archived)]
        self.assertEqual(tasks[0].sla_deadline, '2026-11-03 08:00:00')
        self.assertEqual(self.report(late, self.rep), [('open', 'late', self.rep.login)])
        # the rep still cannot delete it, by any path
        for operation in (lambda: tasks[0].sudo(self.rep).unlink(),
                          lambda: late.write({'activity_ids': [(2, tasks[0].id)]}),
                          lambda: tasks[0].sudo(self.rep).unlink_w_meeting()):
            self.assertRefused(operation, tasks[0], ['stage_rule_id'], message=STAYS_OPEN)
        # lost two days after the task came: Odoo's archiving deletes it, and it counts as late
        with freeze_time('2026-11-04 08:00:00'):
            late.action_set_lost()
        self.assertFalse(tasks[0].exists())
        log = self.logs(late)
        self.assertEqual((log.state, log.sla_status, log.user_id, log.stage_rule_id, log.date_done, log.source),
                         ('cancelled', 'late', self.rep, self.rule, '2026-11-04 08:00:00', 'activity'))
        self.assertEqual(self.report(late, self.rep), [('cancelled', 'late', self.rep.login)])
        self.assertIn(log, late.sudo(self.rep).activity_log_ids)
        # lost within its time standard: neither done on time nor late
        with freeze_time('2026-11-02 10:00:00'):
            in_time.action_set_lost()
        self.assertEqual(self.report(in_time), [('cancelled', 'none', self.rep.login)])
        # archived (Odoo's Archive), then deleted by a manager: the record goes with the deal, as its done ones
        with freeze_time('2026-11-05 08:00:00'):
            archived.write({'active': False})
        self.assertEqual(self.report(archived), [('cancelled', 'late', self.rep.login)])
        archived.sudo(self.manager).unlink()
        self.assertFalse(self.env['crm.activity.log'].search([('lead_id', '=', archived.id)]))
        # the Effort report counts what was done
        effort = self.env.ref('impact_crm.crm_activity_log_action')
        self.assertIn("'search_default_done': 1", effort.context)

    def test_a_manager_deleting_a_rule_task_leaves_its_record(self):
        deal = self.deal('Audit Manager Deletes')
        with freeze_time('2026-11-02 08:00:00'):
            task = self.rule_task(deal)
        with freeze_time('2026-11-06 08:00:00'):
            task.sudo(self.manager).unlink()
        self.assertEqual(self.report(deal, self.rep), [('cancelled', 'late', self.rep.login)])
        # a deal deleted with its open task: nothing left behind, nothing refused
        other = self.deal('Audit Deleted Deal')
        self.rule_task(other)
        other.sudo(self.manager).unlink()
        self.assertFalse(self.env['crm.activity.log'].search([('res_model', '=', 'crm.lead'),
                                                              ('res_id', '=', other.id)]))
        # the rep's own activities go with an archived deal as in Odoo, without record
        own_deal = self.deal('Audit Own Activity')
        own = self.Activities.create({'res_model_id': self.env['ir.model']._get('crm.lead').id,
                                      'res_id': own_deal.id, 'activity_type_id': self.meeting_type.id,
                                      'summary': 'Mine', 'user_id': self.rep.id})
        own_deal.write({'active': False})
        self.assertFalse(own.exists())
        self.assertFalse(self.logs(own_deal))

    def test_a_rep_cannot_record_a_cancelled_task(self):
        deal = self.deal('Audit Forged Cancel')
        past = fields.Datetime.to_string(datetime.now() - timedelta(days=1))
        with self.assertRaises(UserError):
            self.env['crm.activity.log'].sudo(self.rep).create({
                'lead_id': deal.id, 'res_model': 'crm.lead', 'res_id': deal.id, 'summary': 'Dropped',
                'date_done': past, 'source': 'retroactive', 'state': 'cancelled'})
        self.assertFalse(self.logs(deal))

    def schedule_meeting(self, task, deal, user=None, **values):
        """The task's Schedule button as ``user``: Odoo's calendar form in the context it opens, then saved."""
        action = task.sudo(user or self.rep).with_context(
            default_res_id=deal.id, default_res_model='crm.lead').action_create_calendar_event()
        return self.env['calendar.event'].sudo(user or self.rep).with_context(action['context']).create(dict({
            'name': task.summary, 'start': '2026-12-10 10:00:00', 'stop': '2026-12-10 11:00:00',
            'duration': 1.0}, **values))

    def test_deleting_the_meeting_of_a_rule_task_keeps_it_open(self):
        deal = self.deal('Audit Meeting Deleted')
        task = self.rule_task(deal)
        event = self.schedule_meeting(task, deal)
        self.assertEqual(task.calendar_event_id, event)
        event.unlink()
        self.assertTrue(task.exists())
        self.assertFalse(task.calendar_event_id)
        self.assertEqual(self.report(deal, self.rep), [('open', 'on_time', self.rep.login)])
        # a manager's deletion of the meeting keeps it open too (he deletes the task itself if he means it)
        event = self.schedule_meeting(task, deal, user=self.rep)
        event.sudo(self.manager).unlink()
        self.assertTrue(task.exists())
        # the rep's own activity goes with its meeting, as in Odoo
        own = self.Activities.create({'res_model_id': self.env['ir.model']._get('crm.lead').id,
                                      'res_id': deal.id, 'activity_type_id': self.meeting_type.id,
                                      'summary': 'Mine', 'user_id': self.rep.id})
        self.schedule_meeting(own, deal).unlink()
        self.assertFalse(own.exists())
        # a recurring meeting: deleting one occurrence keeps the series and its task
        event = self.schedule_meeting(task, deal, recurrency=True, rrule_type='weekly', count=3,
                                      interval=1, end_type='count')
        occurrences = self.Events.browse(event.get_recurrent_ids([]))
        self.assertEqual(len(occurrences), 3)
        occurrences[1:2].unlink()
        self.assertEqual(task.calendar_event_id, event)
        event.unlink()
        self.assertTrue(task.exists())
        self.assertFalse(task.calendar_event_id)

    def test_a_done_meeting_is_recorded_with_its_meeting(self):
        deal = self.deal('Audit Meeting Done')
        task = self.rule_task(deal)
        event = self.schedule_meeting(task, deal, duration=1.5, stop='2026-12-10 11:30:00')
        task.sudo(self.rep).action_feedback(feedback='<p>Agreed on the glass</p>')
        log = self.logs(deal)
        self.assertEqual((log.calendar_event_id, log.duration, log.state, log.user_id),
                         (event, 1.5, 'done', self.rep))

    def test_activities_of_the_deals_orders_are_in_its_file(self):
        deal = self.deal('Audit Order Activities')
        order = self.quotation()
        order.write({'opportunity_id': deal.id})
        with freeze_time('2026-11-02 08:00:00'):
            activity = self.Activities.create({
                'res_model_id': self.env['ir.model']._get('sale.order').id, 'res_id': order.id,
                'activity_type_id': self.meeting_type.id, 'summary': 'Walk the customer through the quote',
                'user_id': self.rep.id, 'sla_value': 4, 'sla_unit': 'hours'})
        self.assertEqual(self.report(deal, self.rep), [('open', 'late', self.rep.login)])
        with freeze_time('2026-11-02 10:00:00'):
            activity.action_feedback(feedback='<p>Done</p>')
        log = self.logs(deal)
        self.assertEqual((log.res_model, log.res_id, log.sla_status), ('sale.order', order.id, 'on_time'))
        self.assertIn(log, deal.sudo(self.rep).activity_log_ids)
        self.assertEqual(self.report(deal, self.rep), [('done', 'on_time', self.rep.login)])

    def test_a_meeting_planned_in_the_calendar_for_a_deal_is_among_its_activities(self):
        deal = self.deal('Audit Calendar Meeting')
        event = self.Events.create({'name': 'Site visit', 'start': '2026-12-10 10:00:00',
                                    'stop': '2026-12-10 11:00:00', 'duration': 1.0, 'opportunity_id': deal.id})
        activity = event.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual((activity.res_model, activity.res_id, activity.activity_type_id, activity.user_id),
                         ('crm.lead', deal.id, self.meeting_type, self.rep))
        self.assertIn(activity, deal.activity_ids)
        # the same as the deal's Meeting button
        button = self.Events.with_context(deal.action_schedule_meeting()['context']).create({
            'name': 'Second visit', 'start': '2026-12-11 10:00:00', 'stop': '2026-12-11 11:00:00'})
        self.assertEqual(len(button.activity_ids), 1)
        self.assertEqual(button.opportunity_id, deal)
        # moved: the activity follows; done: recorded on the deal with its meeting
        event.write({'start': '2026-12-14 10:00:00', 'stop': '2026-12-14 11:00:00'})
        self.assertEqual(activity.date_deadline, '2026-12-14')
        activity.sudo(self.rep).action_done()
        log = self.logs(deal)
        self.assertEqual((log.calendar_event_id, log.duration, log.user_id), (event, 1.0, self.rep))
        # Log Call/Meeting's meeting already happened: it plans nothing
        wizard = self.env['crm.activity.log.wizard'].sudo(self.rep).with_context(default_lead_id=deal.id).create({
            'activity_type_id': self.meeting_type.id, 'summary': 'Met at the site', 'duration': 1.0,
            'date_done': fields.Datetime.to_string(datetime.now() - timedelta(days=1))})
        wizard.action_log()
        logged = self.logs(deal).filtered(lambda record: record.source == 'retroactive')
        self.assertTrue(logged.calendar_event_id)
        self.assertFalse(logged.calendar_event_id.activity_ids)
        self.assertEqual(deal.activity_ids, button.activity_ids)

    def test_paths_that_keep_a_rule_task_and_its_measure(self):
        first, second = self.deal('Audit Merge One'), self.deal('Audit Merge Two')
        with freeze_time('2026-11-02 08:00:00'):
            tasks = self.rule_task(first) | self.rule_task(second)
        # a merge keeps both open tasks on the deal it keeps, none cancelled
        head = (first | second).merge_opportunity()
        self.assertEqual(len(tasks.exists()), 2)
        self.assertEqual(set(tasks.mapped('res_id')), {head.id})
        self.assertEqual(self.report(head, self.rep), [('open', 'late', self.rep.login)] * 2)
        # the planned day moved later: the time standard still says late
        tasks[0].sudo(self.rep).write({'date_deadline': '2030-01-01'})
        self.assertEqual(self.report(head, self.rep), [('open', 'late', self.rep.login)] * 2)
        # done by a manager: the responsible stays the assignee, measured against the time standard
        with freeze_time('2026-11-02 20:00:00'):
            tasks[0].sudo(self.manager).action_done()
        log = self.logs(head)
        self.assertEqual((log.user_id, log.state, log.sla_status), (self.rep, 'done', 'on_time'))

    def test_a_rule_with_open_tasks_is_archived_not_deleted(self):
        """Deleting a rule would turn its open tasks into ordinary activities a rep may delete: a rule with open
        tasks is archived instead, and its stage cannot go while they are open."""
        stage = self.env['crm.stage'].create({'name': 'Audit Rule Stage', 'group_id': self.quote.group_id.id})
        rule = self.env['crm.stage.rule'].sudo(self.manager).create({
            'stage_id': stage.id, 'activity_type_id': self.meeting_type.id, 'summary': 'Audit rule task',
            'sla_value': 1, 'sla_unit': 'days'})
        idle = rule.copy({'summary': 'Audit idle rule', 'stage_id': self.env['crm.stage'].create({
            'name': 'Audit Idle Stage', 'group_id': self.quote.group_id.id}).id})
        deal = self.deal('Audit Rule Deleted')
        deal.write({'stage_id': stage.id})
        task = self.env['mail.activity'].search([('res_id', '=', deal.id), ('stage_rule_id', '=', rule.id)])
        self.assertEqual(len(task), 1)
        idle.unlink()
        self.assertFalse(idle.exists(), "a rule without open tasks is deleted")
        deal.write({'stage_id': self.quote.id})
        with self.assertRaisesRegex(UserError, 'Audit rule task'):
            stage.sudo(self.manager).unlink()
        rule.unlink()
        self.assertTrue(rule.exists())
        self.assertFalse(rule.active)
        self.assertEqual(task.stage_rule_id, rule)
        with self.assertRaisesRegex(UserError, STAYS_OPEN):
            task.sudo(self.rep).unlink()
        # archived, it fires no more
        other = self.deal('Audit Rule Archived')
        other.write({'stage_id': stage.id})
        self.assertFalse(self.env['mail.activity'].search([('res_id', '=', other.id), ('stage_rule_id', '=', rule.id)]))
        # done, the task lets the stage go (its rules with it)
        other.write({'stage_id': self.quote.id})
        task.sudo(self.rep).action_feedback('Done')
        stage.sudo(self.manager).unlink()
        self.assertFalse(rule.exists())
