import base64
import io

import openpyxl

from odoo import fields
from odoo.exceptions import AccessError, ValidationError

from ..models.crm_quota import DEAL_MONTH_TABLE
from .test_execution_collection import ExecutionCase


class TestQuota(ExecutionCase):
    """Quotas of Q1 2033, every figure computed by hand (no taxes; W = won, O = open).

    W1  rep   team T  won 2033-02-10  order 80 x 100 Glazing + 20 x 100 Steel = 10,000; invoiced 10,000, paid 4,000
    W2  rep   team T  won 2033-03-20  region North, order 50 x 100 Glazing = 5,000; invoiced 5,000,
                      credit note 1,000 (open): invoiced 4,000, paid 0
    W3  rep2  team T  won 2033-04-05  order 2,000 (Q2: not in Q1)
    O1  rep   team T  Order 40 %      30,000, end 2033-03-01 -> weighted 12,000
    O2  rep   team T  Quote 20 %      10,000, end 2033-02-01, Omitted by the rep -> not counted
    O3  rep2  team T  Potential 10 %  20,000, end 2033-01-15 -> weighted 2,000
    L   rep   team T  lost            99,000, end 2033-02-01 -> never counted

    rep,  Q1, 20,000:            ordered 15,000 (75 %), invoiced 14,000 (70 %), paid 4,000 (20 %);
                                 still to reach 5,000, pipeline 12,000 -> coverage 2.4
    team T, Q1, 40,000:          ordered 15,000 (37.5 %), invoiced 14,000 (35 %), paid 4,000 (10 %);
                                 still to reach 25,000, pipeline 14,000 -> coverage 0.56
    rep, February, 8,000:        ordered 10,000 (125 %), invoiced 10,000, paid 4,000 (50 %); reached: coverage 0
    team T, Glazing, Q1, 20,000: W1 counts for 80 %: ordered 8,000 + 5,000 = 13,000 (65 %), invoiced 12,000,
                                 paid 3,200 (16 %); open deals have no Glazing lines: coverage 0
    rep, North, Q1, 10,000:      W2 only: ordered 5,000 (50 %), invoiced 4,000 (40 %), paid 0
    """

    @classmethod
    def setUpClass(cls):
        super(TestQuota, cls).setUpClass()
        env = cls.env
        Users = env['res.users'].with_context(no_reset_password=True)
        salesman = env.ref('sales_team.group_sale_salesman')
        cls.rep2 = Users.create({'name': 'Rep Two Quota', 'login': 'rep2_quota', 'email': 'rep2@quota.example.com',
                                 'groups_id': [(6, 0, salesman.ids)]})
        cls.leader = Users.create({'name': 'Leader Quota', 'login': 'leader_quota',
                                   'email': 'leader@quota.example.com', 'groups_id': [(6, 0, salesman.ids)]})
        cls.team = env['crm.team'].create({'name': 'Quota Team T', 'user_id': cls.leader.id,
                                           'member_ids': [(6, 0, (cls.rep | cls.rep2).ids)]})
        cls.steel = env['product.category'].create({'name': 'Quota Steel'})
        cls.steel_product = env['product.product'].create({
            'name': 'Steel beam', 'type': 'service', 'list_price': 100.0, 'invoice_policy': 'order',
            'categ_id': cls.steel.id, 'taxes_id': [(6, 0, [])]})
        cls.north = env.ref('impact_crm.crm_region_north')

    def _won(self, name, user, closed, lines, **vals):
        lead = self.env['crm.lead'].create(dict(vals, name=name, type='opportunity', partner_id=self.customer.id,
                                                user_id=user.id, team_id=self.team.id,
                                                stage_id=self.stage_order.id))
        order = self.env['sale.order'].create({
            'partner_id': lead.partner_id.id, 'opportunity_id': lead.id, 'user_id': user.id,
            'order_line': [(0, 0, {'product_id': product.id, 'product_uom_qty': qty, 'price_unit': 100.0})
                           for product, qty in lines]})
        order.action_confirm()
        lead.write({'stage_id': self.stage_won.id})
        lead._backdate_close(closed + ' 10:00:00')
        return lead, order

    def _open(self, name, user, stage, revenue, date_end):
        return self.env['crm.lead'].create({
            'name': name, 'type': 'opportunity', 'user_id': user.id, 'team_id': self.team.id,
            'stage_id': self.env.ref('impact_crm.stage_%s' % stage).id, 'planned_revenue': revenue,
            'date_end': date_end})

    def setUp(self):
        super(TestQuota, self).setUp()
        _w1, order1 = self._won('W1', self.rep, '2033-02-10', [(self.product, 80), (self.steel_product, 20)])
        invoice1 = self._invoice(order1)
        self._pay(invoice1, 4000.0)
        _w2, order2 = self._won('W2', self.rep, '2033-03-20', [(self.product, 50)], region_id=self.north.id)
        invoice2 = self._invoice(order2)
        refund = invoice2.sudo(self.accountant).refund()
        refund.invoice_line_ids.write({'quantity': 10})
        refund.compute_taxes()
        refund.action_invoice_open()
        self._won('W3', self.rep2, '2033-04-05', [(self.product, 20)])
        self._open('O1', self.rep, 'order', 30000, '2033-03-01')
        self._open('O2', self.rep, 'quote', 10000, '2033-02-01').write({'forecast_category': 'omitted'})
        self._open('O3', self.rep2, 'potential', 20000, '2033-01-15')
        lost = self._open('L', self.rep, 'quote', 99000, '2033-02-01')
        lost._action_lose({'lost_reason': self.lost_reason.id})
        Quota = self.env['crm.quota'].sudo(self.manager)
        self.q_rep = Quota.create({'user_id': self.rep.id, 'date_start': '2033-01-01', 'amount': 20000})
        self.q_team = Quota.create({'team_id': self.team.id, 'date_start': '2033-01-01', 'amount': 40000})
        self.q_month = Quota.create({'user_id': self.rep.id, 'period_type': 'month', 'date_start': '2033-02-01',
                                     'amount': 8000})
        self.q_categ = Quota.create({'team_id': self.team.id, 'categ_id': self.categ.id,
                                     'date_start': '2033-01-01', 'amount': 20000})
        self.q_region = Quota.create({'user_id': self.rep.id, 'region_id': self.north.id,
                                      'date_start': '2033-01-01', 'amount': 10000})
        self.q_rep2 = Quota.create({'user_id': self.rep2.id, 'date_start': '2033-01-01', 'amount': 5000})

    def _figures(self, quota):
        return [round(value, 2) for value in (
            quota.amount_ordered, quota.amount_invoiced, quota.amount_paid, quota.attainment_ordered,
            quota.attainment_invoiced, quota.attainment_paid, quota.amount_to_reach, quota.pipeline_weighted,
            quota.coverage)]

    def test_attainment_and_coverage(self):
        self.assertEqual(self.q_rep.date_end, '2033-03-31')
        self.assertEqual(self.q_month.date_end, '2033-02-28')
        self.assertEqual(self._figures(self.q_rep), [15000, 14000, 4000, 75, 70, 20, 5000, 12000, 2.4])
        self.assertEqual(self._figures(self.q_team), [15000, 14000, 4000, 37.5, 35, 10, 25000, 14000, 0.56])
        self.assertEqual(self._figures(self.q_month), [10000, 10000, 4000, 125, 125, 50, 0, 0, 0])
        self.assertEqual(self._figures(self.q_categ), [13000, 12000, 3200, 65, 60, 16, 7000, 0, 0])
        self.assertEqual(self._figures(self.q_region), [5000, 4000, 0, 50, 40, 0, 5000, 0, 0])
        self.assertEqual(self._figures(self.q_rep2)[:3], [0, 0, 0], "W3 is won in Q2")
        self.assertEqual(self.q_rep2.pipeline_weighted, 2000.0)

    def test_each_deal_counts_in_the_period_of_its_kind(self):
        """A won deal counts in the period it was won, whatever its end date; an open deal in the period of
        its end date, even with a closing date from an earlier win (reopened)."""
        # W4: ended in February, won in April; O4: reopened, closed in February, ending in May
        self._won('W4', self.rep, '2033-04-10', [(self.product, 30)], date_end='2033-02-15')
        reopened = self._open('O4', self.rep, 'order', 10000, '2033-05-01')
        reopened._backdate_close('2033-02-01 10:00:00')
        q2 = self.env['crm.quota'].sudo(self.manager).create(
            {'user_id': self.rep.id, 'date_start': '2033-04-01', 'amount': 10000})
        (self.q_rep | self.q_month | q2).invalidate_cache()
        self.assertEqual(self._figures(self.q_rep), [15000, 14000, 4000, 75, 70, 20, 5000, 12000, 2.4])
        self.assertEqual(self._figures(self.q_month), [10000, 10000, 4000, 125, 125, 50, 0, 0, 0])
        # W4's order 3,000 (30 %); O4 at 40 % of 10,000: 4,000 of pipeline over 7,000 still to reach
        self.assertEqual(self._figures(q2), [3000, 0, 0, 30, 0, 0, 7000, 4000, 0.57])
        rows = dict(zip((self.q_rep | q2).ids, (self.q_rep | q2)._sheet_rows()))
        self.assertEqual([round(value, 2) for value in rows[q2.id][6:]], [3000, 0, 0, 30, 0, 0, 4000, 7000, 0.57])

    def test_a_deal_won_after_midnight_counts_in_the_month_of_the_companys_time_zone(self):
        """W5, 3,000 of Glazing, won at 22:30 UTC on 31 March 2033: 01:30 on 1 April in Jerusalem (UTC+3).
        Without a reporting time zone it is the first quarter's; in Jerusalem's, the second's."""
        company = self.env.user.company_id
        self.addCleanup(company.write, {'forecast_tz': company.forecast_tz})
        lead, _order = self._won('W5', self.rep, '2033-03-31', [(self.product, 30)])
        lead._backdate_close('2033-03-31 22:30:00')
        q2 = self.env['crm.quota'].sudo(self.manager).create(
            {'user_id': self.rep.id, 'date_start': '2033-04-01', 'amount': 10000})
        quotas = self.q_rep | self.q_categ | q2

        def ordered():
            quotas.invalidate_cache()
            self.assertEqual(self.env['crm.quota']._stale_deal_months(), 0)
            return [quota.amount_ordered for quota in quotas]
        self.assertEqual(ordered(), [18000, 16000, 0])
        company.forecast_tz = 'Asia/Jerusalem'
        self.assertEqual(ordered(), [15000, 13000, 3000])
        # a deal won while it is set: dated by the sums' trigger
        lead2, _order = self._won('W6', self.rep, '2033-06-30', [(self.product, 10)])
        lead2._backdate_close('2033-06-30 20:59:00')    # 23:59 in Jerusalem: still the second quarter
        self.assertEqual(ordered(), [15000, 13000, 4000])

    def test_a_stage_moved_to_another_group_counts_its_deals_by_the_new_kind(self):
        """The attainment reads each deal's stage kind: a stage moved from the Open group to the Execution one
        turns its deals from pipeline into won deals (counted by their closing date)."""
        stage = self.env['crm.stage'].create({'name': 'Quota Trial', 'probability': 50.0,
                                              'group_id': self.env.ref('impact_crm.stage_group_open').id})
        deal = self._open('O5', self.rep, 'order', 1000, '2033-03-10')
        deal.write({'stage_id': stage.id, 'probability': 50.0})
        deal._backdate_close('2033-05-02 10:00:00')
        self.q_rep.invalidate_cache()
        self.assertEqual(self.q_rep.pipeline_weighted, 12500.0, "O1's 12,000 and O5's 500")
        stage.write({'group_id': self.env.ref('impact_crm.stage_group_execution').id})
        self.assertEqual(deal.stage_group_kind, 'execution')
        self.q_rep.invalidate_cache()
        self.assertEqual(self.q_rep.pipeline_weighted, 12000.0, "O5 is won now, in Q2 (its closing date)")
        self.assertEqual(self.q_rep.amount_ordered, 15000.0)

    def test_a_batch_equals_one_by_one(self):
        """The list and the export compute all their quotas at once: each gets exactly the figures it gets
        alone, whatever the mix (rep, channel, month, category, region, nothing won, a zero quota)."""
        Quota = self.env['crm.quota'].sudo(self.manager)
        zero = Quota.create({'team_id': self.team.id, 'date_start': '2033-04-01', 'amount': 0.0})
        names = ['amount_ordered', 'amount_invoiced', 'amount_paid', 'attainment_ordered', 'attainment_invoiced',
                 'attainment_paid', 'amount_to_reach', 'pipeline_weighted', 'coverage']
        quotas = Quota.search([('date_start', '>=', '2033-01-01')])
        self.assertEqual(len(quotas), 7)
        quotas.invalidate_cache()
        batch = dict((row['id'], [row[name] for name in names]) for row in quotas.read(names))
        for quota in quotas:
            quota.invalidate_cache()
            alone = Quota.browse(quota.id)
            self.assertEqual([alone[name] for name in names], batch[quota.id], quota.name)
        self.assertEqual([round(value, 2) for value in batch[self.q_team.id]],
                         [15000, 14000, 4000, 37.5, 35, 10, 25000, 14000, 0.56])
        self.assertEqual(batch[zero.id][:4], [2000.0, 0.0, 0.0, 0.0], "W3, won in Q2; no percentage of 0")
        # a quota being entered counts no deal yet: all of it is still to reach
        draft = Quota.new({'user_id': self.rep.id, 'date_start': '2033-01-01', 'amount': 500.0})
        self.assertEqual(self._figures(draft), [0, 0, 0, 0, 0, 0, 500, 0, 0])

    def _sums(self):
        """(rows, rows summing more than one write) of the deals' monthly sums."""
        self.env.cr.execute("""SELECT count(*), count(*) - count(DISTINCT (user_id, team_id, region_id, company_id,
                                                                         stage_id, month))
                                 FROM %s""" % DEAL_MONTH_TABLE)
        return self.env.cr.fetchone()

    def test_the_deals_monthly_sums_stay_in_step_on_every_path(self):
        """The attainment reads the deals' monthly sums, kept by triggers on the deals: whatever changes a deal
        (the ORM, Odoo's actions, invoices and payments, a plain SQL statement, archiving, deleting) changes its
        sums in the same transaction."""
        # setUp: creations, stage changes, confirmations, invoices, a payment, a credit note, a loss, an omission
        self.assertEqual(self.q_rep.sudo(self.manager)._stale_deal_months(), 0)
        w1 = self.env['crm.lead'].search([('name', '=', 'W1'), ('user_id', '=', self.rep.id)])
        o1 = self.env['crm.lead'].search([('name', '=', 'O1'), ('user_id', '=', self.rep.id)])
        rows_before = self._sums()[0]
        o1.write({'probability': 50.0})
        self.assertGreater(self._sums()[0], rows_before, "the difference is appended, no sum is updated")
        self.q_rep.invalidate_cache()
        self.assertEqual(self.q_rep.pipeline_weighted, 15000.0, "O1 at 50 % of 30,000")
        # a plain SQL statement: O1 ends in April (out of Q1)
        self.env.cr.execute("UPDATE crm_lead SET date_end = '2033-04-02' WHERE id = %s", (o1.id,))
        w1.active = False
        self.q_rep.invalidate_cache()
        self.assertEqual(self._figures(self.q_rep), [5000, 4000, 0, 25, 20, 0, 15000, 0, 0])
        w2 = self.env['crm.lead'].search([('name', '=', 'W2'), ('user_id', '=', self.rep.id)])
        w2.user_id = self.rep2
        self.q_rep.invalidate_cache()
        self.q_rep2.invalidate_cache()
        self.assertEqual(self._figures(self.q_rep)[:3], [0, 0, 0])
        self.assertEqual(self._figures(self.q_rep2)[:3], [5000, 4000, 0])
        o3 = self.env['crm.lead'].search([('name', '=', 'O3'), ('user_id', '=', self.rep2.id)])
        o3.unlink()
        self.q_rep2.invalidate_cache()
        self.assertEqual(self.q_rep2.pipeline_weighted, 0.0)
        self.assertEqual(self.q_rep.sudo(self.manager)._stale_deal_months(), 0)

    def test_compaction_sums_the_differences_up(self):
        """The hourly compaction leaves one row per members and month, and every figure as it was."""
        quotas = self.env['crm.quota'].search([('date_start', '>=', '2033-01-01')])
        quotas.invalidate_cache()
        before = [self._figures(quota) for quota in quotas]
        self.assertTrue(self._sums()[1], "the setUp's writes appended differences")
        self.assertTrue(self.env['crm.quota']._compact_deal_months())
        self.assertEqual(self._sums()[1], 0)
        self.assertEqual(self.env['crm.quota']._stale_deal_months(), 0)
        quotas.invalidate_cache()
        self.assertEqual([self._figures(quota) for quota in quotas], before)

    def test_the_forecast_repair_sums_the_deals_again(self):
        """The attainment comes from the sums: emptied, it counts nothing; the forecast's rebuild (a sales
        manager's repair) sums the deals again. The upgrade (init) creates a missing table and sums it."""
        self.env.cr.execute('DELETE FROM %s' % DEAL_MONTH_TABLE)
        self.q_rep.invalidate_cache()
        self.assertEqual(self._figures(self.q_rep)[:3], [0, 0, 0])
        self.assertTrue(self.env['crm.quota']._stale_deal_months())
        self.env['crm.forecast.report'].sudo(self.manager).rebuild()
        self.q_rep.invalidate_cache()
        self.assertEqual(self._figures(self.q_rep), [15000, 14000, 4000, 75, 70, 20, 5000, 12000, 2.4])
        self.env.cr.execute('DROP TABLE %s' % DEAL_MONTH_TABLE)
        self.env['crm.quota'].init()
        self.assertEqual(self.env['crm.quota']._stale_deal_months(), 0)
        self.q_team.invalidate_cache()
        self.assertEqual(self._figures(self.q_team), [15000, 14000, 4000, 37.5, 35, 10, 25000, 14000, 0.56])

    def test_workbook_rows_are_the_fields(self):
        """The workbook lists quotas from one query: each row holds what the quota's fields say."""
        quotas = self.env['crm.quota'].sudo(self.manager).search([('date_start', '>=', '2033-01-01')],
                                                                 order='date_start, team_id, user_id, id')
        rows = quotas._sheet_rows()
        self.assertEqual(len(rows), len(quotas))
        quotas.invalidate_cache()
        for quota, row in zip(quotas, rows):
            expected = (quota.user_id.name or '', quota.team_id.name or '', quota.region_id.name or '',
                        quota.categ_id.name or '', quota._period_label(), quota.amount, quota.amount_ordered,
                        quota.amount_invoiced, quota.amount_paid, quota.attainment_ordered,
                        quota.attainment_invoiced, quota.attainment_paid, quota.pipeline_weighted,
                        quota.amount_to_reach, quota.coverage)
            self.assertEqual(row, expected, quota.name)
        self.assertIn((self.rep.name, '', '', '', 'Q1 2033', 20000.0), [row[:6] for row in rows])
        self.assertIn('02/2033', [row[4] for row in rows])
        self.assertEqual(self.env['crm.quota']._sheet_rows(), [])

    def test_rep_sees_own_quotas_leader_the_channel_managers_all(self):
        mine = self.env['crm.quota'].sudo(self.rep).search([('date_start', '>=', '2033-01-01')])
        self.assertEqual(mine, self.q_rep | self.q_month | self.q_region)
        # the rep reads the attainment of their quota (computed over every deal of theirs)
        self.assertEqual(self.q_rep.sudo(self.rep).attainment_ordered, 75.0)
        led = self.env['crm.quota'].sudo(self.leader).search([('date_start', '>=', '2033-01-01')])
        self.assertEqual(led, self.q_team | self.q_categ)
        everything = self.env['crm.quota'].sudo(self.manager).search([('date_start', '>=', '2033-01-01')])
        self.assertEqual(len(everything), 6)
        with self.assertRaises(AccessError):
            self.env['crm.quota'].sudo(self.rep).create({'user_id': self.rep.id, 'date_start': '2033-04-01',
                                                         'amount': 1.0})
        with self.assertRaises(AccessError):
            self.q_rep.sudo(self.rep).write({'amount': 1.0})
        with self.assertRaises(AccessError):
            self.q_rep2.sudo(self.rep).read(['amount'])

    def test_bad_quotas_are_refused(self):
        Quota = self.env['crm.quota'].sudo(self.manager)
        bad = [{'date_start': '2033-04-01', 'amount': 1.0},
               {'user_id': self.rep.id, 'date_start': '2033-02-01', 'amount': 1.0},
               {'user_id': self.rep.id, 'period_type': 'month', 'date_start': '2033-02-02', 'amount': 1.0},
               {'user_id': self.rep.id, 'date_start': '2033-04-01', 'amount': -1.0},
               {'user_id': self.rep.id, 'date_start': '2033-01-01', 'amount': 5.0}]   # twin of q_rep
        for vals in bad:
            with self.assertRaises(ValidationError), self.cr.savepoint():
                Quota.create(vals)
        self.assertEqual(Quota.search_count([('date_start', '>=', '2033-01-01')]), 6)

    def test_import_from_a_spreadsheet(self):
        Quota = self.env['crm.quota'].sudo(self.manager)
        result = Quota.load(['user_id', 'team_id', 'period_type', 'date_start', 'amount'], [
            ['Rep Execution', '', 'Quarter', '2033-04-01', '25000'],
            ['', 'Quota Team T', 'Month', '2033-04-01', '9000']])
        self.assertFalse(result['messages'])
        imported = Quota.browse(result['ids'])
        self.assertEqual(imported.mapped('amount'), [25000.0, 9000.0])
        self.assertEqual(imported[1].date_end, '2033-04-30')
        # a bad row: nothing is written
        result = Quota.load(['user_id', 'period_type', 'date_start', 'amount'], [
            ['Rep Execution', 'Quarter', '2033-07-01', '1000'], ['Rep Execution', 'Quarter', '2033-08-01', '1000']])
        self.assertTrue(result['messages'])
        self.assertFalse(result['ids'])
        self.assertFalse(Quota.search([('date_start', '>=', '2033-07-01')]))

    def test_sales_channel_card(self):
        today = fields.Date.from_string(fields.Date.context_today(self.env['crm.team']))
        quarter = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
        team = self.env['crm.team'].create({'name': 'Quota Card Team', 'user_id': self.leader.id})
        self.env['crm.quota'].create({'team_id': team.id, 'date_start': fields.Date.to_string(quarter),
                                      'amount': 1000.0})
        deal = self.env['crm.lead'].create({'name': 'Card deal', 'type': 'opportunity', 'user_id': self.rep.id,
                                            'stage_id': self.stage_order.id, 'planned_revenue': 5000.0,
                                            'date_end': fields.Date.to_string(today)})
        deal.team_id = team   # the rep's own channel is T: the deal is booked on this one
        card = team.sudo(self.leader)
        self.assertEqual((card.quota_amount, card.quota_attainment, card.quota_coverage), (1000.0, 0.0, 2.0))
        # a rep who does not lead the channel does not see its quota
        self.assertEqual(team.sudo(self.rep).quota_amount, 0.0)
        action = card.action_view_quotas()
        self.assertEqual(action['domain'], [('team_id', '=', team.id)])

    def test_workbook_sheet_with_colours(self):
        (self.rep | self.manager).write({'lang': False})
        wizard = self.env['crm.forecast.workbook'].sudo(self.rep).create({
            'date_from': '2033-01-01', 'date_to': '2033-12-31', 'user_ids': [(6, 0, self.rep.ids)]})
        wizard.action_export()
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)))
        self.assertIn('Quotas', book.sheetnames)
        sheet = book['Quotas']
        rows = [[sheet.cell(row=r, column=c).value for c in range(1, 16)] for r in range(5, sheet.max_row + 1)]
        self.assertEqual(len(rows), 3, "the rep's three quotas, not rep2's nor the channel's")
        by_key = dict(((row[2] or '', row[4]), row) for row in rows)
        self.assertEqual([round(v, 4) for v in by_key[('', 'Q1 2033')][5:]],
                         [20000, 15000, 14000, 4000, 0.75, 0.7, 0.2, 12000, 5000, 2.4])
        self.assertEqual(by_key[('North', 'Q1 2033')][5:9], [10000, 5000, 4000, 0])
        self.assertEqual(by_key[('', '02/2033')][9], 1.25)
        ranges = [str(rule_range.sqref) for rule_range in sheet.conditional_formatting]
        self.assertEqual(sorted(ranges), ['J5:L7', 'O5:O7'])
        # the quota sheet can be left out
        wizard.quota_sheet = False
        wizard.action_export()
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)))
        self.assertNotIn('Quotas', book.sheetnames)
