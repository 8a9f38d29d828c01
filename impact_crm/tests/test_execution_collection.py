from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.tests.common import SavepointCase
from odoo.tools.misc import formatLang


class ExecutionCase(SavepointCase):
    """A rep sells, an accountant invoices and collects, on the real database with a chart of accounts."""

    @classmethod
    def setUpClass(cls):
        super(ExecutionCase, cls).setUpClass()
        env = cls.env
        cls.company = env.user.company_id
        cls.company.crm_auto_done = True
        cls.rep = env['res.users'].with_context(no_reset_password=True).create({
            'name': 'Rep Execution', 'login': 'rep_execution', 'email': 'rep.exec@example.com',
            'groups_id': [(6, 0, [env.ref('sales_team.group_sale_salesman').id])]})
        cls.accountant = env['res.users'].with_context(no_reset_password=True).create({
            'name': 'Accountant Execution', 'login': 'acc_execution', 'email': 'acc.exec@example.com',
            'groups_id': [(6, 0, [env.ref('account.group_account_invoice').id])]})
        cls.manager = env['res.users'].with_context(no_reset_password=True).create({
            'name': 'Manager Execution', 'login': 'mgr_execution', 'email': 'mgr.exec@example.com',
            'groups_id': [(6, 0, [env.ref('sales_team.group_sale_manager').id])]})
        cls.customer = env['res.partner'].create({'name': 'Skyline Builders Ltd', 'customer': True,
                                                  'is_company': True})
        cls.categ = env['product.category'].create({'name': 'Glazing'})
        cls.product = env['product.product'].create({
            'name': 'Curtain wall m2', 'type': 'service', 'list_price': 100.0, 'invoice_policy': 'order',
            'categ_id': cls.categ.id, 'taxes_id': [(6, 0, [])]})
        cls.bank = env['account.journal'].search([('type', '=', 'bank'), ('company_id', '=', cls.company.id)],
                                                 limit=1)
        cls.stage_order = env.ref('impact_crm.stage_order')
        cls.stage_won = env.ref('impact_crm.stage_won')
        cls.stage_done = env.ref('impact_crm.stage_done')
        cls.stage_lost = env.ref('impact_crm.stage_lost')
        cls.lost_reason = env.ref('impact_crm.lost_reason_other')

    def _lead(self, name, partner=None, stage=None, revenue=0.0):
        return self.env['crm.lead'].sudo(self.rep).create({
            'name': name, 'type': 'opportunity', 'partner_id': (partner or self.customer).id,
            'user_id': self.rep.id, 'stage_id': (stage or self.stage_order).id, 'planned_revenue': revenue})

    def _order(self, lead, qty, price=100.0, pricelist=None, product=None):
        vals = {'partner_id': lead.partner_id.id, 'opportunity_id': lead.id, 'user_id': self.rep.id,
                'order_line': [(0, 0, {'product_id': (product or self.product).id, 'product_uom_qty': qty,
                                       'price_unit': price})]}
        if pricelist:
            vals['pricelist_id'] = pricelist.id
        return self.env['sale.order'].sudo(self.rep).create(vals)

    def _invoice(self, order, date_invoice=None):
        invoice_ids = order.sudo(self.rep).action_invoice_create()
        invoice = self.env['account.invoice'].sudo(self.accountant).browse(invoice_ids)
        if date_invoice:
            invoice.date_invoice = date_invoice
        invoice.action_invoice_open()
        return invoice

    def _pay(self, invoice, amount, date=None):
        invoice.sudo(self.accountant).pay_and_reconcile(self.bank.id, amount, date=date)

    def _sold_deal(self, name, qty, partner=None, date_invoice=None):
        """A won deal with one confirmed order of qty x 100, invoiced in full and unpaid."""
        lead = self._lead(name, partner)
        order = self._order(lead, qty)
        order.sudo(self.rep).action_confirm()
        lead.sudo(self.rep).write({'stage_id': self.stage_won.id})
        return lead, order, self._invoice(order, date_invoice)


