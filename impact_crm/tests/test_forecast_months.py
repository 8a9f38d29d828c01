from unittest.mock import patch

from odoo import tools
from odoo.tests.common import SavepointCase

from ..reports import crm_forecast_totals
from ..reports.crm_forecast_report import (MONTH_KEYS, MONTH_TABLE, ORDER_MONTH_BRIN_COLUMNS,
                                           ORDER_MONTH_TABLE)

FIELDS = ['status', 'forecast_category', 'user_id', 'team_id', 'region_id', 'categ_id']


class TestForecastMonths(SavepointCase):
    """The forecast's rows summed per month (crm_forecast_month for the opportunities, crm_forecast_order_month
    for the orders) give the workbook the same totals as the rows themselves, for a manager and for a sales
    rep (record rules), kept in step by every write of the rows and summed up by the hourly compaction; the
    workbook reads the rows whenever the sums cannot answer."""

    @classmethod
    def setUpClass(cls):
        super(TestForecastMonths, cls).setUpClass()
        env = cls.env
        company = env.user.company_id

        def user(login, group):
            return env['res.users'].with_context(no_reset_password=True).create({
                'name': login, 'login': login, 'company_id': company.id, 'company_ids': [(6, 0, [company.id])],
                'groups_id': [(6, 0, [env.ref(group).id])]})
        cls.rep = user('months_rep', 'sales_team.group_sale_salesman')
        cls.rep2 = user('months_rep2', 'sales_team.group_sale_salesman')
        cls.manager = user('months_manager', 'sales_team.group_sale_manager')
        cls.team = env['crm.team'].create({'name': 'Months Team'})
        cls.partner = env['res.partner'].create({'name': 'Months Customer'})
        cls.hidden = env['res.partner'].create({'name': 'Months Hidden Customer'})
        cls.categ1 = env['product.category'].create({'name': 'Months Glazing'})
        cls.categ2 = env['product.category'].create({'name': 'Months Steel'})
        cls.product1 = env['product.product'].create({
            'name': 'Months Glass', 'list_price': 100.0, 'type': 'service', 'categ_id': cls.categ1.id})
        cls.product2 = env['product.product'].create({
            'name': 'Months Beam', 'list_price': 100.0, 'type': 'service', 'categ_id': cls.categ2.id})
        cls.region = env['crm.region'].create({'name': 'Months Region'})
        quote, won = env.ref('impact_crm.stage_quote'), env.ref('impact_crm.stage_won')

        def deal(name, user, stage, revenue, probability, date_end, partner=None, lines=()):
            lead = env['crm.lead'].create({
                'name': name, 'type': 'opportunity', 'user_id': user.id, 'team_id': cls.team.id,
                'partner_id': (partner or cls.partner).id, 'planned_revenue': revenue, 'probability': probability,
                'stage_id': stage.id, 'date_end': date_end, 'region_id': cls.region.id})
            if lines:
                env['sale.order'].create({
                    'partner_id': (partner or cls.partner).id, 'opportunity_id': lead.id, 'user_id': user.id,
                    'date_order': '2031-02-01 10:00:00',
                    'order_line': [(0, 0, {'product_id': p.id, 'product_uom_qty': 1, 'price_unit': price})
                                   for p, price in lines]})
            return lead
        cls.deals = (
            deal('Months A', cls.rep, quote, 30000, 40, '2031-01-10', lines=[(cls.product1, 1000.0),
                                                                             (cls.product2, 3000.0)]),
            deal('Months B', cls.rep, won, 12000, 100, '2031-01-20', lines=[(cls.product2, 500.0)]),
            deal('Months C', cls.rep, quote, 7000, 25, '2031-05-31'),
            deal('Months D', cls.rep2, quote, 5000, 60, '2031-08-01', lines=[(cls.product1, 800.0)]),
            deal('Months E', cls.rep, quote, 9000, 50, '2031-11-15', partner=cls.hidden),
        )
        cls.Report = env['crm.forecast.report']

    def _wizard(self, user, **values):
        vals = {'date_from': '2031-01-01', 'date_to': '2031-12-31', 'granularity': 'month'}
        vals.update(values)
        return self.env['crm.forecast.workbook'].sudo(user).create(vals)

    def _totals(self, user, source='opportunity', granularity='month', months=True, **values):
        wizard = self._wizard(user, source=source, granularity=granularity, **values)
        return crm_forecast_totals.forecast_totals(wizard._report(), wizard._domain(), FIELDS, granularity,
                                                   months=months)

    def _reads_months(self, user, source='opportunity'):
        """Whether the totals of ``user`` are read from the monthly sums (the clause the rows would use,
        read from the sums)."""
        Report = self.Report.sudo(user)
        query = Report._where_calc(self._wizard(user, source=source)._domain())
        Report._apply_ir_rules(query, 'read')
        from_clause, where_clause, _params = query.get_sql()
        table = ORDER_MONTH_TABLE if source == 'order' else MONTH_TABLE
        return crm_forecast_totals._on_months(Report, from_clause, where_clause, table) is not None

    def _month_rows(self, table=MONTH_TABLE):
        self.env.cr.execute('SELECT count(*), count(*) FILTER (WHERE n = 0) FROM %s' % table)
        return self.env.cr.fetchone()

    def test_totals_from_the_monthly_sums_are_those_of_the_rows(self):
        self.assertEqual(self.Report._stale_months(), 0)
        for user in (self.manager, self.rep):
            for source in ('opportunity', 'order'):
                self.assertTrue(self._reads_months(user, source))
                for granularity in ('month', 'quarter', 'year'):
                    from_months = self._totals(user, source, granularity)
                    self.assertEqual(from_months, self._totals(user, source, granularity, months=False),
                                     (user.login, source, granularity))
        # what the rep sees: his deals only; deal A split over its two categories as its lines are
        users = self._totals(self.rep)['user_id'][0]
        self.assertEqual(set(member for member, _start in users), {self.rep.id})
        categories = self._totals(self.rep)['categ_id'][0]
        january = [start for member, start in categories if member == self.categ1.id][0]
        self.assertAlmostEqual(categories[(self.categ1.id, january)]['amount'], 30000 * 1000 / 4000.0)
        self.assertAlmostEqual(categories[(self.categ2.id, january)]['amount'], 30000 * 3000 / 4000.0 + 12000)
        self.assertAlmostEqual(categories[(self.categ2.id, january)]['weighted_amount'],
                               30000 * 3000 / 4000.0 * 0.4 + 12000)

    def test_writes_keep_the_sums_in_step(self):
        a, b, c, d, e = self.deals
        a.write({'probability': 55, 'date_end': '2031-03-03'})
        b.user_id = self.rep2
        c.action_set_won()
        d.order_ids.action_confirm()
        e.unlink()
        self.env['sale.order'].create({
            'partner_id': self.partner.id, 'opportunity_id': c.id, 'date_order': '2031-06-01 10:00:00',
            'order_line': [(0, 0, {'product_id': self.product2.id, 'product_uom_qty': 2, 'price_unit': 10.0})]})
        self.env.cr.execute("UPDATE crm_lead SET planned_revenue = 31000 WHERE id = %s", (a.id,))
        self.assertEqual(self.Report._stale_rows(), 0)
        self.assertEqual(self.Report._stale_months(), 0)
        for user in (self.manager, self.rep, self.rep2):
            for source in ('opportunity', 'order'):
                self.assertEqual(self._totals(user, source, 'quarter'),
                                 self._totals(user, source, 'quarter', months=False), (user.login, source))

    def test_a_confirmation_appends_to_the_orders_sums_only(self):
        """An order's confirmation updates its order's rows in place: the difference goes to the orders' sums,
        a table without a B-tree index (each confirmation appends to it), the opportunities' sums are untouched;
        the orders' totals are read from their sums, the same as from the rows."""
        self.env.cr.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", (ORDER_MONTH_TABLE,))
        definitions = [row[0] for row in self.env.cr.fetchall()]
        self.assertEqual(len(definitions), 2)
        self.assertTrue(all(' USING brin ' in definition for definition in definitions), definitions)
        opportunities, orders = self._month_rows()[0], self._month_rows(ORDER_MONTH_TABLE)[0]
        self.deals[0].order_ids.action_confirm()
        self.assertTrue(self.deals[0].order_ids.fiscal_number)
        self.assertEqual(self._month_rows()[0], opportunities)
        self.assertGreater(self._month_rows(ORDER_MONTH_TABLE)[0], orders)
        self.assertEqual(self.Report._stale_months(), 0)
        for table, kind in ((MONTH_TABLE, 'opportunity'), (ORDER_MONTH_TABLE, 'order')):
            self.env.cr.execute("SELECT count(*) FROM %s WHERE source != %%s" % table, (kind,))
            self.assertEqual(self.env.cr.fetchone()[0], 0, table)
        for user in (self.manager, self.rep):
            totals = self._totals(user, 'order')
            with patch.object(crm_forecast_totals, '_on_months', side_effect=AssertionError('read from the sums')):
                self.assertEqual(totals, self._totals(user, 'order', months=False))
        # confirmed: the order's lines count in full (its quotation counted at the deal's 40%)
        weighted = sum(values['weighted_amount'] for values in self._totals(self.rep, 'order')['status'][0].values())
        self.assertAlmostEqual(weighted, 1000.0 + 3000.0 + 500.0)
        # a deal's reassignment and probability, written into its rows in place: the sums follow
        self.deals[2].write({'user_id': self.rep2.id, 'probability': 35})
        self.assertEqual(self.Report._stale_months(), 0)
        self.assertEqual(self._totals(self.rep2), self._totals(self.rep2, months=False))

    def _unsummarized_ranges(self):
        """The block ranges of the orders' sums' BRIN indexes no summary covers (summarized now, counted)."""
        counts = []
        for column in ORDER_MONTH_BRIN_COLUMNS:
            self.env.cr.execute('SELECT brin_summarize_new_values(%s::regclass)',
                                ('%s_%s_brin' % (ORDER_MONTH_TABLE, column),))
            counts.append(self.env.cr.fetchone()[0])
        return counts

    def _rep_order_totals_by_index(self, user):
        """The orders' totals of ``user`` read with sequential scans off, and whether a read of the sums by his
        record rule's condition (his own or no salesperson) is planned on the BRIN index then."""
        cr = self.env.cr
        cr.execute('SAVEPOINT by_index')
        try:
            cr.execute('SET LOCAL enable_seqscan = off')
            cr.execute('EXPLAIN SELECT sum(amount) FROM %s WHERE user_id = %%s OR user_id IS NULL' % ORDER_MONTH_TABLE,
                       (user.id,))
            plan = '\n'.join(row[0] for row in cr.fetchall())
            return self._totals(user, 'order'), '%s_user_id_brin' % ORDER_MONTH_TABLE in plan
        finally:
            cr.execute('ROLLBACK TO SAVEPOINT by_index')

    def test_the_orders_sums_are_summarized_when_written_anew(self):
        """The compaction and the rebuild write the orders' sums anew and summarize every block range of
        their BRIN indexes: a sales user's totals read through them are those of the rows. Differences
        appended beyond the summarized pages are read all the same (a range without a summary is scanned)."""
        cr = self.env.cr
        self.deals[0].order_ids.action_confirm()
        # an hour of confirmations: differences appended over some hundred pages, coming to nothing
        keys = ', '.join(MONTH_KEYS)
        cr.execute("""INSERT INTO %(table)s (%(keys)s, date, amount, weighted_amount, n)
                      SELECT %(keys)s, date, amount * sign, weighted_amount * sign, n * sign
                        FROM %(table)s, generate_series(1, 2000) copy, (VALUES (1), (-1)) signs (sign)
                       WHERE user_id = %%s""" % {'table': ORDER_MONTH_TABLE, 'keys': keys}, (self.rep.id,))
        self.assertGreater(cr.rowcount, 1000)
        for user in (self.rep, self.rep2, self.manager):
            totals, by_index = self._rep_order_totals_by_index(user)
            self.assertTrue(by_index)
            self.assertEqual(totals, self._totals(user, 'order', months=False), user.login)
        self.Report._compact_months()
        self.assertEqual(self._unsummarized_ranges(), [0, 0])
        self.assertEqual(self.Report._stale_months(), 0)
        for user in (self.rep, self.rep2):
            totals, by_index = self._rep_order_totals_by_index(user)
            self.assertTrue(by_index)
            self.assertEqual(totals, self._totals(user, 'order', months=False), user.login)
        cr.execute('DELETE FROM %s' % ORDER_MONTH_TABLE)
        self.Report.sudo(self.manager).rebuild()
        self.assertEqual(self._unsummarized_ranges(), [0, 0])
        self.assertEqual(self._rep_order_totals_by_index(self.rep)[0], self._totals(self.rep, 'order', months=False))

    def test_a_member_whose_rows_went_away_is_not_a_member(self):
        """The rows of rep2's only deal move to rep: his monthly sums come to nothing (until the compaction
        removes them) and he has no line in the workbook, as in the rows."""
        self.deals[3].user_id = self.rep
        self.assertTrue(self._month_rows()[0])
        users = self._totals(self.manager)['user_id'][0]
        self.assertNotIn(self.rep2.id, set(member for member, _start in users))
        self.assertEqual(self._totals(self.manager), self._totals(self.manager, months=False))
        # the hourly compaction sums the differences up: the same totals, no member left with no rows
        before = self._totals(self.manager)
        cron = self.env.ref('impact_crm.ir_cron_crm_forecast_month_compact')
        count = self._month_rows()[0]
        cron.method_direct_trigger()
        rows, empty = self._month_rows()
        self.assertLess(rows, count)
        self.assertEqual(empty, 0)
        self.assertEqual(self.Report._stale_months(), 0)
        self.assertEqual(self._totals(self.manager), before)
        self.env.cr.execute('SELECT count(*) FROM %s WHERE user_id = %%s AND n != 0' % MONTH_TABLE, (self.rep2.id,))
        self.assertEqual(self.env.cr.fetchone()[0], 0)

    def test_a_rule_on_a_column_the_sums_do_not_keep_reads_the_rows(self):
        """A company's own record rule on the forecast (here: one customer hidden) is applied as it is: the
        totals come from the rows, which know the customer."""
        self.env['ir.rule'].create({
            'name': 'Months: hidden customer', 'model_id': self.env.ref('impact_crm.model_crm_forecast_report').id,
            'domain_force': "[('partner_id', '!=', %d)]" % self.hidden.id})
        self.assertFalse(self._reads_months(self.rep))
        self.assertFalse(self._reads_months(self.manager))
        totals = self._totals(self.rep)
        self.assertEqual(totals, self._totals(self.rep, months=False))
        november = [start for _member, start in totals['status'][0] if start.month == 11]
        self.assertEqual(november, [])

    def test_part_of_a_month_reads_the_rows(self):
        """A period starting or ending inside a month is read from the rows: a deal of the same month outside
        the period is left out."""
        wizard = self._wizard(self.rep, date_from='2031-01-15', date_to='2031-12-31')
        self.assertFalse(wizard._whole_months())
        self.assertTrue(self._wizard(self.rep, date_from='2031-02-01', date_to='2032-02-29')._whole_months())
        self.assertFalse(self._wizard(self.rep, date_from='2031-02-01', date_to='2031-02-27')._whole_months())
        statuses = wizard._read(['status'])['status'][0]
        january = dict((member, values['amount']) for (member, start), values in statuses.items()
                       if start.month == 1)
        self.assertEqual(january, {'won': 12000.0})

    def test_rebuild_sums_the_months_again(self):
        for table in (MONTH_TABLE, ORDER_MONTH_TABLE):
            self.env.cr.execute('DELETE FROM %s' % table)
            self.assertTrue(self.Report._stale_months())
            self.Report.sudo(self.manager).rebuild()
            self.assertEqual(self.Report._stale_months(), 0)
            self.assertEqual(self._month_rows(table)[1], 0)
            self.assertTrue(self._month_rows(table)[0])

    def test_a_missing_table_of_sums_is_summed_at_the_upgrade(self):
        """The add-on's upgrade (init) creates the table of sums where it is missing and sums the rows into it."""
        self.env.cr.execute('DROP TABLE %s' % ORDER_MONTH_TABLE)
        self.Report.init()
        self.assertTrue(self._month_rows(ORDER_MONTH_TABLE)[0])
        self.assertEqual(self.Report._stale_months(), 0)
        self.env.cr.execute('DROP TABLE %s' % MONTH_TABLE)
        self.Report.init()
        self.assertTrue(self._month_rows()[0])
        self.assertEqual(self.Report._stale_months(), 0)
        self.assertEqual(self._totals(self.rep), self._totals(self.rep, months=False))

    def test_without_the_table_of_sums_the_rows_answer(self):
        """The add-on's code ahead of its upgrade (no table of sums yet): the totals are read from the rows. The
        table's presence is asked once per registry, not at every read."""
        expected = self._totals(self.rep, months=False)
        self.assertTrue(self._reads_months(self.rep))
        self.Report.clear_caches()
        with patch.object(tools, 'table_exists', wraps=tools.table_exists) as table_exists:
            self.assertEqual((self._totals(self.rep), self._totals(self.rep)), (expected, expected))
        self.assertEqual([call[0][1] for call in table_exists.call_args_list], [MONTH_TABLE])
        self.env.cr.execute('DROP TABLE %s' % MONTH_TABLE)
        self.Report.clear_caches()
        self.addCleanup(self.Report.clear_caches)   # the table comes back with the rollback
        self.assertFalse(self._reads_months(self.rep))
        self.assertEqual(self._totals(self.rep), expected)
