from odoo.tests.common import SavepointCase


class TestPlatform(SavepointCase):
    """The ground everything stands on: a lead becomes an opportunity and is quoted."""

    @classmethod
    def setUpClass(cls):
        super(TestPlatform, cls).setUpClass()
        cls.partner = cls.env['res.partner'].create({'name': 'Tower B Developers Ltd'})
        cls.product = cls.env['product.product'].create({
            'name': 'Facade glazing m2', 'list_price': 300.0, 'type': 'service'})

    def test_module_installed(self):
        module = self.env['ir.module.module'].search([('name', '=', 'impact_crm')])
        self.assertEqual(module.state, 'installed')

    def test_lead_to_opportunity_to_quotation(self):
        lead = self.env['crm.lead'].create({
            'name': 'Tower B, Haifa: facade glazing', 'type': 'lead',
            'contact_name': 'Dana Levi', 'phone': '+972 4 555 0101'})
        self.assertEqual(lead.type, 'lead')
        lead.convert_opportunity(self.partner.id)
        self.assertEqual(lead.type, 'opportunity')
        self.assertEqual(lead.partner_id, self.partner)
        order = self.env['sale.order'].create({
            'partner_id': self.partner.id,
            'opportunity_id': lead.id,
            'order_line': [(0, 0, {'product_id': self.product.id, 'product_uom_qty': 100})],
        })
        self.assertEqual(order.amount_untaxed, 30000.0)
        self.assertEqual(lead.sale_number, 1)
        self.assertIn(order, lead.order_ids)
        order.action_confirm()
        self.assertEqual(order.state, 'sale')
        self.assertEqual(lead.sale_amount_total, order.amount_total)
