import base64
import io

import openpyxl
from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests.common import SavepointCase

T0 = '2031-03-01 10:00:00'   # the deals are made
M1 = '2031-03-10 00:00:00'   # between the two rounds of changes
T1 = '2031-03-15 12:00:00'   # the changes
M2 = '2031-03-20 00:00:00'   # after them
Q2 = ('2031-04-01', '2031-06-30')


class TestForecastHistory(SavepointCase):
    """A hand-computed pipeline of one sales channel, made at T0 and changed at T1 (frozen clock).

    deal  rep    at T0                                    at T1                       waterfall Q2, weighted
    A     rep_a  10,000 x 50%  end 2031-05-10  Quote      revenue 12,000              increased  +1,000
    B     rep_b  20,000 x 25%  end 2031-07-15  Potential  end 2031-05-31              pulled in  +5,000
    C     rep_a   5,000 x 40%  end 2031-06-01  Quote      end 2031-08-10              pushed out -2,000
    D     rep_b   8,000 x 50%  end 2031-04-20  Order      won (Won stage, 100%)       won        -4,000
    E     rep_a   4,000 x 50%  end 2031-05-05  Quote      marked lost                 lost       -2,000
    F     rep_b   1,000 x 10%  end 2031-06-30  Potential  probability 5%              decreased     -50
    G     rep_a   (made at T1)  3,000 x 20%  end 2031-04-15                           new          +600
    H     rep_a   2,000 x 50%  end 2031-04-10  Quote      unchanged                   (none)
    Q2 pipeline, weighted: at M1 5,000 + 2,000 + 4,000 + 2,000 + 100 + 1,000 = 14,100;
                           at M2 6,000 + 5,000 + 50 + 600 + 1,000 = 12,650 (= 14,100 + 600 + 5,000 - 2,000
                           + 1,000 - 50 - 4,000 - 2,000).
    Q2 pipeline, amounts:  at M1 10,000 + 5,000 + 8,000 + 4,000 + 1,000 + 2,000 = 30,000;
                           at M2 12,000 + 20,000 + 1,000 + 3,000 + 2,000 = 38,000 (F: no movement).
    Whole forecast (open and won, every date): at M1 50,000 / 19,100; at M2 51,000 / 22,650.
    """

    @classmethod
    def setUpClass(cls):
        super(TestForecastHistory, cls).setUpClass()
        env = cls.env
        salesman = env.ref('sales_team.group_sale_salesman')
        company = env.user.company_id

        def user(login, group):
            return env['res.users'].with_context(no_reset_password=True).create({
                'name': login, 'login': login, 'email': login + '@example.com', 'company_id': company.id,
                'company_ids': [(6, 0, [company.id])], 'groups_id': [(6, 0, [group.id])]})
        cls.rep_a = user('history_rep_a', salesman)
        cls.rep_b = user('history_rep_b', salesman)
        cls.manager = user('history_manager', env.ref('sales_team.group_sale_manager'))
        cls.team = env['crm.team'].create({'name': 'History Team'})
        cls.stage = dict((name, env.ref('impact_crm.stage_' + name))
                         for name in ('potential', 'quote', 'order', 'won'))
        Lead = env['crm.lead']

        def deal(name, rep, revenue, probability, date_end, stage):
            return Lead.create({'name': name, 'type': 'opportunity', 'user_id': rep.id, 'team_id': cls.team.id,
                                'planned_revenue': revenue, 'probability': probability, 'date_end': date_end,
                                'stage_id': cls.stage[stage].id})
        with freeze_time(T0):
            cls.a = deal('History A', cls.rep_a, 10000, 50, '2031-05-10', 'quote')
            cls.b = deal('History B', cls.rep_b, 20000, 25, '2031-07-15', 'potential')
            cls.c = deal('History C', cls.rep_a, 5000, 40, '2031-06-01', 'quote')
            cls.d = deal('History D', cls.rep_b, 8000, 50, '2031-04-20', 'order')
            cls.e = deal('History E', cls.rep_a, 4000, 50, '2031-05-05', 'quote')
            cls.f = deal('History F', cls.rep_b, 1000, 10, '2031-06-30', 'potential')
            cls.h = deal('History H', cls.rep_a, 2000, 50, '2031-04-10', 'quote')
            cls.live_t0 = cls._live(env)
        with freeze_time(T1):
            cls.a.write({'planned_revenue': 12000})
            cls.b.write({'date_end': '2031-05-31'})
            cls.c.write({'date_end': '2031-08-10'})
            cls.d.write({'stage_id': cls.stage['won'].id})
            cls.e._action_lose({'lost_reason': env.ref('impact_crm.lost_reason_budget_cut').id})
            cls.f.write({'probability': 5})
            cls.g = deal('History G', cls.rep_a, 3000, 20, '2031-04-15', 'quote')
            cls.live_t1 = cls._live(env)

    @classmethod
    def _live(cls, env, user=None):
        """Today's forecast (opportunities) of the team, as {(user, stage, status, month): (amount, weighted)}."""
        return cls._grouped(env['crm.forecast.report'].sudo(user or env.uid),
                            [('source', '=', 'opportunity'), ('team_id', '=', cls.team.id)])

    @classmethod
    def _grouped(cls, model, domain):
        rows = model.read_group(domain, ['user_id', 'stage_id', 'status', 'date', 'amount', 'weighted_amount'],
                                ['user_id', 'stage_id', 'status', 'date:month'], lazy=False)
        return dict(((row['user_id'] and row['user_id'][0], row['stage_id'][0], row['status'], row['date:month']),
                     (round(row['amount'], 2), round(row['weighted_amount'], 2))) for row in rows)

    def _as_of(self, as_of, user=None):
        report = self.env['crm.forecast.asof.report'].sudo(user or self.env.uid)
        return self._grouped(report.with_context(forecast_as_of=as_of), [('team_id', '=', self.team.id)])

    def _totals(self, grouped):
        return (sum(v[0] for v in grouped.values()), sum(v[1] for v in grouped.values()))

    # -- the change log ----------------------------------------------------------------------

    def test_change_log_keeps_every_change(self):
        changes = self.env['crm.lead.forecast.change'].search([('lead_id', '=', self.d.id)], order='date, id')
        self.assertEqual(changes.mapped('date'), [T0, T1])
        self.assertFalse(changes[0].changed_fields)
        self.assertEqual(set(changes[1].changed_fields.split(',')), {'stage_id', 'probability'})
        # people read the deal's field labels, in their language, not the technical names
        self.assertFalse(changes[0].changed_fields_label)
        lead_fields = self.env['crm.lead']._fields
        for lang in ('en_US', 'he_IL'):
            change = changes[1].with_context(lang=lang)
            expected = set(lead_fields[name]._description_string(change.env) for name in ('stage_id', 'probability'))
            self.assertEqual(set(change.changed_fields_label.split(', ')), expected)
            self.assertNotIn('_', change.changed_fields_label)
        self.assertEqual((changes[1].stage_id, changes[1].probability), (self.stage['won'], 100.0))
        self.assertFalse(any(changes.mapped('is_backfill')))
        lost = self.env['crm.lead.forecast.change'].search([('lead_id', '=', self.e.id)], order='date, id')
        self.assertEqual((lost[-1].lead_active, lost[-1].probability), (False, 0.0))
        self.assertTrue(lost[-1].stage_id.is_lost)

    def test_untracked_write_keeps_nothing(self):
        Change = self.env['crm.lead.forecast.change']
        before = Change.search_count([('lead_id', '=', self.h.id)])
        self.h.write({'description': 'no forecast field', 'priority': '2'})
        self.h.write({'planned_revenue': 2000})   # same value: no change
        self.assertEqual(Change.search_count([('lead_id', '=', self.h.id)]), before)

    @freeze_time('2031-04-01 09:00:00')
    def test_every_write_path_is_kept(self):
        """Form (onchange then write), kanban drop, mass edit, import: each change is kept (JSON-RPC: in
        tests/test_forecast_history_rpc.py)."""
        Change = self.env['crm.lead.forecast.change']
        # form: the stage onchange fills the probability, the form saves both
        values = self.h._onchange_stage_id_values(self.stage['order'].id)
        self.h.sudo(self.rep_a).write(dict(values, stage_id=self.stage['order'].id))
        last = Change.search([('lead_id', '=', self.h.id)], limit=1)
        self.assertEqual((last.stage_id, last.probability, last.changed_by_id),
                         (self.stage['order'], 40.0, self.rep_a))
        # kanban: a drop writes the stage alone
        self.f.sudo(self.rep_b).write({'stage_id': self.stage['quote'].id})
        self.assertEqual(Change.search([('lead_id', '=', self.f.id)], limit=1).stage_id, self.stage['quote'])
        # mass edit of two deals: one row each
        (self.a | self.h).write({'user_id': self.rep_b.id})
        for lead in (self.a, self.h):
            last = Change.search([('lead_id', '=', lead.id)], limit=1)
            self.assertEqual((last.user_id, last.changed_fields), (self.rep_b, 'user_id'))
        # import (base_import's load) of a new end date
        xmlid = self.env['ir.model.data'].create({'name': 'history_c', 'module': '__import__',
                                                  'model': 'crm.lead', 'res_id': self.c.id})
        result = self.env['crm.lead'].load(['id', 'date_end'], [['__import__.' + xmlid.name, '2031-09-30']])
        self.assertFalse(result['messages'])
        last = Change.search([('lead_id', '=', self.c.id)], limit=1)
        self.assertEqual((last.date_end, last.changed_fields), ('2031-09-30', 'date_end'))

    def test_change_log_access(self):
        """A rep reads the changes of their own deals only, and nobody writes them."""
        Change = self.env['crm.lead.forecast.change']
        mine = Change.sudo(self.rep_a).search([('lead_id.team_id', '=', self.team.id)])
        self.assertEqual(set(mine.mapped('lead_id.user_id').ids), {self.rep_a.id})
        self.assertEqual(Change.sudo(self.manager).search_count([('lead_id', '=', self.b.id)]), 2)
        with self.assertRaises(AccessError):
            mine[0].sudo(self.rep_a).write({'probability': 99})
        with self.assertRaises(AccessError):
            mine[0].sudo(self.manager).write({'probability': 99})

    def test_backfill_from_stage_history(self):
        """A deal made before the install: one back-filled row per stage change, then its current state."""
        lead = self.env['crm.lead'].create({'name': 'Old deal', 'type': 'opportunity', 'team_id': self.team.id,
                                            'planned_revenue': 900, 'stage_id': self.stage['potential'].id,
                                            'date_end': '2031-05-01'})
        self.env.cr.execute("DELETE FROM crm_lead_forecast_change WHERE lead_id = %s", (lead.id,))
        self.env.cr.execute("DELETE FROM crm_lead_stage_history WHERE lead_id = %s", (lead.id,))
        History = self.env['crm.lead.stage.history']
        History.create({'lead_id': lead.id, 'lead_type': 'opportunity', 'stage_to_id': self.stage['potential'].id,
                        'date': '2025-01-05 08:00:00', 'probability': 10, 'planned_revenue': 500,
                        'team_id': self.team.id, 'salesperson_id': lead.user_id.id})
        History.create({'lead_id': lead.id, 'lead_type': 'opportunity', 'stage_from_id': self.stage['potential'].id,
                        'stage_to_id': self.stage['quote'].id, 'date': '2025-02-05 08:00:00', 'probability': 20,
                        'planned_revenue': 800, 'team_id': self.team.id,
                        'salesperson_id': lead.user_id.id})
        self.env.cr.execute("UPDATE crm_lead SET planned_revenue = 900, probability = 20, stage_id = %s "
                            "WHERE id = %s", (self.stage['quote'].id, lead.id))
        self.env['crm.lead.forecast.change']._backfill()
        rows = self.env['crm.lead.forecast.change'].search([('lead_id', '=', lead.id)], order='date, id')
        self.assertEqual([(r.date, r.stage_id, r.probability, r.planned_revenue) for r in rows[:2]],
                         [('2025-01-05 08:00:00', self.stage['potential'], 10.0, 500.0),
                          ('2025-02-05 08:00:00', self.stage['quote'], 20.0, 800.0)])
        self.assertEqual((len(rows), rows[2].planned_revenue), (3, 900.0))
        self.assertIn('planned_revenue', rows[2].changed_fields.split(','))
        self.assertTrue(all(rows.mapped('is_backfill')))
        # as of mid-January 2025 the deal stood at 500 x 10%
        asof = self.env['crm.forecast.asof.report'].with_context(forecast_as_of='2025-01-15 00:00:00')
        row = asof.search([('lead_id', '=', lead.id)])
        self.assertEqual((row.amount, row.weighted_amount), (500.0, 50.0))

    # -- the forecast as of a past moment -----------------------------------------------------

    def test_as_of_reproduces_the_live_forecast(self):
        """The forecast as of M1 is the live forecast computed at T0, as of M2 (and now) the one at T1."""
        self.assertEqual(self._as_of(M1), self.live_t0)
        self.assertEqual(self._as_of(M2), self.live_t1)
        self.assertEqual(self._as_of(False), self.live_t1)
        self.assertEqual(self._live(self.env), self.live_t1)
        self.assertEqual(self._totals(self.live_t0), (50000.0, 19100.0))
        self.assertEqual(self._totals(self.live_t1), (51000.0, 22650.0))
        self.assertEqual(self._as_of('2031-02-01 00:00:00'), {})   # before the deals existed

    def test_as_of_access(self):
        """A rep sees, as of a moment, the deals that were theirs then."""
        with freeze_time('2031-03-25 09:00:00'):
            self.b.write({'user_id': self.rep_a.id})
        before = self._as_of(M2, self.rep_a)
        self.assertEqual(set(key[0] for key in before), {self.rep_a.id})
        self.assertEqual(self._totals(before), (22000.0, 9600.0))   # A, C, G, H
        after = self._as_of(False, self.rep_a)
        self.assertEqual(self._totals(after), (42000.0, 14600.0))   # and B
        self.assertEqual(self._totals(self._as_of(M2, self.manager)), (51000.0, 22650.0))

    def test_as_of_wizard(self):
        wizard = self.env['crm.forecast.asof'].sudo(self.rep_a).create({'as_of': M1})
        action = wizard.action_open()
        self.assertEqual((action['res_model'], action['context']), ('crm.forecast.asof.report',
                                                                    {'forecast_as_of': M1}))
        empty = self.env['crm.forecast.asof'].create({}).action_open()
        self.assertEqual(empty['res_model'], 'crm.forecast.report')

    def test_workbook_as_of(self):
        """The workbook as of M1: the sheets hold the forecast of that moment, without product categories."""
        wizard = self.env['crm.forecast.workbook'].sudo(self.manager).create({
            'date_from': '2031-01-01', 'date_to': '2031-12-31', 'granularity': 'year', 'as_of': M1,
            'team_ids': [(6, 0, [self.team.id])], 'lost_sheet': False, 'collection_sheet': False})
        totals = wizard._read(['status', 'user_id'])
        status, _labels = totals['status']
        year = list(status)[0][1]
        self.assertEqual(dict((member, values['weighted_amount']) for (member, _start), values in status.items()),
                         {'open': 19100.0})
        by_user, _labels = totals['user_id']
        self.assertEqual(by_user[(self.rep_b.id, year)], {'amount': 29000.0, 'weighted_amount': 9100.0})
        wizard.action_export()
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)))
        self.assertNotIn('Product Category', book.sheetnames)
        self.assertIn('as of', book['Summary'].cell(row=2, column=1).value)
        wizard.source = 'order'
        with self.assertRaises(UserError):
            wizard.action_export()

    # -- the waterfall ------------------------------------------------------------------------

    def _waterfall(self, measure='weighted', user=None, date_from=M1, date_to=M2):
        report = self.env['crm.forecast.waterfall.report'].sudo(user or self.env.uid).with_context(
            waterfall_date_from=date_from, waterfall_date_to=date_to, waterfall_period_start=Q2[0],
            waterfall_period_end=Q2[1], waterfall_measure=measure)
        rows = report.search([('team_id', '=', self.team.id)])
        totals = {}
        for row in rows:
            totals[row.bucket] = round(totals.get(row.bucket, 0.0) + row.value, 2)
        return rows, totals

    def test_waterfall_reconciles(self):
        rows, totals = self._waterfall()
        self.assertEqual(totals, {'01_start': 14100.0, '02_new': 600.0, '03_pulled_in': 5000.0,
                                  '04_pushed_out': -2000.0, '05_increased': 1000.0, '06_decreased': -50.0,
                                  '07_won': -4000.0, '08_lost': -2000.0, '09_end': 12650.0})
        movements = dict((row.lead_id, row.bucket) for row in rows if row.bucket not in ('01_start', '09_end'))
        self.assertEqual(movements, {self.g: '02_new', self.b: '03_pulled_in', self.c: '04_pushed_out',
                                     self.a: '05_increased', self.f: '06_decreased', self.d: '07_won',
                                     self.e: '08_lost'})
        self.assertEqual(sum(v for k, v in totals.items() if k != '09_end'), totals['09_end'])

    def test_waterfall_amount_measure(self):
        rows, totals = self._waterfall('amount')
        self.assertEqual(totals, {'01_start': 30000.0, '02_new': 3000.0, '03_pulled_in': 20000.0,
                                  '04_pushed_out': -5000.0, '05_increased': 2000.0, '07_won': -8000.0,
                                  '08_lost': -4000.0, '09_end': 38000.0})
        self.assertNotIn(self.f, rows.filtered(lambda r: r.bucket not in ('01_start', '09_end')).mapped('lead_id'))

    def test_waterfall_read_group_and_access(self):
        """The pivot's read_group gives the same steps; a rep sees the movements of their own deals."""
        report = self.env['crm.forecast.waterfall.report'].sudo(self.rep_b).with_context(
            waterfall_date_from=M1, waterfall_date_to=M2, waterfall_period_start=Q2[0],
            waterfall_period_end=Q2[1])
        groups = report.read_group([('team_id', '=', self.team.id)], ['bucket', 'value'], ['bucket'],
                                   orderby='bucket')
        # rep_b: B pulled in, D won, F decreased
        self.assertEqual([(g['bucket'], g['value']) for g in groups],
                         [('01_start', 4100.0), ('03_pulled_in', 5000.0), ('06_decreased', -50.0),
                          ('07_won', -4000.0), ('09_end', 5050.0)])

    def test_report_parameters_sent_wrong_are_refused_clearly(self):
        """The history reports' parameters come in the context, which a client sends: a value the view could not
        read is refused with a message naming the parameter (not a database error), and nothing is read."""
        cases = [('crm.forecast.asof.report', {'forecast_as_of': 'yesterday'}, 'forecast_as_of'),
                 ('crm.forecast.asof.report', {'forecast_as_of': '2031-02-30 10:00:00'}, 'forecast_as_of'),
                 ('crm.forecast.waterfall.report', {'waterfall_date_from': M1, 'waterfall_date_to': 'soon'},
                  'waterfall_date_to'),
                 ('crm.forecast.waterfall.report', {'waterfall_period_start': '2031-13-01'},
                  'waterfall_period_start'),
                 ('crm.forecast.waterfall.report', {'waterfall_measure': 'count'}, 'waterfall_measure'),
                 ('crm.forecast.accuracy.report', {'accuracy_today': 42}, 'accuracy_today')]
        for model, context, parameter in cases:
            report = self.env[model].sudo(self.rep_a).with_context(**context)
            for read in (lambda: report.search([]), lambda: report.read_group([], ['team_id'], ['team_id'])):
                with self.assertRaises(UserError) as caught, self.cr.savepoint():
                    read()
                self.assertIn(parameter, caught.exception.name)
        # what the dialogs send is read as before, a date alone as its midnight
        self.assertEqual(self._as_of(M2), self._as_of('2031-03-20'))

    def test_waterfall_wizard(self):
        wizard = self.env['crm.forecast.waterfall'].sudo(self.rep_a).create({
            'period_start': Q2[0], 'period_end': Q2[1], 'date_from': M1, 'date_to': M2, 'measure': 'amount'})
        action = wizard.action_open()
        self.assertEqual(action['res_model'], 'crm.forecast.waterfall.report')
        self.assertEqual(action['context']['waterfall_measure'], 'amount')
        wizard.date_to = '2031-03-01 00:00:00'
        with self.assertRaises(UserError):
            wizard.action_open()

    def test_workbook_waterfall_sheet(self):
        """The Waterfall sheet: the steps of Q2 from M1 to M2 (as of), the end as a SUM of the steps, a chart,
        and the seven deals that moved."""
        wizard = self.env['crm.forecast.workbook'].sudo(self.manager).create({
            'date_from': Q2[0], 'date_to': Q2[1], 'as_of': M2, 'waterfall_from': M1,
            'team_ids': [(6, 0, [self.team.id])], 'lost_sheet': False, 'collection_sheet': False})
        wizard.action_export()
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)))
        sheet = book['Waterfall']
        steps = [(sheet.cell(row=row, column=1).value, sheet.cell(row=row, column=2).value) for row in range(5, 14)]
        self.assertEqual(steps, [('Pipeline at Start', 14100), ('New', 600), ('Pulled In', 5000),
                                 ('Pushed Out', -2000), ('Increased', 1000), ('Decreased', -50), ('Won', -4000),
                                 ('Lost', -2000), ('Pipeline at End', '=SUM(B5:B12)')])
        self.assertEqual(len(sheet._charts), 1)
        deals = [sheet.cell(row=row, column=2).value for row in range(36, 44)]
        self.assertEqual(deals, ['History G', 'History B', 'History C', 'History A', 'History F', 'History D',
                                 'History E', None])
        wizard.waterfall_from = '2031-03-25 00:00:00'   # after the 'as of' moment
        with self.assertRaises(UserError):
            wizard.action_export()

    def test_workbook_waterfall_names_a_deal_handed_on_since(self):
        """A rep's Waterfall sheet lists the movements of his book then, by the deal's name (as the pivot shows
        it), also for a deal handed to a colleague since, which he can no longer open."""
        with freeze_time('2031-03-25 09:00:00'):
            self.a.write({'user_id': self.rep_b.id})
        with self.assertRaises(AccessError):
            self.a.sudo(self.rep_a).read(['name'])
        wizard = self.env['crm.forecast.workbook'].sudo(self.rep_a).create({
            'date_from': Q2[0], 'date_to': Q2[1], 'as_of': M2, 'waterfall_from': M1,
            'team_ids': [(6, 0, [self.team.id])], 'lost_sheet': False, 'collection_sheet': False})
        wizard.action_export()
        sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)))['Waterfall']
        deals = [sheet.cell(row=row, column=2).value for row in range(36, 42)]
        # rep_a's book between M1 and M2: G new, C pushed out, A increased, E lost
        self.assertEqual(deals, ['History G', 'History C', 'History A', 'History E', None, None])
        self.assertEqual(sheet.cell(row=38, column=3).value, 'history_rep_a')

    # -- slippage -----------------------------------------------------------------------------

    @freeze_time('2031-04-01 09:00:00')
    def test_slippage(self):
        """C: 06-01 -> 08-10 at T1 (70 days, a push), then 08-20 (10 days, same month), 10-01 (42 days, a push),
        back to 09-01 (a pull: nothing). B only moved earlier."""
        self.assertEqual((self.c.forecast_date_first, self.c.push_count, self.c.slip_days), ('2031-06-01', 1, 70))
        self.assertEqual((self.b.forecast_date_first, self.b.push_count, self.b.slip_days), ('2031-07-15', 0, 0))
        for date_end in ('2031-08-20', '2031-10-01', '2031-09-01'):
            self.c.sudo(self.rep_a).write({'date_end': date_end})
        self.assertEqual((self.c.forecast_date_first, self.c.push_count, self.c.slip_days), ('2031-06-01', 2, 122))
        Lead = self.env['crm.lead'].sudo(self.manager)
        self.assertEqual(Lead.search([('team_id', '=', self.team.id), ('push_count', '>=', 2)]), self.c)
        self.assertEqual(Lead.search([('team_id', '=', self.team.id), ('push_count', '>=', 1)]), self.c)
        # by salesperson: rep_a's three moves, rep_b none; a rep sees only their own
        report = self.env['crm.forecast.slippage.report']
        groups = report.sudo(self.manager).read_group([('team_id', '=', self.team.id)],
                                                      ['user_id', 'days', 'push_count'], ['user_id'])
        self.assertEqual([(g['user_id'][0], g['days'], g['push_count'], g['user_id_count']) for g in groups],
                         [(self.rep_a.id, 122, 2, 3)])
        quarters = report.sudo(self.manager).read_group([('team_id', '=', self.team.id)], ['date', 'days'],
                                                        ['date:quarter'])
        # Q1 2031 (the T1 push), Q2 2031 (the two moves of April 1st)
        self.assertEqual([(g['date_count'], g['days']) for g in quarters], [(1, 70), (2, 52)])
        self.assertFalse(report.sudo(self.rep_b).search([('team_id', '=', self.team.id)]))

    def test_slippage_of_new_deals(self):
        """A new deal holds its slippage figures in its row from the start: none without a date, its first
        date with one."""
        Lead = self.env['crm.lead'].sudo(self.rep_a)
        plain = Lead.create({'name': 'Slippage: no date', 'type': 'opportunity'})
        dated = Lead.create({'name': 'Slippage: dated', 'type': 'opportunity', 'date_end': '2031-03-01'})
        expected = Lead.create({'name': 'Slippage: expected', 'type': 'opportunity', 'date_deadline': '2031-05-01'})
        self.env.cr.execute("SELECT id, forecast_date_first, push_count, slip_days FROM crm_lead WHERE id IN %s",
                            [(plain.id, dated.id, expected.id)])
        self.assertEqual(sorted(self.env.cr.fetchall()), [(plain.id, None, 0, 0), (dated.id, '2031-03-01', 0, 0),
                                                          (expected.id, '2031-05-01', 0, 0)])

    @freeze_time('2031-04-01 09:00:00')
    def test_push_reason_required(self):
        """With a 30-day limit a push of 31 days needs a reason, kept with the change; 30 days does not."""
        self.env.user.company_id.forecast_push_reason_days = 30
        Change = self.env['crm.lead.forecast.change']
        before = Change.search_count([('lead_id', '=', self.h.id)])
        with self.assertRaises(ValidationError):
            self.h.sudo(self.rep_a).write({'date_end': '2031-05-11'})
        self.assertEqual((self.h.date_end, Change.search_count([('lead_id', '=', self.h.id)])),
                         ('2031-04-10', before))
        self.h.sudo(self.rep_a).write({'date_end': '2031-05-11', 'date_push_reason': 'Permit delayed'})
        last = Change.search([('lead_id', '=', self.h.id)], limit=1)
        self.assertEqual((last.date_end, last.note), ('2031-05-11', 'Permit delayed'))
        self.h.sudo(self.rep_a).write({'date_end': '2031-06-10'})   # 30 days: no reason needed
        self.assertEqual((self.h.push_count, self.h.slip_days), (2, 61))
        with self.assertRaises(ValidationError):
            self.env.user.company_id.forecast_push_reason_days = -1

    # -- accuracy -----------------------------------------------------------------------------

    def _accuracy(self, kind, start, groupby, user=None):
        report = self.env['crm.forecast.accuracy.report'].sudo(user or self.env.uid).with_context(
            accuracy_today='2031-07-15')
        groups = report.read_group(
            [('team_id', '=', self.team.id), ('period_kind', '=', kind), ('period_start', '=', start)],
            ['forecast', 'actual', 'error', 'abs_error'] + [g.split(':')[0] for g in groupby], groupby,
            orderby=', '.join(groupby), lazy=False)
        return [tuple(g[name] if not isinstance(g[name], tuple) else g[name][0] for name in groupby) +
                (g['forecast'], g['actual'], g['error']) for g in groups]

    def test_accuracy(self):
        """Q2 2031 (closed on 2031-07-15): 90 and 60 days before it (Jan 1st, Jan 31st) nothing was
        forecast; 30 days before (Mar 2nd) the T0 pipeline dated in Q2: 14,100 weighted. Won in Q2: D, 8,000.
        April, 30 days before (Mar 2nd): D 4,000 (rep_b) + H 1,000 (rep_a); won: D 8,000 (rep_b).
        May: 60 days before (Mar 2nd) A 5,000 + E 2,000; 30 days before (Apr 1st, after T1) A 6,000 + B 5,000.
        June: 90 days before (Mar 3rd) C 2,000 + F 100; 60 and 30 days before F 50."""
        self.assertEqual(self._accuracy('quarter', '2031-04-01', ['horizon']),
                         [('30', 14100.0, 8000.0, 6100.0), ('60', 0.0, 8000.0, -8000.0),
                          ('90', 0.0, 8000.0, -8000.0)])
        self.assertEqual(self._accuracy('month', '2031-04-01', ['horizon', 'user_id']),
                         [('30', self.rep_a.id, 1000.0, 0.0, 1000.0), ('30', self.rep_b.id, 4000.0, 8000.0, -4000.0),
                          ('60', self.rep_b.id, 0.0, 8000.0, -8000.0), ('90', self.rep_b.id, 0.0, 8000.0, -8000.0)])
        self.assertEqual(self._accuracy('month', '2031-05-01', ['horizon']),
                         [('30', 11000.0, 0.0, 11000.0), ('60', 7000.0, 0.0, 7000.0)])
        self.assertEqual(self._accuracy('month', '2031-06-01', ['horizon']),
                         [('30', 50.0, 0.0, 50.0), ('60', 50.0, 0.0, 50.0), ('90', 2100.0, 0.0, 2100.0)])
        # July is not closed on 2031-07-15; a rep sees their own figures only
        self.assertEqual(self._accuracy('month', '2031-07-01', ['horizon']), [])
        self.assertEqual(self._accuracy('month', '2031-04-01', ['horizon', 'user_id'], user=self.rep_a),
                         [('30', self.rep_a.id, 1000.0, 0.0, 1000.0)])

    def test_workbook_accuracy_sheet(self):
        """Q2 2031 by salesperson, 30 days before: rep_a A 5,000 + C 2,000 + E 2,000 + H 1,000, nothing won;
        rep_b D 4,000 + F 100, won D 8,000: error -3,900, bias -48.75 %."""
        wizard = self.env['crm.forecast.workbook'].sudo(self.manager).with_context(
            accuracy_today='2031-07-15').create({
                'date_from': Q2[0], 'date_to': Q2[1], 'team_ids': [(6, 0, [self.team.id])], 'accuracy_sheet': True,
                'lost_sheet': False, 'collection_sheet': False})
        wizard.action_export()
        sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)))['Forecast Accuracy']
        self.assertEqual([sheet.cell(row=row, column=1).value for row in (6, 7)], ['history_rep_a', 'history_rep_b'])
        self.assertEqual([sheet.cell(row=6, column=col).value for col in (2, 3, 10, 11)], [0, 0, 10000, 0])
        self.assertEqual([sheet.cell(row=7, column=col).value for col in (10, 11, 12, 13)],
                         [4100, 8000, '=J7-K7', '=L7/K7'])
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)), data_only=True)
        self.assertAlmostEqual(book['Forecast Accuracy'].cell(row=7, column=13).value, -0.4875)

    # -- calibration --------------------------------------------------------------------------

    def test_calibration(self):
        """Closed deals of the team: D won (passed Order), E lost (passed Quote), and here X1, X2 won and X3 lost,
        all three made in Quote. Quote: 4 closed, 2 won: 50 %, Wilson 95 % interval
        (0.5 + 1.96^2/8) / (1 + 1.96^2/4) -+ 1.96 sqrt(0.25/4 + 1.96^2/64) / (1 + 1.96^2/4) = 50 % -+ 34.996 %.
        Order: 1 closed, won: 100 %, interval [(1 + 1.96^2/2 - 1.96^2/2) / (1 + 1.96^2), 1] = [20.654 %, 100 %].
        Brier, configured Quote 20 %, Order 40 %: Quote (2 x 0.8^2 + 2 x 0.2^2) / 4 = 0.34; Order 0.6^2 = 0.36;
        overall (1.36 + 0.36) / 5 = 0.344. Potential: no closed deal."""
        self.assertEqual((self.stage['quote'].probability, self.stage['order'].probability), (20.0, 40.0))
        Lead = self.env['crm.lead']
        reason = self.env.ref('impact_crm.lost_reason_budget_cut').id
        made = [Lead.create({'name': 'Calibration %s' % i, 'type': 'opportunity', 'team_id': self.team.id,
                             'user_id': self.rep_a.id, 'planned_revenue': 100,
                             'stage_id': self.stage['quote'].id}) for i in range(3)]
        (made[0] | made[1]).write({'stage_id': self.stage['won'].id})
        made[2]._action_lose({'lost_reason': reason})
        wizard = self.env['crm.forecast.calibration'].sudo(self.manager).create({'team_id': self.team.id})
        wizard._compute_lines()
        lines = dict((line.stage_id, line) for line in wizard.line_ids)
        quote, order, potential = lines[self.stage['quote']], lines[self.stage['order']], lines[self.stage['potential']]
        self.assertEqual((quote.deal_count, quote.won_count, quote.lost_count, quote.observed, quote.suggested),
                         (4, 2, 2, 50.0, 50.0))
        # shown to a tenth of a percent: 15.004 and 84.996
        self.assertEqual((quote.interval_low, quote.interval_high), (15.0, 85.0))
        self.assertAlmostEqual(quote.brier_score, 0.34)
        self.assertEqual((order.deal_count, order.won_count, order.observed), (1, 1, 100.0))
        self.assertEqual((order.interval_low, order.interval_high), (20.7, 100.0))   # 20.654
        self.assertEqual((potential.deal_count, potential.suggested), (0, 10.0))
        self.assertEqual(wizard.closed_count, 5)
        self.assertAlmostEqual(wizard.brier_score, 0.344)
        # a rep may neither see nor apply; the manager applies Quote's 50 %: G (at the stage default) follows,
        # A and C (probabilities set by their rep) keep theirs, and the change is in the log
        with self.assertRaises(AccessError):
            wizard.sudo(self.rep_a).action_apply()
        with self.assertRaises(AccessError):
            self.env['crm.forecast.calibration'].sudo(self.rep_a).action_open()
        quote.apply = True
        wizard.action_apply()
        self.assertEqual((self.stage['quote'].probability, self.g.probability, self.a.probability,
                          self.c.probability), (50.0, 50.0, 50.0, 40.0))
        self.assertEqual(self.env['crm.lead.forecast.change'].search([('lead_id', '=', self.g.id)],
                                                                     order='id desc', limit=1).probability, 50.0)
