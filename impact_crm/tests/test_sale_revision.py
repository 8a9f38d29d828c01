import psycopg2

from odoo.exceptions import AccessError, UserError
from odoo.tests.common import SavepointCase
from odoo.tools import mute_logger


class TestSaleRevisionCommon(SavepointCase):

    @classmethod
    def setUpClass(cls):
        super(TestSaleRevisionCommon, cls).setUpClass()
        cls.partner = cls.env['res.partner'].create({'name': 'Harbour Towers Ltd', 'customer': True})
        cls.product = cls.env['product.product'].create({
            'name': 'Curtain wall m2', 'list_price': 250.0, 'type': 'service'})
        cls.opportunity = cls.env['crm.lead'].create({
            'name': 'Harbour Towers: curtain wall', 'type': 'opportunity', 'partner_id': cls.partner.id})
        cls.seq = cls.env.ref('impact_crm.seq_sale_order_fiscal')

    def _order(self, qty=10):
        return self.env['sale.order'].create({
            'partner_id': self.partner.id,
            'opportunity_id': self.opportunity.id,
            'order_line': [(0, 0, {'product_id': self.product.id, 'product_uom_qty': qty})],
        })

    def _revise(self, order):
        action = order.action_new_revision()
        return self.env['sale.order'].browse(action['res_id'])


class TestSaleRevision(TestSaleRevisionCommon):

    def test_revision_chain(self):
        first = self._order(qty=10)
        base = first.quote_base_number
        self.assertTrue(base)
        self.assertEqual(first.revision, 1)
        self.assertEqual(first.name, '%s-1' % base)
        self.assertEqual(first.quote_number, '%s-1' % base)
        self.assertTrue(first.is_latest_revision)

        second = self._revise(first)
        second.order_line.write({'product_uom_qty': 12})
        third = self._revise(second)
        self.assertEqual([second.name, third.name], ['%s-2' % base, '%s-3' % base])
        self.assertEqual(third.previous_revision_id, second)
        # content copied
        self.assertEqual(third.partner_id, self.partner)
        self.assertEqual(third.opportunity_id, self.opportunity)
        self.assertEqual(third.order_line.mapped('product_id'), self.product)
        self.assertEqual(third.order_line.product_uom_qty, 12)
        self.assertEqual(first.order_line.product_uom_qty, 10)
        # old ones locked, marked revised, not cancelled
        for old in (first, second):
            self.assertFalse(old.is_latest_revision)
            self.assertTrue(old.revised_date)
            self.assertEqual(old.state, 'draft')
            self.assertEqual(old.revision_ids, first | second | third)
            self.assertEqual(old.revision_count, 3)
            with self.assertRaises(UserError):
                old.write({'note': 'changed'})
            with self.assertRaises(UserError):
                old.action_confirm()
            with self.assertRaises(UserError):
                old.action_quotation_send()
            with self.assertRaises(UserError):
                old.action_new_revision()
            with self.assertRaises(UserError):
                old.action_cancel()
        self.assertTrue(third.is_latest_revision)
        self.assertIn(third, self.opportunity.order_ids)
        # the chatter stays usable on an earlier revision
        first.message_post(body='customer called about revision 1')
        # the latest one can be confirmed
        third.action_confirm()
        self.assertEqual(third.state, 'sale')

    def test_unique_revision_constraint(self):
        first = self._order()
        second = self._revise(first)
        with self.assertRaises(psycopg2.IntegrityError), mute_logger('odoo.sql_db'):
            with self.env.cr.savepoint():
                self.env.cr.execute("UPDATE sale_order SET revision = 1 WHERE id = %s", [second.id])

    def test_duplicate_is_new_quotation(self):
        first = self._order()
        first.action_confirm()
        dup = first.copy()
        self.assertNotEqual(dup.quote_base_number, first.quote_base_number)
        self.assertEqual(dup.revision, 1)
        self.assertFalse(dup.fiscal_number)
        self.assertEqual(dup.state, 'draft')
        self.assertEqual(dup.name, '%s-1' % dup.quote_base_number)

    def test_delete_rules(self):
        lone = self._order()
        lone.unlink()
        first = self._order()
        second = self._revise(first)
        with self.assertRaises(UserError):
            second.unlink()
        (first | second).unlink()
        self.assertFalse((first | second).exists())

    def test_protected_fields_refused_even_for_admin(self):
        order = self._order()
        order.action_confirm()
        number = order.fiscal_number
        self.assertTrue(number)
        for vals in ({'fiscal_number': 'SO/FAKE/1'}, {'fiscal_number': False}, {'revision': 9},
                     {'quote_base_number': '9999'}, {'is_latest_revision': False}):
            with self.assertRaises(UserError):
                order.sudo().write(vals)
            with self.assertRaises(UserError):
                # the names of the module's own internal flags, sent as a client would: no effect
                order.sudo().with_context(impact_internal_write=True, impact_confirming=True).write(vals)
        with self.assertRaises(UserError):
            self.env['sale.order'].sudo().create({'partner_id': self.partner.id, 'fiscal_number': 'SO/FAKE/2'})
        with self.assertRaises(UserError):
            self.env['sale.fiscal.number'].sudo().search([('name', '=', number)]).write({'name': 'x'})
        with self.assertRaises(UserError):
            self.env['sale.fiscal.number'].sudo().search([('name', '=', number)]).unlink()
        self.assertEqual(order.fiscal_number, number)


