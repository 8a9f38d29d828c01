"""Execution figures of a deal (invoiced, paid, outstanding), its automatic Done and the quotas' attainment come
from its invoices as Odoo validates, pays and cancels them: tried through plain writes a client can send.

- a sales user (who may create and edit draft invoices in Odoo) neither validates, pays nor cancels an invoice
  by writing its state or journal entry, nor changes the lines of an invoice that is no longer a draft;
- nobody writes an invoice's computed totals and residuals (billing users, who validate with the journal entry,
  are trusted with the states).
"""
from odoo.exceptions import AccessError

from .test_integrity_paths import IntegrityCase

FIGURES = ['stage_id', 'amount_invoiced', 'amount_paid', 'amount_outstanding']


class TestInvoiceStatesByAnyPath(IntegrityCase):

    @classmethod
    def setUpClass(cls):
        super(TestInvoiceStatesByAnyPath, cls).setUpClass()
        cls.accountant = cls.user('execution_accountant', 'account.group_account_invoice')
        cls.env.user.company_id.crm_auto_done = True
        cls.product.taxes_id = [(6, 0, [])]

    def setUp(self):
        super(TestInvoiceStatesByAnyPath, self).setUp()
        self.deal = self.Leads.create({'name': 'Audit Execution', 'type': 'opportunity', 'user_id': self.rep.id,
                                       'partner_id': self.partner.id})
        self.order = self.Orders.create({
            'partner_id': self.partner.id, 'user_id': self.rep.id, 'opportunity_id': self.deal.id,
            'order_line': [(0, 0, {'product_id': self.product.id, 'product_uom_qty': 10, 'price_unit': 100.0})]})
        self.order.action_confirm()
        self.deal.write({'stage_id': self.env.ref('impact_crm.stage_in_progress').id})
        # Odoo lets the rep invoice his order: a draft invoice
        self.draft = self.env['account.invoice'].sudo(self.rep).browse(self.order.action_invoice_create())
        self.assertEqual(self.draft.state, 'draft')

    def validated(self):
        self.draft.sudo(self.accountant).action_invoice_open()
        self.deal.invalidate_cache()
        self.assertEqual((self.deal.amount_invoiced, self.deal.amount_paid), (1000.0, 0.0))
        return self.draft

    def test_a_rep_does_not_validate_his_draft_invoice_by_writing_its_state(self):
        """A draft invoice written 'open' (or 'paid') by its rep had no journal entry, so nothing to pay: Odoo
        counted it paid at once, the deal showed 1,000 invoiced and paid and moved to Done."""
        for state in ('open', 'paid'):
            self.assertRefused(lambda: self.draft.write({'state': state}), self.deal, FIGURES, error=AccessError)
            self.assertRefused(lambda: self.draft.write({'state': state}), self.draft, ['state'],
                               error=AccessError)
        self.assertRefused(lambda: self.env['account.invoice'].sudo(self.rep).create({
            'partner_id': self.partner.id, 'state': 'open'}), self.deal, FIGURES, error=AccessError)
        self.assertEqual(self.deal.stage_id, self.env.ref('impact_crm.stage_in_progress'))

    def test_a_rep_does_not_cancel_or_reopen_a_validated_invoice_by_writing_its_state(self):
        invoice = self.validated().sudo(self.rep)
        for state in ('cancel', 'draft', 'paid'):
            self.assertRefused(lambda: invoice.write({'state': state}), self.deal, FIGURES, error=AccessError)
        self.assertRefused(lambda: invoice.write({'move_id': False}), invoice, ['move_id'], error=AccessError)

    def test_a_rep_does_not_change_what_a_validated_invoices_amounts_are_made_of(self):
        """A validated invoice's currency (its amount converted again), type (its sign), date, credit note link
        and customer are billing users'; the rep still sends it and notes on it."""
        invoice = self.validated().sudo(self.rep)
        usd = self.env.ref('base.USD')
        currency = usd if invoice.currency_id != usd else self.env.ref('base.EUR')
        currency.active = True
        refund = self.env['account.invoice'].create({'partner_id': self.partner.id, 'type': 'out_refund'})
        for vals in ({'currency_id': currency.id}, {'type': 'out_refund'}, {'date_invoice': '2020-01-01'},
                     {'date_due': '2020-01-01'}, {'refund_invoice_id': refund.id},
                     {'partner_id': self.env['res.partner'].create({'name': 'Another Customer'}).id}):
            self.assertRefused(lambda: invoice.write(vals), self.deal, FIGURES, error=AccessError,
                               message='no longer a draft')
            self.assertRefused(lambda: invoice.write(vals), invoice, list(vals), error=AccessError)
        invoice.write({'sent': True, 'comment': 'Sent to the site office'})
        invoice.message_post(body='Customer confirmed receipt')
        self.assertTrue(invoice.sent)
        # his own draft stays his to edit, dates and customer included
        draft = self.env['account.invoice'].sudo(self.rep).create({'partner_id': self.partner.id})
        draft.write({'date_invoice': '2020-01-01', 'currency_id': currency.id})
        self.assertEqual(draft.date_invoice, '2020-01-01')

    def test_nobody_writes_an_invoices_computed_residual(self):
        """The residual a client wrote (0) made the deal paid until the invoice's journal entry changed."""
        invoice = self.validated()
        for user in (self.rep, self.accountant):
            self.assertRefused(lambda: invoice.sudo(user).write({'residual_company_signed': 0.0, 'residual': 0.0}),
                               self.deal, FIGURES, error=AccessError, message='cannot be written')
            self.assertRefused(lambda: invoice.invoice_line_ids.sudo(user).write({'price_subtotal': 1.0}),
                               self.deal, FIGURES, error=AccessError, message='cannot be written')

    def test_a_rep_does_not_change_the_lines_of_a_validated_invoice(self):
        """The invoiced quantity of the order (its invoice status, which the automatic Done reads) and the
        deal's invoiced amount follow the validated invoice's lines."""
        invoice = self.validated()
        line = invoice.invoice_line_ids.sudo(self.rep)
        other = self.quotation(qty=3)
        other.action_confirm()
        for operation in (lambda: line.write({'quantity': 1.0}),
                          lambda: line.write({'price_unit': 1.0}),
                          lambda: line.write({'sale_line_ids': [(5,)]}),
                          lambda: line.unlink(),
                          lambda: line.create({'invoice_id': invoice.id, 'name': 'More', 'price_unit': 5.0,
                                               'account_id': line.account_id.id, 'quantity': 3,
                                               'sale_line_ids': [(6, 0, other.order_line.ids)]})):
            self.assertRefused(operation, self.deal, FIGURES, error=AccessError)
        self.assertEqual(other.invoice_status, 'to invoice')

    def test_the_usual_flow_still_counts(self):
        """Validation and payment by the accountant's buttons, and the rep editing his draft, still work."""
        self.draft.invoice_line_ids.write({'name': 'Curtain wall, phase 1'})
        invoice = self.validated()
        bank = self.env['account.journal'].search([('type', '=', 'bank'),
                                                   ('company_id', '=', invoice.company_id.id)], limit=1)
        invoice.sudo(self.accountant).pay_and_reconcile(bank.id, 1000.0)
        self.deal.invalidate_cache()
        self.assertEqual((self.deal.amount_paid, self.deal.stage_id), (1000.0, self.env.ref('impact_crm.stage_done')))
