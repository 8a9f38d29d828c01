"""The integrity promises, path by path, through the ORM as a sales user (own documents only).

Every path Odoo offers (write, create, copy with default, load, unlink, mass edits, Odoo's own action methods,
line-level writes) is tried against each promise: it is refused with the module's clear error and nothing is
written, or it goes through the promised flow. tests/test_integrity_rpc.py walks the same paths over JSON-RPC.
"""
import psycopg2

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests.common import SavepointCase
from odoo.tools import mute_logger


class IntegrityCase(SavepointCase):

    @classmethod
    def user(cls, login, *groups, **values):
        """A user named after ``login``, in ``groups`` (external ids), with an e-mail (Odoo's chatter needs one)."""
        return cls.env['res.users'].with_context(no_reset_password=True, mail_create_nosubscribe=True).create(dict({
            'name': login.replace('_', ' ').title(), 'login': login, 'email': '%s@example.com' % login,
            'groups_id': [(6, 0, [cls.env.ref(group).id for group in groups])]}, **values))

    @classmethod
    def setUpClass(cls):
        super(IntegrityCase, cls).setUpClass()
        user = cls.user
        cls.rep = user('integrity_rep', 'sales_team.group_sale_salesman')
        cls.colleague = user('integrity_colleague', 'sales_team.group_sale_salesman')
        cls.rep_all = user('integrity_rep_all', 'sales_team.group_sale_salesman_all_leads')
        cls.portal = user('integrity_portal', 'base.group_portal')
        cls.partner = cls.env['res.partner'].create({'name': 'Integrity Towers Ltd', 'customer': True,
                                                     'is_company': True})
        cls.product = cls.env['product.product'].create({'name': 'Facade panel', 'list_price': 100.0,
                                                         'type': 'service', 'invoice_policy': 'order'})
        cls.reason = cls.env.ref('impact_crm.lost_reason_price_above_budget')
        cls.Orders = cls.env['sale.order'].sudo(cls.rep)
        cls.Leads = cls.env['crm.lead'].sudo(cls.rep)

    def quotation(self, qty=1, user=None):
        return self.env['sale.order'].sudo(user or self.rep).create({
            'partner_id': self.partner.id, 'user_id': (user or self.rep).id,
            'order_line': [(0, 0, {'product_id': self.product.id, 'product_uom_qty': qty})]})

    def order(self, qty=1):
        order = self.quotation(qty)
        order.action_confirm()
        self.assertTrue(order.fiscal_number)
        return order

    def assertRefused(self, operation, records, fields, error=UserError, message=None):
        """``operation`` raises ``error`` (with ``message`` in its text) and ``fields`` of ``records`` keep
        their values."""
        before = records.sudo().read(fields)
        with self.assertRaises(error) as caught, self.cr.savepoint():
            operation()
        if message:
            self.assertIn(message, caught.exception.name)
        records.invalidate_cache()
        self.assertEqual(records.sudo().read(fields), before)
        return caught.exception