class TestFiscalNumber(TestSaleRevisionCommon):

    def _next_expected(self):
        self.env.cr.execute("SELECT max(number) FROM sale_fiscal_number WHERE sequence_id = %s", [self.seq.id])
        last = self.env.cr.fetchone()[0]
        return self.seq.get_next_char(last + 1 if last else self.seq.number_next)

    def test_fiscal_number_assigned_once(self):
        order = self._order()
        self.assertFalse(order.fiscal_number)
        expected = self._next_expected()
        order.action_confirm()
        self.assertEqual(order.fiscal_number, expected)
        self.assertEqual(order.name, '%s (%s)' % (expected, order.quote_number))
        ledger = self.env['sale.fiscal.number'].search([('name', '=', expected)])
        self.assertEqual(ledger.order_id, order)
        # back to quotation and confirm again; cancel, draft, confirm again
        order.action_cancel()
        order.action_draft()
        order.action_confirm()
        order.action_cancel()
        order.action_draft()
        order.action_confirm()
        self.assertEqual(order.fiscal_number, expected)
        self.assertEqual(self.env['sale.fiscal.number'].search_count([('order_id', '=', order.id)]), 1)
        # the next order gets the next number
        other = self._order()
        other.action_confirm()
        self.assertEqual(other.fiscal_number, self.seq.get_next_char(ledger.number + 1))

    def test_confirmation_messages_carry_the_numbered_name(self):
        """The number is taken after the confirmation's own write (so that the sequence is locked only for the
        end of the transaction): the message that write posts still carries the order's numbered name."""
        confirmed = self.env.ref('sale.mt_order_confirmed')
        for qty in (1, 2):
            order = self._order(qty=qty)
            expected = self._next_expected()
            order.action_confirm()
            self.assertEqual(order.fiscal_number, expected)
            self.assertEqual(order.name, '%s (%s)' % (expected, order.quote_number))
            message = order.message_ids.filtered(lambda m: m.subtype_id == confirmed)
            self.assertEqual(len(message), 1)
            self.assertEqual(message.record_name, order.name)
            self.assertEqual(order.message_ids.filtered(lambda m: m.subtype_id != confirmed).mapped('record_name'),
                             [order.quote_number] * (len(order.message_ids) - 1))
        self.env.cr.execute("SELECT count(*) FROM sale_order WHERE fiscal_number = '/'")
        self.assertEqual(self.env.cr.fetchone()[0], 0)

    def test_what_follows_the_number_sees_it(self):
        """What Odoo's confirmation does after its state's write runs once the order is numbered (the
        products' expense policy and the deal's stage group are read before the number, to keep the fiscal
        sequence locked for less time): the analytic account of an order with an expensed product is named
        after the numbered order."""
        self.product.expense_policy = 'cost'
        order = self._order()
        expected = self._next_expected()
        order.action_confirm()
        self.assertEqual(order.fiscal_number, expected)
        self.assertTrue(order.analytic_account_id)
        self.assertEqual(order.analytic_account_id.name, order.name)
        self.assertEqual(order.name, '%s (%s)' % (expected, order.quote_number))

    def test_delete_with_fiscal_number_refused(self):
        order = self._order()
        order.action_confirm()
        order.action_cancel()
        with self.assertRaises(UserError):
            order.unlink()
        self.assertTrue(order.exists())

    def test_revise_confirmed_order_keeps_fiscal_number(self):
        order = self._order(qty=5)
        order.action_confirm()
        number = order.fiscal_number
        second = self._revise(order)
        self.assertEqual(second.fiscal_number, number)
        self.assertEqual(second.name, '%s (%s-2)' % (number, order.quote_base_number))
        self.assertEqual(order.state, 'sale')
        self.assertFalse(order.is_latest_revision)
        with self.assertRaises(UserError):
            order.write({'note': 'x'})
        second.order_line.write({'product_uom_qty': 7})
        second.action_confirm()
        self.assertEqual(second.fiscal_number, number)
        self.assertEqual(self.env['sale.fiscal.number'].search_count([('name', '=', number)]), 1)
        self.assertEqual(self.env['sale.fiscal.number'].get_numbering_issues(order.company_id.id), [])

    def test_revise_invoiced_order_refused(self):
        self.product.invoice_policy = 'order'
        order = self._order()
        order.action_confirm()
        order.action_invoice_create()
        self.assertTrue(order.invoice_ids)
        with self.assertRaises(UserError):
            order.action_new_revision()

    def test_rollback_frees_the_number(self):
        order = self._order()
        expected = self._next_expected()
        with self.assertRaises(UserError):
            with self.env.cr.savepoint():
                order.action_confirm()
                self.assertEqual(order.fiscal_number, expected)
                # a stand-in for any later error, never shown to a user
                raise UserError("a later step failed")  # pylint: disable=translation-required
        order.invalidate_cache()
        self.assertFalse(order.fiscal_number)
        self.assertEqual(order.state, 'draft')
        other = self._order()
        other.action_confirm()
        self.assertEqual(other.fiscal_number, expected)

    def test_number_taken_meanwhile_is_skipped(self):
        """A number the ledger refuses (as one committed by another confirmation after this transaction's
        snapshot began: here a ledger row of that name the highest-number read does not count) is skipped
        inside the ledger's savepoint: the order gets the next one and the transaction goes on."""
        order = self._order()
        expected = self._next_expected()
        self.env.cr.execute("""INSERT INTO sale_fiscal_number (name, number, sequence_id, company_id, is_legacy)
                               VALUES (%s, NULL, %s, %s, false)""", [expected, self.seq.id, order.company_id.id])
        self.env.cr.execute("SELECT max(number) FROM sale_fiscal_number WHERE sequence_id = %s", [self.seq.id])
        last = self.env.cr.fetchone()[0]
        with mute_logger('odoo.sql_db'):
            order.action_confirm()
        self.assertEqual(order.fiscal_number, self.seq.get_next_char((last or self.seq.number_next - 1) + 2))
        self.assertEqual(order.state, 'sale')
        self.env.cr.execute("SELECT count(*) FROM sale_fiscal_number WHERE order_id = %s", [order.id])
        self.assertEqual(self.env.cr.fetchone()[0], 1)
        order.invalidate_cache()
        self.assertEqual(order.message_ids.filtered(
            lambda m: m.subtype_id == self.env.ref('sale.mt_order_confirmed')).record_name, order.name)

    def test_gap_check_catches_tampering(self):
        orders = self._order() | self._order() | self._order()
        for order in orders:
            order.action_confirm()
        Ledger = self.env['sale.fiscal.number']
        self.assertEqual(Ledger.get_numbering_issues(orders[0].company_id.id), [])
        middle = Ledger.search([('order_id', '=', orders[1].id)])
        # by hand in SQL: the middle number disappears, the last one is duplicated on another order
        self.env.cr.execute("DELETE FROM sale_fiscal_number WHERE id = %s", [middle.id])
        self.env.cr.execute("UPDATE sale_order SET fiscal_number = %s WHERE id = %s",
                            [orders[2].fiscal_number, orders[1].id])
        self.env['sale.order'].invalidate_cache()
        issues = Ledger.get_numbering_issues(orders[0].company_id.id)
        kinds = sorted(issue['type'] for issue in issues)
        self.assertIn('gap', kinds)
        self.assertIn('duplicate', kinds)
        gap = [i for i in issues if i['type'] == 'gap'][0]
        self.assertEqual(gap['fiscal_number'], orders[2].fiscal_number)
        self.assertEqual(gap['missing'], 1)
        report = self.env['sale.fiscal.number.report'].search([('fiscal_number', '=', orders[2].fiscal_number)])
        self.assertEqual(report.gap_before, 1)
        self.assertTrue(report.is_duplicate)
        # the wizard shows it loudly
        wizard = self.env['sale.fiscal.numbering.check'].create({'company_id': orders[0].company_id.id})
        wizard.action_check()
        self.assertEqual(wizard.issue_count, len(issues))
        self.assertIn('alert-danger', wizard.result)

    def test_access_accountant_and_salesman(self):
        order = self._order()
        order.action_confirm()
        Users = self.env['res.users'].with_context(no_reset_password=True)
        accountant = Users.create({
            'name': 'Accountant', 'login': 'acc_i4', 'email': 'acc_i4@example.com',
            'groups_id': [(6, 0, [self.env.ref('account.group_account_invoice').id,
                                  self.env.ref('base.group_user').id])]})
        salesman = Users.create({
            'name': 'Rep', 'login': 'rep_i4', 'email': 'rep_i4@example.com',
            'groups_id': [(6, 0, [self.env.ref('sales_team.group_sale_salesman').id])]})
        self.assertFalse(accountant.has_group('sales_team.group_sale_manager'))
        rows = self.env['sale.fiscal.number.report'].sudo(accountant).search_read(
            [('fiscal_number', '=', order.fiscal_number)], ['fiscal_number', 'partner_id', 'amount_total', 'state'])
        self.assertEqual(rows[0]['partner_id'][0], self.partner.id)
        self.assertEqual(rows[0]['amount_total'], order.amount_total)
        self.assertEqual(rows[0]['state'], 'sale')
        wizard = self.env['sale.fiscal.numbering.check'].sudo(accountant).create({})
        wizard.action_check()
        self.assertEqual(self.env['sale.fiscal.number'].sudo(accountant).get_numbering_issues(), [])
        menu = self.env.ref('impact_crm.sale_fiscal_number_report_menu')
        self.assertIn(menu, self.env['ir.ui.menu'].sudo(accountant).search([('id', '=', menu.id)]))
        with self.assertRaises(UserError):
            order.sudo(accountant).write({'fiscal_number': 'X'})
        # sales rep: works with quotations and revisions, cannot see the accountants' list nor touch numbers
        quote = self.env['sale.order'].sudo(salesman).create({
            'partner_id': self.partner.id, 'user_id': salesman.id,
            'order_line': [(0, 0, {'product_id': self.product.id, 'product_uom_qty': 1})]})
        revised = self.env['sale.order'].sudo(salesman).browse(quote.action_new_revision()['res_id'])
        revised.action_confirm()
        self.assertTrue(revised.fiscal_number)
        with self.assertRaises(AccessError):
            self.env['sale.fiscal.number.report'].sudo(salesman).search([])
        with self.assertRaises(UserError):
            revised.write({'fiscal_number': False})


