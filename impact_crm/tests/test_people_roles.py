from odoo.exceptions import AccessError, ValidationError

from .common_people import PeopleCase


class TestPeopleRoles(PeopleCase):

    def test_several_companies_on_one_deal_and_won_amount_per_firm(self):
        tower = self._lead('Tower B: facade', planned_revenue=100000.0)
        park = self._lead('Park offices: glazing', planned_revenue=40000.0)
        lost = self._lead('Mall: doors', planned_revenue=7000.0)
        people = self.env['crm.lead.contact'].sudo(self.salesman)
        people.create({'lead_id': tower.id, 'partner_id': self.dana.id, 'is_primary': True,
                       'role_ids': [(6, 0, [self.role_architect.id, self.role_decision.id])]})
        people.create({'lead_id': tower.id, 'partner_id': self.moshe.id,
                       'role_ids': [(6, 0, [self.role_engineer.id])]})
        people.create({'lead_id': tower.id, 'partner_id': self.developer.id,
                       'role_ids': [(6, 0, [self.role_developer.id])]})
        people.create({'lead_id': park.id, 'partner_id': self.avi.id, 'role_ids': [(6, 0, [self.role_architect.id])]})
        people.create({'lead_id': lost.id, 'partner_id': self.dana.id, 'role_ids': [(6, 0, [self.role_architect.id])]})
        self.assertEqual(tower.contact_ids.mapped('partner_company_id'),
                         self.firm_arch | self.firm_eng | self.developer)
        # a deal's people: the primary contact first, then in the order they were added
        self.assertEqual([person.partner_id for person in tower.contact_ids], [self.dana, self.moshe, self.developer])
        tower.sudo(self.salesman).action_set_won()
        park.sudo(self.salesman).action_set_won()
        # their copies of the deal follow it
        self.assertEqual(tower.contact_ids.mapped('stage_id'), tower.stage_id)
        self.assertEqual(set(tower.contact_ids.mapped('is_won')), {True})

        report = self.env['crm.lead.contact.report'].sudo(self.salesman)
        deals = [('lead_id', 'in', (tower | park | lost).ids)]  # the database may hold other deals (demo data)
        groups = report.read_group(deals + [('role_id', '=', self.role_architect.id)],
                                   ['partner_company_id', 'won_amount'], ['partner_company_id'])
        won = dict((group['partner_company_id'][0], group['won_amount']) for group in groups)
        self.assertEqual(won, {self.firm_arch.id: 140000.0})
        groups = report.read_group([('partner_company_id', '=', self.firm_arch.id)], ['role_id', 'won_amount'],
                                   ['role_id'])
        won = dict((group['role_id'][0], group['won_amount']) for group in groups)
        self.assertEqual(won, {self.role_architect.id: 140000.0, self.role_decision.id: 100000.0})
        groups = report.read_group(deals + [('role_id', '=', self.role_engineer.id)],
                                   ['partner_company_id', 'won_amount'], ['partner_company_id'])
        self.assertEqual([(g['partner_company_id'][0], g['won_amount']) for g in groups],
                         [(self.firm_eng.id, 100000.0)])

    def test_partner_smart_button_counts(self):
        tower = self._lead('Tower B: facade')
        park = self._lead('Park offices: glazing')
        people = self.env['crm.lead.contact'].sudo(self.salesman)
        people.create({'lead_id': tower.id, 'partner_id': self.dana.id, 'role_ids': [(6, 0, [self.role_architect.id])]})
        people.create({'lead_id': tower.id, 'partner_id': self.avi.id, 'role_ids': [(6, 0, [self.role_architect.id])]})
        people.create({'lead_id': park.id, 'partner_id': self.dana.id, 'role_ids': [(6, 0, [self.role_decision.id])]})
        partners = self.env['res.partner'].sudo(self.salesman)
        self.assertEqual(partners.browse(self.dana.id).lead_contact_count, 2)
        self.assertEqual(partners.browse(self.avi.id).lead_contact_count, 1)
        self.assertEqual(partners.browse(self.firm_arch.id).lead_contact_count, 2)  # its people's deals, once each
        self.assertEqual(partners.browse(self.moshe.id).lead_contact_count, 0)
        action = partners.browse(self.dana.id).action_view_lead_contacts()
        roles = self.env['crm.lead.contact'].sudo(self.salesman).search(action['domain'])
        self.assertEqual(roles.mapped('lead_id'), tower | park)
        self.assertEqual(roles.mapped('role_ids'), self.role_architect | self.role_decision)

    def test_partner_smart_button_counts_what_the_user_may_read(self):
        """The button counts the deals of the people the user may read, as the list it opens shows them: a
        rep their own and the unassigned ones, a manager all; for many partners at once."""
        own = self._lead('Tower B: facade')
        others = self._lead('Harbour: cladding', user=self.salesman2)
        unassigned = self._lead('Depot: roofing')
        archived = self._lead('Annex: doors', user=self.salesman2)
        people = self.env['crm.lead.contact']
        for lead, partner in ((own, self.dana), (others, self.dana), (others, self.avi), (unassigned, self.avi),
                              (others, self.moshe), (archived, self.moshe)):
            people.create({'lead_id': lead.id, 'partner_id': partner.id})
        unassigned.write({'user_id': False})
        archived.write({'active': False})
        none = self.env['crm.lead']
        tracked = self.dana | self.avi | self.moshe | self.firm_arch | self.firm_eng
        expected = {
            self.salesman: {self.dana: own, self.avi: unassigned, self.moshe: none,
                            self.firm_arch: own | unassigned, self.firm_eng: none},
            self.salesman2: {self.dana: others, self.avi: others | unassigned, self.moshe: others | archived,
                             self.firm_arch: others | unassigned, self.firm_eng: others | archived},
            self.manager: {self.dana: own | others, self.avi: others | unassigned, self.moshe: others | archived,
                           self.firm_arch: own | others | unassigned, self.firm_eng: others | archived},
        }
        for user, deals in expected.items():
            # all the partners computed together, as a list of partners does
            partners = tracked.sudo(user)
            counts = dict((partner.id, partner.lead_contact_count) for partner in partners)
            for partner in partners:
                # the list the button opens, and the deals it groups it by
                action = partner.action_view_lead_contacts()
                roles = self.env['crm.lead.contact'].sudo(user).search(action['domain'])
                self.assertEqual(roles.mapped('lead_id'), deals[partner.sudo()], (user.name, partner.name))
                self.assertEqual(counts[partner.id], len(deals[partner.sudo()]), (user.name, partner.name))
                groups = self.env['crm.lead.contact'].sudo(user).read_group(action['domain'], ['lead_id'],
                                                                            ['lead_id'])
                self.assertEqual(len(groups), counts[partner.id], (user.name, partner.name))

    def test_one_primary_contact(self):
        tower = self._lead('Tower B: facade')
        lead = tower.sudo(self.salesman)
        lead.write({'contact_ids': [(0, 0, {'partner_id': self.dana.id, 'is_primary': True}),
                                    (0, 0, {'partner_id': self.moshe.id})]})
        with self.assertRaises(ValidationError), self.cr.savepoint():
            lead.contact_ids.filtered(lambda c: c.partner_id == self.moshe).write({'is_primary': True})
        with self.assertRaises(ValidationError), self.cr.savepoint():
            lead.write({'contact_ids': [(0, 0, {'partner_id': self.avi.id, 'is_primary': True})]})
        lead.invalidate_cache()
        self.assertEqual(len(lead.contact_ids.filtered('is_primary')), 1)

    def test_new_contact_creates_partner_under_company(self):
        tower = self._lead('Tower B: facade')
        lead = tower.sudo(self.salesman)
        lead.write({'contact_ids': [
            (0, 0, {'new_name': 'Noa Bar', 'new_company_name': 'levi architects ltd', 'new_email': 'noa@levi.example',
                    'role_ids': [(6, 0, [self.role_architect.id])]}),
            (0, 0, {'new_name': 'Eli Green', 'new_company_name': 'Green Landscape', 'new_phone': '+972 3 555 0000'}),
            (0, 0, {'new_name': 'Ruth Free'}),
        ]})
        noa, eli, ruth = lead.contact_ids.sorted('id')
        self.assertEqual(noa.partner_id.name, 'Noa Bar')
        self.assertEqual(noa.partner_id.email, 'noa@levi.example')
        self.assertEqual(noa.partner_id.parent_id, self.firm_arch, "an existing company is found by name")
        self.assertEqual(noa.partner_company_id, self.firm_arch)
        self.assertTrue(eli.partner_id.parent_id.is_company)
        self.assertEqual(eli.partner_id.parent_id.name, 'Green Landscape')
        self.assertEqual(eli.partner_company_id, eli.partner_id.parent_id)
        self.assertFalse(ruth.partner_id.parent_id)
        self.assertEqual(ruth.partner_company_id, ruth.partner_id)
        with self.assertRaises(ValidationError), self.cr.savepoint():
            lead.write({'contact_ids': [(0, 0, {'new_company_name': 'Nameless Ltd'})]})

    def test_roles_are_configuration(self):
        roles = self.env['crm.lead.role']
        self.assertTrue(roles.sudo(self.salesman).search([('name', '=', 'Architect')]))
        with self.assertRaises(AccessError), self.cr.savepoint():
            roles.sudo(self.salesman).create({'name': 'Surveyor'})
        with self.assertRaises(AccessError), self.cr.savepoint():
            self.role_architect.sudo(self.salesman).write({'name': 'Architekt'})
        surveyor = roles.sudo(self.manager).create({'name': 'Surveyor'})
        tower = self._lead('Tower B: facade')
        contact = self.env['crm.lead.contact'].sudo(self.salesman).create({
            'lead_id': tower.id, 'partner_id': self.dana.id,
            'role_ids': [(6, 0, [surveyor.id, self.role_architect.id])]})
        self.assertEqual(contact.role_ids, surveyor | self.role_architect)
