"""What a sales user reads through plain JSON-RPC calls on the add-on's models, beyond its windows' buttons.

Planned activities: Odoo 11 lets every employee read every mail.activity (no read rule: only writing and deleting
are checked), and the add-on lists the deals' activities in its own window (CRM > Pipeline > Activities, a filter
on the user that one click removes). A rep with "own documents only" read the summary, note and deal name of
every colleague's deal's tasks, and a user of another company those of this company's deals, while the deal, its
people, done activities and SLA report were closed to them. The activities of a deal are read by who may read the
deal (the deal's own rules) and by their assignee; those of other documents are left as Odoo has them.
"""
import importlib.util
import os

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.modules.module import get_module_path
from odoo.tests.common import SavepointCase

from ..internal_flags import with_flags


class TwoCompaniesCase(SavepointCase):
    """Company A (the user's) and a company B, and a helper making users of one of them."""

    @classmethod
    def setUpClass(cls):
        super(TwoCompaniesCase, cls).setUpClass()
        cls.company_a = cls.env.user.company_id
        cls.company_b = cls.env['res.company'].create({'name': '%s B Ltd' % cls.__name__})

    @classmethod
    def user(cls, login, company, *groups):
        return cls.env['res.users'].with_context(no_reset_password=True, mail_create_nosubscribe=True).create({
            'name': login.replace('_', ' ').title(), 'login': login, 'email': '%s@example.com' % login,
            'company_id': company.id, 'company_ids': [(6, 0, [company.id])],
            'groups_id': [(6, 0, [cls.env.ref(group).id for group in groups])]})