class TestFiscalNumberingPaths(IntegrityCase):

    def test_no_confirmed_order_without_a_number_by_any_path(self):
        quote = self.quotation()
        other = self.quotation()
        fields = ['state', 'fiscal_number', 'name']
        for label, operation in [
                ('write', lambda: quote.write({'state': 'sale'})),
                ('write done', lambda: quote.write({'state': 'done'})),
                ('mass edit', lambda: (quote | other).write({'state': 'sale'})),
                ("Odoo's action_unlock on a quotation", lambda: quote.action_unlock()),
                ("Odoo's action_done", lambda: quote.action_done())]:
            error = self.assertRefused(operation, quote | other, fields, message='fiscal number')
            self.assertIn(quote.name, error.name, label)
        self.assertRefused(lambda: self.Orders.create({'partner_id': self.partner.id, 'state': 'sale'}),
                           quote, fields, message='Confirm')
        count = self.env['sale.order'].search_count([])
        self.assertRefused(lambda: quote.copy({'state': 'done'}), quote, fields, message='Confirm')
        result = self.Orders.load(['partner_id/.id', 'state'], [[str(self.partner.id), 'sale']])
        self.assertFalse(result['ids'])
        self.assertIn('Confirm', ' '.join(message['message'] for message in result['messages']))
        self.assertEqual(self.env['sale.order'].search_count([]), count)
        self.assertEqual((quote | other).mapped('state'), ['draft', 'draft'])
        # the database itself refuses it, for code that writes around the ORM
        with self.assertRaises(psycopg2.IntegrityError), self.cr.savepoint(), mute_logger('odoo.sql_db'):
            self.cr.execute("UPDATE sale_order SET state = 'sale' WHERE id = %s", [quote.id])
        # confirming is the way: the number comes with the state, in one write
        quote.action_confirm()
        self.assertEqual(quote.state, 'sale')
        self.assertTrue(quote.fiscal_number)
        self.assertTrue(quote.name.startswith(quote.fiscal_number + ' ('))
        # Odoo's lock and unlock of a numbered order keep its number
        number = quote.fiscal_number
        quote.action_done()
        quote.action_unlock()
        self.assertEqual((quote.state, quote.fiscal_number), ('sale', number))

    def test_a_numbered_quotation_is_confirmed_again_only_by_its_confirmation(self):
        """A cancelled order set back to quotation, and a new revision of an order, hold their fiscal number
        already: a write of the state, a mass edit or Odoo's action_unlock do not make them sales orders; their
        confirmation does, with the same number."""
        cancelled = self.order()
        cancelled.action_cancel()
        cancelled.action_draft()
        revised = self.order()
        revision = self.env['sale.order'].sudo(self.rep).browse(revised.action_new_revision()['res_id'])
        self.assertEqual((revision.state, revision.fiscal_number), ('draft', revised.fiscal_number))
        fields = ['state', 'fiscal_number', 'name', 'confirmation_date']
        for label, operation in [
                ('write', lambda: cancelled.write({'state': 'sale'})),
                ('write done', lambda: revision.write({'state': 'done'})),
                ('mass edit', lambda: (cancelled | revision).write({'state': 'sale'})),
                ("Odoo's action_unlock", lambda: revision.action_unlock())]:
            error = self.assertRefused(operation, cancelled | revision, fields, message='Confirm')
            self.assertIn(revision.name if label != 'write' else cancelled.name, error.name, label)
        number = cancelled.fiscal_number
        cancelled.action_confirm()
        revision.action_confirm()
        self.assertEqual((cancelled.state, cancelled.fiscal_number), ('sale', number))
        self.assertEqual((revision.state, revision.fiscal_number), ('sale', revised.fiscal_number))

    def test_numbered_orders_keep_reference_company_and_number(self):
        order = self.order()
        company_b = self.env['res.company'].create({'name': 'Integrity B Ltd'})
        self.rep.sudo().write({'company_ids': [(4, company_b.id)]})
        fields = ['name', 'company_id', 'fiscal_number', 'state']
        self.assertRefused(lambda: order.write({'name': 'SO/2020/00001 (1-1)'}), order, fields,
                           message='cannot be changed')
        self.assertRefused(lambda: order.write({'company_id': company_b.id}), order, fields,
                           message='company cannot change')
        self.assertRefused(lambda: order.write({'fiscal_number': 'SO/2020/00001'}), order, fields)
        # a quotation's reference cannot be written either, nor chosen on create or copy
        quote = self.quotation()
        self.assertRefused(lambda: quote.write({'name': order.name}), quote, ['name'], message='cannot be changed')
        count = self.env['sale.order'].search_count([])
        self.assertRefused(lambda: self.Orders.create({'partner_id': self.partner.id, 'name': order.name}),
                           quote, ['name'], message='cannot be chosen')
        self.assertEqual(self.env['sale.order'].search_count([]), count)
        # a duplicate is a new quotation: the reference asked for is replaced by the numbering's
        dup = quote.copy({'name': order.name})
        self.assertEqual(dup.name, '%s-1' % dup.quote_base_number)
        # the form's default reference is accepted
        self.assertTrue(self.Orders.create({'partner_id': self.partner.id, 'name': 'New'}).quote_base_number)

    def test_superseded_revision_is_frozen_line_by_line_and_never_invoiced(self):
        order = self.order(qty=3)
        revision = self.env['sale.order'].browse(order.sudo(self.rep).action_new_revision()['res_id'])
        self.assertEqual(revision.fiscal_number, order.fiscal_number)
        old = order.sudo(self.rep)
        Lines = self.env['sale.order.line'].sudo(self.rep)
        line_fields = ['price_unit', 'product_uom_qty', 'name']
        self.assertRefused(lambda: old.order_line.write({'price_unit': 1.0}), old.order_line, line_fields,
                           message='earlier revision')
        self.assertRefused(lambda: old.write({'order_line': [(1, old.order_line.id, {'price_unit': 1.0})]}),
                           old.order_line, line_fields, message='earlier revision')
        self.assertRefused(lambda: old.order_line.unlink(), old.order_line, line_fields, message='earlier revision')
        count = len(old.order_line)
        self.assertRefused(lambda: Lines.create({'order_id': old.id, 'product_id': self.product.id,
                                                 'product_uom_qty': 1}), old.order_line, line_fields,
                           message='earlier revision')
        self.assertEqual(len(old.order_line), count)
        invoices = self.env['account.invoice'].search_count([])
        self.assertRefused(lambda: old.action_invoice_create(), old, ['invoice_status'], message='invoiced')
        self.assertRefused(lambda: old.order_line.invoice_line_create(False, 1), old, ['invoice_status'],
                           message='invoiced')
        # the "Invoice Order" action on a selection, for invoiceable lines and for a down payment
        for method in ('all', 'percentage'):
            wizard = self.env['sale.advance.payment.inv'].with_context(
                active_model='sale.order', active_ids=[old.id], active_id=old.id).create({
                    'advance_payment_method': method, 'amount': 10.0})
            self.assertRefused(wizard.create_invoices, old, ['invoice_status'], message='earlier revision')
        self.assertEqual(self.env['account.invoice'].search_count([]), invoices)
        self.assertEqual(old.invoice_status, 'no')
        # the latest revision is the one that is invoiced, under the one fiscal number
        revision.sudo(self.rep).write({'order_line': [(1, revision.order_line.id, {'price_unit': 90.0})]})
        revision.action_confirm()
        self.assertEqual(revision.fiscal_number, order.fiscal_number)
        self.assertEqual(len(revision.action_invoice_create()), 1)

    def test_one_fiscal_sequence_per_company(self):
        company = self.env['res.company'].create({'name': 'Integrity New Ltd'})
        Ledger = self.env['sale.fiscal.number']
        seq = Ledger._fiscal_sequence(company)
        self.assertEqual((seq.code, seq.company_id, seq.implementation), ('sale.order.fiscal', company, 'no_gap'))
        self.assertEqual(Ledger._fiscal_sequence(company), seq)
        with self.assertRaises(psycopg2.IntegrityError), self.cr.savepoint(), mute_logger('odoo.sql_db'):
            self.env['ir.sequence'].create({'name': 'Second fiscal', 'code': 'sale.order.fiscal',
                                            'implementation': 'no_gap', 'company_id': company.id})
        # even archived, the company's sequence is the one used
        seq.active = False
        self.assertEqual(Ledger._fiscal_sequence(company), seq)

    def test_numbers_are_never_given_twice(self):
        first = self.order()
        ledger = self.env['sale.fiscal.number'].search([('order_id', '=', first.id)])
        # an edited sequence ('Next Number' back to 1, another padding) does not restart the numbering
        seq = ledger.sequence_id
        seq.write({'number_next': 1})
        second = self.order()
        second_entry = self.env['sale.fiscal.number'].search([('order_id', '=', second.id)])
        self.assertEqual(second_entry.number, ledger.number + 1)
        highest = second_entry.number
        # the ledger gone (as after an uninstallation that lost it): the orders' references still count
        self.cr.execute("SAVEPOINT ledger_gone")
        self.cr.execute("DELETE FROM sale_fiscal_number WHERE company_id = %s", [first.company_id.id])
        third = self.order()
        self.env['sale.fiscal.number'].invalidate_cache()
        third_entry = self.env['sale.fiscal.number'].search([('order_id', '=', third.id)])
        self.assertEqual(third_entry.number, highest + 1)
        self.assertNotIn(third.fiscal_number, (first.fiscal_number, second.fiscal_number))
        self.cr.execute("ROLLBACK TO SAVEPOINT ledger_gone")
        self.env['sale.fiscal.number'].invalidate_cache()

    def _next_number_after(self, other, reference):
        """The number of the next confirmation once the quotation ``other`` bears ``reference``, a reference made
        outside the numbering (before the installation, by an import ...)."""
        self.cr.execute("UPDATE sale_order SET name = %s WHERE id = %s", [reference, other.id])
        order = self.order()
        return self.env['sale.fiscal.number'].search([('order_id', '=', order.id)]).number

    def _reference_without_number(self, prefix):
        """A quotation whose reference starts with ``prefix`` but holds no number after it, above every other
        reference of the prefix in byte order: the search finds no number there, and its empty result must not
        hide the numbers the other references hold."""
        self.cr.execute("UPDATE sale_order SET name = %s WHERE id = %s", [prefix + 'ZZZ (old)', self.quotation().id])

    def test_numbers_printed_on_orders_count_whatever_their_form(self):
        """A number printed on an order is never given again, whether its reference has the sequence's padding,
        more digits, or was given under another prefix that the edited one reads as a larger number: only the
        references the sequence itself numbered up to the highest number are skipped by the search."""
        first = self.order()
        entry = self.env['sale.fiscal.number'].search([('order_id', '=', first.id)])
        seq = entry.sequence_id
        seq.write({'prefix': 'PRT/', 'suffix': '', 'padding': 5})
        numbered = self.order()
        highest = self.env['sale.fiscal.number'].search([('order_id', '=', numbered.id)]).number
        self.assertEqual(numbered.fiscal_number, 'PRT/%05d' % highest)
        other = self.quotation()
        self._reference_without_number('PRT/')
        # the sequence's padding, a number above the highest given
        self.assertEqual(self._next_number_after(other, 'PRT/%05d (old)' % (highest + 10)), highest + 11)
        # more digits than the padding
        self.assertEqual(self._next_number_after(other, 'PRT/0%05d' % (highest + 20)), highest + 21)
        # given under the prefix 'PRT/1', read under 'PRT/' as a number of six digits
        seq.write({'prefix': 'PRT/1'})
        given = self.order()
        self.assertEqual(given.fiscal_number[:5], 'PRT/1')
        seq.write({'prefix': 'PRT/'})
        read_as = int(given.fiscal_number[4:])
        self.assertGreater(read_as, highest + 22)
        last = self.order()
        self.assertEqual(last.fiscal_number, 'PRT/%05d' % (read_as + 1))

    def test_numbers_printed_on_orders_count_with_a_short_padding(self):
        """With a padding shorter than the indexed search handles (a run of digits one longer than the padding
        is not rare then), every reference of the prefix is searched: a number above the highest given, and one
        of more digits than the padding, are never given again."""
        first = self.order()
        seq = self.env['sale.fiscal.number'].search([('order_id', '=', first.id)]).sequence_id
        seq.write({'prefix': 'SHT/', 'suffix': '', 'padding': 3})
        highest = self.env['sale.fiscal.number'].search([('order_id', '=', self.order().id)]).number
        other = self.quotation()
        self._reference_without_number('SHT/')
        self.assertEqual(self._next_number_after(other, 'SHT/%03d (old)' % (highest + 10)), highest + 11)
        self.assertEqual(self._next_number_after(other, 'SHT/0%03d' % (highest + 20)), highest + 21)

    def test_numbers_written_as_the_sequence_writes_them(self):
        """The ledger writes a number's name as ir.sequence does (prefix and suffix with their dates, at least
        ``padding`` digits, more when the number has more), and moves up past the numbers already taken."""
        first = self.order()
        seq = self.env['sale.fiscal.number'].search([('order_id', '=', first.id)]).sequence_id
        for padding in (8, 0):
            seq.write({'prefix': 'F%(year)s-', 'suffix': '/%(month)s', 'padding': padding})
            order = self.order()
            number = self.env['sale.fiscal.number'].search([('order_id', '=', order.id)]).number
            self.assertEqual(order.fiscal_number, seq.get_next_char(number))
        seq.write({'padding': 3})
        prefix, suffix = seq._get_prefix_suffix()

        def take(candidate, bumps=10):
            self.cr.execute("SELECT impact_fiscal_take(%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                            [seq.id, candidate, prefix, suffix, 3, first.company_id.id, first.id, self.env.uid, bumps])
            return self.cr.fetchone()[0]
        self.cr.execute("SAVEPOINT take")
        # a number with more digits than the padding
        self.assertEqual(take(123456), seq.get_next_char(123456))
        # numbers taken already (as by transactions committed after this one's snapshot): the next free one
        self.assertEqual(take(number), seq.get_next_char(number + 1))
        self.assertEqual(take(123456), seq.get_next_char(123457))
        # none free within the allowed attempts: nothing taken
        self.assertIsNone(take(123456, bumps=2))
        self.assertEqual(take(123456, bumps=3), seq.get_next_char(123458))
        self.cr.execute("ROLLBACK TO SAVEPOINT take")

    def test_numbering_check_reports_unnumbered_and_out_of_date_order(self):
        Ledger = self.env['sale.fiscal.number']
        company = self.env.user.company_id
        first, second = self.order(), self.order()
        self.assertFalse([issue for issue in Ledger.get_numbering_issues(company.id)
                          if issue['fiscal_number'] in (first.fiscal_number, second.fiscal_number)])
        # the second number's order dated a day before the first one's
        self.cr.execute("UPDATE sale_order SET confirmation_date = confirmation_date - interval '2 days' "
                        "WHERE id = %s", [second.id])
        issues = [issue for issue in Ledger.get_numbering_issues(company.id) if issue['type'] == 'date_order']
        self.assertEqual([issue['fiscal_number'] for issue in issues], [second.fiscal_number])
        self.assertIn(first.fiscal_number, issues[0]['message'])
        # a confirmed order without a number, written around the module and its database check
        quote = self.quotation()
        self.cr.execute("SAVEPOINT unnumbered")
        self.cr.execute("ALTER TABLE sale_order DROP CONSTRAINT sale_order_confirmed_has_fiscal_number")
        self.cr.execute("UPDATE sale_order SET state = 'sale' WHERE id = %s", [quote.id])
        issues = [issue for issue in Ledger.get_numbering_issues(company.id) if issue['type'] == 'unnumbered']
        self.cr.execute("ROLLBACK TO SAVEPOINT unnumbered")
        self.assertEqual(len(issues), 1)
        self.assertIn(quote.name, issues[0]['message'])

    def test_numbering_check_only_for_own_companies(self):
        other = self.env['res.company'].create({'name': 'Integrity Foreign Ltd'})
        manager = self.checker('integrity_check_manager', 'sales_team.group_sale_manager')
        Ledger = self.env['sale.fiscal.number'].sudo(manager)
        with self.assertRaises(AccessError):
            Ledger.get_numbering_issues(other.id)
        self.assertIsInstance(Ledger.get_numbering_issues(manager.company_id.id), list)

    def checker(self, login, *groups):
        """A user who may check the fiscal numbering (a sales manager, an accountant)."""
        return self.user(login, *groups)

    def test_unnamed_order_is_numbered_in_any_language(self):
        """Every reference meaning "no name yet" gets the quotation number, whatever the client's language:
        Odoo's 'New', its translation, an empty one, none."""
        self.assertNotEqual(self.env['ir.translation']._get_source(None, ('code',), 'he_IL', 'New'), 'New')
        created = {}
        for lang in ('en_US', 'he_IL'):
            Orders = self.Orders.with_context(lang=lang)
            translated = self.env['ir.translation']._get_source(None, ('code',), lang, 'New')
            for name in ('New', translated, '', False, None):
                vals = {'partner_id': self.partner.id}
                if name is not None:
                    vals['name'] = name
                order = Orders.create(vals)
                self.assertTrue(order.quote_base_number, (lang, name))
                self.assertEqual((order.revision, order.name, order.quote_number, order.is_latest_revision),
                                 (1, '%s-1' % order.quote_base_number, '%s-1' % order.quote_base_number, True))
                created[lang, name] = order
        # Odoo's 'New' sent in Hebrew is a quotation like any other: numbered on confirmation, revisable
        hebrew = created['he_IL', 'New']
        hebrew.write({'order_line': [(0, 0, {'product_id': self.product.id, 'product_uom_qty': 1})]})
        hebrew.action_confirm()
        self.assertEqual(hebrew.name, '%s (%s-1)' % (hebrew.fiscal_number, hebrew.quote_base_number))
        revision = self.Orders.browse(hebrew.action_new_revision()['res_id'])
        self.assertEqual(revision.name, '%s (%s-2)' % (hebrew.fiscal_number, hebrew.quote_base_number))

    def test_a_new_order_is_the_latest_revision(self):
        """Only the revision flow makes an earlier (frozen) revision: a client cannot create one, by any path."""
        quote = self.quotation()
        fields = ['name', 'is_latest_revision', 'state']
        count = self.env['sale.order'].search_count([])
        self.assertRefused(lambda: self.Orders.create({'partner_id': self.partner.id, 'is_latest_revision': False}),
                           quote, fields, message='nobody can write it')
        self.assertRefused(lambda: quote.copy({'is_latest_revision': False}), quote, fields,
                           message='nobody can write it')
        result = self.Orders.load(['partner_id/.id', 'is_latest_revision'], [[str(self.partner.id), 'False']])
        self.assertFalse(result['ids'])
        self.assertIn('nobody can write it', ' '.join(message['message'] for message in result['messages']))
        self.assertEqual(self.env['sale.order'].search_count([]), count)
        # the empty values of the numbering's other fields, and the latest revision, are what a new order has
        new = self.Orders.create({'partner_id': self.partner.id, 'is_latest_revision': True, 'fiscal_number': False,
                                  'previous_revision_id': False, 'revised_date': False})
        dup = quote.copy({'is_latest_revision': True, 'fiscal_number': False})
        for order in (new, dup):
            self.assertTrue(order.is_latest_revision)
            self.assertEqual(order.revision, 1)
        # the revision flow itself freezes the revision it replaces
        revision = self.Orders.browse(quote.action_new_revision()['res_id'])
        self.assertEqual((quote.is_latest_revision, revision.is_latest_revision), (False, True))

    def test_numbering_check_is_for_managers_and_accountants(self):
        """The check reads the accountants' list of every number: a salesperson, who reads that list neither,
        cannot run it, by the method or by its wizard."""
        first, second = self.order(), self.quotation(user=self.colleague)
        second.action_confirm()
        # the colleague's order, numbered after the rep's, dated two days before it
        self.cr.execute("UPDATE sale_order SET confirmation_date = confirmation_date - interval '2 days' "
                        "WHERE id = %s", [second.id])
        company = self.rep.company_id
        for user in (self.rep, self.rep_all):
            with self.assertRaises(AccessError):
                self.env['sale.fiscal.number.report'].sudo(user).search_read([], ['fiscal_number'])
            with self.assertRaises(AccessError):
                self.env['sale.fiscal.number'].sudo(user).get_numbering_issues(company.id)
            with self.assertRaises(AccessError):
                self.env['sale.fiscal.number'].sudo(user).get_numbering_issues()
            wizard = self.env['sale.fiscal.numbering.check'].sudo(user).create({'company_id': company.id})
            with self.assertRaises(AccessError):
                wizard.action_check()
            self.assertFalse(wizard.checked)
        for user in (self.checker('integrity_sales_manager', 'sales_team.group_sale_manager'),
                     self.checker('integrity_accountant', 'base.group_user', 'account.group_account_invoice')):
            issues = self.env['sale.fiscal.number'].sudo(user).get_numbering_issues(company.id)
            self.assertIn(second.fiscal_number, [issue['fiscal_number'] for issue in issues
                                                 if issue['type'] == 'date_order'])
            self.assertNotIn(first.fiscal_number, [issue['fiscal_number'] for issue in issues])
            wizard = self.env['sale.fiscal.numbering.check'].sudo(user).create({'company_id': company.id})
            wizard.action_check()
            self.assertEqual(wizard.issue_count, len(issues))
            self.assertIn(second.fiscal_number, wizard.result)

    def test_confirmation_date_of_a_numbered_order_is_its_fiscal_record(self):
        """A numbered order's confirmation date is written by its confirmation only, and kept when it is
        confirmed again (cancelled and back to quotation, or revised): the numbering check never reports the
        orders numbered after it as out of date order because of it."""
        mine = self.order()
        theirs = self.quotation(user=self.colleague)
        theirs.action_confirm()
        # both confirmed two days ago, in the numbers' order
        self.cr.execute("UPDATE sale_order SET confirmation_date = confirmation_date - interval '2 days' "
                        "WHERE id IN %s", [(mine.id, theirs.id)])
        (mine | theirs).invalidate_cache()
        Ledger = self.env['sale.fiscal.number']
        company = self.rep.company_id

        def out_of_order():
            numbers = (mine.fiscal_number, theirs.fiscal_number)
            return [issue['fiscal_number'] for issue in Ledger.get_numbering_issues(company.id)
                    if issue['type'] == 'date_order' and issue['fiscal_number'] in numbers]
        self.assertEqual(out_of_order(), [])
        fields = ['confirmation_date', 'state', 'fiscal_number']
        for label, operation in [
                ('write', lambda: mine.write({'confirmation_date': '2020-01-01 00:00:00'})),
                ('write with the state', lambda: mine.write({'state': 'sale', 'confirmation_date': '2030-01-01'})),
                ('emptied', lambda: mine.write({'confirmation_date': False})),
                ('mass edit', lambda: (mine | self.quotation()).write({'confirmation_date': '2020-01-01'})),
                ('superuser', lambda: mine.sudo().write({'confirmation_date': '2020-01-01 00:00:00'}))]:
            error = self.assertRefused(operation, mine, fields, message='confirmation date')
            self.assertIn(mine.name, error.name, label)
        result = self.Orders.load(['.id', 'confirmation_date'], [[str(mine.id), '2020-01-01 00:00:00']])
        self.assertFalse(result['ids'])
        self.assertIn('confirmation date', ' '.join(message['message'] for message in result['messages']))
        # an unchanged date is no change
        mine.write({'confirmation_date': mine.confirmation_date, 'note': 'same date'})
        # confirmed again after a cancellation: the same number and the same date
        number, date = mine.fiscal_number, mine.confirmation_date
        mine.action_cancel()
        mine.action_draft()
        mine.action_confirm()
        self.assertEqual((mine.state, mine.fiscal_number, mine.confirmation_date), ('sale', number, date))
        self.assertEqual(out_of_order(), [])
        # a new revision, confirmed: the date of its number's first confirmation
        revision = self.Orders.browse(mine.action_new_revision()['res_id'])
        self.assertFalse(revision.confirmation_date)
        self.assertRefused(lambda: revision.write({'confirmation_date': '2020-01-01 00:00:00'}), revision, fields,
                           message='confirmation date')
        revision.action_confirm()
        self.assertEqual((revision.fiscal_number, revision.confirmation_date), (number, date))
        self.assertEqual(out_of_order(), [])
        # a quotation confirmed for the first time is dated by its confirmation
        quote = self.quotation()
        quote.action_confirm()
        self.assertGreater(quote.confirmation_date, date)


class TestLossPaths(IntegrityCase):

    def deal(self, probability=30.0, **values):
        values = dict({'name': 'Integrity deal', 'type': 'opportunity', 'user_id': self.rep.id,
                       'planned_revenue': 5000, 'partner_id': self.partner.id}, **values)
        lead = self.Leads.create(values)
        if probability is not None:
            lead.write({'probability': probability})
        return lead

    FIELDS = ['active', 'probability', 'stage_id', 'lost_date', 'lost_amount', 'lost_stage_id', 'lost_reason']

    def test_archived_at_zero_needs_a_reason_by_any_path(self):
        lead = self.deal()
        other = self.deal()
        # Archive (toggle_active) then probability 0; probability 0 then Archive; both at once; mass edit
        lead.toggle_active()
        self.assertFalse(lead.active)
        self.assertRefused(lambda: lead.write({'probability': 0}), lead, self.FIELDS, message='loss reason')
        lead.toggle_active()
        (lead | other).write({'probability': 0})
        self.assertTrue(lead.active)  # an open deal at 0 % is allowed
        self.assertRefused(lambda: lead.toggle_active(), lead, self.FIELDS, message='loss reason')
        self.assertRefused(lambda: (lead | other).write({'active': False}), lead | other, self.FIELDS,
                           message='loss reason')
        self.assertRefused(lambda: lead.write({'active': False, 'probability': 0}), lead, self.FIELDS,
                           message='loss reason')
        count = self.env['crm.lead'].with_context(active_test=False).search_count([])
        self.assertRefused(lambda: self.Leads.create({'name': 'Born lost', 'type': 'opportunity',
                                                      'active': False, 'probability': 0}),
                           lead, self.FIELDS, message='loss reason')
        self.assertRefused(lambda: lead.copy({'active': False}), lead, self.FIELDS, message='loss reason')
        self.assertEqual(self.env['crm.lead'].with_context(active_test=False).search_count([]), count)
        # with a reason, the same path is the lost flow: the loss is recorded
        lead.write({'lost_reason': self.reason.id})
        lead.toggle_active()
        self.assertFalse(lead.active)
        self.assertTrue(lead.lost_date)
        self.assertEqual(lead.lost_amount, 5000)
        self.assertTrue(lead.stage_id.is_lost)

    def test_loss_and_override_bookkeeping_is_not_writable(self):
        lead = self.deal(probability=None)
        lead.write({'probability': 42})
        self.assertTrue(lead.probability_is_manual)
        self.assertEqual(lead.probability_manual_uid, self.rep)
        stage = self.env.ref('impact_crm.stage_quote')
        for fname, value in [('lost_date', '2020-01-01'), ('lost_amount', 1.0), ('lost_stage_id', stage.id),
                             ('lost_stage_group_id', stage.group_id.id), ('probability_is_manual', False),
                             ('probability_manual_uid', self.colleague.id),
                             ('probability_manual_date', '2020-01-01 00:00:00')]:
            fields = self.FIELDS + ['probability_is_manual', 'probability_manual_uid', 'probability_manual_date',
                                    'lost_stage_group_id']
            self.assertRefused(lambda: lead.write({fname: value}), lead, fields, message='nobody can write it')
            forged = value if value is not False else True
            self.assertRefused(lambda: self.Leads.create({'name': 'Forged', 'type': 'opportunity', fname: forged}),
                               lead, fields, message='nobody can write it')
            self.assertRefused(lambda: lead.copy({fname: forged}), lead, fields, message='nobody can write it')
        result = self.Leads.load(['name', 'lost_amount'], [['Imported forged loss', '99']])
        self.assertFalse(result['ids'])
        self.assertIn('nobody can write it', ' '.join(message['message'] for message in result['messages']))

    def test_forecast_category_override_bookkeeping_is_not_writable(self):
        lead = self.deal()
        lead.write({'forecast_category': 'commit'})
        self.assertEqual((lead.forecast_category_manual, lead.forecast_category_manual_uid), ('commit', self.rep))
        fields = ['forecast_category', 'forecast_category_manual', 'forecast_category_manual_uid',
                  'forecast_category_manual_date']
        for fname, value in [('forecast_category_manual', 'best_case'),
                             ('forecast_category_manual_uid', self.colleague.id),
                             ('forecast_category_manual_date', '2020-01-01 00:00:00')]:
            self.assertRefused(lambda: lead.write({fname: value}), lead, fields, message='nobody can write it')
            self.assertRefused(lambda: lead.write({'forecast_category': 'pipeline', fname: value}), lead, fields,
                               message='nobody can write it')
            self.assertRefused(lambda: self.Leads.create({'name': 'Forged', 'type': 'opportunity', fname: value}),
                               lead, fields, message='nobody can write it')
            self.assertRefused(lambda: lead.copy({fname: value}), lead, fields, message='nobody can write it')
        result = self.Leads.load(['name', 'forecast_category_manual_uid/.id'],
                                 [['Imported forged call', str(self.colleague.id)]])
        self.assertFalse(result['ids'])
        self.assertIn('nobody can write it', ' '.join(message['message'] for message in result['messages']))
        # the field itself is how a rep (or an import) sets it, and the reset clears who and when
        lead.action_reset_forecast_category()
        self.assertFalse(lead.forecast_category_manual_uid)

    def test_probability_values(self):
        lead = self.deal()
        for value in ('abc', '50', [50], 150, -1, float('nan')):
            self.assertRefused(lambda: lead.write({'probability': value}), lead, ['probability'],
                               error=ValidationError)
            self.assertRefused(lambda: self.Leads.create({'name': 'Text probability', 'probability': value}),
                               lead, ['probability'], error=ValidationError)
        lead.write({'probability': 55})
        self.assertEqual(lead.probability, 55.0)


class TestInternalFlags(IntegrityCase):
    """No context key changes the module's behaviour for a caller: only its own code raises its flags."""

    def test_context_keys_from_a_client_change_nothing(self):
        quote_stage = self.env.ref('impact_crm.stage_quote')
        order_stage = self.env.ref('impact_crm.stage_order')
        lead = self.Leads.create({'name': 'Flags deal', 'type': 'opportunity', 'user_id': self.rep.id,
                                  'stage_id': quote_stage.id})
        # "keep probability": a stage change still takes the new stage's probability
        lead.with_context(impact_keep_probability=True).write({'stage_id': order_stage.id})
        self.assertEqual(lead.probability, order_stage.probability)
        self.assertFalse(lead.probability_is_manual)
        # "probability reset": a rep's probability is still recorded as his override
        lead.with_context(impact_probability_reset=True).write({'probability': 12})
        self.assertTrue(lead.probability_is_manual)
        self.assertEqual(lead.probability_manual_uid, self.rep)
        # "lost flow": the Lost stage still needs the lost flow
        lost = self.env['crm.stage'].search([('is_lost', '=', True)], limit=1)
        self.assertRefused(lambda: lead.with_context(impact_lost_flow=True).write({'stage_id': lost.id}),
                           lead, ['stage_id', 'active'], message='Mark Lost')
        self.assertRefused(lambda: lead.with_context(impact_lost_flow=True).write({'lost_date': '2020-01-01'}),
                           lead, ['lost_date'], message='nobody can write it')
        # "no automatic opportunity": a quotation without opportunity still gets one
        quote = self.Orders.with_context(impact_no_auto_opportunity=True).create({'partner_id': self.partner.id})
        self.assertTrue(quote.opportunity_id)
        # the stage rules' guard: rules still fire
        rule = self.env['crm.stage.rule'].create({
            'stage_id': order_stage.id, 'summary': 'Flags: call the client',
            'activity_type_id': self.env['mail.activity.type'].search([], limit=1).id})
        other = self.Leads.create({'name': 'Flags deal 2', 'type': 'opportunity', 'user_id': self.rep.id,
                                   'stage_id': quote_stage.id})
        other.with_context(impact_stage_rule_running=True).write({'stage_id': order_stage.id})
        activities = self.env['mail.activity'].search([('res_model', '=', 'crm.lead'), ('res_id', '=', other.id),
                                                       ('summary', '=', rule.summary)])
        self.assertEqual(len(activities), 1)

    def test_workbook_granularity_is_whitelisted(self):
        wizard = self.env['crm.forecast.workbook'].sudo(self.rep).create({'granularity': 'month'})
        self.cr.execute("UPDATE crm_forecast_workbook SET granularity = %s WHERE id = %s",
                        ["month', now()) --", wizard.id])
        wizard.invalidate_cache()
        with self.assertRaises(ValidationError):
            wizard._read(['user_id'])


# models the add-on defines that carry no deal data (configuration): they need no record rule
CONFIGURATION_MODELS = ('crm.stage.group', 'crm.lost.criterion', 'crm.lead.role', 'crm.stage.rule')
DEAL_MODELS = ('crm.lead', 'sale.order', 'sale.order.line', 'account.invoice', 'crm.lead.contact',
               'crm.activity.log', 'res.partner')


class TestRecordRules(IntegrityCase):

    @classmethod
    def setUpClass(cls):
        super(TestRecordRules, cls).setUpClass()
        Lead = cls.env['crm.lead'].with_context(mail_create_nosubscribe=True)
        cls.own = Lead.create({'name': 'Rules own deal', 'type': 'opportunity', 'user_id': cls.rep.id,
                               'planned_revenue': 100, 'partner_id': cls.partner.id})
        cls.foreign = Lead.create({'name': 'Rules colleague deal', 'type': 'opportunity',
                                   'user_id': cls.colleague.id, 'planned_revenue': 200})
        person = cls.env['res.partner'].create({'name': 'Architect Integrity', 'parent_id': cls.partner.id})
        cls.own_person = cls.env['crm.lead.contact'].create({'lead_id': cls.own.id, 'partner_id': person.id})
        cls.foreign_person = cls.env['crm.lead.contact'].create({'lead_id': cls.foreign.id,
                                                                 'partner_id': person.id})
        todo = cls.env['mail.activity.type'].search([], limit=1)
        Log = cls.env['crm.activity.log']
        cls.own_log = Log.create({'lead_id': cls.own.id, 'summary': 'Own call', 'activity_type_id': todo.id,
                                  'user_id': cls.rep.id, 'res_model': 'crm.lead', 'res_id': cls.own.id})
        cls.foreign_log = Log.create({'lead_id': cls.foreign.id, 'summary': 'Colleague call',
                                      'activity_type_id': todo.id, 'user_id': cls.colleague.id,
                                      'res_model': 'crm.lead', 'res_id': cls.foreign.id})

    def carries_deal_data(self, model):
        for field in self.env[model]._fields.values():
            if field.type in ('many2one', 'one2many', 'many2many') and field.comodel_name in DEAL_MODELS:
                return True
            if field.type in ('float', 'monetary') and ('amount' in field.name or 'revenue' in field.name):
                return True
        return False

    def test_every_model_carrying_deal_data_has_rules(self):
        # the models the add-on defines (not those it extends): only impact_crm names them
        self.cr.execute("""SELECT res_id FROM ir_model_data WHERE model = 'ir.model'
                           GROUP BY res_id HAVING bool_and(module = 'impact_crm')""")
        models = self.env['ir.model'].browse([row[0] for row in self.cr.fetchall()]).filtered(
            lambda model: not model.transient and not self.env[model.model]._abstract)
        self.assertGreater(len(models), 10)
        deal_models = [model.model for model in models if self.carries_deal_data(model.model)]
        self.assertGreater(len(deal_models), 10)
        without = []
        for model in deal_models:
            if model in CONFIGURATION_MODELS:
                continue
            rules = self.env['ir.rule'].search([('model_id.model', '=', model)])
            can_read = self.env[model].sudo(self.rep).check_access_rights('read', raise_exception=False)
            # what a sales user reads is restricted by a rule that applies to him; what only managers and
            # accountants read is at least restricted to their companies
            restricting = self.env['ir.rule'].sudo(self.rep)._compute_domain(model, 'read') if can_read else \
                rules.filtered('global')
            if not rules or not restricting:
                without.append(model)
        self.assertEqual(without, [])
        for model in ('crm.lead.contact', 'crm.activity.log', 'crm.activity.sla.report',
                      'crm.lead.contact.report', 'sale.fiscal.number'):
            self.assertIn(model, deal_models)

    def test_a_rep_sees_and_touches_only_the_people_and_activities_of_his_deals(self):
        Contacts = self.env['crm.lead.contact'].sudo(self.rep)
        self.assertIn(self.own_person, Contacts.search([]))
        self.assertNotIn(self.foreign_person, Contacts.search([]))
        with self.assertRaises(AccessError):
            self.foreign_person.sudo(self.rep).read(['partner_id', 'won_amount'])
        self.assertRefused(lambda: self.foreign_person.sudo(self.rep).unlink(), self.foreign_person,
                           ['lead_id', 'partner_id'], error=AccessError)
        newcomer = self.env['res.partner'].create({'name': 'Engineer Integrity'})
        count = self.env['crm.lead.contact'].search_count([])
        self.assertRefused(lambda: Contacts.create({'lead_id': self.foreign.id, 'partner_id': newcomer.id}),
                           self.foreign, ['contact_ids'], error=AccessError)
        self.assertEqual(self.env['crm.lead.contact'].search_count([]), count)
        Logs = self.env['crm.activity.log'].sudo(self.rep)
        self.assertEqual(Logs.search([('id', 'in', (self.own_log | self.foreign_log).ids)]), self.own_log)
        self.assertRefused(lambda: Logs.create({'lead_id': self.foreign.id, 'summary': 'Not mine'}),
                           self.foreign, ['activity_log_ids'], error=AccessError)
        # the reports over them
        sla = self.env['crm.activity.sla.report'].sudo(self.rep).search(
            [('lead_id', 'in', (self.own | self.foreign).ids)])
        self.assertEqual(set(sla.mapped('lead_id').ids), {self.own.id})
        people = self.env['crm.lead.contact.report'].sudo(self.rep).search(
            [('lead_id', 'in', (self.own | self.foreign).ids)])
        self.assertEqual(set(people.mapped('lead_id').ids), {self.own.id})
        # "all documents" sees both
        people = self.env['crm.lead.contact.report'].sudo(self.rep_all).search(
            [('lead_id', 'in', (self.own | self.foreign).ids)])
        self.assertEqual(set(people.mapped('lead_id').ids), {self.own.id, self.foreign.id})

    def test_customer_history_respects_rules_and_is_empty_for_portal(self):
        mine = self.quotation(qty=2)
        mine.action_confirm()
        theirs = self.quotation(qty=5, user=self.colleague)
        theirs.action_confirm()
        partner = self.partner
        partner.invalidate_cache()
        self.assertEqual(partner.sudo(self.rep_all).history_order_count, 2)
        partner.invalidate_cache()
        self.assertEqual(partner.sudo(self.rep).history_order_count, 1)
        self.assertEqual(partner.sudo(self.rep).history_amount_ordered, mine.amount_total)
        # a portal user of the customer, reading his own company's partner
        portal_partner = self.portal.partner_id
        portal_partner.sudo().write({'parent_id': partner.id})
        partner.invalidate_cache()
        history = partner.sudo(self.portal).read(['history_order_count', 'history_amount_ordered',
                                                  'history_win_rate', 'history_top_products'])[0]
        self.assertEqual((history['history_order_count'], history['history_amount_ordered']), (0, 0.0))
        self.assertFalse(history['history_top_products'])
