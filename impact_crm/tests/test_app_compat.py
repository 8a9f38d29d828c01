"""Odoo's other apps next to the add-on's revisions: what an order's confirmation sets off outside the order.

With Inventory (sale_stock), Timesheets (sale_timesheet), Events (event_sale) or Expenses (sale_expense)
installed, confirming an order makes records linked to the order or its lines: a delivery, a project and tasks,
event registrations, re-invoiced costs. A new revision of such an order used to be allowed: those records stayed
linked to the earlier revision, which is read-only, so that validating its delivery, logging time on its task or
posting a cost on its analytic account failed ("... is an earlier revision ... cannot be changed"), and confirming
the new revision made them a second time (two deliveries, two projects, the attendees registered twice). An order
that set something off is no longer revised, as an invoiced one is not (sale.order._impact_follow_ups finds such
records from the registry, for any installed app).

Only Odoo's sale is needed here: its re-invoicing of costs (the path sale_expense and vendor bills take) links
analytic lines to the order's lines, and a service's delivered quantity is set by hand.
"""
from odoo.exceptions import UserError
from odoo.tests.common import SavepointCase


class TestAppCompat(SavepointCase):

    @classmethod
    def setUpClass(cls):
        super(TestAppCompat, cls).setUpClass()
        cls.partner = cls.env['res.partner'].create({'name': 'Dune Logistics Ltd', 'customer': True})
        cls.service = cls.env['product.product'].create({
            'name': 'Facade survey', 'type': 'service', 'list_price': 900.0, 'invoice_policy': 'delivery',
            'service_type': 'manual'})
        cls.cost = cls.env['product.product'].create({
            'name': 'Crane rental', 'type': 'service', 'list_price': 0.0, 'standard_price': 400.0,
            'invoice_policy': 'delivery', 'expense_policy': 'cost'})

    def _order(self, *products):
        return self.env['sale.order'].create({
            'partner_id': self.partner.id,
            'order_line': [(0, 0, {'product_id': product.id, 'product_uom_qty': 1}) for product in products],
        })

    def _revise(self, order):
        return self.env['sale.order'].browse(order.action_new_revision()['res_id'])

    def _post_cost(self, order):
        return self.env['account.analytic.line'].create({
            'name': 'Crane, two days', 'account_id': order.analytic_account_id.id, 'product_id': self.cost.id,
            'product_uom_id': self.cost.uom_id.id, 'unit_amount': 2.0, 'amount': -800.0})

    def test_confirmed_order_without_follow_ups_is_revised(self):
        order = self._order(self.service)
        order.action_confirm()
        # its own lines and its ledger entry are not follow-ups
        self.assertTrue(self.env['sale.fiscal.number'].search([('order_id', '=', order.id)]))
        self.assertEqual(order._impact_follow_ups(), {})
        second = self._revise(order)
        second.action_confirm()
        self.assertEqual(second.fiscal_number, order.fiscal_number)

    def test_reinvoiced_cost_blocks_the_revision(self):
        # the root cause, as sale_expense and vendor bills hit it: a cost posted on the order's analytic account
        # is linked to a line of the order (account.analytic.line.so_line)
        order = self._order(self.service, self.cost)
        order.action_confirm()
        self.assertTrue(order.analytic_account_id)
        cost = self._post_cost(order)
        self.assertEqual(cost.so_line.order_id, order)
        # (the re-invoiced line also has the cost's quantity as delivered)
        self.assertIn(cost._description, order._impact_follow_ups())
        with self.assertRaises(UserError) as refused:
            order.action_new_revision()
        self.assertIn(order.name, refused.exception.name)
        self.assertTrue(order.is_latest_revision)
        # the order goes on taking costs, as before the revision was asked
        self._post_cost(order)
        self.assertEqual(len(order.order_line.filtered(lambda line: line.product_id == self.cost)), 3)

    def test_delivered_quantity_blocks_the_revision(self):
        order = self._order(self.service)
        order.action_confirm()
        order.order_line.write({'qty_delivered': 1.0})
        with self.assertRaises(UserError):
            order.action_new_revision()

    def test_cancelled_order_set_back_to_quotation_is_revised(self):
        # a cancelled order's deliveries and registrations are cancelled with it (sale_stock, event_sale); one
        # without follow-ups goes back to quotation and is revised, keeping its fiscal number
        order = self._order(self.service)
        order.action_confirm()
        order.action_cancel()
        order.action_draft()
        second = self._revise(order)
        self.assertEqual(second.fiscal_number, order.fiscal_number)

    def test_parts_of_the_order_a_copy_takes_along_are_no_follow_ups(self):
        """What a list of the order or of its lines holds and a copy copies (the lines; with OCA's sale_commission,
        each line's agents, made with the line) goes with the revision: such an order, quotation or confirmed, is
        revised."""
        order = self._order(self.service)
        owned = [(parent, name) for parent in ('sale.order', 'sale.order.line')
                 for name, field in self.env[parent]._fields.items()
                 if field.type == 'one2many' and field.copy and field.inverse_name]
        self.assertIn(('sale.order', 'order_line'), owned)
        self.assertEqual(order._impact_follow_ups(), {})
        if 'agents' in self.env['sale.order.line']._fields:   # sale_commission installed (make test's compat run)
            agent = self.env['res.partner'].create({
                'name': 'Agent Dune', 'agent': True, 'commission': self.env['sale.commission'].create({
                    'name': 'Dune 5%', 'fix_qty': 5.0}).id})
            order.order_line.write({'agents': [(0, 0, {'agent': agent.id, 'commission': agent.commission.id})]})
            self.assertTrue(order.order_line.agents)
            order.action_confirm()
            self.assertEqual(order._impact_follow_ups(), {})
            second = self._revise(order)
            self.assertTrue(second.order_line.agents)