class TestDealActivityVisibility(TwoCompaniesCase):

    @classmethod
    def setUpClass(cls):
        super(TestDealActivityVisibility, cls).setUpClass()
        user = cls.user
        cls.rep = user('leak_rep', cls.company_a, 'sales_team.group_sale_salesman')
        cls.colleague = user('leak_colleague', cls.company_a, 'sales_team.group_sale_salesman')
        cls.rep_all = user('leak_rep_all', cls.company_a, 'sales_team.group_sale_salesman_all_leads')
        cls.rep_b = user('leak_rep_b', cls.company_b, 'sales_team.group_sale_salesman')
        cls.manager_b = user('leak_manager_b', cls.company_b, 'sales_team.group_sale_manager')
        cls.customer = cls.env['res.partner'].create({'name': 'Leak Paths Customer Ltd', 'customer': True})
        cls.architect = cls.env['res.partner'].create({'name': 'Leak Paths Architect'})
        Lead = cls.env['crm.lead'].with_context(mail_create_nosubscribe=True)

        def deal(name, owner, company):
            return Lead.create({'name': name, 'type': 'opportunity', 'company_id': company.id,
                                'user_id': owner.id if owner else False, 'partner_id': cls.customer.id,
                                'planned_revenue': 50000})
        cls.own = deal('Leak Own Tower', cls.rep, cls.company_a)
        cls.theirs = deal('Leak Colleague Tower', cls.colleague, cls.company_a)
        cls.unassigned = deal('Leak Unassigned Tower', False, cls.company_a)
        cls.deal_b = deal('Leak Tower of B', cls.rep_b, cls.company_b)
        cls.env['crm.lead.contact'].create({'lead_id': cls.theirs.id, 'partner_id': cls.architect.id})
        todo = cls.env.ref('mail.mail_activity_data_todo')
        Activity = cls.env['mail.activity']

        def activity(record, assignee, summary, **vals):
            vals.update({'res_model_id': cls.env['ir.model']._get(record._name).id, 'res_id': record.id,
                         'activity_type_id': todo.id, 'summary': summary, 'user_id': assignee.id})
            return Activity.create(vals)
        cls.theirs_task = activity(cls.theirs, cls.colleague, 'Price for the colleague tower: 41,000')
        cls.theirs_task_of_rep = activity(cls.theirs, cls.rep, 'Help the colleague on site',
                                          contact_ids=[(6, 0, cls.architect.ids)])
        cls.own_task_of_colleague = activity(cls.own, cls.colleague, 'Cover the own tower while away')
        cls.unassigned_task = activity(cls.unassigned, cls.colleague, 'Qualify the annex')
        cls.task_b = activity(cls.deal_b, cls.rep_b, 'Price for the tower of B: 77,000')
        cls.partner_task = activity(cls.customer, cls.colleague, 'Update the customer address')
        cls.tasks = (cls.theirs_task | cls.theirs_task_of_rep | cls.own_task_of_colleague | cls.unassigned_task |
                     cls.task_b | cls.partner_task)

    def visible(self, user):
        return self.env['mail.activity'].sudo(user).search([('id', 'in', self.tasks.ids)])

    def test_a_rep_reads_the_activities_of_the_deals_he_reads_and_those_assigned_to_him(self):
        Activity = self.env['mail.activity'].sudo(self.rep)
        expected = self.theirs_task_of_rep | self.own_task_of_colleague | self.unassigned_task | self.partner_task
        self.assertEqual(self.visible(self.rep), expected)
        # every path of the Activities window and of a client: search, count, read, grouping, names
        self.assertEqual(Activity.search_count([('id', 'in', self.tasks.ids)]), len(expected))
        summaries = [row['summary'] for row in Activity.search_read([('res_model', '=', 'crm.lead')], ['summary'])]
        self.assertNotIn(self.theirs_task.summary, summaries)
        self.assertNotIn(self.task_b.summary, summaries)
        groups = Activity.read_group([('id', 'in', self.tasks.ids)], ['res_id'], ['res_id'])
        counts = dict((group['res_id'], group['res_id_count']) for group in groups)
        self.assertEqual(counts.get(self.theirs.id), 1)   # the one assigned to him
        self.assertNotIn(self.deal_b.id, counts)
        self.assertFalse([name for _id, name in Activity.name_search('Price for')])
        with self.assertRaises(AccessError):
            self.theirs_task.sudo(self.rep).read(['summary', 'note', 'res_name'])
        with self.assertRaises(AccessError):
            self.task_b.sudo(self.rep).read(['summary'])
        # his deal's form lists all its activities, a colleague's included
        self.assertIn(self.own_task_of_colleague.id, self.own.sudo(self.rep).read(['activity_ids'])[0]['activity_ids'])
        # the colleague reads those of his deal and the one he was given on the rep's
        self.assertEqual(self.visible(self.colleague),
                         self.theirs_task | self.theirs_task_of_rep | self.own_task_of_colleague |
                         self.unassigned_task | self.partner_task)

    def test_an_all_documents_user_reads_every_activity_of_his_companies_deals(self):
        self.assertEqual(self.visible(self.rep_all), self.tasks - self.task_b)

    def test_another_companys_users_read_no_activity_of_this_companys_deals(self):
        for user in (self.rep_b, self.manager_b):
            self.assertEqual(self.visible(user), self.task_b | self.partner_task, user.login)
            self.assertFalse(self.env['mail.activity'].sudo(user).search_count(
                [('res_model', '=', 'crm.lead'), ('res_id', 'in', (self.own | self.theirs | self.unassigned).ids)]),
                user.login)
            with self.assertRaises(AccessError):
                self.unassigned_task.sudo(user).read(['summary'])

    def test_the_assignee_opens_and_edits_an_activity_of_a_deal_he_may_not_read(self):
        task = self.theirs_task_of_rep.sudo(self.rep)
        with self.assertRaises(AccessError):
            self.theirs.sudo(self.rep).read(['name'])
        # the form's fields, the people of the deal he may not read left out of the choices
        values = task.read(['summary', 'res_name', 'allowed_contact_ids', 'contact_ids'])[0]
        self.assertEqual(values['summary'], 'Help the colleague on site')
        self.assertEqual(values['allowed_contact_ids'], [])
        # the people a manager chose stay valid (they are of the deal) when he saves his note
        task.write({'note': '<p>Measured the facade</p>'})
        self.assertEqual(task.contact_ids, self.architect)
        # and a person who is not of the deal is still refused
        stranger = self.env['res.partner'].create({'name': 'Leak Paths Stranger'})
        with self.assertRaises(ValidationError):
            task.write({'contact_ids': [(4, stranger.id)]})

    def test_the_rules_technical_search_refuses_what_it_cannot_read(self):
        Activity = self.env['mail.activity'].sudo(self.rep)
        for operator, value in (('>', self.rep.id), ('=', 'abc'), ('=', True), ('in', [self.rep.id])):
            with self.assertRaises(UserError):
                Activity.search([('lead_reader_uid', operator, value)])
        # a user id that is no user reads nothing more than the rep's own rules give
        self.assertEqual(Activity.search([('lead_reader_uid', '=', 0), ('id', 'in', self.tasks.ids)]),
                         self.env['mail.activity'])


