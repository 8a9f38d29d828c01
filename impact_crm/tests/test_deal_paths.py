"""A deal's and an order's figures, a lost deal's reason and merged deals, path by path, as a sales user.

The figures computed from other data (a deal's ordered, invoiced and paid amounts, which the quotas' attainment
sums; an order's totals and quotation number; a line's subtotal) and the fields the add-on keeps itself (the
slippage counters, the flag of orders cancelled after winning) are written by nobody; a lost deal keeps its
loss reason; merging deals moves what hangs on the merged ones onto the deal kept, and a sales user, who may not
delete deals, merges open duplicates only.
"""
from odoo import fields
from odoo.exceptions import UserError, ValidationError

from ..internal_flags import with_flags
from ..models.impact_input_guard import is_derived
from .test_integrity_paths import IntegrityCase

REFUSED = 'it cannot be written'


class TestDerivedFigures(IntegrityCase):

    @classmethod
    def setUpClass(cls):
        super(TestDerivedFigures, cls).setUpClass()
        cls.deal = cls.Leads.create({'name': 'Derived Tower', 'type': 'opportunity', 'partner_id': cls.partner.id,
                                     'planned_revenue': 1000.0, 'user_id': cls.rep.id})
        cls.confirmed = cls.Orders.create({
            'partner_id': cls.partner.id, 'opportunity_id': cls.deal.id,
            'order_line': [(0, 0, {'product_id': cls.product.id, 'product_uom_qty': 3})]})
        cls.confirmed.action_confirm()
        cls.quota = cls.env['crm.quota'].create({
            'user_id': cls.rep.id, 'period_type': 'month', 'amount': 1000.0,
            'date_start': fields.Date.from_string(fields.Date.context_today(cls.deal)).replace(day=1)})

    def test_a_deals_figures_are_written_by_nobody(self):
        other = self.Leads.create({'name': 'Derived Annex', 'type': 'opportunity', 'user_id': self.rep.id})
        self.assertEqual(self.deal.amount_ordered, 300.0)
        attainment = self.quota.sudo(self.rep).read(['amount_ordered', 'attainment_ordered'])
        figures = ['amount_ordered', 'amount_invoiced', 'amount_paid', 'amount_outstanding', 'weighted_revenue',
                   'stage_group_id', 'stage_group_kind', 'push_count', 'slip_days', 'forecast_date_first',
                   'orders_cancelled_after_win', 'day_close', 'date_closed']
        for vals in ({'amount_ordered': 5e6}, {'amount_paid': 5e6, 'amount_invoiced': 5e6},
                     {'stage_group_kind': 'execution'},
                     {'stage_group_id': self.env.ref('impact_crm.stage_group_execution').id},
                     {'weighted_revenue': 9e5}, {'push_count': 0}, {'slip_days': 40},
                     {'forecast_date_first': '2020-01-01'}, {'orders_cancelled_after_win': True},
                     {'day_close': 3.0}, {'date_closed': '2030-01-15 10:00:00'}):
            for deals in (self.deal, self.deal | other):   # one deal, and a mass edit
                error = self.assertRefused(lambda: deals.write(vals), self.deal | other, figures, message=REFUSED)
                self.assertIn(self.env['crm.lead']._fields[list(vals)[0]].string, error.name)
            # the administrator neither
            self.assertRefused(lambda: self.deal.sudo().write(vals), self.deal, figures, message=REFUSED)
        # an import neither
        result = self.Leads.load(['id', 'amount_ordered'], [[self.deal.get_external_id()[self.deal.id] or
                                                             '__export__.crm_lead_%d' % self.deal.id, '5000000']])
        self.assertFalse(result['ids'])
        self.deal.invalidate_cache()
        self.assertEqual(self.deal.amount_ordered, 300.0)
        self.quota.invalidate_cache()
        self.assertEqual(self.quota.sudo(self.rep).read(['amount_ordered', 'attainment_ordered']), attainment)

    def test_a_new_deal_gets_its_own_figures(self):
        """Create computes the figures whatever is sent; the kept fields take no value but their empty one."""
        deal = self.Leads.create({'name': 'Derived Sent', 'type': 'opportunity', 'planned_revenue': 1000.0,
                                  'probability': 20.0, 'amount_ordered': 5e6, 'weighted_revenue': 7.0,
                                  'push_count': 0, 'orders_cancelled_after_win': False})
        self.assertEqual((deal.amount_ordered, deal.weighted_revenue), (0.0, 200.0))
        count = self.env['crm.lead'].search_count([])
        for vals in ({'push_count': 2}, {'slip_days': 10}, {'orders_cancelled_after_win': True},
                     {'forecast_date_first': '2020-01-01'}, {'date_closed': '2020-01-01 10:00:00'}):
            with self.assertRaises(UserError) as caught, self.cr.savepoint():
                self.Leads.create(dict(vals, name='Derived Forged', type='opportunity'))
            self.assertIn(REFUSED, caught.exception.name)
        self.assertEqual(self.env['crm.lead'].search_count([]), count)

    def test_an_orders_figures_are_written_by_nobody(self):
        quote = self.quotation(qty=2)
        line = quote.order_line
        order_fields = ['amount_untaxed', 'amount_total', 'quote_number', 'invoice_status']
        for order in (quote, self.confirmed):
            for vals in ({'amount_untaxed': 9e6, 'amount_total': 9e6}, {'quote_number': '9999-7'},
                         {'invoice_status': 'invoiced'}):
                self.assertRefused(lambda: order.write(vals), order, order_fields, message=REFUSED)
        line_fields = ['price_subtotal', 'price_total', 'qty_invoiced']
        for operation in (lambda: line.write({'price_subtotal': 9e6}),
                          lambda: quote.write({'order_line': [(1, line.id, {'price_total': 9e6})]}),
                          lambda: line.write({'qty_invoiced': 5.0})):
            self.assertRefused(operation, line, line_fields, message=REFUSED)
        self.assertEqual(quote.amount_untaxed, 200.0)
        # what a user may change still changes the figures
        line.write({'product_uom_qty': 4})
        self.assertEqual((line.price_subtotal, quote.amount_untaxed), (400.0, 400.0))

    def test_other_modules_computed_fields_are_left_to_them(self):
        """The guard covers the figures of the add-on and of Odoo's CRM and Sales; another module's computed
        field (base's here; an add-on beside this one may write its own on purpose) is not refused."""
        self.assertTrue(is_derived(self.env['sale.order']._fields['amount_total']))
        self.assertTrue(is_derived(self.env['crm.lead']._fields['amount_ordered']))
        self.assertFalse(is_derived(self.env['crm.lead']._fields['forecast_category']))   # the rep's to set
        commercial = self.env['res.partner']._fields['commercial_partner_id']
        self.assertTrue(commercial.store and commercial.compute and commercial.readonly)
        self.assertFalse(is_derived(commercial))

    def test_a_deal_is_closed_when_won_only(self):
        """The closing date, which places a won deal in its quota's period, is set by winning the deal (Odoo
        writes it then), never sent by a client; the history's own server-side path backdates it."""
        won = self.Leads.create({'name': 'Closed Tower', 'type': 'opportunity', 'user_id': self.rep.id,
                                 'planned_revenue': 500.0})
        self.assertFalse(won.date_closed)
        won.write({'stage_id': self.env.ref('impact_crm.stage_won').id})
        self.assertTrue(won.date_closed)
        self.assertRefused(lambda: won.write({'date_closed': '2020-03-01 10:00:00'}), won, ['date_closed'],
                           message=REFUSED)
        won.sudo()._backdate_close('2020-03-01 10:00:00')
        self.assertEqual(won.date_closed, '2020-03-01 10:00:00')

    def test_the_people_of_a_deal_keep_the_deals_figures(self):
        """The copies of the deal on its people (salesperson, stage, revenue, won amount), which the people
        and roles report sums per firm, are the deal's: written by nobody."""
        person = self.env['res.partner'].create({'name': 'Derived Architect'})
        contact = self.env['crm.lead.contact'].sudo(self.rep).create({'lead_id': self.deal.id,
                                                                      'partner_id': person.id})
        copies = ['won_amount', 'is_won', 'stage_id', 'planned_revenue', 'user_id']
        for vals in ({'won_amount': 9e6}, {'is_won': True}, {'planned_revenue': 9e6}, {'user_id': self.colleague.id},
                     {'stage_id': self.env.ref('impact_crm.stage_won').id}):
            self.assertRefused(lambda: contact.write(vals), contact, copies, message=REFUSED)

    def test_the_flag_of_cancelled_orders_is_cleared_by_its_button(self):
        with_flags(self.deal.sudo(), 'impact_internal_write').write({'orders_cancelled_after_win': True})
        self.assertTrue(self.deal.orders_cancelled_after_win)
        self.assertRefused(lambda: self.deal.write({'orders_cancelled_after_win': False}), self.deal,
                           ['orders_cancelled_after_win'], message=REFUSED)
        self.deal.action_clear_orders_cancelled()
        self.assertFalse(self.deal.orders_cancelled_after_win)


