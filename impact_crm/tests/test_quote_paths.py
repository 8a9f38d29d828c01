"""The lead → opportunity → quotation flow tried through Odoo's other paths as a sales user: a quotation made
straight on a lead (create, import, copy, a change of its opportunity) opens the opportunity as "New Quotation"
does; a rep's probability override keeps who set it and when through writes that leave it as it is (Odoo's
conversion of the lead, a mass edit, an import).
"""
from odoo.exceptions import AccessError

from .test_integrity_paths import IntegrityCase


class TestQuotationOnALeadByAnyPath(IntegrityCase):

    def lead(self, user=None, **values):
        return self.env['crm.lead'].create(dict({
            'name': 'Audit Lobby Canopy', 'type': 'lead', 'user_id': (user or self.rep).id,
            'contact_name': 'Dana'}, **values))

    def assertOpened(self, lead, partner=None):
        lead.invalidate_cache()
        self.assertEqual(lead.type, 'opportunity')
        self.assertTrue(lead.date_conversion)
        self.assertEqual(lead.partner_id, partner or self.partner)

    def test_a_quotation_created_on_a_lead_opens_the_opportunity(self):
        """create on the rep's own lead and on an unassigned one, import, and a change of the opportunity."""
        own, unassigned, imported, changed = [self.lead(), self.lead(user=self.env['res.users']),
                                              self.lead(), self.lead()]
        order = self.Orders.create({'partner_id': self.partner.id, 'opportunity_id': own.id})
        self.assertEqual(order.opportunity_id, own)
        self.assertOpened(own)
        self.Orders.create({'partner_id': self.partner.id, 'opportunity_id': unassigned.id})
        self.assertOpened(unassigned)
        result = self.Orders.load(['partner_id/.id', 'opportunity_id/.id'],
                                  [[str(self.partner.id), str(imported.id)]])
        self.assertTrue(result['ids'], result['messages'])
        self.assertOpened(imported)
        self.quotation().write({'opportunity_id': changed.id})
        self.assertOpened(changed)

    def test_a_copy_of_a_quotation_on_a_lead_opens_the_opportunity(self):
        """A quotation left on a lead (made before the add-on) is copied: the copy opens the opportunity; the lead's
        own customer is kept."""
        customer = self.env['res.partner'].create({'name': 'Audit Hotel Group', 'customer': True})
        lead = self.lead(partner_id=customer.id)
        order = self.quotation()
        self.env.cr.execute("UPDATE sale_order SET opportunity_id = %s WHERE id = %s", [lead.id, order.id])
        order.invalidate_cache()
        order.copy()
        self.assertOpened(lead, customer)

    def test_a_quotation_on_a_colleagues_lead_is_refused(self):
        lead = self.lead(user=self.colleague)
        with self.assertRaises(AccessError), self.cr.savepoint():
            self.Orders.create({'partner_id': self.partner.id, 'opportunity_id': lead.id})
        lead.invalidate_cache()
        self.assertEqual(lead.type, 'lead')


class TestProbabilityOverrideAuthorKept(IntegrityCase):

    OVERRIDE = ['probability', 'probability_is_manual', 'probability_manual_uid', 'probability_manual_date']

    def setUp(self):
        super(TestProbabilityOverrideAuthorKept, self).setUp()
        self.deal = self.Leads.create({'name': 'Audit Override', 'type': 'lead'})
        self.deal.write({'probability': 35.0})
        self.assertTrue(self.deal.probability_is_manual)
        self.env.cr.execute("UPDATE crm_lead SET probability_manual_date = '2020-01-01 00:00:00' WHERE id = %s",
                            [self.deal.id])
        self.deal.invalidate_cache()
        self.before = self.deal.sudo().read(self.OVERRIDE)

    def assertOverrideKept(self):
        self.deal.invalidate_cache()
        self.assertEqual(self.deal.sudo().read(self.OVERRIDE), self.before)
        self.assertEqual(self.deal.probability_manual_uid, self.rep)

    def test_the_conversion_by_a_colleague_keeps_who_set_the_probability(self):
        """Odoo's conversion writes the lead's probability again: the rep's override stays his, of its date."""
        Wizard = self.env['crm.lead2opportunity.partner'].sudo(self.rep_all).with_context(
            active_model='crm.lead', active_id=self.deal.id, active_ids=self.deal.ids)
        Wizard.create({'name': 'convert', 'action': 'nothing', 'user_id': self.rep.id}).action_apply()
        self.assertEqual(self.deal.type, 'opportunity')
        self.assertOverrideKept()

    def test_a_mass_edit_or_import_of_the_same_probability_keeps_who_set_it(self):
        other = self.Leads.create({'name': 'Audit Other', 'type': 'opportunity'})
        (self.deal | other).sudo(self.rep_all).write({'probability': 35.0})
        self.assertOverrideKept()
        self.assertEqual(other.probability_manual_uid, self.rep_all)
        result = self.env['crm.lead'].sudo(self.rep_all).load(
            ['.id', 'name', 'probability'], [[str(self.deal.id), 'Audit Override', '35']])
        self.assertTrue(result['ids'], result['messages'])
        self.assertOverrideKept()
        # a new value is a new override, of its author
        self.deal.sudo(self.rep_all).write({'probability': 40.0})
        self.assertEqual(self.deal.probability_manual_uid, self.rep_all)
