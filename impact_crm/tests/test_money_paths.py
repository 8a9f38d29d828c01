"""Money across currencies: the deal's amounts follow the currency rates the way its forecast rows do."""
from odoo import fields

from ..reports import crm_forecast_totals
from .test_execution_collection import ExecutionCase


class TestMoneyPaths(ExecutionCase):

    def _eur_setup(self, rate):
        eur = self.env['res.currency'].create({'name': 'XEM', 'symbol': 'E', 'rounding': 0.01})
        today = fields.Date.today()
        rates = self.env['res.currency.rate']
        rates.search([('currency_id', '=', self.company.currency_id.id)]).unlink()
        rates.create({'currency_id': self.company.currency_id.id, 'name': '2000-01-01', 'rate': 1.0,
                      'company_id': self.company.id})
        rates.create({'currency_id': eur.id, 'name': '2000-01-01', 'rate': rate, 'company_id': self.company.id})
        pricelist = self.env['product.pricelist'].create({'name': 'EUR prices (money)', 'currency_id': eur.id})
        return eur, today, pricelist

    def test_ordered_amount_follows_a_rate_entered_after_the_confirmation(self):
        """The day's rate is entered (or corrected) after an order of that day was confirmed: the forecast rows
        follow it (triggers), and so must the deal's Ordered amount."""
        eur, today, pricelist = self._eur_setup(0.5)
        lead = self._lead('Haifa port: curtain wall')
        order = self._order(lead, 10, pricelist=pricelist)      # 1,000 EUR untaxed, no tax
        order.sudo(self.rep).action_confirm()
        self.assertEqual(lead.amount_ordered, 2000.0, "1,000 EUR at 0.5 EUR per unit of the company currency")
        rate = self.env['res.currency.rate'].create({
            'currency_id': eur.id, 'name': today, 'rate': 0.25, 'company_id': self.company.id})
        Report = self.env['crm.forecast.report']
        rows = Report.search([('order_id', '=', order.id)])
        self.assertEqual(sum(rows.mapped('amount')), 4000.0, "the forecast row at the day's rate")
        lead.invalidate_cache()
        self.assertEqual(lead.amount_ordered, 4000.0, "Ordered at the day's rate, as the forecast row")
        rate.write({'rate': 0.8})
        lead.invalidate_cache()
        self.assertEqual(lead.amount_ordered, 1250.0)
        rate.unlink()
        lead.invalidate_cache()
        self.assertEqual(lead.amount_ordered, 2000.0, "back to the earlier rate")
        self.assertEqual(Report._stale_rows(), 0)

    def test_foreign_invoice_paid_at_another_rate_then_unreconciled(self):
        """1,000 XEM invoiced at 0.5 (2,000), paid at 0.4: 500 then 2,000 in the company currency (Odoo books the
        exchange difference, the deal shows the invoice's value), one payment taken back."""
        xem, today, pricelist = self._eur_setup(0.5)
        lead = self._lead('Eilat hotel: curtain wall')
        order = self._order(lead, 10, pricelist=pricelist)
        order.sudo(self.rep).action_confirm()
        lead.sudo(self.rep).write({'stage_id': self.stage_won.id})
        invoice = self._invoice(order)
        self.assertEqual((invoice.amount_total, lead.amount_invoiced), (1000.0, 2000.0))
        self.env['res.currency.rate'].create({'currency_id': xem.id, 'name': today, 'rate': 0.4,
                                              'company_id': self.company.id})
        self._pay(invoice, 500.0)                   # 200 XEM at 0.4
        lead.invalidate_cache()
        self.assertEqual(invoice.residual, 800.0)
        self.assertEqual((lead.amount_invoiced, lead.amount_paid, lead.amount_outstanding), (2000.0, 500.0, 1500.0))
        self._pay(invoice, 2000.0)                  # 800 XEM at 0.4
        lead.invalidate_cache()
        self.assertEqual(invoice.state, 'paid')
        self.assertEqual((lead.amount_invoiced, lead.amount_paid, lead.amount_outstanding), (2000.0, 2000.0, 0.0))
        self.assertEqual(lead.stage_id, self.stage_done)
        invoice.payment_move_line_ids.filtered(lambda line: abs(line.balance) == 500.0).sudo().remove_move_reconcile()
        lead.invalidate_cache()
        self.assertEqual(invoice.state, 'open')
        # 200 XEM due again: Odoo's residual of the invoice in the company currency (500: 200 XEM at 0.4 once
        # the exchange difference of the full reconciliation is reversed); the deal and the collection follow it
        self.assertEqual(invoice.residual, 200.0)
        self.assertEqual(invoice.residual_company_signed, 500.0)
        self.assertEqual((lead.amount_invoiced, lead.amount_paid, lead.amount_outstanding), (2000.0, 1500.0, 500.0))
        collection = self.env['crm.collection.report'].search([('lead_id', '=', lead.id)])
        self.assertEqual(collection.amount_outstanding, 500.0)
        # the deal stays Done (the automatic move is one way): listed, not promised otherwise
        self.assertEqual(lead.stage_id, self.stage_done)

    def test_collection_by_customer_in_the_users_company_currency(self):
        """A user of two companies with different currencies: the collection sheet's amounts (shown with his
        current company's currency) are converted to that currency, not summed as they are."""
        xem, today, _pricelist = self._eur_setup(0.5)          # 1 XEM = 2 units of the company currency
        other_company = self.env['res.company'].create({'name': 'Euro Builders Ltd', 'currency_id': xem.id})
        self.manager.write({'company_ids': [(4, self.company.id), (4, other_company.id)]})
        self._sold_deal('Home deal', 10, date_invoice=today)                    # 1,000 in the company currency
        lead, _order, invoice = self._sold_deal('Euro deal', 3, date_invoice=today)
        # the second deal belongs to the other company, whose invoice is due 300 XEM (its company currency)
        self.env.cr.execute("UPDATE crm_lead SET company_id = %s WHERE id = %s", (other_company.id, lead.id))
        self.env.cr.execute("UPDATE account_invoice SET residual_company_signed = 300.0 WHERE id = %s",
                            (invoice.id,))
        self.env['crm.lead'].invalidate_cache()
        rows = [r for r in self.env['crm.collection.report'].sudo(self.manager)._by_customer()
                if r['partner_id'] == self.customer.id and r['user_id'] == self.rep.id]
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0]['lead_count'], 2)
        self.assertEqual(rows[0]['amount_0_30'], 1600.0, "1,000 + 300 XEM at 2 per XEM")
        self.assertEqual(rows[0]['amount_total'], 1600.0)

    def test_forecast_totals_in_the_users_company_currency(self):
        """A subsidiary in another currency: the workbook's totals (shown with the user's company currency) convert
        its deals at today's rate, read from the rows or from the monthly sums alike."""
        xem, _today, _pricelist = self._eur_setup(0.5)          # 1 XEM = 2 units of the company currency
        subsidiary = self.env['res.company'].create({'name': 'Euro Subsidiary Ltd', 'currency_id': xem.id,
                                                     'parent_id': self.company.id})
        self.manager.write({'company_ids': [(4, subsidiary.id)]})
        stage = self.env.ref('impact_crm.stage_order')
        for name, revenue, company in (('Home forecast', 1000, self.company), ('Euro forecast', 300, subsidiary)):
            self.env['crm.lead'].create({'name': name, 'type': 'opportunity', 'stage_id': stage.id,
                                         'planned_revenue': revenue, 'date_deadline': '2034-05-10',
                                         'user_id': self.rep.id, 'company_id': company.id})
        wizard = self.env['crm.forecast.workbook'].sudo(self.manager).create({
            'date_from': '2034-05-01', 'date_to': '2034-05-31', 'granularity': 'month'})
        self.assertIn(('source', '=', 'opportunity'), wizard._domain())
        for months in (False, True):
            totals, _labels = crm_forecast_totals.forecast_totals(
                wizard._report(), wizard._domain(), ['user_id'], 'month', months=months)['user_id']
            self.assertEqual(totals[(self.rep.id, fields.Date.from_string('2034-05-01'))],
                             {'amount': 1600.0, 'weighted_amount': 640.0}, "1,000 + 300 XEM at 2, at 40 %")

    def test_customer_history_in_the_users_company_currency(self):
        """The customer history of a customer of the company and of its subsidiary in another currency: its
        amounts, shown with the user's company currency, convert the subsidiary's at today's rate."""
        xem, today, _pricelist = self._eur_setup(0.5)          # 1 XEM = 2 units of the company currency
        subsidiary = self.env['res.company'].create({'name': 'Euro History Ltd', 'currency_id': xem.id,
                                                     'parent_id': self.company.id})
        self.manager.write({'company_ids': [(4, subsidiary.id)]})
        self._sold_deal('Home history', 10, date_invoice=today)                 # 1,000 in the company currency
        lead, order, invoice = self._sold_deal('Euro history', 3, date_invoice=today)
        # the second deal, its order and its invoice belong to the subsidiary: 300 XEM, of which 100 paid
        for table, record in (('crm_lead', lead), ('sale_order', order), ('account_invoice', invoice)):
            self.env.cr.execute("UPDATE %s SET company_id = %%s WHERE id = %%s" % table, (subsidiary.id, record.id))
        self.env.cr.execute("UPDATE account_invoice SET amount_total_company_signed = 300.0, "
                            "residual_company_signed = 200.0 WHERE id = %s", (invoice.id,))
        self.env.cr.execute("UPDATE sale_order SET pricelist_id = %s WHERE id = %s",
                            (self.env['product.pricelist'].create({'name': 'XEM history', 'currency_id': xem.id}).id,
                             order.id))
        self.env.cache.invalidate()
        customer = self.customer.sudo(self.manager)
        self.assertEqual(customer.history_order_count, 2)
        self.assertEqual(customer.history_amount_ordered, 1600.0, "1,000 + 300 XEM at 2 per XEM")
        self.assertEqual(customer.history_amount_paid, 200.0, "100 XEM paid, at 2")
        self.assertEqual(customer.history_avg_deal_size, 800.0, "(1,000 + 300 XEM at 2) / 2")
        self.assertIn('1,600.00', customer.history_top_products)

    def test_lost_sheet_in_the_users_company_currency(self):
        """The workbook's lost deals sheet sums the losses of a subsidiary in another currency converted at
        today's rate, in the order of the criteria and reasons."""
        xem, _today, _pricelist = self._eur_setup(0.5)          # 1 XEM = 2 units of the company currency
        subsidiary = self.env['res.company'].create({'name': 'Euro Losses Ltd', 'currency_id': xem.id,
                                                     'parent_id': self.company.id})
        self.manager.write({'company_ids': [(4, subsidiary.id)]})
        reason = self.env.ref('impact_crm.lost_reason_price_above_budget')
        deals = self.env['crm.lead']
        for name, revenue, company in (('Home loss', 1000, self.company), ('Euro loss', 300, subsidiary)):
            deals |= self.env['crm.lead'].create({'name': name, 'type': 'opportunity', 'planned_revenue': revenue,
                                                  'company_id': company.id, 'user_id': self.rep.id,
                                                  'stage_id': self.env.ref('impact_crm.stage_quote').id})
        self.env['crm.lead.lost'].with_context(active_model='crm.lead', active_ids=deals.ids).create({
            'lead_ids': [(6, 0, deals.ids)], 'lost_reason_id': reason.id}).action_lost_reason_apply()
        rows = self.env['crm.lead.lost.report'].sudo(self.manager)._by_criterion_reason(
            domain=[('lead_id', 'in', deals.ids)])
        self.assertEqual([(row['reason_id'], row['count'], row['amount']) for row in rows],
                         [(reason.id, 2, 1600.0)], "1,000 + 300 XEM at 2")