class TestLostDealKeepsItsReason(IntegrityCase):

    def setUp(self):
        super(TestLostDealKeepsItsReason, self).setUp()
        self.env.user.company_id.crm_lost_reason_required = True
        self.lost = self.Leads.create({'name': 'Lost Pavilion', 'type': 'opportunity', 'user_id': self.rep.id,
                                       'planned_revenue': 5000.0})
        self.lost.write({'lost_reason': self.reason.id})
        self.lost.action_set_lost()
        self.assertTrue(self.lost.lost_date)

    def test_the_reason_is_never_emptied(self):
        other = self.Leads.create({'name': 'Lost Annex', 'type': 'opportunity', 'user_id': self.rep.id})
        for operation in (lambda: self.lost.write({'lost_reason': False}),
                          lambda: (self.lost | other).write({'lost_reason': False}),
                          lambda: self.lost.sudo().write({'lost_reason': False})):
            error = self.assertRefused(operation, self.lost, ['lost_reason', 'active', 'lost_date'],
                                       message='keeps its loss reason')
            self.assertIn(self.lost.name, error.name)
        report = self.env['crm.lead.lost.report'].sudo(self.rep).search([('lead_id', '=', self.lost.id)])
        self.assertEqual(report.lost_reason_id, self.reason)

    def test_another_reason_or_a_restore(self):
        other_reason = self.env.ref('impact_crm.lost_reason_competitor')
        self.lost.write({'lost_reason': other_reason.id})
        self.assertEqual(self.lost.lost_reason, other_reason)
        # an open deal may have its reason emptied (it is not lost)
        open_deal = self.Leads.create({'name': 'Open Pavilion', 'type': 'opportunity', 'user_id': self.rep.id,
                                       'lost_reason': self.reason.id})
        open_deal.write({'lost_reason': False})
        self.assertFalse(open_deal.lost_reason)
        # restoring clears the loss and its reason
        self.lost.write({'active': True})
        self.assertFalse(self.lost.lost_reason or self.lost.lost_date)

    def test_without_the_requirement_the_reason_may_go(self):
        self.env.user.company_id.crm_lost_reason_required = False
        self.lost.write({'lost_reason': False})
        self.assertFalse(self.lost.lost_reason)