class TestExecution(ExecutionCase):

    def test_full_cycle_to_done(self):
        lead = self._lead('Tower C: curtain wall', revenue=12000.0)
        quote = self._order(lead, 100)
        # a revision replaces the quotation: only the latest revision counts
        quote.sudo(self.rep).action_new_revision()
        revision = quote.revision_ids.filtered('is_latest_revision')
        revision.sudo(self.rep).write({'order_line': [(5, 0, 0), (0, 0, {
            'product_id': self.product.id, 'product_uom_qty': 120, 'price_unit': 100.0})]})
        self.assertEqual(lead.amount_ordered, 0.0, "quotations are not ordered amounts")
        with self.assertRaises(UserError), self.cr.savepoint():
            quote.sudo(self.rep).action_confirm()  # an old revision cannot be confirmed
        revision.sudo(self.rep).action_confirm()
        self.assertEqual(revision.amount_total, 12000.0)
        self.assertEqual(lead.amount_ordered, 12000.0)
        self.assertEqual(lead.execution_order_count, 1)
        lead.sudo(self.rep).write({'stage_id': self.stage_won.id})
        self.assertEqual(lead.stage_group_kind, 'execution')

        invoice = self._invoice(revision)
        self.assertEqual(revision.invoice_status, 'invoiced')
        self.assertEqual((lead.amount_invoiced, lead.amount_paid, lead.amount_outstanding), (12000.0, 0.0, 12000.0))
        self.assertEqual(lead.execution_invoice_count, 1)

        self._pay(invoice, 5000.0)
        self.assertEqual(invoice.state, 'open')
        self.assertEqual((lead.amount_invoiced, lead.amount_paid, lead.amount_outstanding),
                         (12000.0, 5000.0, 7000.0))
        self.assertEqual(lead.stage_id, self.stage_won, "a partly paid deal stays in execution")

        self._pay(invoice, 7000.0)
        self.assertEqual(invoice.state, 'paid')
        self.assertEqual((lead.amount_paid, lead.amount_outstanding), (12000.0, 0.0))
        self.assertEqual(lead.stage_id, self.stage_done, "fully invoiced and paid: moved to Done")
        # the move went through the normal write: it is tracked in the chatter like a manual move
        tracked = self.env['mail.tracking.value'].search([
            ('mail_message_id', 'in', lead.message_ids.ids), ('field', '=', 'stage_id')])
        self.assertIn(self.stage_done.name, tracked.mapped('new_value_char'))

        # the smart buttons open exactly the deal's confirmed orders and invoices
        action = lead.sudo(self.rep).action_view_execution_orders()
        self.assertEqual(self.env['sale.order'].search(action['domain']), revision)
        action = lead.sudo(self.rep).action_view_execution_invoices()
        self.assertEqual(self.env['account.invoice'].search(action['domain']), invoice)

    def test_ordered_amount_follows_its_orders(self):
        """The ordered amount is recomputed from the orders' own changes (state, revision, total, deal) by
        sale.order.modified, which marks the orders' deals itself: every path a rep takes moves it."""
        lead = self._lead('Ordered amount')
        other = self._lead('Other deal')
        order = self._order(lead, 10).sudo(self.rep)
        order.action_confirm()
        self.assertEqual(lead.amount_ordered, 1000.0)
        # the total of a confirmed order
        order.write({'order_line': [(1, order.order_line.id, {'product_uom_qty': 12})]})
        self.assertEqual(lead.amount_ordered, 1200.0)
        second = self._order(lead, 5).sudo(self.rep)
        self.assertEqual(lead.amount_ordered, 1200.0, "a quotation is not ordered")
        second.action_confirm()
        self.assertEqual(lead.amount_ordered, 1700.0)
        # an order moved to another deal leaves the first and counts for the second
        second.write({'opportunity_id': other.id})
        self.assertEqual((lead.amount_ordered, other.amount_ordered), (1200.0, 500.0))
        second.action_cancel()
        self.assertEqual(other.amount_ordered, 0.0)
        second.action_draft()
        second.action_confirm()
        self.assertEqual(other.amount_ordered, 500.0)
        # a new revision replaces the confirmed order until it is confirmed itself
        order.action_new_revision()
        revision = order.revision_ids.filtered('is_latest_revision')
        self.assertEqual(lead.amount_ordered, 0.0)
        revision.action_confirm()
        self.assertEqual(lead.amount_ordered, 1200.0)
        # what is stored is what the database says
        self.env.cr.execute("SELECT amount_ordered FROM crm_lead WHERE id IN %s ORDER BY id", [(lead.id, other.id)])
        self.assertEqual([row[0] for row in self.env.cr.fetchall()], [1200.0, 500.0])

    def test_auto_done_setting_off(self):
        self.company.crm_auto_done = False
        lead, order, invoice = self._sold_deal('No auto done', 10)
        self._pay(invoice, invoice.residual)
        self.assertEqual(invoice.state, 'paid')
        self.assertEqual(lead.amount_outstanding, 0.0)
        self.assertEqual(lead.stage_id, self.stage_won)

    def test_not_done_while_not_fully_invoiced(self):
        lead = self._lead('Two orders')
        first, second = self._order(lead, 10), self._order(lead, 5)
        first.sudo(self.rep).action_confirm()
        second.sudo(self.rep).action_confirm()
        lead.sudo(self.rep).write({'stage_id': self.stage_won.id})
        invoice = self._invoice(first)
        self._pay(invoice, invoice.residual)
        self.assertEqual(lead.amount_ordered, 1500.0)
        self.assertEqual((lead.amount_invoiced, lead.amount_paid), (1000.0, 1000.0))
        self.assertEqual(lead.stage_id, self.stage_won, "the second order is not invoiced yet")
        invoice2 = self._invoice(second)
        self._pay(invoice2, invoice2.residual)
        self.assertEqual(lead.stage_id, self.stage_done)

    def test_confirmation_completing_the_execution_moves_to_done(self):
        """A confirmation checks its deal too: an order with nothing to invoice (no lines: Odoo counts it as
        invoiced) confirmed on an Execution deal whose other orders are invoiced and paid completes it. The
        confirmation reads the deal's stage group by one query joining the orders (the cache where the check
        reads it)."""
        lead, order, invoice = self._sold_deal('Nothing left to invoice', 3)
        self._pay(invoice, invoice.residual)
        self.assertEqual(lead.stage_id, self.stage_done)
        lead.sudo(self.rep).write({'stage_id': self.stage_won.id})
        self.assertEqual(lead.stage_group_kind, 'execution')
        empty = self.env['sale.order'].sudo(self.rep).create({
            'partner_id': lead.partner_id.id, 'opportunity_id': lead.id, 'user_id': self.rep.id})
        self.assertEqual(lead.stage_id, self.stage_won, "a quotation does not complete the deal")
        empty.sudo(self.rep).action_confirm()
        self.assertEqual(empty.invoice_status, 'invoiced')
        self.assertEqual(lead.stage_id, self.stage_done)

    def test_credit_note(self):
        lead, order, invoice = self._sold_deal('Credit note', 10)
        self._pay(invoice, 300.0)
        refund = invoice.sudo(self.accountant).refund()
        refund.invoice_line_ids.write({'quantity': 4})
        refund.compute_taxes()
        refund.action_invoice_open()
        self.assertEqual(refund.type, 'out_refund')
        self.assertEqual(refund.amount_total, 400.0)
        # invoiced 1000 - 400; the open credit note is not paid yet: paid stays 300
        self.assertEqual((lead.amount_invoiced, lead.amount_paid, lead.amount_outstanding), (600.0, 300.0, 300.0))
        # the accountant settles the credit note against the invoice, then the customer pays the rest
        credit_line = refund.move_id.line_ids.filtered(lambda l: l.account_id == invoice.account_id)
        invoice.sudo(self.accountant).assign_outstanding_credit(credit_line.id)
        self.assertEqual((lead.amount_invoiced, lead.amount_paid, lead.amount_outstanding), (600.0, 300.0, 300.0))
        self._pay(invoice, 300.0)
        self.assertEqual(invoice.state, 'paid')
        self.assertEqual((lead.amount_invoiced, lead.amount_paid, lead.amount_outstanding), (600.0, 600.0, 0.0))

    def test_cancelled_order_is_flagged_not_moved(self):
        lead = self._lead('Cancelled after winning')
        order = self._order(lead, 10)
        order.sudo(self.rep).action_confirm()
        lead.sudo(self.rep).write({'stage_id': self.stage_won.id})
        self.assertFalse(lead.orders_cancelled_after_win)
        order.sudo(self.rep).action_cancel()
        self.assertTrue(lead.orders_cancelled_after_win)
        self.assertEqual(lead.stage_id, self.stage_won, "never moved silently")
        self.assertEqual(lead.amount_ordered, 0.0)
        activity = lead.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.rep)
        self.assertIn(order.name, activity.summary)
        lead.sudo(self.rep).action_clear_orders_cancelled()
        self.assertFalse(lead.orders_cancelled_after_win)

    def test_cancelled_quotation_of_open_deal_not_flagged(self):
        lead = self._lead('Still open')
        order = self._order(lead, 10)
        order.sudo(self.rep).action_cancel()
        self.assertFalse(lead.orders_cancelled_after_win)
        self.assertFalse(lead.activity_ids)

    def test_multi_currency(self):
        eur = self.env.ref('base.EUR')
        usd = self.company.currency_id
        self.assertNotEqual(eur, usd)
        # dated yesterday (UTC): the order's confirmation date and every user's today, whatever his time
        # zone, pick these rates
        today = fields.Date.to_string(fields.Date.from_string(fields.Date.today()) - timedelta(days=1))
        rates = self.env['res.currency.rate']
        rates.create({'currency_id': usd.id, 'name': today, 'rate': 1.0, 'company_id': self.company.id})
        rates.create({'currency_id': eur.id, 'name': today, 'rate': 0.5, 'company_id': self.company.id})
        pricelist = self.env['product.pricelist'].create({'name': 'EUR prices', 'currency_id': eur.id})
        lead = self._lead('Paris office: curtain wall')
        order = self._order(lead, 10, pricelist=pricelist)
        order.sudo(self.rep).action_confirm()
        self.assertEqual(order.currency_id, eur)
        self.assertEqual(order.amount_total, 1000.0)
        self.assertEqual(lead.amount_ordered, 2000.0, "1000 EUR at 0.5 EUR per USD")
        lead.sudo(self.rep).write({'stage_id': self.stage_won.id})
        invoice = self._invoice(order)
        self.assertEqual(invoice.currency_id, eur)
        self.assertEqual((lead.amount_invoiced, lead.amount_outstanding), (2000.0, 2000.0))
        self._pay(invoice, 250.0)  # the bank journal pays in the company currency: 250 USD = 125 EUR
        self.assertEqual(invoice.residual, 875.0)
        self.assertEqual((lead.amount_paid, lead.amount_outstanding), (250.0, 1750.0))
        self._pay(invoice, 1750.0)
        self.assertEqual(invoice.state, 'paid')
        self.assertEqual((lead.amount_invoiced, lead.amount_paid, lead.amount_outstanding), (2000.0, 2000.0, 0.0))
        self.assertEqual(lead.stage_id, self.stage_done)

    def test_amounts_rounded_in_the_deal_company_currency(self):
        """The execution amounts are rounded in the currency of the deal's company (read with the amounts)."""
        eur = self.env.ref('base.EUR')
        # dated yesterday (UTC), as in test_multi_currency: dated the user's today, the rates were not yet
        # valid for an order confirmed before midnight UTC when the user's time zone was already past it
        today = fields.Date.to_string(fields.Date.from_string(fields.Date.today()) - timedelta(days=1))
        rates = self.env['res.currency.rate']
        rates.create({'currency_id': self.company.currency_id.id, 'name': today, 'rate': 1.0,
                      'company_id': self.company.id})
        rates.create({'currency_id': eur.id, 'name': today, 'rate': 3.0, 'company_id': self.company.id})
        pricelist = self.env['product.pricelist'].create({'name': 'EUR prices (rounding)', 'currency_id': eur.id})
        lead = self._lead('Lyon office: curtain wall')
        order = self._order(lead, 1, pricelist=pricelist)
        order.sudo(self.rep).action_confirm()
        lead.invalidate_cache()
        self.assertEqual(lead.amount_ordered, 33.33, "100 EUR at 3 EUR per unit, in cents")
        # a deal of a company whose currency has no cents
        units = self.env['res.currency'].create({'name': 'XRU', 'symbol': 'U', 'rounding': 1.0})
        other_company = self.env['res.company'].create({'name': 'Units Ltd', 'currency_id': units.id})
        other = self.env['crm.lead'].create({
            'name': 'Units deal', 'type': 'opportunity', 'partner_id': self.customer.id,
            'company_id': other_company.id, 'stage_id': self.stage_order.id})
        self.env['sale.order'].create({
            'partner_id': self.customer.id, 'opportunity_id': other.id, 'pricelist_id': pricelist.id,
            'order_line': [(0, 0, {'product_id': self.product.id, 'product_uom_qty': 1, 'price_unit': 100.0})],
        }).action_confirm()
        other.invalidate_cache()
        self.assertEqual(other.amount_ordered, 33.0)

    def test_setting_is_not_for_reps(self):
        with self.assertRaises(AccessError):
            self.company.sudo(self.rep).write({'crm_auto_done': False})
        self.assertTrue(self.company.crm_auto_done)

    def test_views_render(self):
        for view in ('form', 'tree', 'kanban', 'pivot', 'search'):
            result = self.env['crm.lead'].sudo(self.rep).fields_view_get(view_type=view)
            self.assertTrue(result['arch'].lstrip().startswith('<%s' % view), result['arch'][:80])
            self.assertTrue(result['fields'])
        history = self.env['res.partner'].sudo(self.rep).fields_view_get(
            view_id=self.env.ref('impact_crm.res_partner_view_form_history').id, view_type='form')
        self.assertIn('history_amount_paid', history['fields'])
        settings = self.env['res.config.settings'].fields_view_get(view_type='form')
        self.assertIn('crm_auto_done', settings['fields'])