class TestDoneActivitiesOfOtherDocuments(TwoCompaniesCase):
    """Marking any activity done keeps a done record (crm.activity.log), also for an activity on another document
    than a deal (an order, a customer): its summary, note and outcome. Those records were bound to no company: an
    "all documents" sales user or a sales manager of another company read the outcomes of this company's order
    calls, in the Effort report or by RPC. A done activity of another document is its responsible's and of who
    may read the document."""

    @classmethod
    def setUpClass(cls):
        super(TestDoneActivitiesOfOtherDocuments, cls).setUpClass()
        user = cls.user
        cls.rep = user('leak_done_rep', cls.company_a, 'sales_team.group_sale_salesman')
        cls.colleague = user('leak_done_colleague', cls.company_a, 'sales_team.group_sale_salesman')
        cls.rep_all = user('leak_done_all', cls.company_a, 'sales_team.group_sale_salesman_all_leads')
        cls.all_b = user('leak_done_all_b', cls.company_b, 'sales_team.group_sale_salesman_all_leads')
        cls.manager_b = user('leak_done_manager_b', cls.company_b, 'sales_team.group_sale_manager')
        customer = cls.env['res.partner'].create({'name': 'Leak Paths Done Customer', 'customer': True})
        product = cls.env['product.product'].create({'name': 'Leak Paths Panel', 'list_price': 10.0,
                                                     'type': 'service'})
        # an order of no deal (the quotation's deal made by itself left out): its done activities are no deal's
        cls.order = with_flags(cls.env['sale.order'], 'impact_no_auto_opportunity').create({
            'partner_id': customer.id, 'user_id': cls.colleague.id, 'company_id': cls.company_a.id,
            'order_line': [(0, 0, {'product_id': product.id, 'product_uom_qty': 1})]})
        activity = cls.env['mail.activity'].create({
            'res_model_id': cls.env['ir.model']._get('sale.order').id, 'res_id': cls.order.id,
            'activity_type_id': cls.env.ref('mail.mail_activity_data_call').id,
            'summary': 'Discount call on the panels', 'note': '<p>Our margin is 12%</p>',
            'user_id': cls.colleague.id})
        activity.sudo(cls.colleague).action_feedback('<p>They want 20% off; refused</p>')
        cls.log = cls.env['crm.activity.log'].search([('summary', '=', 'Discount call on the panels')])

    def test_the_done_activity_of_an_order_is_read_by_who_reads_the_order(self):
        self.assertEqual(len(self.log), 1)
        self.assertFalse(self.log.lead_id)
        self.assertEqual(self.log.res_model, 'sale.order')
        Logs = self.env['crm.activity.log']
        # the colleague who did it, and an "all documents" user of the order's company
        for user in (self.colleague, self.rep_all):
            self.assertEqual(Logs.sudo(user).search([('id', '=', self.log.id)]), self.log, user.login)
            self.assertIn('refused', self.log.sudo(user).read(['feedback'])[0]['feedback'])
        # another company's "all documents" user and sales manager, who may not read the order: nothing of it
        for user in (self.all_b, self.manager_b):
            self.assertFalse(self.env['sale.order'].sudo(user).search([('id', '=', self.order.id)]), user.login)
            self.assertFalse(Logs.sudo(user).search([('id', '=', self.log.id)]), user.login)
            self.assertFalse(Logs.sudo(user).search_read([('res_model', '=', 'sale.order')], ['feedback']),
                             user.login)
            groups = Logs.sudo(user).read_group(
                [('summary', '=', self.log.summary)], ['user_id', 'duration'], ['user_id'])
            self.assertFalse([group for group in groups if group['user_id_count']], user.login)
            with self.assertRaises(AccessError):
                self.log.sudo(user).read(['summary', 'feedback'])
        # a rep with own documents only reads his own done activities, as before
        self.assertFalse(Logs.sudo(self.rep).search([('id', '=', self.log.id)]))

    def test_the_responsible_keeps_his_done_activity_when_the_document_is_no_longer_his(self):
        self.order.write({'company_id': self.company_b.id})
        self.assertFalse(self.env['sale.order'].sudo(self.colleague).search([('id', '=', self.order.id)]))
        self.assertEqual(self.env['crm.activity.log'].sudo(self.colleague).search([('id', '=', self.log.id)]),
                         self.log)
        # and the order's new company reads it with the order
        self.assertEqual(self.env['crm.activity.log'].sudo(self.all_b).search([('id', '=', self.log.id)]), self.log)
        self.assertFalse(self.env['crm.activity.log'].sudo(self.rep_all).search([('id', '=', self.log.id)]))

    def test_the_rules_technical_search_refuses_what_it_cannot_read(self):
        Logs = self.env['crm.activity.log'].sudo(self.rep_all)
        for operator, value in (('!=', self.rep_all.id), ('=', 'abc'), ('=', False)):
            with self.assertRaises(UserError):
                Logs.search([('document_reader_uid', operator, value)])
        self.assertFalse(Logs.search([('document_reader_uid', '=', 0), ('id', '=', self.log.id)]))


