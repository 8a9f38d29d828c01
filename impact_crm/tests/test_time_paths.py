"""Time and the scheduled jobs, at the boundaries a team in Asia/Jerusalem meets:

- the automation rules' "same day" / "the day after" are the assignee's day, in his time zone, whoever made the
  change (a manager or a scheduled job in UTC moving a rep's deal at 00:30 Jerusalem time);
- a rule's task goes to someone who can see it: an archived salesperson, team leader or named user counts as none,
  and one such deal does not stop nor change the tasks of the others moved with it;
- working days over the Friday-Saturday weekend, the year end and a leap day; a time standard in hours across the
  spring change of clocks (a Friday in Israel);
- the hourly compactions of the monthly sums, run as Odoo's scheduler runs them (their user, no language or time
  zone in the context), twice: the same sums, the same as summed again from the deals.
"""
from datetime import date

from freezegun import freeze_time

from odoo.exceptions import ValidationError

from .test_integrity_paths import IntegrityCase

SUNDAY_TO_THURSDAY = ('6', '0', '1', '2', '3')


class TestRuleDaysInTheAssigneesTimeZone(IntegrityCase):

    @classmethod
    def setUpClass(cls):
        super(TestRuleDaysInTheAssigneesTimeZone, cls).setUpClass()
        cls.rep.write({'tz': 'Asia/Jerusalem'})
        cls.manager = cls.user('time_manager', 'sales_team.group_sale_manager', tz='UTC')
        cls.potential = cls.env.ref('impact_crm.stage_potential')
        cls.quote = cls.env.ref('impact_crm.stage_quote')
        cls.prepare = cls.env.ref('impact_crm.stage_rule_prepare_quote')
        cls.follow_up = cls.env.ref('impact_crm.stage_rule_quote_sent_follow_up')

    def deal(self, name, user=None):
        return self.env['crm.lead'].create({'name': name, 'type': 'opportunity', 'stage_id': self.potential.id,
                                            'user_id': (user or self.rep).id, 'partner_id': self.partner.id})

    def task(self, deal, rule):
        task = self.env['mail.activity'].search([('res_model', '=', 'crm.lead'), ('res_id', '=', deal.id),
                                                 ('stage_rule_id', '=', rule.id)])
        self.assertEqual(len(task), 1)
        return task

    def test_a_deal_moved_at_half_past_midnight_jerusalem_time_is_due_that_day(self):
        deal = self.deal('Time Midnight Move')
        # 21:30 UTC on Wednesday 10 June 2026 = 00:30 on Thursday 11 June in Jerusalem (UTC+3): the manager, in
        # UTC, with no time zone in the context (a JSON-RPC call, a scheduled job)
        with freeze_time('2026-06-10 21:30:00'):
            deal.sudo(self.manager).with_context(tz=False).write({'stage_id': self.quote.id})
        task = self.task(deal, self.prepare)
        self.assertEqual(task.user_id, self.rep)
        self.assertEqual(task.date_deadline, '2026-06-11', "due 'the same day': the rep's Thursday")

    def test_the_quote_follow_up_is_due_the_day_after_in_the_reps_time_zone(self):
        deal = self.deal('Time Quote Sent')
        order = self.quotation()
        order.opportunity_id = deal
        # sent by the manager (UTC) at 00:30 Jerusalem time on Thursday 11 June: the rep checks on Friday 12
        with freeze_time('2026-06-10 21:30:00'):
            order.sudo(self.manager).with_context(tz=False).print_quotation()
        self.assertEqual(order.state, 'sent')
        self.assertEqual(self.task(deal, self.follow_up).date_deadline, '2026-06-12')

    def test_a_quote_the_rep_sends_at_half_past_eleven_is_due_the_next_day(self):
        deal = self.deal('Time Late Send')
        order = self.quotation()
        order.opportunity_id = deal
        # 23:30 in Jerusalem on Wednesday 10 June (20:30 UTC, still the 10th in UTC too), no tz in the context
        with freeze_time('2026-06-10 20:30:00'):
            order.sudo(self.rep).with_context(tz=False).print_quotation()
        self.assertEqual(self.task(deal, self.follow_up).date_deadline, '2026-06-11')
        # and at 00:30 on Thursday 11 June his time (21:30 UTC on the 10th), by himself: Friday 12
        deal2 = self.deal('Time Past Midnight Send')
        order2 = self.quotation()
        order2.opportunity_id = deal2
        with freeze_time('2026-06-10 21:30:00'):
            order2.sudo(self.rep).with_context(tz=False).print_quotation()
        self.assertEqual(self.task(deal2, self.follow_up).date_deadline, '2026-06-12')

    def test_working_days_over_the_israeli_weekend_follow_the_assignees_day(self):
        calendar = self.env.user.company_id.resource_calendar_id
        calendar.write({'attendance_ids': [(5, 0, 0)] + [
            (0, 0, {'name': 'Day %s' % day, 'dayofweek': day, 'hour_from': 8, 'hour_to': 17})
            for day in SUNDAY_TO_THURSDAY]})
        self.prepare.write({'working_days': True, 'due_days': 0})
        deal = self.deal('Time Friday Move')
        # 22:30 UTC on Thursday 26 November 2026 = 00:30 on Friday 27 in Jerusalem (UTC+2): a day off for the
        # rep, so "the same working day" is Sunday 29, not the Thursday that has just ended for him
        with freeze_time('2026-11-26 22:30:00'):
            deal.sudo(self.manager).with_context(tz=False).write({'stage_id': self.quote.id})
        self.assertEqual(self.task(deal, self.prepare).date_deadline, '2026-11-29')


