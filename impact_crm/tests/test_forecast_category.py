import base64
import io

import openpyxl

from odoo.exceptions import UserError, ValidationError
from odoo.tests.common import SavepointCase


class TestForecastCategory(SavepointCase):
    """Forecast categories on a pipeline of one team in 2032, every total computed by hand.

    Shipped stages: Potential -> Pipeline, Quote -> Best Case, Order -> Commit, Won -> Closed, Lost.

    A  10,000  Potential                                       -> Pipeline  (10 %)  end 2032-02-15
    B  20,000  Quote; rep sets Commit; moved to Order then Potential (the choice stays)
                                                               -> Commit    (10 %)  end 2032-02-15
    C  30,000  Order; rep sets Pipeline; moved to Quote        -> Pipeline  (20 %)  end 2032-02-15
    D  40,000  Quote; rep sets Commit; won                     -> Closed   (100 %)  end 2032-05-10
    E  50,000  Quote; rep sets Commit; lost                    -> Omitted (not in the forecast)
    F   5,000  Order; rep sets Best Case, then resets it       -> Commit    (40 %)  end 2032-02-15

    Unweighted per category: Q1 Commit 25,000 (B + F), Pipeline 40,000 (A + C); Q2 Closed 40,000 (D).
    Weighted: Q1 1,000 + 2,000 + 6,000 + 2,000 = 11,000; Q2 40,000.
    """

    @classmethod
    def setUpClass(cls):
        super(TestForecastCategory, cls).setUpClass()
        env = cls.env
        cls.rep = env['res.users'].with_context(no_reset_password=True).create({
            'name': 'Category Rep', 'login': 'category_rep', 'lang': False, 'email': 'rep@category.example.com',
            'groups_id': [(6, 0, [env.ref('sales_team.group_sale_salesman').id])]})
        cls.manager = env['res.users'].with_context(no_reset_password=True).create({
            'name': 'Category Manager', 'login': 'category_manager', 'lang': False,
            'email': 'manager@category.example.com',
            'groups_id': [(6, 0, [env.ref('sales_team.group_sale_manager').id])]})
        cls.team = env['crm.team'].create({'name': 'Category Team', 'member_ids': [(6, 0, cls.rep.ids)]})
        cls.partner = env['res.partner'].create({'name': 'Category Customer'})
        cls.stages = dict((name, env.ref('impact_crm.stage_%s' % name))
                          for name in ('potential', 'quote', 'order', 'won', 'lost'))
        Lead = env['crm.lead'].sudo(cls.rep)

        def deal(name, revenue, stage, date_end='2032-02-15'):
            return Lead.create({'name': name, 'type': 'opportunity', 'user_id': cls.rep.id,
                                'team_id': cls.team.id, 'partner_id': cls.partner.id, 'planned_revenue': revenue,
                                'stage_id': cls.stages[stage].id, 'date_end': date_end})
        cls.a = deal('A', 10000, 'potential')
        cls.b = deal('B', 20000, 'quote')
        cls.c = deal('C', 30000, 'order')
        cls.d = deal('D', 40000, 'quote', date_end='2032-05-10')
        cls.e = deal('E', 50000, 'quote')
        cls.f = deal('F', 5000, 'order')

    def _play(self):
        """The moves of the docstring, as the rep makes them."""
        self.b.write({'forecast_category': 'commit'})
        self.b.write({'stage_id': self.stages['order'].id})
        self.b.write({'stage_id': self.stages['potential'].id})
        self.c.write({'forecast_category': 'pipeline'})
        self.c.write({'stage_id': self.stages['quote'].id})
        self.d.write({'forecast_category': 'commit'})
        self.d.write({'stage_id': self.stages['won'].id})
        self.e.write({'forecast_category': 'commit'})
        self.e._action_lose({'lost_reason': self.env.ref('impact_crm.lost_reason_other').id})
        self.f.write({'forecast_category': 'best_case'})
        self.f.action_reset_forecast_category()

    def test_default_follows_the_stage(self):
        self.assertEqual([lead.forecast_category for lead in (self.a, self.b, self.c, self.f)],
                         ['pipeline', 'best_case', 'commit', 'commit'])
        self.assertFalse(self.b.forecast_category_manual)
        self.b.write({'stage_id': self.stages['order'].id})
        self.assertEqual(self.b.forecast_category, 'commit')
        # changing the stage's category moves its deals that no rep has overridden
        self.stages['potential'].sudo(self.manager).forecast_category = 'best_case'
        self.assertEqual(self.a.forecast_category, 'best_case')

    def test_override_survives_stage_changes_with_who_and_when(self):
        self._play()
        self.assertEqual(self.b.forecast_category, 'commit')
        self.assertEqual(self.b.forecast_category_manual, 'commit')
        self.assertEqual(self.b.forecast_category_manual_uid, self.rep)
        self.assertTrue(self.b.forecast_category_manual_date)
        self.assertEqual(self.b.stage_id, self.stages['potential'])
        self.assertEqual(self.c.forecast_category, 'pipeline')
        # the stage's own value is no override: F follows its stage again
        self.assertEqual(self.f.forecast_category, 'commit')
        self.assertFalse(self.f.forecast_category_manual)
        self.assertFalse(self.f.forecast_category_manual_uid)
        # a manager's change of the stage's category leaves the rep's choice alone
        self.stages['potential'].sudo(self.manager).forecast_category = 'best_case'
        self.assertEqual(self.b.forecast_category, 'commit')
        self.assertEqual(self.a.forecast_category, 'best_case')

    def test_won_is_closed_lost_is_omitted_always(self):
        self._play()
        self.assertEqual(self.d.forecast_category, 'closed')
        self.assertFalse(self.d.forecast_category_manual, "winning ends the rep's choice")
        self.assertEqual(self.e.forecast_category, 'omitted')
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self.d.write({'forecast_category': 'commit'})
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self.e.write({'forecast_category': 'pipeline'})
        self.d.write({'forecast_category': 'closed'})   # the same value is no change
        self.assertEqual(self.d.forecast_category, 'closed')
        # a rep may take an open deal out of the forecast
        self.a.write({'forecast_category': 'omitted'})
        self.assertEqual(self.a.forecast_category, 'omitted')
        # but not count it as closed, by a write, a mass edit or an import
        for leads in (self.b, self.b | self.c):
            with self.assertRaises(ValidationError), self.cr.savepoint():
                leads.sudo(self.rep).write({'forecast_category': 'closed'})
        result = self.env['crm.lead'].sudo(self.rep).load(['.id', 'forecast_category'], [[str(self.b.id), 'Closed']])
        self.assertFalse(result['ids'])
        self.assertEqual((self.b | self.c).mapped('forecast_category'), ['commit', 'pipeline'])

    def test_bad_value_and_creation_with_a_category(self):
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self.a.write({'forecast_category': 'maybe'})
        lead = self.env['crm.lead'].sudo(self.rep).create({
            'name': 'G', 'type': 'opportunity', 'stage_id': self.stages['potential'].id, 'user_id': self.rep.id,
            'forecast_category': 'commit'})
        self.assertEqual((lead.forecast_category, lead.forecast_category_manual, lead.forecast_category_manual_uid),
                         ('commit', 'commit', self.rep))
        # an import sets it as the form does
        result = self.env['crm.lead'].sudo(self.rep).load(['.id', 'forecast_category'], [[str(lead.id), 'Best Case']])
        self.assertEqual(result['ids'], lead.ids, result['messages'])
        self.assertEqual((lead.forecast_category, lead.forecast_category_manual), ('best_case', 'best_case'))

    def test_report_groups_and_filters_by_category(self):
        self._play()
        Report = self.env['crm.forecast.report'].sudo(self.manager)
        groups = Report.read_group([('team_id', '=', self.team.id), ('source', '=', 'opportunity')],
                                   ['forecast_category', 'amount', 'weighted_amount'], ['forecast_category'])
        totals = dict((g['forecast_category'], (g['amount'], g['weighted_amount'])) for g in groups)
        self.assertEqual(totals, {'pipeline': (40000.0, 7000.0), 'commit': (25000.0, 4000.0),
                                  'closed': (40000.0, 40000.0)})
        commit = Report.search([('team_id', '=', self.team.id), ('forecast_category', '=', 'commit')])
        self.assertEqual(commit.mapped('lead_id'), self.b | self.f)
        # the rep sees the same numbers for their own deals
        mine = self.env['crm.forecast.report'].sudo(self.rep).read_group(
            [('team_id', '=', self.team.id), ('source', '=', 'opportunity')], ['amount'], [])
        self.assertEqual(mine[0]['amount'], 105000.0)

    def _workbook(self, user, **vals):
        values = {'date_from': '2032-01-01', 'date_to': '2032-12-31', 'granularity': 'quarter',
                  'team_ids': [(6, 0, self.team.ids)]}
        values.update(vals)
        wizard = self.env['crm.forecast.workbook'].sudo(user).create(values)
        wizard.action_export()
        return openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)), data_only=True)

    def test_workbook_summary_shows_the_call(self):
        self._play()
        book = self._workbook(self.rep, by_forecast_category=True)
        self.assertEqual(book.sheetnames, ['Summary', 'Salesperson', 'Sales Channel', 'Sales Region',
                                           'Product Category', 'Forecast Category'])
        summary = book['Summary']
        self.assertEqual([summary.cell(row=4, column=c).value for c in range(9, 13)],
                         ['Closed', 'Commit', 'Best Case', 'Pipeline'])
        rows = dict((summary.cell(row=r, column=1).value, [summary.cell(row=r, column=c).value for c in range(9, 13)])
                    for r in range(5, 10))
        self.assertEqual(rows['Q1 2032'], [0.0, 25000.0, 0.0, 40000.0])
        self.assertEqual(rows['Q2 2032'], [40000.0, 0.0, 0.0, 0.0])
        self.assertEqual(rows['Total'], [40000.0, 25000.0, 0.0, 40000.0])
        # weighted total, as before
        self.assertEqual(summary.cell(row=9, column=4).value, 51000.0)
        sheet = book['Forecast Category']
        lines = dict((sheet.cell(row=r, column=1).value, sheet.cell(row=r, column=6).value)
                     for r in range(6, sheet.max_row + 1))
        self.assertEqual(lines, {'Closed': 40000.0, 'Commit': 4000.0, 'Pipeline': 7000.0, 'Total': 51000.0})

    def test_workbook_filters_categories(self):
        self._play()
        book = self._workbook(self.manager, category_pipeline=False, category_closed=False)
        summary = book['Summary']
        self.assertEqual([summary.cell(row=4, column=c).value for c in range(9, 11)], ['Commit', 'Best Case'])
        rows = dict((summary.cell(row=r, column=1).value, summary.cell(row=r, column=7).value)
                    for r in range(5, 10))
        self.assertEqual(rows['Q1 2032'], 25000.0)
        self.assertEqual(rows['Total'], 25000.0)
        with self.assertRaises(UserError):
            self._workbook(self.manager, category_pipeline=False, category_closed=False, category_commit=False,
                           category_best_case=False)
