"""The reports over deals and orders, read by another company's users and by sales users.

Odoo 11 lets every company's users read every deal; the add-on binds deals to their company (the README's
"Access rights", multi-company). Odoo's own activity analysis of the deals (crm.activity.report: the deal, its
customer, salesperson, stage and probability, the activity's subject) must then be bound to the deal's company
too, as Odoo binds its opportunity analysis. And a quotation's older revisions, which the add-on keeps, count in
no sales report: only the latest revision of each quotation does (as in Odoo's sales analysis, sale.report).
"""
from odoo.tests.common import SavepointCase


class TestReportRules(SavepointCase):

    @classmethod
    def setUpClass(cls):
        super(TestReportRules, cls).setUpClass()
        Users = cls.env['res.users'].with_context(no_reset_password=True, mail_create_nosubscribe=True)
        cls.company_a = cls.env.user.company_id
        cls.company_b = cls.env['res.company'].create({'name': 'Audit Reports B Ltd'})

        def user(login, company, *groups):
            return Users.create({
                'name': login.replace('_', ' ').title(), 'login': login, 'email': '%s@example.com' % login,
                'company_id': company.id, 'company_ids': [(6, 0, [company.id])],
                'groups_id': [(6, 0, [cls.env.ref(group).id for group in groups])]})
        cls.rep_a = user('audit_rep_a', cls.company_a, 'sales_team.group_sale_salesman')
        cls.rep_a_other = user('audit_rep_a_other', cls.company_a, 'sales_team.group_sale_salesman')
        cls.all_leads_b = user('audit_all_b', cls.company_b, 'sales_team.group_sale_salesman_all_leads')
        cls.manager_b = user('audit_manager_b', cls.company_b, 'sales_team.group_sale_manager')
        cls.partner = cls.env['res.partner'].create({'name': 'Audit Reports Customer Ltd', 'customer': True})
        Lead = cls.env['crm.lead'].with_context(mail_create_nosubscribe=True)
        cls.deal_a = Lead.create({'name': 'Audit Tower of A', 'type': 'opportunity', 'company_id': cls.company_a.id,
                                  'user_id': cls.rep_a.id, 'partner_id': cls.partner.id, 'planned_revenue': 5000})
        cls.deal_a_unassigned = Lead.create({'name': 'Audit Annex of A', 'type': 'opportunity',
                                             'company_id': cls.company_a.id, 'user_id': False,
                                             'partner_id': cls.partner.id, 'planned_revenue': 7000})
        activity_type = cls.env['mail.activity.type'].search([], limit=1)
        for deal in cls.deal_a | cls.deal_a_unassigned:
            # what marking an activity done leaves in the deal's chatter (Odoo's activity analysis reads it)
            cls.env['mail.message'].create({
                'model': 'crm.lead', 'res_id': deal.id, 'message_type': 'comment',
                'mail_activity_type_id': activity_type.id, 'subject': 'Site visit at %s' % deal.name,
                'body': 'Price agreed'})

    # the activity analysis of the deals ----------------------------------------------------------------------
    def test_another_companys_users_do_not_see_the_activities_of_this_companys_deals(self):
        Report = self.env['crm.activity.report']
        deals = self.deal_a | self.deal_a_unassigned
        self.assertEqual(len(Report.search([('lead_id', 'in', deals.ids)])), 2)
        rows = Report.search([('lead_id', 'in', deals.ids)])
        for user in (self.all_leads_b, self.manager_b):
            as_user = Report.sudo(user)
            self.assertFalse(as_user.search([('lead_id', 'in', deals.ids)]), user.login)
            self.assertFalse(as_user.search_count([('company_id', '=', self.company_a.id)]), user.login)
            groups = as_user.read_group([], ['lead_id', 'probability'], ['lead_id'])
            self.assertFalse([group for group in groups if group['lead_id'] and group['lead_id'][0] in deals.ids],
                             user.login)
            self.assertFalse(as_user.search_read([('id', 'in', rows.ids)], ['subject']), user.login)
            # as for the deals themselves
            self.assertFalse(self.env['crm.lead'].sudo(user).search([('id', 'in', deals.ids)]), user.login)

    def test_the_companys_own_users_still_see_the_activities_their_deal_rules_allow(self):
        Report = self.env['crm.activity.report']
        deals = self.deal_a | self.deal_a_unassigned
        self.assertEqual(Report.sudo(self.rep_a).search([('lead_id', 'in', deals.ids)]).mapped('lead_id'), deals)
        # a colleague: the unassigned deal only (Odoo's personal rule)
        self.assertEqual(Report.sudo(self.rep_a_other).search([('lead_id', 'in', deals.ids)]).mapped('lead_id'),
                         self.deal_a_unassigned)
        # a subsidiary's deal shows to the parent's users, as the deal itself does
        subsidiary = self.env['res.company'].create({'name': 'Audit Reports A Subsidiary',
                                                     'parent_id': self.company_a.id})
        deal_s = self.env['crm.lead'].create({'name': 'Audit Tower of the Subsidiary', 'type': 'opportunity',
                                              'company_id': subsidiary.id, 'user_id': self.rep_a.id})
        self.env['mail.message'].create({
            'model': 'crm.lead', 'res_id': deal_s.id, 'message_type': 'comment',
            'mail_activity_type_id': self.env['mail.activity.type'].search([], limit=1).id, 'body': 'Call'})
        self.assertTrue(Report.sudo(self.rep_a).search([('lead_id', '=', deal_s.id)]))
        self.assertFalse(Report.sudo(self.all_leads_b).search([('lead_id', '=', deal_s.id)]))

    # the older revisions of a quotation ----------------------------------------------------------------------
    def test_all_channels_sales_counts_each_quotation_once_its_latest_revision(self):
        product = self.env['product.product'].create({'name': 'Audit Glazing', 'list_price': 100.0})
        order = self.env['sale.order'].create({
            'partner_id': self.partner.id, 'opportunity_id': self.deal_a.id,
            'order_line': [(0, 0, {'product_id': product.id, 'product_uom_qty': 2, 'price_unit': 100.0})]})
        latest = self.env['sale.order'].browse(order.action_new_revision()['res_id'])
        self.assertTrue(latest.is_latest_revision)
        self.assertFalse(order.is_latest_revision)
        self.assertNotEqual(order.state, 'cancel')   # an older revision stays as it was, out of the figures
        Report = self.env['report.all.channels.sales']
        Report.invalidate_cache()
        rows = Report.search([('product_id', '=', product.id)])
        self.assertEqual(rows.mapped('name'), [latest.name])
        self.assertEqual(sum(rows.mapped('product_qty')), 2.0)
        # the same figure as Odoo's sales analysis (in the company currency, both)
        sales = self.env['sale.report'].read_group([('product_id', '=', product.id)],
                                                   ['price_subtotal', 'product_uom_qty'], [])
        self.assertEqual(sales[0]['product_uom_qty'], 2.0)
        self.assertAlmostEqual(sum(rows.mapped('price_subtotal')), sales[0]['price_subtotal'], places=2)

    def test_all_channels_sales_follow_the_orders_rules(self):
        """A sales user reads his own and unassigned orders' lines in the analysis (as in Odoo's sales
        analysis), an "all documents" user every order of his companies, another company's users none."""
        product = self.env['product.product'].create({'name': 'Audit Cladding', 'list_price': 50.0})
        Order = self.env['sale.order']

        def order(user):
            return Order.create({'partner_id': self.partner.id, 'user_id': user.id if user else False,
                                 'order_line': [(0, 0, {'product_id': product.id, 'product_uom_qty': 1})]})
        own, colleague, unassigned = order(self.rep_a), order(self.rep_a_other), order(False)
        all_leads_a = self.env['res.users'].with_context(no_reset_password=True).create({
            'name': 'Audit All A', 'login': 'audit_all_a', 'company_id': self.company_a.id,
            'company_ids': [(6, 0, self.company_a.ids)],
            'groups_id': [(6, 0, self.env.ref('sales_team.group_sale_salesman_all_leads').ids)]})
        Report = self.env['report.all.channels.sales']
        Report.invalidate_cache()
        domain = [('product_id', '=', product.id)]
        self.assertEqual(set(Report.search(domain).mapped('name')), {own.name, colleague.name, unassigned.name})
        self.assertEqual(set(Report.sudo(self.rep_a).search(domain).mapped('name')), {own.name, unassigned.name})
        self.assertEqual(Report.sudo(self.rep_a).read_group(domain, ['price_total'], [])[0]['__count'], 2)
        self.assertEqual(len(Report.sudo(all_leads_a).search(domain)), 3)
        for user in (self.all_leads_b, self.manager_b):
            self.assertFalse(Report.sudo(user).search(domain), user.login)
            self.assertFalse(Report.sudo(user).search_count([('company_id', '=', self.company_a.id)]), user.login)