class TestRuleTasksForArchivedUsers(IntegrityCase):

    @classmethod
    def setUpClass(cls):
        super(TestRuleTasksForArchivedUsers, cls).setUpClass()
        cls.manager = cls.user('archive_manager', 'sales_team.group_sale_manager')
        cls.leaver = cls.user('archive_leaver', 'sales_team.group_sale_salesman')
        cls.potential = cls.env.ref('impact_crm.stage_potential')
        cls.quote = cls.env.ref('impact_crm.stage_quote')
        cls.prepare = cls.env.ref('impact_crm.stage_rule_prepare_quote')

    def deal(self, name, user):
        return self.env['crm.lead'].create({'name': name, 'type': 'opportunity', 'stage_id': self.potential.id,
                                            'user_id': user.id})

    def tasks(self, deals, rule):
        return self.env['mail.activity'].search([('res_model', '=', 'crm.lead'), ('res_id', 'in', deals.ids),
                                                 ('stage_rule_id', '=', rule.id)])

    def test_an_archived_salesperson_gets_no_task_and_stops_nothing(self):
        deals = self.env['crm.lead']
        for index in range(20):
            deals |= self.deal('Archive Mass %s' % index, self.leaver if index == 7 else self.rep)
        self.leaver.active = False
        deals.sudo(self.manager).write({'stage_id': self.quote.id})
        tasks = self.tasks(deals, self.prepare)
        self.assertEqual(len(tasks), 20, "one task per deal, none stopped by the archived salesperson")
        owner = dict((task.res_id, task.user_id) for task in tasks)
        self.assertEqual(owner[deals[7].id], self.manager, "archived salesperson: the user who moved the deal")
        self.assertEqual(set(owner[deal.id] for deal in deals - deals[7]), {self.rep})

    def test_an_archived_named_user_or_team_leader_falls_back_on_the_salesperson(self):
        team = self.env['crm.team'].create({'name': 'Archive Team', 'user_id': self.leaver.id})
        rule_leader = self.prepare.copy({'assignee': 'team_leader', 'summary': 'Leader task'})
        rule_named = self.prepare.copy({'assignee': 'user', 'user_id': self.leaver.id, 'summary': 'Named task'})
        deal = self.deal('Archive Leader', self.rep)
        deal.team_id = team
        self.leaver.active = False
        deal.sudo(self.manager).write({'stage_id': self.quote.id})
        self.assertEqual(self.tasks(deal, rule_leader).user_id, self.rep)
        self.assertEqual(self.tasks(deal, rule_named).user_id, self.rep)