class TestMergeDeals(IntegrityCase):

    @classmethod
    def setUpClass(cls):
        super(TestMergeDeals, cls).setUpClass()
        cls.manager = cls.user('merge_manager', 'sales_team.group_sale_manager')
        cls.architect = cls.env['res.partner'].create({'name': 'Merge Architect'})
        cls.engineer = cls.env['res.partner'].create({'name': 'Merge Engineer'})

    def _deal(self, name, revenue, contacts=(), user=None):
        deal = self.env['crm.lead'].sudo(user or self.rep).create({
            'name': name, 'type': 'opportunity', 'partner_id': self.partner.id, 'planned_revenue': revenue,
            'user_id': self.rep.id,
            'contact_ids': [(0, 0, {'partner_id': contact.id}) for contact in contacts]})
        return deal

    def _quotation(self, deal, user=None):
        return self.env['sale.order'].sudo(user or self.rep).create({
            'partner_id': self.partner.id, 'opportunity_id': deal.id, 'user_id': self.rep.id,
            'order_line': [(0, 0, {'product_id': self.product.id, 'product_uom_qty': 1})]})

    def _merge(self, deals, user):
        wizard = self.env['crm.merge.opportunity'].sudo(user).with_context(
            active_model='crm.lead', active_ids=deals.ids).create({})
        wizard.action_merge()
        return deals.exists()

    def test_a_sales_user_merges_open_duplicates_and_keeps_their_records(self):
        first = self._deal('Merge Plaza', 1000.0, contacts=[self.architect])
        second = self._deal('Merge Plaza (copy)', 2000.0, contacts=[self.architect, self.engineer])
        quote = self._quotation(second)
        quote.action_new_revision()   # the first revision now frozen, read-only to everyone
        orders = self.env['sale.order'].search([('opportunity_id', '=', second.id)])
        self.assertEqual(len(orders), 2)
        numbers = orders.mapped('quote_number')
        activity = self.env['mail.activity'].sudo(self.rep).create({
            'res_model_id': self.env['ir.model']._get('crm.lead').id, 'res_id': second.id,
            'activity_type_id': self.env.ref('mail.mail_activity_data_call').id, 'summary': 'Call the architect',
            'user_id': self.rep.id, 'date_deadline': fields.Date.context_today(second)})
        log = self.env['crm.activity.log'].sudo(self.rep).create({
            'lead_id': second.id, 'summary': 'Met on site', 'source': 'retroactive', 'user_id': self.rep.id,
            'activity_type_id': self.env.ref('mail.mail_activity_data_meeting').id})
        kept = self._merge(first | second, self.rep)
        self.assertEqual(len(kept), 1)
        orders.invalidate_cache()
        self.assertEqual(orders.mapped('opportunity_id'), kept)
        self.assertEqual(orders.mapped('quote_number'), numbers)
        # the people of both, each once
        self.assertEqual(sorted(kept.contact_ids.mapped('partner_id').ids),
                         sorted((self.architect | self.engineer).ids))
        self.assertEqual((activity.res_id, log.lead_id), (kept.id, kept))

    def test_a_sales_user_does_not_merge_away_a_deal_with_a_confirmed_order_or_a_lost_one(self):
        open_deal = self._deal('Merge Open', 1000.0)
        won = self._deal('Merge Won', 3000.0)
        order = self._quotation(won)
        order.action_confirm()
        lost = self._deal('Merge Lost', 500.0)
        lost.write({'lost_reason': self.reason.id})
        lost.action_set_lost()
        for other in (won, lost):
            deals = (open_deal | other).with_context(active_test=False)
            error = self.assertRefused(lambda: deals.merge_opportunity(), deals, ['name', 'active'],
                                       message='only a sales manager merges')
            self.assertIn(other.name, error.name)
            self.assertEqual(len(deals.exists()), 2)
        self.assertEqual(order.opportunity_id, won)

    def test_a_manager_merges_any_and_the_orders_follow(self):
        first = self._deal('Merge Works', 5000.0)
        second = self._deal('Merge Works Annex', 4000.0)
        order = self._quotation(second)
        order.action_confirm()
        number, name = order.fiscal_number, order.name
        kept = self._merge(first | second, self.manager)
        self.assertEqual(len(kept), 1)
        order.invalidate_cache()
        self.assertEqual((order.opportunity_id, order.fiscal_number, order.name), (kept, number, name))
        self.assertEqual(kept.amount_ordered, order.amount_untaxed)


