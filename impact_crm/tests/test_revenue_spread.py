import base64
import io

import openpyxl

from odoo.exceptions import AccessError, ValidationError
from odoo.tests.common import SavepointCase


class TestRevenueSpread(SavepointCase):
    """Won deals of one team (100 %: weighted = amount), every month computed by hand.

    S1  55,000  linear, 2034-01-15 .. 2034-03-10: 17 + 28 + 10 = 55 days -> Jan 17,000, Feb 28,000, Mar 10,000
    S2  91,000  linear, 2035-12-01 .. 2036-02-29 (leap year): 31 + 31 + 29 days -> Dec 2035 31,000,
                Jan 2036 31,000, Feb 2036 29,000
    S3  10,000  schedule: 2034-02-05 3,000, 2034-05-20 7,000; end 2034-06-30
    S4   5,000  not spread, end 2034-02-20

    By delivery, 2034: Jan 17,000; Feb 28,000 + 3,000 + 5,000 = 36,000; Mar 10,000; May 7,000.
    By close period, 2034: Feb 5,000; Mar 55,000; Jun 10,000.
    """

    @classmethod
    def setUpClass(cls):
        super(TestRevenueSpread, cls).setUpClass()
        env = cls.env
        Users = env['res.users'].with_context(no_reset_password=True)
        salesman = env.ref('sales_team.group_sale_salesman')
        cls.rep = Users.create({'name': 'Spread Rep', 'login': 'spread_rep', 'email': 'rep@spread.example.com',
                                'lang': False, 'groups_id': [(6, 0, salesman.ids)]})
        cls.other_rep = Users.create({'name': 'Spread Other', 'login': 'spread_other', 'lang': False,
                                      'email': 'other@spread.example.com', 'groups_id': [(6, 0, salesman.ids)]})
        cls.team = env['crm.team'].create({'name': 'Spread Team', 'member_ids': [(6, 0, cls.rep.ids)]})
        Lead = env['crm.lead'].sudo(cls.rep)
        won = env.ref('impact_crm.stage_won')

        def deal(name, revenue, **vals):
            vals.update({'name': name, 'type': 'opportunity', 'user_id': cls.rep.id, 'team_id': cls.team.id,
                         'planned_revenue': revenue, 'stage_id': won.id})
            return Lead.create(vals)
        cls.s1 = deal('S1', 55000, revenue_spread='linear', date_start='2034-01-15', date_end='2034-03-10')
        cls.s2 = deal('S2', 91000, revenue_spread='linear', date_start='2035-12-01', date_end='2036-02-29')
        cls.s3 = deal('S3', 10000, revenue_spread='schedule', date_end='2034-06-30', instalment_ids=[
            (0, 0, {'date': '2034-02-05', 'amount': 3000, 'name': 'Advance'}),
            (0, 0, {'date': '2034-05-20', 'amount': 7000, 'name': 'Completion'})])
        cls.s4 = deal('S4', 5000, date_end='2034-02-20')

    def test_months_of_unequal_length_and_a_year_crossed(self):
        months = (self.s1 | self.s2 | self.s3 | self.s4)._revenue_by_month()
        self.assertEqual(months[self.s1.id], [('2034-01-01', 17000.0), ('2034-02-01', 28000.0),
                                              ('2034-03-01', 10000.0)])
        self.assertEqual(months[self.s2.id], [('2035-12-01', 31000.0), ('2036-01-01', 31000.0),
                                              ('2036-02-01', 29000.0)])
        self.assertEqual(months[self.s3.id], [('2034-02-01', 3000.0), ('2034-05-01', 7000.0)])
        self.assertEqual(months[self.s4.id], [('2034-02-01', 5000.0)])
        # a one-day project: everything in its month
        self.s1.write({'date_start': '2034-03-10'})
        self.assertEqual(self.s1._revenue_by_month()[self.s1.id], [('2034-03-01', 55000.0)])

    def test_schedules_that_do_not_sum_are_refused(self):
        Lead = self.env['crm.lead'].sudo(self.rep)
        with self.assertRaises(ValidationError), self.cr.savepoint():
            Lead.create({'name': 'Bad', 'type': 'opportunity', 'planned_revenue': 10000,
                         'revenue_spread': 'schedule', 'instalment_ids': [
                             (0, 0, {'date': '2034-02-05', 'amount': 3000}),
                             (0, 0, {'date': '2034-05-20', 'amount': 6000})]})
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self.s3.write({'planned_revenue': 12000})
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self.s3.instalment_ids[0].unlink()
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self.s3.instalment_ids[0].write({'amount': 2999.0})
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self.s4.write({'revenue_spread': 'schedule'})
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self.s4.write({'revenue_spread': 'linear'})   # no start date
        self.assertEqual(self.s3.instalment_ids.mapped('amount'), [3000.0, 7000.0])
        self.assertEqual(self.s3.planned_revenue, 10000.0)
        # changing both together in one write is fine
        self.s3.write({'planned_revenue': 12000, 'instalment_ids': [(1, self.s3.instalment_ids[1].id,
                                                                     {'amount': 9000})]})
        self.assertEqual(self.s3._revenue_by_month()[self.s3.id], [('2034-02-01', 3000.0), ('2034-05-01', 9000.0)])

    def test_instalments_follow_the_deal_rules(self):
        with self.assertRaises(AccessError):
            self.s3.instalment_ids.sudo(self.other_rep).read(['amount'])
        self.assertEqual(len(self.s3.sudo(self.rep).instalment_ids), 2)

    def test_instalments_hidden_from_employees_outside_sales_seen_by_accountants(self):
        """An employee outside sales (who reads no colleague's deal) does not read its instalments either; an
        accountant, who plans the collection, reads every deal's."""
        Users = self.env['res.users'].with_context(no_reset_password=True)
        employee = Users.create({'name': 'Spread Employee', 'login': 'spread_employee', 'lang': False,
                                 'groups_id': [(6, 0, self.env.ref('base.group_user').ids)]})
        accountant = Users.create({'name': 'Spread Accountant', 'login': 'spread_accountant', 'lang': False,
                                   'groups_id': [(6, 0, self.env.ref('account.group_account_invoice').ids)]})
        Instalment = self.env['crm.lead.instalment']
        with self.assertRaises(AccessError):
            self.s3.instalment_ids.sudo(employee).read(['amount', 'date'])
        self.assertFalse(Instalment.sudo(employee).search([('lead_id', '=', self.s3.id)]))
        groups = Instalment.sudo(employee).read_group([('lead_id', '=', self.s3.id)], ['amount'], [])
        self.assertFalse(groups[0]['amount'])
        self.assertEqual(Instalment.sudo(accountant).search([('lead_id', '=', self.s3.id)]).mapped('amount'),
                         [3000.0, 7000.0])
        # an unassigned deal's schedule, as its people, is everyone's
        self.s3.write({'user_id': False})
        self.assertEqual(len(Instalment.sudo(employee).search([('lead_id', '=', self.s3.id)])), 2)

    def _summary(self, **vals):
        values = {'date_from': '2034-01-01', 'date_to': '2034-06-30', 'granularity': 'month',
                  'team_ids': [(6, 0, self.team.ids)]}
        values.update(vals)
        wizard = self.env['crm.forecast.workbook'].sudo(self.rep).create(values)
        wizard.action_export()
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)), data_only=True)
        summary = book['Summary']
        rows = dict((summary.cell(row=r, column=1).value, summary.cell(row=r, column=7).value)
                    for r in range(5, 12))
        return summary['A2'].value, rows, book

    def test_workbook_by_delivery_or_close_period(self):
        subtitle, rows, book = self._summary(date_basis='delivery')
        self.assertIn('Delivery Period', subtitle)
        self.assertEqual(rows, {'Jan 2034': 17000.0, 'Feb 2034': 36000.0, 'Mar 2034': 10000.0, 'Apr 2034': 0.0,
                                'May 2034': 7000.0, 'Jun 2034': 0.0, 'Total': 70000.0})
        sheet = book['Salesperson']
        self.assertEqual(sheet.cell(row=6, column=8).value, 70000.0)   # weighted total of the rep
        subtitle, rows, _book = self._summary(date_basis='close')
        self.assertIn('Close Period', subtitle)
        self.assertEqual(rows, {'Jan 2034': 0.0, 'Feb 2034': 5000.0, 'Mar 2034': 55000.0, 'Apr 2034': 0.0,
                                'May 2034': 0.0, 'Jun 2034': 10000.0, 'Total': 70000.0})
        # a period cutting a project counts only its months inside
        _subtitle, rows, _book = self._summary(date_basis='delivery', date_from='2034-02-01', date_to='2034-02-28')
        self.assertEqual(rows['Total'], 36000.0)

    def test_forecast_by_delivery_period_in_the_app(self):
        Report = self.env['crm.forecast.delivery.report'].sudo(self.rep)
        groups = Report.read_group([('team_id', '=', self.team.id)], ['amount', 'weighted_amount', 'date'],
                                   ['date:quarter'])
        totals = dict((g['date:quarter'], (g['amount'], g['weighted_amount'])) for g in groups)
        self.assertEqual(totals, {'Q1 2034': (63000.0, 63000.0), 'Q2 2034': (7000.0, 7000.0),
                                  'Q4 2035': (31000.0, 31000.0), 'Q1 2036': (60000.0, 60000.0)})
        self.assertEqual(len(Report.search([('lead_id', '=', self.s1.id)])), 3)
        # another rep sees none of these deals
        self.assertFalse(self.env['crm.forecast.delivery.report'].sudo(self.other_rep).search(
            [('team_id', '=', self.team.id)]))

    def test_instalment_values_refused_in_the_users_language(self):
        """Amounts that are not finite numbers or beyond any amount, dates that do not exist and texts for
        numbers are refused by the instalment itself (also when they come with the deal), in the user's
        language, before anything is stored; the schedule's own check still speaks for itself."""
        Instalment = self.env['crm.lead.instalment'].sudo(self.rep)
        hebrew = Instalment.with_context(lang='he_IL')

        def refused(call, expected):
            with self.assertRaises(ValidationError) as caught, self.cr.savepoint():
                call()
            self.assertIn(expected, caught.exception.name)

        # S4 is not spread: the schedule's sum is not checked, nothing else would have stopped these values
        for amount in (float('nan'), float('inf'), -float('inf')):
            refused(lambda: Instalment.create({'lead_id': self.s4.id, 'date': '2034-02-20', 'amount': amount}),
                    'a finite number is expected')
        refused(lambda: Instalment.create({'lead_id': self.s4.id, 'date': '2034-02-20', 'amount': 1e300}),
                'is too large')
        refused(lambda: Instalment.create({'lead_id': self.s4.id, 'date': '2034-02-20', 'amount': 'lots'}),
                'is not a number')
        refused(lambda: Instalment.create({'lead_id': self.s4.id, 'date': '2026-02-30', 'amount': 100.0}),
                "'2026-02-30' is not a valid date")
        refused(lambda: hebrew.create({'lead_id': self.s4.id, 'date': '2034-02-20', 'amount': float('nan')}),
                'נדרש מספר סופי')
        refused(lambda: hebrew.create({'lead_id': self.s4.id, 'date': '2026-02-30', 'amount': 100.0}),
                "'2026-02-30' אינו תאריך תקין")
        self.assertFalse(Instalment.search([('lead_id', '=', self.s4.id)]))

        advance = self.s3.instalment_ids[0].sudo(self.rep)
        refused(lambda: advance.write({'amount': float('nan')}), 'a finite number is expected')
        refused(lambda: advance.write({'date': '2034-02-31'}), "'2034-02-31' is not a valid date")
        refused(lambda: advance.with_context(lang='he_IL').write({'amount': float('inf')}), 'נדרש מספר סופי')
        # through the deal's form: the same instalment, the same check
        refused(lambda: self.s3.sudo(self.rep).write({'instalment_ids': [(1, advance.id, {'amount': 1e300})]}),
                'is too large')
        refused(lambda: self.s3.sudo(self.rep).write({'instalment_ids': [
            (0, 0, {'date': '2026-02-30', 'amount': 0.0})]}), "'2026-02-30' is not a valid date")
        # a valid but wrong (or negative) amount still gets the schedule's own message
        refused(lambda: advance.write({'amount': 2999.0}), 'not to its expected revenue')
        refused(lambda: advance.write({'amount': -3000.0}), 'not to its expected revenue')
        self.assertEqual(self.s3.instalment_ids.mapped('amount'), [3000.0, 7000.0])
        self.assertEqual(self.s3.instalment_ids.mapped('date'), ['2034-02-05', '2034-05-20'])