class TestCalendarBoundaries(IntegrityCase):
    """Checks of what works: the due dates' arithmetic at the year end and on a leap day, and the time standard in
    hours over the change of clocks (elapsed hours, the deadline stored in UTC)."""

    @classmethod
    def setUpClass(cls):
        super(TestCalendarBoundaries, cls).setUpClass()
        cls.company = cls.env['res.company'].create({'name': 'Time Israel'})
        cls.company.resource_calendar_id.write({'attendance_ids': [(5, 0, 0)] + [
            (0, 0, {'name': 'Day %s' % day, 'dayofweek': day, 'hour_from': 8, 'hour_to': 17})
            for day in SUNDAY_TO_THURSDAY]})
        cls.rule = cls.env.ref('impact_crm.stage_rule_prepare_quote')

    def test_year_end_and_leap_day(self):
        self.rule.write({'working_days': True, 'due_days': 1})
        self.assertEqual(self.rule._due_date(date(2026, 12, 31), self.company), date(2027, 1, 3),
                         "Thursday 31 December + 1 working day: Sunday 3 January")
        self.rule.write({'due_days': 3})
        self.assertEqual(self.rule._due_date(date(2028, 2, 24), self.company), date(2028, 2, 29))
        self.rule.write({'working_days': False, 'due_days': 1})
        self.assertEqual(self.rule._due_date(date(2028, 2, 28), self.company), date(2028, 2, 29))
        self.assertEqual(self.rule._due_date(date(2028, 2, 29), self.company), date(2028, 3, 1))

    def test_time_standard_in_hours_over_the_spring_change_of_clocks(self):
        lead = self.env['crm.lead'].create({'name': 'Time DST', 'type': 'opportunity'})
        # 23:00 UTC on Thursday 26 March 2026 = 01:00 on Friday 27 in Jerusalem; at 02:00 the clocks go to 03:00
        with freeze_time('2026-03-26 23:00:00'):
            activity = self.env['mail.activity'].create({
                'res_model_id': self.env['ir.model']._get('crm.lead').id, 'res_id': lead.id,
                'activity_type_id': self.env.ref('mail.mail_activity_data_call').id, 'summary': 'Call',
                'user_id': self.rep.id, 'sla_value': 4, 'sla_unit': 'hours'})
        # four hours of work: 03:00 UTC = 06:00 Jerusalem summer time (wall clock 01:00 + 4 h + the lost hour)
        self.assertEqual(activity.sla_deadline, '2026-03-27 03:00:00')


class TestCompactionJobs(IntegrityCase):

    def sums(self):
        cr = self.env.cr
        cr.execute("""SELECT user_id, team_id, region_id, company_id, stage_id, month, SUM(ordered), SUM(pipeline),
                             SUM(n) FROM crm_quota_deal_month GROUP BY 1, 2, 3, 4, 5, 6 HAVING SUM(n) != 0
                       ORDER BY 1, 2, 3, 4, 5, 6""")
        deals = cr.fetchall()
        cr.execute("SELECT COUNT(*) FROM crm_quota_deal_month")
        return deals, cr.fetchone()[0]

    def test_the_hourly_jobs_run_twice_give_the_same_sums(self):
        other = self.env['res.company'].create({'name': 'Time Other Company'})
        stage = self.env.ref('impact_crm.stage_potential')
        deals = self.env['crm.lead']
        for index in range(12):
            deals |= self.env['crm.lead'].create({
                'name': 'Compact %s' % index, 'type': 'opportunity', 'stage_id': stage.id, 'planned_revenue': 1000,
                'user_id': self.rep.id, 'company_id': other.id if index % 2 else self.env.user.company_id.id,
                'date_deadline': '2026-12-31' if index % 3 else '2027-01-01'})
        deals[:4].write({'planned_revenue': 2500})
        deals[4].unlink()
        forecast, quota = self.env['crm.forecast.report'], self.env['crm.quota']
        before = self.sums()
        for xmlid in ('impact_crm.ir_cron_crm_forecast_month_compact',
                      'impact_crm.ir_cron_crm_quota_deal_month_compact'):
            cron = self.env.ref(xmlid).with_context(lang=False, tz=False)
            cron.method_direct_trigger()
            once = self.sums()
            cron.method_direct_trigger()
            self.assertEqual(self.sums(), once, "%s: run again on the same data, the same sums" % xmlid)
        self.assertEqual(self.sums()[0], before[0])
        self.assertLessEqual(self.sums()[1], before[1])
        self.assertEqual(forecast._stale_months(), 0)
        self.assertEqual(quota._stale_deal_months(), 0)


