from datetime import datetime, timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError

from .common_people import PeopleCase


class TestActivityLog(PeopleCase):

    @classmethod
    def setUpClass(cls):
        super(TestActivityLog, cls).setUpClass()
        cls.lead = cls._lead('Tower B: facade', planned_revenue=1000.0)
        cls.lead.write({'contact_ids': [(0, 0, {'partner_id': cls.dana.id}), (0, 0, {'partner_id': cls.moshe.id})]})

    def _schedule(self, user=None, **vals):
        values = {
            'res_model_id': self.env['ir.model']._get('crm.lead').id, 'res_id': self.lead.id,
            'activity_type_id': self.call.id, 'summary': 'Call the architect',
            'date_deadline': fields.Date.today(), 'user_id': (user or self.salesman).id,
        }
        values.update(vals)
        return self.env['mail.activity'].sudo(user or self.salesman).create(values)

    def test_log_after_the_fact_leaves_no_open_activity(self):
        yesterday = fields.Datetime.to_string(datetime.now() - timedelta(days=1))
        wizard = self.env['crm.activity.log.wizard'].sudo(self.salesman).with_context(
            default_lead_id=self.lead.id).create({
                'activity_type_id': self.call.id, 'date_done': yesterday, 'summary': 'Called Dana about the glass',
                'feedback': '<p>She wants a sample</p>', 'contact_ids': [(6, 0, [self.dana.id])], 'duration': 0.25})
        self.assertEqual(wizard.allowed_contact_ids, self.dana | self.moshe)
        messages_before = len(self.lead.message_ids)
        action = wizard.action_log()
        self.assertEqual(action['type'], 'ir.actions.act_window_close')
        self.assertFalse(self._activities(self.lead), "nothing left open")
        log = self.env['crm.activity.log'].search([('lead_id', '=', self.lead.id)])
        self.assertEqual(len(log), 1)
        self.assertEqual(log.source, 'retroactive')
        self.assertEqual(log.date_done, yesterday)
        self.assertEqual(log.contact_ids, self.dana)
        self.assertEqual(log.user_id, self.salesman)
        self.assertEqual(log.activity_type_id, self.call)
        self.assertIn('sample', log.feedback)
        self.assertFalse(log.calendar_event_id, "a call is no meeting")
        self.assertEqual(len(self.lead.message_ids), messages_before + 1)
        self.assertEqual(self.lead.message_ids[0].mail_activity_type_id, self.call)

    def test_log_message_shows_the_summary_as_text(self):
        """The summary is plain text: the chatter shows "<" and "&" as typed, not as markup (a link or a
        heading slipped into a summary stays visible as what it is); the outcome keeps its formatting."""
        yesterday = fields.Datetime.to_string(datetime.now() - timedelta(days=1))
        wizard = self.env['crm.activity.log.wizard'].sudo(self.salesman).create({
            'lead_id': self.lead.id, 'activity_type_id': self.call.id, 'date_done': yesterday,
            'summary': '<a href="http://x.example">Pay here</a> & <h1>now</h1>',
            'feedback': '<p>She wants a <b>sample</b></p>'})
        wizard._log()
        body = self.lead.message_ids[0].body
        self.assertIn('&lt;a href=', body)
        self.assertIn('&amp; &lt;h1&gt;now&lt;/h1&gt;', body)
        self.assertNotIn('<a href', body)
        self.assertNotIn('<h1>', body)
        self.assertIn('<b>sample</b>', body)

    def test_log_meeting_after_the_fact_creates_past_calendar_event(self):
        when = fields.Datetime.to_string(datetime.now().replace(microsecond=0) - timedelta(days=2))
        wizard = self.env['crm.activity.log.wizard'].sudo(self.salesman).create({
            'lead_id': self.lead.id, 'activity_type_id': self.meeting.id, 'date_done': when,
            'summary': 'Site meeting', 'duration': 1.5,
            'contact_ids': [(6, 0, [self.dana.id, self.moshe.id])],
            'participant_user_ids': [(6, 0, [self.salesman.id, self.salesman2.id])]})
        log = wizard._log()
        self.assertFalse(self._activities(self.lead))
        event = log.calendar_event_id
        self.assertTrue(event)
        self.assertEqual(event.start, when)
        self.assertEqual(event.opportunity_id, self.lead)
        self.assertEqual(event.partner_ids,
                         self.dana | self.moshe | self.salesman.partner_id | self.salesman2.partner_id)
        self.assertEqual(log.participant_user_ids, self.salesman | self.salesman2)
        self.assertEqual(log.duration, 1.5)

    def test_log_rejects_future_and_foreign_contacts(self):
        wizards = self.env['crm.activity.log.wizard'].sudo(self.salesman)
        future = fields.Datetime.to_string(datetime.now() + timedelta(days=1))
        with self.assertRaises(UserError), self.cr.savepoint():
            wizards.create({'lead_id': self.lead.id, 'activity_type_id': self.call.id, 'date_done': future,
                            'summary': 'Not yet'}).action_log()
        with self.assertRaises(UserError), self.cr.savepoint():
            wizards.create({'lead_id': self.lead.id, 'activity_type_id': self.call.id, 'summary': 'Stranger',
                            'contact_ids': [(6, 0, [self.avi.id])]}).action_log()
        self.assertFalse(self.env['crm.activity.log'].search([('lead_id', '=', self.lead.id)]))

    def test_a_done_record_created_directly_meets_the_dialogs_checks(self):
        """A done record a user creates without the dialog (an import, a JSON-RPC call) meets what the dialog
        checks: it happened, lasted, with people of the deal, on a deal the user may change."""
        logs = self.env['crm.activity.log'].sudo(self.salesman)
        values = {'lead_id': self.lead.id, 'res_model': 'crm.lead', 'res_id': self.lead.id,
                  'activity_type_id': self.call.id, 'summary': 'Called'}
        future = fields.Datetime.to_string(datetime.now() + timedelta(days=1))
        for forged, message in (({'date_done': future}, 'cannot be in the future'),
                                ({'duration': -2.0}, 'cannot be negative'),
                                ({'contact_ids': [(6, 0, [self.avi.id])]}, 'people of the opportunity')):
            with self.assertRaises(UserError) as caught, self.cr.savepoint():
                logs.create(dict(values, **forged))
            self.assertIn(message, caught.exception.name)
        # a colleague's deal: read through the rules' own refusal, not written
        other = self._lead('Park offices', user=self.salesman2)
        with self.assertRaises(AccessError), self.cr.savepoint():
            logs.create(dict(values, lead_id=other.id, res_id=other.id))
        self.assertFalse(self.env['crm.activity.log'].search([('lead_id', 'in', (self.lead | other).ids)]))
        log = logs.create(dict(values, contact_ids=[(6, 0, [self.dana.id])], duration=1.0))
        self.assertEqual((log.contact_ids, log.user_id), (self.dana, self.salesman))

    def test_done_activity_is_kept(self):
        planned = fields.Date.to_string(datetime.now().date() + timedelta(days=3))
        activity = self._schedule(date_deadline=planned, contact_ids=[(6, 0, [self.moshe.id])],
                                  note='<p>Ask about loads</p>')
        self.assertEqual(activity.contact_ids, self.moshe)
        activity.action_done()
        self.assertFalse(activity.exists(), "Odoo deletes the done activity")
        log = self.env['crm.activity.log'].search([('lead_id', '=', self.lead.id)])
        self.assertEqual(len(log), 1)
        self.assertEqual(log.summary, 'Call the architect')
        self.assertEqual(log.date_planned, planned)
        self.assertTrue(log.date_done)
        self.assertEqual(log.user_id, self.salesman)
        self.assertEqual(log.contact_ids, self.moshe)
        self.assertEqual(log.source, 'activity')
        self.assertEqual(log.sla_status, 'none')
        other = self._schedule(summary='Send the drawings')
        other.sudo(self.salesman).action_feedback(feedback='<p>Sent by mail</p>')
        log = self.env['crm.activity.log'].search([('lead_id', '=', self.lead.id),
                                                   ('summary', '=', 'Send the drawings')])
        self.assertIn('Sent by mail', log.feedback)

    def test_a_rep_creates_only_his_own_done_records_after_the_fact(self):
        logs = self.env['crm.activity.log'].sudo(self.salesman)
        rule = self.env.ref('impact_crm.stage_rule_prepare_quote')
        past = fields.Datetime.to_string(datetime.now() - timedelta(days=10))
        values = {'lead_id': self.lead.id, 'res_model': 'crm.lead', 'res_id': self.lead.id,
                  'activity_type_id': self.call.id, 'summary': 'Called', 'date_done': past}
        for forged in ({'source': 'activity'}, {'user_id': self.env.ref('base.user_root').id},
                       {'user_id': self.salesman2.id}, {'user_id': False}, {'stage_rule_id': rule.id},
                       {'sla_deadline': fields.Datetime.now()}):
            with self.assertRaises(UserError, msg=forged), self.cr.savepoint():
                logs.create(dict(values, source='retroactive', **forged) if 'source' not in forged
                            else dict(values, **forged))
        self.assertFalse(self.env['crm.activity.log'].search([('lead_id', '=', self.lead.id)]))
        log = logs.create(values)
        self.assertEqual((log.source, log.user_id, log.sla_status), ('retroactive', self.salesman, 'none'))
        for vals in ({'source': 'activity'}, {'user_id': self.salesman2.id}, {'sla_deadline': past},
                     {'stage_rule_id': rule.id}, {'date_done': fields.Datetime.now()}):
            with self.assertRaises(AccessError, msg=vals), self.cr.savepoint():
                log.sudo(self.salesman).write(vals)
        # a sales manager records or corrects any done record
        fixed = self.env['crm.activity.log'].sudo(self.manager).create(dict(
            values, source='activity', user_id=self.salesman2.id, stage_rule_id=rule.id,
            sla_deadline=fields.Datetime.to_string(datetime.now() - timedelta(days=11))))
        self.assertEqual((fixed.source, fixed.user_id, fixed.sla_status), ('activity', self.salesman2, 'late'))

    def test_activity_contacts_must_be_people_of_the_deal(self):
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self._schedule(contact_ids=[(6, 0, [self.avi.id])])
        activity = self._schedule(contact_ids=[(6, 0, [self.dana.id])])
        self.assertEqual(activity.allowed_contact_ids, self.dana | self.moshe)

    def test_effort_per_opportunity_and_rep(self):
        other = self._lead('Park offices', user=self.salesman2)
        self._schedule().action_done()
        self._schedule(summary='Second call').action_done()
        self.env['mail.activity'].sudo(self.salesman2).create({
            'res_model_id': self.env['ir.model']._get('crm.lead').id, 'res_id': other.id,
            'activity_type_id': self.call.id, 'summary': 'Intro', 'user_id': self.salesman2.id,
        }).action_done()
        groups = self.env['crm.activity.log'].sudo(self.manager).read_group(
            [('lead_id', 'in', (self.lead | other).ids)], ['lead_id', 'user_id'], ['lead_id', 'user_id'], lazy=False)
        counts = dict(((g['lead_id'][0], g['user_id'][0]), g['__count']) for g in groups)
        self.assertEqual(counts, {(self.lead.id, self.salesman.id): 2, (other.id, self.salesman2.id): 1})
        with self.assertRaises(AccessError), self.cr.savepoint():
            self.env['crm.activity.log'].search([('lead_id', '=', self.lead.id)], limit=1).sudo(
                self.salesman).write({'summary': 'tampered'})
