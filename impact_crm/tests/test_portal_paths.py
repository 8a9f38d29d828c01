"""What the customers see: a contact given portal access (Odoo's portal: /my/quotes, /my/orders, the access-token
links of the e-mails, and JSON-RPC with the portal session) and the public.

- The add-on's dialogs that name a deal by its id (a line of the lost flow, Log Call/Meeting) are transient
  models, which Odoo 11 opens to every logged-in user and reads as superuser for a many2one's name and a related
  field: a customer made one on any deal's id and read the deal's name, expected revenue and stage. A dialog is
  made on a deal the user may read.
- A revision replaced by a newer one stays the customer's document (the link of the e-mail that sent it stays
  valid), but it is no longer an offer: its portal page says so and offers no "Accept & Sign" (its confirmation is
  refused), and the customer's lists mark it.
- A meeting logged after the fact is a calendar event whose attendees are the project's contacts, which they read:
  it keeps no internal outcome when someone from outside took part.
"""
from odoo.exceptions import AccessError
from odoo.tests.common import SavepointCase


class TestPortalPaths(SavepointCase):

    @classmethod
    def setUpClass(cls):
        super(TestPortalPaths, cls).setUpClass()
        Users = cls.env['res.users'].with_context(no_reset_password=True, mail_create_nosubscribe=True)
        cls.customer = cls.env['res.partner'].create({'name': 'Audit Portal Towers Ltd', 'is_company': True,
                                                      'customer': True, 'email': 'office@portal-towers.example'})
        cls.contact = cls.env['res.partner'].create({'name': 'Audit Portal Dana', 'parent_id': cls.customer.id,
                                                     'email': 'dana@portal-towers.example'})
        cls.portal = Users.create({'login': 'audit_portal_dana', 'partner_id': cls.contact.id,
                                   'groups_id': [(6, 0, [cls.env.ref('base.group_portal').id])]})

        def rep(login):
            return Users.create({'name': login.replace('_', ' ').title(), 'login': login,
                                 'email': '%s@example.com' % login,
                                 'groups_id': [(6, 0, [cls.env.ref('sales_team.group_sale_salesman').id])]})
        cls.rep = rep('audit_portal_rep')
        cls.colleague = rep('audit_portal_colleague')
        Lead = cls.env['crm.lead'].with_context(mail_create_nosubscribe=True)
        cls.deal = Lead.create({'name': 'Audit Portal Tower: secret facade deal', 'type': 'opportunity',
                                'partner_id': cls.customer.id, 'user_id': cls.rep.id, 'planned_revenue': 1250000})
        cls.colleague_deal = Lead.create({'name': 'Audit Portal Annex of the colleague', 'type': 'opportunity',
                                          'partner_id': cls.customer.id, 'user_id': cls.colleague.id,
                                          'planned_revenue': 700000})
        cls.env['crm.lead.contact'].create({'lead_id': cls.deal.id, 'partner_id': cls.contact.id})
        cls.meeting_type = cls.env.ref('mail.mail_activity_data_meeting')

    # the dialogs naming a deal --------------------------------------------------------------------------------
    def test_a_customer_cannot_read_a_deal_through_a_line_of_the_lost_flow(self):
        Wizard = self.env['crm.lead.lost'].sudo(self.portal)
        with self.assertRaises(AccessError):
            Wizard.create({'line_ids': [(0, 0, {'lead_id': self.deal.id})]})
        wizard = Wizard.create({})
        with self.assertRaises(AccessError):
            self.env['crm.lead.lost.line'].sudo(self.portal).create({'wizard_id': wizard.id, 'lead_id': self.deal.id})

    def test_a_customer_cannot_read_a_deal_through_log_call_meeting(self):
        with self.assertRaises(AccessError):
            self.env['crm.activity.log.wizard'].sudo(self.portal).create({'lead_id': self.deal.id, 'summary': 'x'})

    def test_a_rep_names_only_deals_he_may_read_in_the_dialogs(self):
        Wizard = self.env['crm.lead.lost'].sudo(self.rep)
        wizard = Wizard.create({'line_ids': [(0, 0, {'lead_id': self.deal.id})]})
        self.assertEqual(wizard.line_ids.read(['lead_id', 'planned_revenue'])[0]['planned_revenue'], 1250000)
        with self.assertRaises(AccessError):
            Wizard.create({'line_ids': [(0, 0, {'lead_id': self.colleague_deal.id})]})
        with self.assertRaises(AccessError):
            wizard.line_ids.write({'lead_id': self.colleague_deal.id})
        LogWizard = self.env['crm.activity.log.wizard'].sudo(self.rep)
        self.assertTrue(LogWizard.create({'lead_id': self.deal.id, 'summary': 'Call'}))
        with self.assertRaises(AccessError):
            LogWizard.create({'lead_id': self.colleague_deal.id, 'summary': 'Call'})

    # a revised quotation on the portal ----------------------------------------------------------------------
    def _revised_quotation(self):
        product = self.env['product.product'].create({'name': 'Audit Portal Window', 'list_price': 950.0})
        order = self.env['sale.order'].create({
            'partner_id': self.customer.id, 'opportunity_id': self.deal.id,
            'order_line': [(0, 0, {'product_id': product.id, 'product_uom_qty': 3})]})
        order.write({'state': 'sent'})
        new = self.env['sale.order'].browse(order.action_new_revision()['res_id'])
        return order, new

    def test_a_replaced_revision_offers_no_signature_on_the_portal(self):
        self.env['ir.config_parameter'].sudo().set_param('sale.sale_portal_confirmation_options', 'sign')
        old, new = self._revised_quotation()
        self.assertEqual(old.state, 'sent')
        self.assertFalse(old.is_latest_revision)
        # what the portal page of each reads (sale's portal controller, as superuser behind the token)
        self.assertEqual(old.sudo().get_portal_confirmation_action(), 'none')
        self.assertEqual(new.sudo().get_portal_confirmation_action(), 'sign')

    def test_a_replaced_revision_says_so_on_the_portal(self):
        old, new = self._revised_quotation()
        View = self.env['ir.ui.view']
        banner = View.render_template('impact_crm.portal_order_revision_banner', {'order': old.sudo()})
        self.assertIn(b'o_impact_revision_replaced', banner)
        banner = View.render_template('impact_crm.portal_order_revision_banner', {'order': new.sudo()})
        self.assertNotIn(b'o_impact_revision_replaced', banner)
        # on the order's page and in the customer's lists
        arch = self.env.ref('sale.portal_order_page').read_combined(['arch'])['arch']
        self.assertIn('impact_crm.portal_order_revision_banner', arch)
        for xmlid in ('sale.portal_my_quotations', 'sale.portal_my_orders'):
            arch = self.env.ref(xmlid).read_combined(['arch'])['arch']
            self.assertIn('is_latest_revision', arch, xmlid)

    # a meeting logged after the fact ------------------------------------------------------------------------
    def _log_meeting(self, contacts):
        wizard = self.env['crm.activity.log.wizard'].sudo(self.rep).create({
            'lead_id': self.deal.id, 'activity_type_id': self.meeting_type.id, 'summary': 'Audit site visit',
            'feedback': '<p>They sign if we drop 5 percent</p>', 'duration': 1.0,
            'contact_ids': [(6, 0, contacts.ids)]})
        return wizard._log()

    def test_a_customer_attending_a_logged_meeting_does_not_read_its_internal_outcome(self):
        log = self._log_meeting(self.contact)
        event = log.calendar_event_id
        self.assertIn(self.contact, event.partner_ids)
        # the outcome stays on the done record (internal)
        self.assertIn('drop 5 percent', log.feedback)
        # the customer reads his event (Odoo's calendar, over JSON-RPC): without the outcome
        seen = self.env['calendar.event'].sudo(self.portal).search_read([('id', '=', event.id)], ['description'])
        self.assertEqual(len(seen), 1)
        self.assertNotIn('drop 5 percent', seen[0]['description'] or '')

    def test_a_meeting_among_colleagues_keeps_its_outcome(self):
        log = self._log_meeting(self.env['res.partner'])
        self.assertIn('drop 5 percent', log.calendar_event_id.description or '')