class TestLostThisQuarterAtTheBoundary(IntegrityCase):

    def lose(self, name):
        deal = self.env['crm.lead'].create({'name': name, 'type': 'opportunity', 'planned_revenue': 1000,
                                            'stage_id': self.env.ref('impact_crm.stage_quote').id})
        wizard = self.env['crm.lead.lost'].with_context(
            active_model='crm.lead', active_ids=deal.ids, tz='Asia/Jerusalem').create({
                'lead_ids': [(6, 0, deal.ids)], 'lost_reason_id': self.reason.id})
        wizard.action_lost_reason_apply()
        return deal

    def test_the_lost_report_and_the_pipeline_agree_on_the_quarter_at_half_past_midnight(self):
        with freeze_time('2026-03-31 20:00:00'):  # 23:00 on Tuesday 31 March in Jerusalem: the first quarter
            earlier = self.lose('Time Lost Q1')
        # 21:30 UTC on 31 March = 00:30 on Wednesday 1 April in Jerusalem (UTC+3): the second quarter has begun
        with freeze_time('2026-03-31 21:30:00'):
            later = self.lose('Time Lost Q2')
            self.assertEqual((earlier.lost_date, later.lost_date), ('2026-03-31', '2026-04-01'))
            domain = [('lead_id', 'in', (earlier | later).ids), ('lost_this_quarter', '=', True)]
            report = self.env['crm.lead.lost.report'].with_context(tz='Asia/Jerusalem')
            pipeline = self.env['crm.lead'].with_context(tz='Asia/Jerusalem', active_test=False).search(
                [('id', 'in', (earlier | later).ids), ('lost_this_quarter', '=', True)])
            self.assertEqual(pipeline, later)
            self.assertEqual(report.search(domain).mapped('lead_id'), later)
            self.assertEqual(report.search([('lead_id', 'in', (earlier | later).ids),
                                            ('lost_this_quarter', '=', False)]).mapped('lead_id'), earlier)
            self.assertEqual(report.search([('lead_id', '=', later.id)]).lost_this_quarter, True)


class TestCompanyReportingTimeZone(IntegrityCase):
    """The forecast's rows and the quotas' sums date a confirmation, a win or a creation by its day in the
    company's reporting time zone: 22:30 UTC on 31 January is 00:30 on 1 February in Jerusalem (UTC+2)."""

    def setUp(self):
        super(TestCompanyReportingTimeZone, self).setUp()
        self.company = self.env.user.company_id
        self.addCleanup(self.company.write, {'forecast_tz': self.company.forecast_tz})

    def rows(self, deal):
        report = self.env['crm.forecast.report']
        rows = report.search([('lead_id', '=', deal.id)])
        self.assertEqual(report._stale_rows(), 0, "the stored rows are those computed now")
        self.assertEqual(report._stale_months(), 0)
        return sorted((row.source, row.date) for row in rows)

    def test_an_order_confirmed_after_midnight_counts_on_the_companys_day(self):
        with freeze_time('2026-01-31 22:30:00'):
            deal = self.Leads.create({'name': 'Time Zone Order', 'type': 'opportunity', 'planned_revenue': 500,
                                      'partner_id': self.partner.id,
                                      'stage_id': self.env.ref('impact_crm.stage_order').id})
            order = self.quotation()
            order.opportunity_id = deal
            order.action_confirm()
        # the database stamps a deal's creation with its own clock, which freeze_time does not stop
        self.env.cr.execute("UPDATE crm_lead SET create_date = '2026-01-31 22:30:00' WHERE id = %s", (deal.id,))
        self.company.forecast_tz = 'Asia/Jerusalem'
        self.assertEqual(self.rows(deal), [('opportunity', '2026-02-01'), ('order', '2026-02-01')])
        # Odoo's own pivot of the orders, for a user in Jerusalem: February too
        group = self.env['sale.order'].with_context(tz='Asia/Jerusalem').read_group(
            [('id', '=', order.id)], ['amount_total', 'confirmation_date'], ['confirmation_date:month'])
        self.assertIn('February', group[0]['confirmation_date:month'])
        # the same moments in UTC (no time zone): the rows are dated again
        self.company.forecast_tz = False
        self.assertEqual(self.rows(deal), [('opportunity', '2026-01-31'), ('order', '2026-01-31')])
        # a confirmation while the time zone is set is dated by the row's own trigger
        self.company.forecast_tz = 'Asia/Jerusalem'
        with freeze_time('2026-02-28 23:00:00'):  # 01:00 on 1 March in Jerusalem
            later = self.quotation()
            later.opportunity_id = deal
            later.action_confirm()
        self.assertEqual(self.env['crm.forecast.report'].search([('order_id', '=', later.id)]).mapped('date'),
                         ['2026-03-01'])
        self.assertEqual(self.env['crm.forecast.report']._stale_rows(), 0)

    def test_a_time_zone_postgresql_does_not_know_is_refused(self):
        # pytz and PostgreSQL each have their copy of the time zone names: one PostgreSQL lacks cannot date rows
        self.env.cr.execute("UPDATE res_company SET forecast_tz = 'Mars/Olympus_Mons' WHERE id = %s",
                            (self.company.id,))
        self.company.invalidate_cache()
        with self.assertRaises(ValidationError):
            self.company._check_forecast_tz()
        self.env.cr.execute("UPDATE res_company SET forecast_tz = 'Asia/Jerusalem' WHERE id = %s",
                            (self.company.id,))
        self.company.invalidate_cache()
        self.company._check_forecast_tz()