class TestExistingOrdersAtInstall(SavepointCase):

    def test_existing_orders_keep_their_names(self):
        # Odoo's demo orders existed before impact_crm was installed
        Ledger = self.env['sale.fiscal.number']
        legacy = Ledger.search([('is_legacy', '=', True)])
        self.assertTrue(legacy)
        for entry in legacy:
            order = entry.order_id
            self.assertEqual(order.fiscal_number, order.name)
            self.assertEqual(entry.name, order.name)
            self.assertEqual((order.quote_base_number, order.revision), (order.name, 1))
        # impact_crm's own demo quotations are numbered by the module: only Odoo's existed before it
        odoo_demo = self.env['ir.model.data'].search([('module', '=', 'sale'), ('model', '=', 'sale.order')])
        quotes = self.env['sale.order'].search([('state', 'in', ('draft', 'sent')),
                                                ('id', 'in', odoo_demo.mapped('res_id')),
                                                ('id', 'not in', legacy.mapped('order_id').ids)])
        self.assertTrue(quotes)
        for quote in quotes:
            self.assertEqual(quote.quote_number, '%s-1' % quote.name)
            self.assertFalse(quote.fiscal_number)
        self.assertEqual(Ledger.get_numbering_issues(), [])


class TestRevisedOrdersCountOnce(TestSaleRevisionCommon):

    def test_earlier_revision_not_to_invoice_nor_in_analysis(self):
        self.product.invoice_policy = 'order'
        order = self._order(qty=3)
        order.action_confirm()
        self.assertEqual(order.invoice_status, 'to invoice')
        second = self._revise(order)
        second.action_confirm()
        self.assertEqual(order.invoice_status, 'no')
        self.assertEqual(second.invoice_status, 'to invoice')
        rows = self.env['sale.report'].read_group(
            [('name', 'in', [order.name, second.name])], ['product_uom_qty', 'name'], ['name'])
        self.assertEqual([(row['name'], row['product_uom_qty']) for row in rows], [(second.name, 3.0)])

    def test_install_step_on_orders_without_numbers(self):
        from ..hooks import _impact_number_existing_orders
        partner = self.env['res.partner'].create({'name': 'Old Customer'})
        old = self.env['sale.order']
        for _i in range(2):
            old |= self.env['sale.order'].create({'partner_id': partner.id})
        # as before the installation: names chosen by Odoo's sequence, and no database check yet
        self.env.cr.execute("ALTER TABLE sale_order DROP CONSTRAINT sale_order_confirmed_has_fiscal_number")
        self.env.cr.execute("""UPDATE sale_order SET name = 'OLD/0042', quote_base_number = NULL, revision = 0,
                                      state = 'sale', confirmation_date = now() WHERE id = %s""", [old[0].id])
        self.env.cr.execute("""UPDATE sale_order SET name = 'OLD/0042', quote_base_number = NULL, revision = 0
                               WHERE id = %s""", [old[1].id])
        old.invalidate_cache()
        _impact_number_existing_orders(self.env)
        old.invalidate_cache()
        self.assertEqual(old.mapped('name'), ['OLD/0042', 'OLD/0042'])
        self.assertEqual(old.mapped('quote_number'), ['OLD/0042-1', 'OLD/0042.2-1'])
        self.assertEqual(old[0].fiscal_number, 'OLD/0042')
        self.assertFalse(old[1].fiscal_number)
        entry = self.env['sale.fiscal.number'].search([('order_id', '=', old[0].id)])
        self.assertTrue(entry.is_legacy)
        # every confirmed order has its number: the database check is back
        self.env.cr.execute("SELECT 1 FROM pg_constraint WHERE conname = 'sale_order_confirmed_has_fiscal_number'")
        self.assertTrue(self.env.cr.fetchone())
