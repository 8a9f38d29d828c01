from unittest.mock import patch

from odoo import models
from odoo.exceptions import AccessError
from odoo.tests.common import SavepointCase

from ..reports import crm_forecast_report, crm_forecast_totals


class TestForecastStored(SavepointCase):
    """The forecast's rows are stored: every change of what they are computed from (deals, stages, stage
    groups, quotations/orders and their lines, revisions, products, currency rates) brings them in step
    with a fresh computation, whatever the path (ORM or SQL); a rebuild repairs them."""

    @classmethod
    def setUpClass(cls):
        super(TestForecastStored, cls).setUpClass()
        env = cls.env
        cls.company = env.user.company_id

        def user(login, group):
            return env['res.users'].with_context(no_reset_password=True).create({
                'name': login, 'login': login, 'company_id': cls.company.id,
                'company_ids': [(6, 0, [cls.company.id])], 'groups_id': [(6, 0, [env.ref(group).id])]})
        cls.rep = user('stored_rep', 'sales_team.group_sale_salesman')
        cls.manager = user('stored_manager', 'sales_team.group_sale_manager')
        cls.team = env['crm.team'].create({'name': 'Stored Forecast Team'})
        cls.partner = env['res.partner'].create({'name': 'Stored Forecast Customer'})
        cls.categ1 = env['product.category'].create({'name': 'Stored Glazing'})
        cls.categ2 = env['product.category'].create({'name': 'Stored Steel'})
        cls.product1 = env['product.product'].create({
            'name': 'Stored Glass', 'list_price': 100.0, 'type': 'service', 'categ_id': cls.categ1.id})
        cls.product2 = env['product.product'].create({
            'name': 'Stored Beam', 'list_price': 100.0, 'type': 'service', 'categ_id': cls.categ2.id})
        cls.xts = env['res.currency'].create({'name': 'XTT', 'symbol': 'T', 'rounding': 0.01})
        env['res.currency.rate'].create({'currency_id': cls.xts.id, 'name': '2020-01-01', 'rate': 4.0})
        cls.pricelist_xts = env['product.pricelist'].create({'name': 'XTT prices', 'currency_id': cls.xts.id})
        cls.stage_quote = env.ref('impact_crm.stage_quote')
        cls.opp = env['crm.lead'].create({
            'name': 'Stored Opp', 'type': 'opportunity', 'user_id': cls.rep.id, 'team_id': cls.team.id,
            'partner_id': cls.partner.id, 'planned_revenue': 40000, 'probability': 25,
            'stage_id': cls.stage_quote.id, 'date_end': '2032-05-15'})

    def _order(self, lines, **vals):
        vals.update({'partner_id': self.partner.id, 'opportunity_id': self.opp.id, 'user_id': self.rep.id,
                     'order_line': [(0, 0, {'product_id': p.id, 'product_uom_qty': qty, 'price_unit': price})
                                    for p, qty, price in lines]})
        return self.env['sale.order'].create(vals)

    def _totals(self, source='opportunity', groupby='categ_id', user=None):
        """{member: (amount, weighted)} of the test's deals, as ``user`` (the manager) sees them, and the
        table checked against a fresh computation of every row, its monthly sums against the rows."""
        self.assertEqual(self.env['crm.forecast.report']._stale_rows(), 0)
        self.assertEqual(self.env['crm.forecast.report']._stale_months(), 0)
        Report = self.env['crm.forecast.report'].sudo(user or self.manager)
        groups = Report.read_group([('team_id', '=', self.team.id), ('source', '=', source)],
                                   ['amount', 'weighted_amount', groupby.split(':')[0]], [groupby], lazy=False)
        return dict(((g[groupby][0] if isinstance(g[groupby], tuple) else g[groupby]),
                     (round(g['amount'], 2), round(g['weighted_amount'], 2))) for g in groups)

    def test_deal_changes(self):
        self.assertEqual(self._totals(), {False: (40000.0, 10000.0)})
        self.opp.write({'planned_revenue': 20000, 'probability': 50})
        self.assertEqual(self._totals(), {False: (20000.0, 10000.0)})
        self.assertEqual(self._totals(groupby='date:year'), {'2032': (20000.0, 10000.0)})
        self.opp.date_end = '2033-01-10'
        self.assertEqual(self._totals(groupby='date:year'), {'2033': (20000.0, 10000.0)})
        self.opp.stage_id = self.env.ref('impact_crm.stage_won')
        self.assertEqual(self._totals(groupby='status'), {'won': (20000.0, 20000.0)})
        other = self.env['crm.team'].create({'name': 'Stored Other Team'})
        self.opp.team_id = other
        self.assertEqual(self._totals(), {})
        self.opp.team_id = self.team
        self.opp.lost_reason = self.env.ref('impact_crm.lost_reason_other')
        self.opp.action_set_lost()
        self.assertEqual(self._totals(), {})
        self.opp.toggle_active()
        self.opp.write({'stage_id': self.stage_quote.id, 'probability': 50})
        self.assertTrue(self._totals())
        self.opp.unlink()
        self.assertEqual(self._totals(), {})

    def test_new_deals_and_bulk_stage_change(self):
        leads = self.env['crm.lead']
        for i in range(20):
            leads |= leads.create({'name': 'Bulk %d' % i, 'type': 'opportunity', 'team_id': self.team.id,
                                   'user_id': self.rep.id, 'planned_revenue': 1000,
                                   'stage_id': self.env.ref('impact_crm.stage_potential').id})
        stages = self._totals(groupby='stage_id')
        self.assertEqual(stages[self.env.ref('impact_crm.stage_potential').id][0], 20000.0)
        leads.write({'stage_id': self.stage_quote.id})
        self.assertEqual(self._totals(groupby='stage_id'), {self.stage_quote.id: (60000.0, 10000.0 + 20 * 200.0)})
        # a lead (not an opportunity) is not in the forecast; converting it brings it in
        lead = self.env['crm.lead'].create({'name': 'Plain lead', 'type': 'lead', 'team_id': self.team.id,
                                            'user_id': self.rep.id, 'planned_revenue': 5000})
        self.assertEqual(self._totals(groupby='team_id')[self.team.id][0], 60000.0)
        lead.write({'type': 'opportunity', 'stage_id': self.stage_quote.id})
        self.assertEqual(self._totals(groupby='team_id')[self.team.id][0], 65000.0)

    def test_quote_lines_revisions_and_cancellation(self):
        order = self._order([(self.product1, 3, 100.0), (self.product2, 1, 100.0)])
        self.assertEqual(self._totals(), {self.categ1.id: (30000.0, 7500.0), self.categ2.id: (10000.0, 2500.0)})
        self.assertEqual(self._totals('order'), {self.categ1.id: (300.0, 75.0), self.categ2.id: (100.0, 25.0)})
        line2 = order.order_line.filtered(lambda l: l.product_id == self.product2)
        line2.product_uom_qty = 3
        self.assertEqual(self._totals(), {self.categ1.id: (20000.0, 5000.0), self.categ2.id: (20000.0, 5000.0)})
        line2.unlink()
        self.assertEqual(self._totals(), {self.categ1.id: (40000.0, 10000.0)})
        order.action_new_revision()
        latest = order.revision_ids.filtered('is_latest_revision')
        self.assertNotEqual(latest, order)
        line = {'product_id': self.product2.id, 'product_uom_qty': 2, 'price_unit': 50.0}
        latest.write({'order_line': [(5, 0, 0), (0, 0, line)]})
        self.assertEqual(self._totals(), {self.categ2.id: (40000.0, 10000.0)})
        self.assertEqual(self._totals('order'), {self.categ2.id: (100.0, 25.0)})
        latest.action_confirm()
        self.assertEqual(self._totals('order', groupby='order_state'), {'sale': (100.0, 100.0)})
        latest.action_cancel()
        self.assertEqual(self._totals(), {False: (40000.0, 10000.0)})
        self.assertEqual(self._totals('order'), {})

    def test_order_state_changes_written_in_place(self):
        """An order moving between states other than cancelled has its rows updated in place (state,
        probability, weighted amount, date); every other change of an order recomputes the deal's rows."""
        self.opp.date_end = False
        order = self._order([(self.product1, 2, 100.0)], date_order='2031-02-03 10:00:00')
        self.assertEqual(self._totals('order', groupby='order_state'), {'draft': (200.0, 50.0)})
        self.assertEqual(self._totals('order', groupby='date:year'), {'2031': (200.0, 50.0)})
        order.write({'state': 'sent'})
        self.assertEqual(self._totals('order', groupby='order_state'), {'sent': (200.0, 50.0)})
        order.action_confirm()
        self.assertEqual(self._totals('order', groupby='order_state'), {'sale': (200.0, 200.0)})
        # dated by the confirmation now (the deal has no end date)
        self.assertEqual(self._totals('order', groupby='date:year'),
                         {order.confirmation_date[:4]: (200.0, 200.0)})
        order.action_done()
        self.assertEqual(self._totals('order', groupby='order_state'), {'done': (200.0, 200.0)})
        # by SQL, two orders at once, one of them also moving to another date (recomputed, not in place)
        other = self._order([(self.product2, 1, 100.0)], date_order='2031-02-03 10:00:00')
        self.env.cr.execute("""UPDATE sale_order SET state = 'sale', fiscal_number = 'SQL-1',
                                      confirmation_date = '2030-06-01 10:00:00',
                                      date_order = CASE WHEN id = %s THEN '2029-01-01 10:00:00' ELSE date_order END
                                WHERE id IN %s""", [other.id, (order.id, other.id)])
        self.assertEqual(self._totals('order', groupby='order_state'), {'sale': (300.0, 300.0)})
        self.assertEqual(self._totals('order', groupby='date:year'), {'2030': (300.0, 300.0)})
        # cancelled and back to quotation: the rows go and come back
        self.env.cr.execute("UPDATE sale_order SET state = 'cancel' WHERE id = %s", [order.id])
        self.assertEqual(self._totals('order', groupby='order_state'), {'sale': (100.0, 100.0)})
        self.env.cr.execute("UPDATE sale_order SET state = 'draft', confirmation_date = NULL WHERE id = %s",
                            [order.id])
        self.assertEqual(self._totals('order', groupby='order_state'),
                         {'draft': (200.0, 50.0), 'sale': (100.0, 100.0)})

    def _deal_rows(self, lead, but=()):
        """[number of the deal's rows, number of rows of the table and of a fresh computation that differ
        (in the columns not in ``but``)]."""
        Report = self.env['crm.forecast.report']
        names = ', '.join(name for name, _type in Report._columns() if name not in but)
        query = Report._query('ARRAY[%d]' % lead.id)
        self.env.cr.execute("""
            SELECT (SELECT count(*) FROM crm_forecast_report WHERE lead_id = %(id)s), count(*) FROM (
                (SELECT %(names)s FROM crm_forecast_report WHERE lead_id = %(id)s
                 EXCEPT ALL SELECT %(names)s FROM (%(query)s) a)
                UNION ALL
                (SELECT %(names)s FROM (%(query)s) b
                 EXCEPT ALL SELECT %(names)s FROM crm_forecast_report WHERE lead_id = %(id)s)) d
        """ % {'names': names, 'query': query, 'id': lead.id})
        return list(self.env.cr.fetchone())

    def test_deal_changes_written_in_place(self):
        """A deal's stage (open or won, not lost), probability, salesperson, team or forecast category
        changing: its rows are updated in place (a date altered behind the table's back stays, every other
        column is a fresh computation's); its amount, or a lost stage: recomputed."""
        self._order([(self.product1, 2, 100.0)])
        self._order([(self.product2, 1, 100.0)]).action_confirm()
        other = self.opp.copy({'name': 'Stored Opp 2', 'planned_revenue': 1000})

        def alter_dates(leads):
            self.env.cr.execute("UPDATE crm_forecast_report SET date = '1999-01-01' WHERE lead_id IN %s",
                                [tuple(leads.ids)])
        alter_dates(self.opp | other)
        count = self._deal_rows(self.opp)[0]
        self.assertEqual(count, 4)  # 2 categories from the opportunity, 2 order lines
        self.opp.write({'stage_id': self.env.ref('impact_crm.stage_order').id})
        self.assertEqual(self._deal_rows(self.opp, but=['date']), [count, 0])
        self.assertEqual(self._deal_rows(self.opp), [count, 2 * count])  # not recomputed
        self.opp.write({'probability': 60, 'forecast_category': 'commit'})
        self.opp.write({'user_id': self.manager.id, 'team_id': self.env['crm.team'].create({'name': 'T2'}).id})
        self.assertEqual(self._deal_rows(self.opp, but=['date']), [count, 0])
        self.opp.write({'stage_id': self.env.ref('impact_crm.stage_won').id})
        self.assertEqual(self._deal_rows(self.opp, but=['date']), [count, 0])
        self.assertEqual(self._deal_rows(self.opp), [count, 2 * count])
        # one statement for both deals: one in place, the other recomputed
        self.env.cr.execute("""UPDATE crm_lead SET probability = 35,
                                      planned_revenue = planned_revenue + CASE WHEN id = %s THEN 1 ELSE 0 END
                                WHERE id IN %s""", [other.id, (self.opp.id, other.id)])
        self.assertEqual(self._deal_rows(self.opp), [count, 2 * count])
        self.assertEqual(self._deal_rows(other), [1, 0])
        # the amount: recomputed
        self.opp.planned_revenue = 50000
        self.assertEqual(self._deal_rows(self.opp), [count, 0])
        # a lost stage: the rows go
        alter_dates(self.opp)
        self.opp.lost_reason = self.env.ref('impact_crm.lost_reason_other')
        self.opp.action_set_lost()
        self.assertEqual(self._deal_rows(self.opp), [0, 0])
        self.assertEqual(self.env['crm.forecast.report']._stale_rows(), 0)

    def test_update_statements_compared_only_when_a_row_changed_what_is_read(self):
        """An update whose rows change nothing the forecast reads is not compared; one row among others
        changing a watched column is enough for the statement's rows to be compared and the deals refreshed."""
        order = self._order([(self.product1, 1, 100.0), (self.product2, 1, 100.0)], date_order='2031-02-03 10:00:00')
        first, second = order.order_line.sorted('id')
        other = self.env['crm.lead'].create({
            'name': 'Stored Opp 2', 'type': 'opportunity', 'user_id': self.rep.id, 'team_id': self.team.id,
            'planned_revenue': 1000, 'probability': 10, 'stage_id': self.stage_quote.id})
        self.assertEqual(self._totals('order'), {self.categ1.id: (100.0, 25.0), self.categ2.id: (100.0, 25.0)})
        # columns the forecast does not read, then the last of two lines changing its amount in one statement
        self.env.cr.execute("UPDATE sale_order_line SET qty_to_invoice = 1 WHERE id IN %s", [(first.id, second.id)])
        self.env.cr.execute("UPDATE sale_order SET note = 'x' WHERE id = %s", [order.id])
        self.env.cr.execute("""UPDATE sale_order_line SET qty_to_invoice = 2,
                                      price_subtotal = CASE WHEN id = %s THEN 300 ELSE price_subtotal END
                                WHERE id IN %s""", [second.id, (first.id, second.id)])
        self.assertEqual(self._totals('order'), {self.categ1.id: (100.0, 25.0), self.categ2.id: (300.0, 75.0)})
        # two deals in one statement, the second one only changing a watched column
        self.env.cr.execute("""UPDATE crm_lead SET amount_ordered = 0,
                                      planned_revenue = CASE WHEN id = %s THEN 3000 ELSE planned_revenue END
                                WHERE id IN %s""", [other.id, (self.opp.id, other.id)])
        self.assertEqual(self._totals(groupby='status'), {'open': (43000.0, 10300.0)})
        # an order moved to another state by a statement that also changes the other order's customer
        # reference only: written in place
        quote = self._order([(self.product2, 1, 50.0)], date_order='2031-02-03 10:00:00')
        self.env.cr.execute("""UPDATE sale_order SET client_order_ref = 'ref',
                                      state = CASE WHEN id = %s THEN 'sent' ELSE state END
                                WHERE id IN %s""", [quote.id, (order.id, quote.id)])
        self.assertEqual(self._totals('order', groupby='order_state'), {'draft': (400.0, 100.0), 'sent': (50.0, 12.5)})

    def test_currency_rates_products_and_stage_groups(self):
        self._order([(self.product1, 1, 400.0)], pricelist_id=self.pricelist_xts.id,
                    date_order='2032-03-01 10:00:00')
        company_rate = self.company.currency_id.with_context(date='2032-03-01').rate

        def converted(rate):
            return round(400.0 / rate * company_rate, 2)
        self.assertEqual(self._totals('order')[self.categ1.id][0], converted(4.0))
        rate = self.env['res.currency.rate'].create({'currency_id': self.xts.id, 'name': '2032-01-01', 'rate': 8.0})
        self.assertEqual(self._totals('order')[self.categ1.id][0], converted(8.0))
        rate.rate = 2.0
        self.assertEqual(self._totals('order')[self.categ1.id][0], converted(2.0))
        rate.unlink()
        self.assertEqual(self._totals('order')[self.categ1.id][0], converted(4.0))
        # the product moves to another category: its lines follow
        self.product1.categ_id = self.categ2
        self.assertEqual(list(self._totals('order')), [self.categ2.id])
        self.assertEqual(self._totals(), {self.categ2.id: (40000.0, 10000.0)})
        # the stage's group becomes an execution group: the deal counts as won
        self.stage_quote.group_id = self.env.ref('impact_crm.stage_group_execution')
        self.assertEqual(list(self._totals(groupby='status')), ['won'])
        self.env.ref('impact_crm.stage_group_execution').kind = 'open'
        self.assertEqual(list(self._totals(groupby='status')), ['open'])

    def test_sql_writes_and_rebuild(self):
        # a deal changed by SQL (imports, scripts) is kept in step too
        self.env.cr.execute("UPDATE crm_lead SET planned_revenue = 1000 WHERE id = %s", (self.opp.id,))
        self.assertEqual(self._totals(), {False: (1000.0, 250.0)})
        # damaged rows: the rebuild repairs them; only managers may rebuild
        self.env.cr.execute("UPDATE crm_forecast_report SET amount = 0 WHERE lead_id = %s", (self.opp.id,))
        self.assertTrue(self.env['crm.forecast.report']._stale_rows())
        with self.assertRaises(AccessError):
            self.env['crm.forecast.report'].sudo(self.rep).rebuild()
        self.assertTrue(self.env['crm.forecast.report'].sudo(self.manager).rebuild())
        self.assertEqual(self._totals(), {False: (1000.0, 250.0)})
        # the menu's server action runs the rebuild as the manager
        self.env.cr.execute("UPDATE crm_forecast_report SET amount = 0 WHERE lead_id = %s", (self.opp.id,))
        self.env.ref('impact_crm.crm_forecast_report_action_rebuild').sudo(self.manager).run()
        self.assertEqual(self._totals(), {False: (1000.0, 250.0)})

    def test_sales_rep_sees_own_rows(self):
        self._order([(self.product1, 1, 100.0)])
        self.assertEqual(self._totals(user=self.rep), {self.categ1.id: (40000.0, 10000.0)})
        self.opp.user_id = self.manager
        self.assertEqual(self._totals(user=self.rep), {})

    def test_parallel_workers_only_for_large_reads(self):
        """A read of the forecast that PostgreSQL expects to return fewer than PARALLEL_MIN_ROWS rows (a sales
        rep's pivot over his own deals) runs on one process; a larger one may start parallel workers, at the
        cheaper costs; each read decides for itself and for the rest of its transaction, and the totals are
        the same either way."""
        self._order([(self.product1, 1, 100.0)])
        cr = self.env.cr

        def settings():
            cr.execute("SELECT current_setting('max_parallel_workers_per_gather'), "
                       "current_setting('parallel_setup_cost')")
            return cr.fetchone()
        default = settings()
        self.assertNotEqual(default[0], '0')
        wizard = self.env['crm.forecast.workbook'].sudo(self.rep).create({
            'date_from': '2032-01-01', 'date_to': '2032-12-31', 'granularity': 'month'})

        def totals():
            return crm_forecast_totals.forecast_totals(wizard._report(), wizard._domain(), ['user_id'], 'month')
        small = (self._totals(user=self.rep), totals())
        self.assertEqual(small[0], {self.categ1.id: (40000.0, 10000.0)})
        self.assertEqual(settings(), ('0', default[1]))
        with patch.object(crm_forecast_report, 'PARALLEL_MIN_ROWS', 0):
            self.assertEqual((self._totals(user=self.rep), totals()), small)
            self.assertEqual(settings(), (default[0], '100'))
        self._totals(user=self.rep)
        self.assertEqual(settings()[0], '0')

    def test_pivot_periods_formatted_as_odoo_does(self):
        """The report truncates the dates without a time zone and formats each period of a grouping once per
        read_group: the groups (labels, counts, drill-down domains, a lazy group's remaining groupings) are
        those Odoo's own read_group gives, in a time zone whose midnight is skipped by daylight saving
        time too."""
        self._order([(self.product1, 1, 100.0), (self.product2, 3, 100.0)])
        for month in range(1, 8):
            self.opp.copy({'name': 'Stored period %d' % month, 'date_end': '2031-%02d-11' % month})
        Report = self.env['crm.forecast.report'].sudo(self.rep)
        domain = [('team_id', '=', self.team.id)]

        def fields_(groupby):
            return ['amount'] + [spec.split(':')[0] for spec in groupby]

        def leaves(group_domain):
            return sorted(repr(leaf) for leaf in group_domain if leaf not in ('&', '|', '!'))

        def groups(groupby, lazy):
            result = Report.with_context(lang='he_IL').read_group(domain, fields_(groupby), groupby, lazy=lazy)
            return [(sorted((k, v) for k, v in g.items() if k != '__domain'), leaves(g['__domain']))
                    for g in result]

        # a day without midnight in Sao Paulo: there, Odoo's expression makes it start at 1 o'clock
        self.opp.copy({'name': 'Stored period DST', 'date_end': '2018-11-04'})

        def both_zones(groupby, lazy):
            result = [groups(groupby, lazy)]
            self.env.cr.execute("SET LOCAL TimeZone = 'America/Sao_Paulo'")
            try:
                result.append(groups(groupby, lazy))
            finally:
                self.env.cr.execute("RESET TimeZone")
            return result
        for groupby, lazy in ((['categ_id', 'date:quarter'], False), (['date:month', 'source'], False),
                              (['date:quarter', 'categ_id'], True), (['date:year'], True),
                              (['date:week'], False), (['date:day', 'categ_id'], True)):
            ours = both_zones(groupby, lazy)
            with patch.object(type(Report), '_read_group_format_result',
                              models.BaseModel._read_group_format_result), \
                    patch.object(type(Report), '_read_group_process_groupby',
                                 models.BaseModel._read_group_process_groupby), \
                    patch.object(type(Report), '_read_group_prepare_data', models.BaseModel._read_group_prepare_data):
                odoos = both_zones(groupby, lazy)
            self.assertTrue(len(ours[0]) > 1, groupby)
            self.assertEqual(ours, odoos, groupby)
            self.assertEqual(ours[0], ours[1], groupby)
            for group in Report.read_group(domain, fields_(groupby), groupby, lazy=lazy):
                count = group.get('__count', group.get('%s_count' % groupby[0].split(':')[0]))
                self.assertEqual(Report.search_count(group['__domain']), count, groupby)

    def test_periods_grouped_without_time_zone(self):
        """A pivot by period truncates each row's date as a plain timestamp (Odoo's expression casts it to a
        timestamp with time zone: a time zone look-up per row), and by the expression the period statistics
        describe, so that PostgreSQL expects a group per period rather than per row."""
        for month in range(1, 13):
            self.opp.copy({'name': 'Stored period %d' % month, 'date_end': '2031-%02d-11' % month})
        cr = self.env.cr
        cr.execute("SELECT unnest(pg_get_statisticsobjdef_expressions(oid)) FROM pg_statistic_ext "
                   "WHERE stxrelid = 'crm_forecast_report'::regclass")
        described = set(expr for expr, in cr.fetchall())
        executed = []
        execute = type(cr).execute

        def spy(cursor, query, params=None, log_exceptions=None):
            if 'date_trunc' in query and query.lstrip().startswith('SELECT'):
                executed.append((query, params))
            return execute(cursor, query, params)

        def group_keys(node):
            keys = list(node.get('Group Key', [])) + [key for grouping in node.get('Grouping Sets', [])
                                                      for key in grouping.get('Hash Keys', [])]
            return keys + [key for child in node.get('Plans', []) for key in group_keys(child)]
        Report = self.env['crm.forecast.report'].sudo(self.rep)
        for unit in crm_forecast_report.PIVOT_PERIODS:
            del executed[:]
            with patch.object(type(cr), 'execute', spy):
                groups = Report.read_group([('team_id', '=', self.team.id), ('date', '>=', '2031-01-01')],
                                           ['amount', 'date', 'categ_id'], ['date:%s' % unit, 'categ_id'],
                                           lazy=False)
            self.assertTrue(groups, unit)
            self.assertEqual(len(executed), 1, unit)
            cr.execute('EXPLAIN (VERBOSE, FORMAT JSON) ' + executed[0][0], executed[0][1])
            plan = cr.fetchone()[0]
            keys = [key for key in group_keys((plan[0] if isinstance(plan, list) else plan)['Plan'])
                    if 'date_trunc' in key]
            self.assertTrue(keys, unit)
            for key in keys:
                self.assertNotIn('with time zone', key, unit)
                key = key.replace('crm_forecast_report.', '')
                # EXPLAIN may wrap the whole expression in one more pair of parentheses
                self.assertTrue(key in described or key[1:-1] in described, (key, described))

    def test_pivot_groups_ordered_as_odoo_orders_them(self):
        """Groups of a many2one (salesperson, channel, stage, category) come in the target's order without
        the target joined to every row: the same groups, in the same order, as Odoo's own ordering gives,
        ascending and descending, with the empty member, eager and lazy."""
        def user(login, name):
            return self.env['res.users'].with_context(no_reset_password=True).create({
                'name': name, 'login': login, 'company_id': self.company.id,
                'company_ids': [(6, 0, [self.company.id])],
                'groups_id': [(6, 0, [self.env.ref('sales_team.group_sale_salesman').id])]})
        # created in the reverse of their names' order, and two people of the same name
        people = [user('order_z', 'Zohar Order'), user('order_m2', 'Maya Order'), user('order_m1', 'Maya Order'),
                  user('order_a', 'Avi Order')]
        other_team = self.env['crm.team'].create({'name': 'A Stored Team First'})
        stages = [self.stage_quote, self.env.ref('impact_crm.stage_won'), self.env.ref('impact_crm.stage_potential')]
        for index, person in enumerate(people + [self.env['res.users']]):
            self.opp.copy({'name': 'Ordered %d' % index, 'user_id': person.id,
                           'team_id': (other_team if index % 2 else self.team).id,
                           'stage_id': stages[index % 3].id, 'date_end': '2031-%02d-11' % (index * 2 + 1)})
        self._order([(self.product1, 1, 100.0), (self.product2, 3, 100.0)])
        Report = self.env['crm.forecast.report'].sudo(self.manager)
        domain = [('team_id', 'in', (self.team | other_team).ids)]
        cases = [(['user_id', 'date:quarter'], None, False), (['user_id', 'date:quarter'], 'user_id desc', False),
                 (['date:quarter', 'user_id'], 'date:quarter desc, user_id', False),
                 (['team_id', 'date:month'], None, False), (['stage_id', 'status'], None, False),
                 (['categ_id', 'date:quarter'], None, False), (['user_id', 'date:quarter'], None, True),
                 (['stage_id'], 'stage_id desc, amount', True), (['user_id'], 'amount desc, user_id', False),
                 (['lead_id', 'user_id'], None, False), (['date:day', 'user_id'], None, False)]
        for groupby, orderby, lazy in cases:
            fields_ = ['amount'] + [spec.split(':')[0] for spec in groupby]

            def groups():
                return Report.read_group(domain, fields_, groupby, orderby=orderby, lazy=lazy)
            ours = groups()
            with patch.object(type(Report), '_read_group_prepare', models.BaseModel._read_group_prepare):
                odoos = groups()
            self.assertTrue(len(ours) > 2, groupby)
            self.assertEqual(ours, odoos, (groupby, orderby))
        # the salespeople in their names' order (then their logins), the deal without salesperson last
        by_user = Report.read_group(domain, ['amount', 'user_id'], ['user_id'])
        users = [g['user_id'] and g['user_id'][0] for g in by_user]
        self.assertEqual([u for u in users if u in [p.id for p in people]], [p.id for p in reversed(people)])
        self.assertIs(users[-1], False)
        # groups ordered one by one only when they are few: Odoo's join for periods shorter than a month, or a
        # target table larger than a few thousand rows (a pivot per deal)
        query = Report._where_calc(domain)
        annotated = [Report._read_group_process_groupby(spec, query) for spec in ('user_id', 'date:day')]
        self.assertTrue(Report._groups_are_few(annotated[:1]))
        self.assertFalse(Report._groups_are_few(annotated))
        with patch('odoo.addons.impact_crm.reports.crm_forecast_report.FEW_MEMBERS', -2):
            self.assertFalse(Report._groups_are_few(annotated[:1]))

    def test_deals_without_quotation_take_the_short_query(self):
        # deals without any quotation are refreshed by a query without the quotation lines (cheaper to plan):
        # it gives exactly the rows of the full one, for opportunities, leads, won and archived deals
        Lead = self.env['crm.lead']
        won = Lead.create({'name': 'Stored Won', 'type': 'opportunity', 'team_id': self.team.id, 'user_id': self.rep.id,
                           'planned_revenue': 700, 'stage_id': self.env.ref('impact_crm.stage_won').id})
        lead = Lead.create({'name': 'Stored Lead', 'type': 'lead', 'team_id': self.team.id, 'user_id': self.rep.id,
                            'planned_revenue': 9})
        archived = Lead.create({'name': 'Stored Archived', 'type': 'opportunity', 'team_id': self.team.id,
                                'user_id': self.rep.id,
                                'planned_revenue': 300, 'probability': 30, 'active': False})
        deals = self.opp | won | lead | archived
        Report = self.env['crm.forecast.report']
        names = ', '.join(name for name, _type in Report._columns())
        rows = {}
        for lines in (True, False):
            self.env.cr.execute("SELECT %s FROM (%s) q ORDER BY id" % (
                names, Report._query('ARRAY[%s]' % ','.join(str(i) for i in deals.ids), lines=lines)))
            rows[lines] = self.env.cr.fetchall()
        self.assertEqual(len(rows[True]), 2)  # the opportunity and the won deal; no lead, no archived deal
        self.assertEqual(rows[False], rows[True])
        self.assertEqual(self._totals(groupby='status'), {'open': (40000.0, 10000.0), 'won': (700.0, 700.0)})
        # the deal's first quotation: its refresh takes the full query again (rows split by category)
        self._order([(self.product1, 1, 100.0)])
        self.assertEqual(self._totals(), {False: (700.0, 700.0), self.categ1.id: (40000.0, 10000.0)})