class TestCollection(ExecutionCase):

    def test_aging_buckets_frozen_date(self):
        other = self.env['res.partner'].create({'name': 'Harbour Works', 'customer': True, 'is_company': True})
        self._sold_deal('Fresh', 1, date_invoice='2026-02-20')                 # 100, 9 days on 2026-03-01
        self._sold_deal('Thirty', 2, date_invoice='2026-01-30')                # 200, 30 days
        self._sold_deal('Forty', 3, partner=other, date_invoice='2026-01-15')  # 300, 45 days
        self._sold_deal('Ninety', 4, partner=other, date_invoice='2025-12-01')  # 400, 90 days
        lead, order, old = self._sold_deal('Old', 5, date_invoice='2025-10-01')  # 500, 151 days
        # the same deal's second, recent invoice: the whole deal is aged by its oldest unpaid invoice
        order2 = self._order(lead, 6)
        order2.sudo(self.rep).action_confirm()
        self._invoice(order2, '2026-02-25')                                   # + 600
        paid_lead, paid_order, paid_invoice = self._sold_deal('Paid', 7, date_invoice='2025-09-01')
        self._pay(paid_invoice, paid_invoice.residual)
        lost_lead, lost_order, lost_invoice = self._sold_deal('Lost', 8, date_invoice='2025-09-01')
        lost_lead.sudo()._action_lose({'lost_reason': self.lost_reason.id})

        with freeze_time('2026-03-01'):
            rows = self.env['crm.collection.report'].sudo(self.manager)._by_customer()
        rows = dict(((r['partner_id'], r['user_id']), r) for r in rows
                    if r['partner_id'] in (self.customer.id, other.id))
        mine = rows[(self.customer.id, self.rep.id)]
        self.assertEqual(mine['partner_name'], 'Skyline Builders Ltd')
        self.assertEqual(mine['user_name'], 'Rep Execution')
        self.assertEqual(mine['lead_count'], 3)
        self.assertEqual((mine['amount_0_30'], mine['amount_31_60'], mine['amount_61_90'], mine['amount_90_plus']),
                         (300.0, 0.0, 0.0, 1100.0))
        self.assertEqual(mine['amount_total'], 1400.0)
        theirs = rows[(other.id, self.rep.id)]
        self.assertEqual((theirs['amount_0_30'], theirs['amount_31_60'], theirs['amount_61_90'],
                          theirs['amount_90_plus']), (0.0, 300.0, 400.0, 0.0))
        # an explicit date works the same: 30 days later everything has aged by one bucket or more
        later = dict(((r['partner_id'], r['user_id']), r)
                     for r in self.env['crm.collection.report']._by_customer(date='2026-03-31'))
        self.assertEqual(later[(other.id, self.rep.id)]['amount_61_90'], 300.0)
        self.assertEqual(later[(other.id, self.rep.id)]['amount_90_plus'], 400.0)

    def test_collection_report_view(self):
        # the report ages invoices against the database's date
        self.env.cr.execute('SELECT CURRENT_DATE')
        today = fields.Date.from_string(self.env.cr.fetchone()[0])
        ages = {'0_30': 3, '31_60': 40, '61_90': 75, '90_plus': 120}
        leads = {}
        for bucket, days in ages.items():
            lead, order, invoice = self._sold_deal('Age %s' % bucket, days,
                                                   date_invoice=fields.Date.to_string(today - timedelta(days=days)))
            leads[bucket] = lead
        report = self.env['crm.collection.report'].sudo(self.accountant)
        rows = report.search([('lead_id', 'in', [lead.id for lead in leads.values()])])
        self.assertEqual(len(rows), 4)
        for bucket, lead in leads.items():
            row = rows.filtered(lambda r: r.lead_id == lead)
            self.assertEqual(row.age_bucket, bucket)
            self.assertEqual(row.age_days, ages[bucket])
            self.assertEqual(row.amount_outstanding, ages[bucket] * 100.0)
            self.assertEqual(row.partner_id, self.customer)
            self.assertEqual(row.user_id, self.rep)
        grouped = report.read_group([('lead_id', 'in', [lead.id for lead in leads.values()])],
                                    ['amount_outstanding', 'age_bucket'], ['age_bucket'])
        self.assertEqual(dict((g['age_bucket'], g['amount_outstanding']) for g in grouped),
                         dict((bucket, days * 100.0) for bucket, days in ages.items()))
        # managers read it too, reps do not
        self.assertEqual(len(self.env['crm.collection.report'].sudo(self.manager).search(
            [('lead_id', 'in', [lead.id for lead in leads.values()])])), 4)
        with self.assertRaises(AccessError):
            self.env['crm.collection.report'].sudo(self.rep).search([])