class TestLoggedMeetingOutcome(TwoCompaniesCase):
    """*Log Meeting* on a deal makes the (past) calendar event of the meeting and, when only colleagues took part,
    writes the internal outcome into it. Odoo's calendar shows a public event to every employee of every company:
    a rep with own documents only, or a user of another company, read the outcome of a colleague's deal meeting
    and the deal's name in it (Calendar, or calendar.event over JSON-RPC), while the deal, its chatter and its
    done activities were closed to them. The event carrying the outcome is read by its organizer and attendees."""

    @classmethod
    def setUpClass(cls):
        super(TestLoggedMeetingOutcome, cls).setUpClass()
        user = cls.user
        cls.rep = user('leak_meeting_rep', cls.company_a, 'sales_team.group_sale_salesman')
        cls.attendee = user('leak_meeting_attendee', cls.company_a, 'sales_team.group_sale_salesman')
        cls.colleague = user('leak_meeting_colleague', cls.company_a, 'sales_team.group_sale_salesman')
        cls.rep_b = user('leak_meeting_rep_b', cls.company_b, 'sales_team.group_sale_salesman')
        cls.manager_b = user('leak_meeting_manager_b', cls.company_b, 'sales_team.group_sale_manager')
        cls.deal = cls.env['crm.lead'].with_context(mail_create_nosubscribe=True).create({
            'name': 'Leak Meeting Tower', 'type': 'opportunity', 'user_id': cls.rep.id, 'planned_revenue': 95000,
            'partner_id': cls.env['res.partner'].create({'name': 'Leak Meeting Customer'}).id})

    def log_meeting(self, participants):
        wizard = self.env['crm.activity.log.wizard'].sudo(self.rep).create({
            'lead_id': self.deal.id, 'activity_type_id': self.env.ref('mail.mail_activity_data_meeting').id,
            'summary': 'Price meeting', 'feedback': '<p>They sign at 95k; our floor is 90k</p>', 'duration': 1.0,
            'participant_user_ids': [(6, 0, participants.ids)]})
        return wizard._log().calendar_event_id

    def test_the_outcome_of_a_meeting_among_colleagues_is_read_by_its_attendees_only(self):
        event = self.log_meeting(self.rep | self.attendee)
        self.assertIn('our floor is 90k', event.description)
        # (as the calendar reads them: Odoo tells the attendees by the partners read along)
        fields = ['name', 'description', 'opportunity_id', 'partner_ids']
        for user in (self.rep, self.attendee):
            values = self.env['calendar.event'].sudo(user).search_read([('id', '=', event.id)], fields)[0]
            self.assertIn('our floor is 90k', values['description'], user.login)
            self.assertEqual(values['opportunity_id'][0], self.deal.id, user.login)
        for user in (self.colleague, self.rep_b, self.manager_b):
            with self.assertRaises(AccessError):
                self.deal.sudo(user).read(['name'])
            # the others see a busy slot in the calendar: not the outcome, the deal or the subject
            seen = self.env['calendar.event'].sudo(user).search_read([('id', '=', event.id)], fields)
            self.assertEqual(len(seen), 1, user.login)
            self.assertFalse(seen[0]['description'], user.login)
            self.assertFalse(seen[0]['opportunity_id'], user.login)
            self.assertNotEqual(seen[0]['name'], 'Price meeting', user.login)
            self.assertNotIn('90k', str(event.sudo(user).read()[0]), user.login)

    def test_a_meeting_without_outcome_stays_in_everyones_calendar(self):
        wizard = self.env['crm.activity.log.wizard'].sudo(self.rep).create({
            'lead_id': self.deal.id, 'activity_type_id': self.env.ref('mail.mail_activity_data_meeting').id,
            'summary': 'Walk through the site', 'duration': 1.0,
            'participant_user_ids': [(6, 0, (self.rep | self.attendee).ids)]})
        event = wizard._log().calendar_event_id
        self.assertEqual(event.privacy, 'public')
        seen = self.env['calendar.event'].sudo(self.colleague).search_read([('id', '=', event.id)], ['name'])
        self.assertEqual(seen[0]['name'], 'Walk through the site')

    def test_the_upgrade_makes_the_outcome_events_of_earlier_versions_private(self):
        with_outcome = self.log_meeting(self.rep | self.attendee)
        wizard = self.env['crm.activity.log.wizard'].sudo(self.rep).create({
            'lead_id': self.deal.id, 'activity_type_id': self.env.ref('mail.mail_activity_data_meeting').id,
            'summary': 'Walk through the site again', 'duration': 1.0,
            'participant_user_ids': [(6, 0, (self.rep | self.attendee).ids)]})
        without = wizard._log().calendar_event_id
        # as earlier versions left them: public
        self.env.cr.execute("UPDATE calendar_event SET privacy = 'public' WHERE id IN %s",
                            (tuple((with_outcome | without).ids),))
        spec = importlib.util.spec_from_file_location('impact_crm_post_migration_11_0_1_2_0', os.path.join(
            get_module_path('impact_crm'), 'migrations', '11.0.1.2.0', 'post-migration.py'))
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate(self.env.cr, '11.0.1.1.0')
        (with_outcome | without).invalidate_cache()
        self.assertEqual((with_outcome.privacy, without.privacy), ('private', 'public'))
        seen = self.env['calendar.event'].sudo(self.colleague).search_read([('id', '=', with_outcome.id)],
                                                                           ['description'])
        self.assertFalse(seen[0]['description'])