class TestWizardInput(IntegrityCase):
    """The dialogs a sales user fills in refuse impossible values with the guard's message, not PostgreSQL's."""

    def test_impossible_values_in_the_dialogs(self):
        deal = self.Leads.create({'name': 'Wizard Tower', 'type': 'opportunity', 'user_id': self.rep.id})
        nan, inf = float('nan'), float('inf')
        for model, vals, user in (
                ('crm.activity.log.wizard', {'lead_id': deal.id, 'date_done': '2026-02-30 10:00:00'}, self.rep),
                ('crm.activity.log.wizard', {'lead_id': deal.id, 'duration': nan}, self.rep),
                ('crm.forecast.asof', {'as_of': 'yesterday'}, self.rep),
                ('crm.forecast.waterfall', {'period_start': '2026-13-01'}, self.rep),
                ('crm.forecast.waterfall', {'measure': 'bogus'}, self.rep),
                ('crm.lead.lost', {'competitor_price': inf}, self.rep),
                ('crm.forecast.calibration.line', {'suggested': nan}, self.env.user)):
            with self.assertRaises(ValidationError) as caught, self.cr.savepoint():
                self.env[model].sudo(user).with_context(active_ids=deal.ids, active_model='crm.lead').create(vals)
            field = self.env[model]._fields[list(vals)[-1]]
            self.assertIn(field.string, caught.exception.name, (model, vals))
        # the Hebrew message of the guard
        with self.assertRaises(ValidationError) as caught, self.cr.savepoint():
            self.env['crm.forecast.asof'].sudo(self.rep).with_context(lang='he_IL').create({'as_of': 'yesterday'})
        self.assertIn('אינו תאריך תקין', caught.exception.name)


class TestCompanyOfARecord(IntegrityCase):
    """A user hands no record to a company he does not work for (the companies' rules judge a record by the
    company it has, not by the one written on it)."""

    def test_a_deal_or_an_order_stays_in_the_users_companies(self):
        main = self.env.user.company_id
        other = self.env['res.company'].create({'name': 'Derived Foreign Ltd'})
        outsider = self.user('derived_foreign_rep', 'sales_team.group_sale_salesman', company_id=other.id,
                             company_ids=[(6, 0, [other.id])])
        Leads = self.env['crm.lead'].sudo(outsider)
        deal = Leads.create({'name': 'Foreign deal', 'type': 'opportunity', 'user_id': outsider.id,
                             'planned_revenue': 5e6})
        self.assertEqual(deal.company_id, other)
        self.assertRefused(lambda: deal.write({'company_id': main.id}), deal, ['company_id'],
                           error=ValidationError, message='you do not work for this company')
        with self.assertRaises(ValidationError), self.cr.savepoint():
            Leads.create({'name': 'Foreign deal 2', 'type': 'opportunity', 'company_id': main.id})
        quote = self.env['sale.order'].sudo(outsider).create({'partner_id': self.partner.id})
        self.assertRefused(lambda: quote.write({'company_id': main.id}), quote, ['company_id'],
                           error=ValidationError, message='you do not work for this company')
        # his own company, and an administrator's move, go through
        deal.write({'company_id': other.id})
        deal.sudo().write({'company_id': main.id})
        self.assertEqual(deal.sudo().company_id, main)