class TestCustomerHistory(ExecutionCase):

    def test_history_numbers(self):
        contact = self.env['res.partner'].create({'name': 'Noa Site Manager', 'parent_id': self.customer.id})
        steel = self.env['product.category'].create({'name': 'Steel'})
        beam = self.env['product.product'].create({
            'name': 'Steel beam', 'type': 'service', 'list_price': 200.0, 'invoice_policy': 'order',
            'categ_id': steel.id, 'taxes_id': [(6, 0, [])]})
        stranger = self.env['res.partner'].create({'name': 'Someone Else', 'customer': True})

        # won deal 1, through the contact: 10 x 100 ordered in 2025, paid in full
        lead1, order1, invoice1 = self._sold_deal('Deal 2025', 10, partner=contact)
        order1.sudo()._backdate_confirmation('2025-05-10 09:00:00')
        self._pay(invoice1, 1000.0)
        # won deal 2: 5 beams x 200 + 2 x 100 in 2026, 500 paid
        lead2 = self._lead('Deal 2026')
        order2 = self._order(lead2, 5, price=200.0, product=beam)
        order2.sudo().write({'order_line': [(0, 0, {'product_id': self.product.id, 'product_uom_qty': 2,
                                                    'price_unit': 100.0})]})
        order2.sudo(self.rep).action_confirm()
        order2.sudo()._backdate_confirmation('2026-02-01 09:00:00')
        lead2.sudo(self.rep).write({'stage_id': self.stage_won.id})
        self._pay(self._invoice(order2), 500.0)
        # an old revision confirmed by mistake, a quotation of an open deal and another customer's order: not counted
        old = self._order(lead2, 50)
        old.sudo(self.rep).action_confirm()
        old.sudo(self.rep).action_new_revision()
        lead3 = self._lead('Open deal', stage=self.env.ref('impact_crm.stage_quote'))
        self._order(lead3, 100)
        self._sold_deal('Other customer', 30, partner=stranger)
        # two lost deals: one in the Lost stage, one through Odoo's "Mark Lost"
        self._lead('Lost in stage').sudo()._action_lose({'lost_reason': self.lost_reason.id})
        self._lead('Marked lost').sudo(self.rep)._action_lose({'lost_reason': self.lost_reason.id})

        for partner in (self.customer, contact):  # same numbers on the company and on its contacts
            history = partner.sudo(self.rep)
            self.assertEqual(history.history_order_count, 2)
            self.assertEqual(history.history_last_order_date, '2026-02-01')
            self.assertEqual(history.history_amount_ordered, 2200.0)
            self.assertEqual(history.history_amount_paid, 1500.0)
            self.assertEqual(history.history_orders_per_year, '2026: 1 order\n2025: 1 order')
            # money as the user's language writes it, with the currency's symbol
            money = history.history_currency_id
            self.assertIn('1,200.00', history.history_top_products)
            self.assertEqual(history.history_top_products, 'Curtain wall m2: %s\nSteel beam: %s' % (
                formatLang(self.env, 1200.0, currency_obj=money), formatLang(self.env, 1000.0, currency_obj=money)))
            self.assertEqual(history.history_top_categories, 'Glazing: %s\nSteel: %s' % (
                formatLang(self.env, 1200.0, currency_obj=money), formatLang(self.env, 1000.0, currency_obj=money)))
            self.assertIn(money.symbol, history.history_top_categories)
            self.assertAlmostEqual(history.history_win_rate, 50.0)  # 2 won, 2 lost
            self.assertEqual(history.history_avg_deal_size, 1100.0)  # (1000 + 1200) / 2
            self.assertEqual(history.history_open_opportunity_count, 1)
        self.assertEqual(stranger.history_order_count, 1)
        self.assertEqual(stranger.history_amount_ordered, 3000.0)

        # one click from any opportunity of the customer, even one made out to a contact
        action = lead1.sudo(self.rep).action_view_customer_history()
        self.assertEqual((action['res_model'], action['res_id']), ('res.partner', self.customer.id))
        self.assertEqual(action['views'][0][0], self.env.ref('impact_crm.res_partner_view_form_history').id)
