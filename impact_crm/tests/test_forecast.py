import base64
import gc
import io
from unittest.mock import patch

import openpyxl

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests.common import SavepointCase


class TestForecast(SavepointCase):
    """A small pipeline in 2031 whose every forecast number is computed by hand below.

    opp1  rep_a  team1  region North  30,000 x 40%  end 2031-05-15 (Q2)  old revision 10,000 C1 (ignored),
          latest quote 20,000 C1 + 10,000 C2
    opp2  rep_b  team1  no region     50,000 won (100%)  end 2031-08-01 (Q3)  no quote
    opp3  rep_a  team2  region North  10,000 x 20%  end 2031-11-20 (Q4)  confirmed order 1,000 XTS (C2)
    opp4  rep_b  team2  no region      1,000 x 10%  no end date, deadline 2031-02-10 (Q1)  no quote
    opp5  rep_a  team1  lost          99,999: never in the forecast
    """

    @classmethod
    def setUpClass(cls):
        super(TestForecast, cls).setUpClass()
        env = cls.env
        groups = env.ref('sales_team.group_sale_salesman')
        cls.company = env.user.company_id

        def user(login, group, lang=False):
            return env['res.users'].with_context(no_reset_password=True).create({
                'name': login, 'login': login, 'lang': lang, 'company_id': cls.company.id,
                'company_ids': [(6, 0, [cls.company.id])], 'groups_id': [(6, 0, [group.id])]})
        cls.rep_a = user('forecast_rep_a', groups)
        cls.rep_b = user('forecast_rep_b', groups)
        cls.leader = user('forecast_leader', groups)
        cls.manager = user('forecast_manager', env.ref('sales_team.group_sale_manager'))
        cls.team1 = env['crm.team'].create({'name': 'Forecast Team 1', 'user_id': cls.leader.id})
        cls.team2 = env['crm.team'].create({'name': 'Forecast Team 2'})
        cls.state = env.ref('impact_crm.state_il_z')
        cls.region = env.ref('impact_crm.crm_region_north')
        cls.partner_north = env['res.partner'].create({
            'name': 'Galilee Builders', 'country_id': env.ref('base.il').id, 'state_id': cls.state.id})
        cls.partner_none = env['res.partner'].create({'name': 'Nowhere Ltd'})
        cls.categ1 = env['product.category'].create({'name': 'Forecast Glazing'})
        cls.categ2 = env['product.category'].create({'name': 'Forecast Steel'})
        cls.product1 = env['product.product'].create({
            'name': 'Glass m2', 'list_price': 100.0, 'type': 'service', 'categ_id': cls.categ1.id})
        cls.product2 = env['product.product'].create({
            'name': 'Steel t', 'list_price': 100.0, 'type': 'service', 'categ_id': cls.categ2.id})
        cls.xts = env['res.currency'].create({'name': 'XTS', 'symbol': 'X', 'rounding': 0.01})
        env['res.currency.rate'].create({'currency_id': cls.xts.id, 'name': '2020-01-01', 'rate': 4.0})
        env['res.currency.rate'].create({'currency_id': cls.xts.id, 'name': '2031-01-01', 'rate': 2.0})
        cls.pricelist_xts = env['product.pricelist'].create({'name': 'XTS prices', 'currency_id': cls.xts.id})

        def opp(name, rep, team, partner, revenue, probability, stage, **vals):
            vals.update({'name': name, 'type': 'opportunity', 'user_id': rep.id, 'team_id': team.id,
                         'partner_id': partner.id, 'planned_revenue': revenue, 'probability': probability,
                         'stage_id': env.ref('impact_crm.' + stage).id})
            return env['crm.lead'].create(vals)
        cls.opp1 = opp('Opp 1', cls.rep_a, cls.team1, cls.partner_north, 30000, 40, 'stage_order',
                       date_end='2031-05-15')
        cls.opp2 = opp('Opp 2', cls.rep_b, cls.team1, cls.partner_none, 50000, 100, 'stage_won',
                       date_end='2031-08-01')
        cls.opp3 = opp('Opp 3', cls.rep_a, cls.team2, cls.partner_north, 10000, 20, 'stage_quote',
                       date_end='2031-11-20')
        cls.opp4 = opp('Opp 4', cls.rep_b, cls.team2, cls.partner_none, 1000, 10, 'stage_potential',
                       date_deadline='2031-02-10')
        cls.opp5 = opp('Opp 5', cls.rep_a, cls.team1, cls.partner_none, 99999, 0, 'stage_lost',
                       date_end='2031-05-15', lost_reason=env.ref('impact_crm.lost_reason_other').id)

        def order(lead, lines, **vals):
            vals.update({'partner_id': lead.partner_id.id, 'opportunity_id': lead.id, 'user_id': lead.user_id.id,
                         'order_line': [(0, 0, {'product_id': p.id, 'product_uom_qty': qty, 'price_unit': price})
                                        for p, qty, price in lines]})
            return env['sale.order'].create(vals)
        cls.order1_old = order(cls.opp1, [(cls.product1, 100, 100.0)])
        # revision 2 replaces revision 1: only the latest revision counts
        cls.order1_old.action_new_revision()
        cls.order1 = cls.order1_old.revision_ids.filtered('is_latest_revision')
        cls.order1.write({'order_line': [(5, 0, 0)] + [
            (0, 0, {'product_id': p.id, 'product_uom_qty': qty, 'price_unit': price})
            for p, qty, price in [(cls.product1, 200, 100.0), (cls.product2, 100, 100.0)]]})
        cls.order3 = order(cls.opp3, [(cls.product2, 1, 1000.0)], pricelist_id=cls.pricelist_xts.id,
                           date_order='2031-03-01 10:00:00')
        cls.order3.action_confirm()
        cls.order3_amount = cls.xts.with_context(date='2031-03-01').compute(
            1000.0, cls.company.currency_id, round=False)
        cls.domain = [('team_id', 'in', (cls.team1 | cls.team2).ids)]

    def _totals(self, user, source, groupby):
        Report = self.env['crm.forecast.report'].sudo(user)
        groups = Report.read_group(self.domain + [('source', '=', source)],
                                   ['amount', 'weighted_amount'] + [g.split(':')[0] for g in groupby],
                                   groupby, lazy=False)
        result = {}
        for group in groups:
            key = tuple(group[g][0] if isinstance(group[g], tuple) else group[g] for g in groupby)
            result[key] = (round(group['amount'], 2), round(group['weighted_amount'], 2))
        return result

    # -- region -------------------------------------------------------------------------------

    def test_region_defaulted_from_address_and_editable(self):
        self.assertEqual(self.opp1.region_id, self.region)
        self.assertFalse(self.opp2.region_id)
        south = self.env.ref('impact_crm.crm_region_south')
        lead = self.env['crm.lead'].create({'name': 'Chosen region', 'partner_id': self.partner_north.id,
                                            'region_id': south.id})
        self.assertEqual(lead.region_id, south)
        new = self.env['crm.lead'].new({'name': 'Form'})
        new.partner_id = self.partner_north
        new._onchange_partner_id_region()
        self.assertEqual(new.region_id, self.region)

    def test_region_by_country(self):
        cyprus = self.env.ref('base.cy')
        region = self.env['crm.region'].create({'name': 'Abroad', 'country_ids': [(6, 0, cyprus.ids)]})
        partner = self.env['res.partner'].create({'name': 'Limassol Co', 'country_id': self.env.ref('base.cy').id})
        lead = self.env['crm.lead'].create({'name': 'Cyprus tower', 'partner_id': partner.id})
        self.assertEqual(lead.region_id, region)

    def test_sales_user_cannot_configure_regions(self):
        from odoo.exceptions import AccessError
        with self.assertRaises(AccessError):
            self.env['crm.region'].sudo(self.rep_a).create({'name': 'Mine'})

    # -- analysis -----------------------------------------------------------------------------

    def test_opportunity_source_by_quarter(self):
        totals = self._totals(self.manager, 'opportunity', ['date:quarter'])
        self.assertEqual(totals, {('Q1 2031',): (1000.0, 100.0),
                                  ('Q2 2031',): (30000.0, 12000.0),    # 30,000 x 40%; lost opp5 left out
                                  ('Q3 2031',): (50000.0, 50000.0),    # won at 100%
                                  ('Q4 2031',): (10000.0, 2000.0)})

    def test_opportunity_source_split_by_category(self):
        totals = self._totals(self.manager, 'opportunity', ['categ_id'])
        self.assertEqual(totals, {
            (self.categ1.id,): (20000.0, 8000.0),     # 2/3 of opp1 (old revision not counted)
            (self.categ2.id,): (20000.0, 6000.0),     # 1/3 of opp1 + all of opp3
            (False,): (51000.0, 50100.0),             # opp2 + opp4: no lines, "no category"
        })

    def test_order_source_latest_revision_once_confirmed_at_100(self):
        totals = self._totals(self.manager, 'order', ['lead_id'])
        self.assertEqual(totals[(self.opp1.id,)], (30000.0, 12000.0))
        x = round(self.order3_amount, 2)
        # 1,000 XTS at the rate of the order date (2 XTS per unit of the rate-1 currency), into company currency
        company_rate = self.company.currency_id.with_context(date='2031-03-01').rate
        self.assertAlmostEqual(x, 1000.0 / 2.0 * company_rate, places=2)
        self.assertEqual(totals[(self.opp3.id,)], (x, x))
        self.assertEqual(set(totals), {(self.opp1.id,), (self.opp3.id,)})
        by_categ = self._totals(self.manager, 'order', ['categ_id', 'date:quarter'])
        self.assertEqual(by_categ[(self.categ1.id, 'Q2 2031')], (20000.0, 8000.0))
        self.assertEqual(by_categ[(self.categ2.id, 'Q4 2031')], (x, x))

    def test_regions_and_won_status(self):
        totals = self._totals(self.manager, 'opportunity', ['region_id', 'status'])
        self.assertEqual(totals, {
            (self.region.id, 'open'): (40000.0, 14000.0),
            (False, 'open'): (1000.0, 100.0),
            (False, 'won'): (50000.0, 50000.0),
        })

    def test_sales_user_sees_own_numbers_team_leader_sees_team(self):
        self.assertEqual(self._totals(self.rep_a, 'opportunity', ['user_id']),
                         {(self.rep_a.id,): (40000.0, 14000.0)})
        self.assertEqual(self._totals(self.rep_b, 'opportunity', ['user_id']),
                         {(self.rep_b.id,): (51000.0, 50100.0)})
        self.assertEqual(self._totals(self.leader, 'opportunity', ['team_id']),
                         {(self.team1.id,): (80000.0, 62000.0)})

    # -- workbook -----------------------------------------------------------------------------

    def _workbook(self, user, **vals):
        values = {'date_from': '2031-01-01', 'date_to': '2031-12-31', 'granularity': 'quarter',
                  'team_ids': [(6, 0, (self.team1 | self.team2).ids)]}
        values.update(vals)
        wizard = self.env['crm.forecast.workbook'].sudo(user).with_context(lang=user.lang).create(values)
        action = wizard.action_export()
        self.assertIn('/web/content', action['url'])
        content = base64.b64decode(wizard.file_data)
        self.assertTrue(wizard.file_name.endswith('.xlsx'))
        return (openpyxl.load_workbook(io.BytesIO(content)),
                openpyxl.load_workbook(io.BytesIO(content), data_only=True))

    def _check_formulas(self, formulas, values):
        """Every formula is a SUM whose cached value equals the sum of the cells it covers."""
        count = 0
        for ws in formulas.worksheets:
            cached = values[ws.title]
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and cell.value.startswith('='):
                        self.assertTrue(cell.value.startswith('=SUM('), cell.value)
                        total = sum(c.value or 0.0 for line in cached[cell.value[5:-1]] for c in line)
                        self.assertAlmostEqual(cached[cell.coordinate].value, total, places=2,
                                               msg='%s!%s %s' % (ws.title, cell.coordinate, cell.value))
                        count += 1
        self.assertTrue(count)

    def test_workbook_manager(self):
        formulas, values = self._workbook(self.manager)
        self.assertEqual(formulas.sheetnames, ['Summary', 'Salesperson', 'Sales Channel', 'Sales Region',
                                               'Product Category'])
        self._check_formulas(formulas, values)
        summary = values['Summary']
        rows = dict((summary.cell(row=r, column=1).value, [summary.cell(row=r, column=c).value for c in range(2, 8)])
                    for r in range(5, 10))
        # period: weighted open, won, total, unweighted open, won, total
        self.assertEqual(rows['Q1 2031'], [100.0, 0.0, 100.0, 1000.0, 0.0, 1000.0])
        self.assertEqual(rows['Q2 2031'], [12000.0, 0.0, 12000.0, 30000.0, 0.0, 30000.0])
        self.assertEqual(rows['Q3 2031'], [0.0, 50000.0, 50000.0, 0.0, 50000.0, 50000.0])
        self.assertEqual(rows['Q4 2031'], [2000.0, 0.0, 2000.0, 10000.0, 0.0, 10000.0])
        self.assertEqual(rows['Total'], [14100.0, 50000.0, 64100.0, 41000.0, 50000.0, 91000.0])
        self.assertEqual(len(formulas['Summary']._charts), 1)
        self.assertEqual(formulas['Summary'].freeze_panes, 'B5')
        self.assertFalse(formulas['Summary'].sheet_view.rightToLeft)
        categ = values['Product Category']
        lines = dict((categ.cell(row=r, column=1).value, [categ.cell(row=r, column=c).value for c in range(2, 7)])
                     for r in range(6, categ.max_row + 1))
        # weighted Q1..Q4, total
        self.assertEqual(lines['No category'], [100.0, 0.0, 50000.0, 0.0, 50100.0])
        self.assertEqual(lines['Forecast Glazing'], [0.0, 8000.0, 0.0, 0.0, 8000.0])
        self.assertEqual(lines['Total'], [100.0, 12000.0, 50000.0, 2000.0, 64100.0])
        region = values['Sales Region']
        names = [region.cell(row=r, column=1).value for r in range(6, region.max_row + 1)]
        self.assertEqual(names, ['North', 'No region', 'Total'])
        self.assertIn('#,##', formulas['Summary']['B5'].number_format)
        self.assertIn(self.company.currency_id.symbol, formulas['Summary']['B5'].number_format)

    def test_workbook_sales_user_and_order_source(self):
        formulas, values = self._workbook(self.rep_a, source='order', by_team=False, by_region=False,
                                          by_categ=False)
        self.assertEqual(formulas.sheetnames, ['Summary', 'Salesperson'])
        self._check_formulas(formulas, values)
        rep = values['Salesperson']
        self.assertEqual([rep.cell(row=r, column=1).value for r in range(6, rep.max_row + 1)],
                         ['forecast_rep_a', 'Total'])
        x = round(self.order3_amount, 2)
        self.assertEqual([rep.cell(row=6, column=c).value for c in range(2, 7)], [0.0, 12000.0, 0.0, x, 12000.0 + x])

    def test_workbook_hebrew_right_to_left(self):
        self.manager.lang = 'he_IL'
        formulas, _values = self._workbook(self.manager)
        for ws in formulas.worksheets:
            self.assertTrue(ws.sheet_view.rightToLeft, ws.title)

    def test_workbook_period_labels_in_each_language(self):
        """The periods' labels are in the reader's language, whichever language asked for them first in this
        process (they are remembered per language)."""
        wizard = self._wizard(self.manager, date_from='2031-01-01', date_to='2031-03-31', granularity='month')
        for lang, labels in (('he_IL', ['ינו׳ 2031', 'פבר׳ 2031', 'מרץ 2031']),
                             ('en_US', ['Jan 2031', 'Feb 2031', 'Mar 2031']),
                             ('he_IL', ['ינו׳ 2031', 'פבר׳ 2031', 'מרץ 2031'])):
            periods = wizard.with_context(lang=lang)._periods()
            self.assertEqual([label for _start, label in periods], labels, lang)
        self.assertEqual([start for start, _label in periods],
                         [fields.Date.from_string(day) for day in ('2031-01-01', '2031-02-01', '2031-03-01')])
        quarters = wizard.with_context(lang='en_US')
        quarters.granularity = 'quarter'
        self.assertEqual([label for _start, label in quarters._periods()], ['Q1 2031'])

    def test_workbook_bad_input_and_no_data(self):
        with self.assertRaises(UserError):
            self._workbook(self.manager, date_from='2031-12-31', date_to='2031-01-01')
        with self.assertRaises(UserError):
            self._workbook(self.manager, by_user=False, by_team=False, by_region=False, by_categ=False)
        formulas, values = self._workbook(self.manager, date_from='2040-01-01', date_to='2040-12-31')
        self.assertEqual(formulas.sheetnames, ['Summary'])
        self.assertIn('No data', values['Summary']['A4'].value)

    def test_workbook_pauses_cycle_collector_only_while_written(self):
        """The cycle collector is off while the book is written (its cells are freed by reference counting)
        and as it was afterwards, also when the build fails."""
        Wizard = type(self.env['crm.forecast.workbook'])
        seen = []
        was_enabled = gc.isenabled()
        try:
            with patch.object(Wizard, '_write_extra_sheets', lambda wizard, *args: seen.append(gc.isenabled())):
                gc.enable()
                self._workbook(self.manager)
                self.assertTrue(gc.isenabled())
                gc.disable()
                self._workbook(self.manager)
                self.assertFalse(gc.isenabled())
                gc.enable()
            self.assertEqual(seen, [False, False])
            with patch.object(Wizard, '_write_extra_sheets', side_effect=UserError('broken sheet')):
                with self.assertRaises(UserError):
                    self._workbook(self.manager)
            self.assertTrue(gc.isenabled())
        finally:
            if was_enabled:
                gc.enable()
            else:
                gc.disable()

    # -- the workbook's totals ----------------------------------------------------------------

    def _wizard(self, user, **vals):
        values = {'date_from': '2031-01-01', 'date_to': '2031-12-31', 'granularity': 'quarter',
                  'team_ids': [(6, 0, (self.team1 | self.team2).ids)], 'by_forecast_category': True}
        values.update(vals)
        return self.env['crm.forecast.workbook'].sudo(user).create(values)

    def test_workbook_totals_equal_the_pivot_of_each_dimension(self):
        """Each dimension's totals per period, summed from the sums per member of all the dimensions but the
        category, are those of the pivot grouped by that dimension alone (empty members, both sources, the
        record rules of a salesperson)."""
        fields_ = ['status', 'user_id', 'team_id', 'region_id', 'categ_id', 'forecast_category']
        for user in (self.manager, self.rep_a, self.leader):
            for source in ('opportunity', 'order'):
                for granularity in ('month', 'quarter', 'year'):
                    wizard = self._wizard(user, source=source, granularity=granularity)
                    for names in (fields_, ['categ_id', 'status'], ['region_id'], ['categ_id']):
                        totals = wizard._read(names)
                        self.assertEqual(sorted(totals), sorted(names))
                        Report = self.env['crm.forecast.report'].sudo(user)
                        for name in names:
                            expected = {}
                            for group in Report.read_group(
                                    wizard._domain(), ['amount', 'weighted_amount', name, 'date'],
                                    [name, 'date:%s' % granularity], lazy=False):
                                member = group[name][0] if isinstance(group[name], tuple) else group[name]
                                start = max(term[2] for term in group['__domain']
                                            if tuple(term[:2]) == ('date', '>='))
                                expected[(member, fields.Date.from_string(start))] = (
                                    round(group['amount'], 2), round(group['weighted_amount'], 2))
                            got = dict((key, (round(value['amount'], 2), round(value['weighted_amount'], 2)))
                                       for key, value in totals[name][0].items())
                            if user == self.manager:
                                self.assertTrue(expected, name)   # never an empty comparison
                            self.assertEqual(got, expected, '%s %s %s %s' % (user.login, source, granularity,
                                                                             name))
        # the empty members are totals of their own: no region, no category (deals without quotes)
        totals = self._wizard(self.manager)._read(fields_)
        self.assertIn(False, set(member for member, _start in totals['region_id'][0]))
        self.assertIn(False, set(member for member, _start in totals['categ_id'][0]))

    def test_workbook_totals_hash_the_rows_twice_at_most(self):
        """The report's rows go through at most two groupings (every dimension but the category; the
        category), not one per dimension: the cost of the manager's workbook was hashing 305,000 rows six
        times."""
        from ..reports import crm_forecast_totals
        wizard = self._wizard(self.manager)
        names = ['status', 'user_id', 'team_id', 'region_id', 'categ_id', 'forecast_category']
        executed = []
        execute = type(self.env.cr).execute

        def spy(cr, query, params=None, log_exceptions=None):
            if 'GROUPING' in query:
                executed.append((query, params))
            return execute(cr, query, params)
        with patch.object(type(self.env.cr), 'execute', spy):
            crm_forecast_totals.forecast_totals(wizard._report(), wizard._domain(), names, 'quarter')
        self.assertEqual(len(executed), 1)
        self.env.cr.execute('EXPLAIN (FORMAT JSON) ' + executed[0][0], executed[0][1])
        plan = self.env.cr.fetchone()[0]
        plan = plan[0]['Plan'] if isinstance(plan, list) else plan

        def reads_report(node):
            # below this node, the report's table itself (not the sums of a CTE)
            return node.get('Relation Name') == 'crm_forecast_report' or any(
                reads_report(child) for child in node.get('Plans', []) if child.get('Node Type') != 'CTE Scan')

        def groupings(node):
            count = 0
            if node.get('Node Type') == 'Aggregate' and reads_report(node):
                sets = node.get('Grouping Sets')
                count += sum(len(s.get('Hash Keys', [])) + len(s.get('Group Keys', [])) for s in sets) if sets \
                    else 1
            return count + sum(groupings(child) for child in node.get('Plans', []))
        self.assertLessEqual(groupings(plan), 2)
        self.assertGreaterEqual(groupings(plan), 1)
