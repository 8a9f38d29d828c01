"""Promises tried through Odoo's own data tools and deletions, which bypass a model's create/write/unlink: the
contact merge (SQL UPDATEs of every column pointing to the merged contacts, then their deletion), the deal merge,
Duplicate on the configuration, and the deletion of what deals, orders and automation rules point to.

- the people of a deal with their roles survive a merge of contacts (Odoo deleted every person record of the
  merged contacts, on every deal, when one deal held two of them) and of deals (a person of both deals kept the
  kept deal's roles only);
- a loss criterion and a people role can be duplicated (their names are unique); a role people hold is archived,
  not deleted (a deletion took it from every deal's people);
- an automation rule for a named user keeps its user: the user cannot be deleted from under it (archive him);
- deleting a salesperson, sales channel or region keeps the stored forecast equal to a fresh computation, and a
  deal deleted by a manager leaves its orders their fiscal numbers.
"""
from psycopg2 import IntegrityError

from odoo.exceptions import UserError
from odoo.tools import mute_logger

from .test_integrity_paths import IntegrityCase


class DataToolsCase(IntegrityCase):

    @classmethod
    def setUpClass(cls):
        super(DataToolsCase, cls).setUpClass()
        cls.manager = cls.user('datatools_manager', 'sales_team.group_sale_manager')
        cls.architect = cls.env.ref('impact_crm.lead_role_architect')
        cls.engineer = cls.env.ref('impact_crm.lead_role_structural_engineer')
        cls.developer = cls.env.ref('impact_crm.lead_role_developer')

    def assertForecastInStep(self):
        Report = self.env['crm.forecast.report']
        self.assertEqual((Report._stale_rows(), Report._stale_months(), self.env['crm.quota']._stale_deal_months()),
                         (0, 0, 0))

    def people(self, deal):
        deal.invalidate_cache()
        return sorted((person.partner_id.name, person.partner_company_id.name, sorted(person.role_ids.mapped('name')),
                       person.is_primary) for person in deal.contact_ids)


class TestContactMerge(DataToolsCase):

    def setUp(self):
        super(TestContactMerge, self).setUp()
        Partners = self.env['res.partner']
        self.firm = Partners.create({'name': 'Datatools Architects', 'is_company': True})
        self.other_firm = Partners.create({'name': 'Datatools Engineers', 'is_company': True})
        self.dana = Partners.create({'name': 'Dana Duplicate', 'email': 'dana@example.com', 'parent_id': self.firm.id})
        self.dana_kept = Partners.create({'name': 'Dana Kept', 'email': 'dana@example.com',
                                          'parent_id': self.other_firm.id})

    def merge(self, partners, kept):
        wizard = self.env['base.partner.merge.automatic.wizard'].with_context(
            active_model='res.partner', active_ids=partners.ids).create({})
        wizard.write({'dst_partner_id': kept.id})
        wizard.action_merge()
        self.assertFalse((partners - kept).exists())

    def test_merging_contacts_keeps_the_people_of_every_deal_with_their_roles(self):
        """One deal holds both contacts, another only the merged one: the first keeps one person with the roles
        (and the primary flag) of both, the second its person, now the kept contact with his company."""
        both = self.Leads.create({'name': 'Datatools Tower', 'type': 'opportunity', 'user_id': self.rep.id,
                                  'partner_id': self.partner.id, 'planned_revenue': 1000.0, 'contact_ids': [
                                      (0, 0, {'partner_id': self.dana.id, 'is_primary': True,
                                              'role_ids': [(6, 0, self.architect.ids)]}),
                                      (0, 0, {'partner_id': self.dana_kept.id,
                                              'role_ids': [(6, 0, self.engineer.ids)]})]})
        only = self.Leads.create({'name': 'Datatools Mall', 'type': 'opportunity', 'user_id': self.rep.id,
                                  'partner_id': self.dana.id, 'planned_revenue': 500.0, 'contact_ids': [
                                      (0, 0, {'partner_id': self.dana.id, 'role_ids': [(6, 0, self.developer.ids)]})]})
        order = self.env['sale.order'].sudo(self.rep).create({
            'partner_id': self.dana.id, 'opportunity_id': only.id,
            'order_line': [(0, 0, {'product_id': self.product.id, 'product_uom_qty': 2})]})
        order.action_confirm()
        name, fiscal_number = order.name, order.fiscal_number
        self.merge(self.dana | self.dana_kept, self.dana_kept)
        self.assertEqual(self.people(both), [
            ('Dana Kept', 'Datatools Engineers', sorted([self.architect.name, self.engineer.name]), True)])
        self.assertEqual(self.people(only), [('Dana Kept', 'Datatools Engineers', [self.developer.name], False)])
        order.invalidate_cache()
        self.assertEqual((order.partner_id, order.name, order.fiscal_number), (self.dana_kept, name, fiscal_number))
        self.assertEqual(only.partner_id, self.dana_kept)
        self.assertForecastInStep()
        report = self.env['crm.lead.contact.report'].search([('lead_id', '=', only.id)])
        self.assertEqual(report.mapped('partner_id'), self.dana_kept)


class TestDealMerge(DataToolsCase):

    def test_a_person_of_both_deals_keeps_the_roles_of_both(self):
        dana = self.env['res.partner'].create({'name': 'Dana Both', 'parent_id': self.partner.id})
        first = self.Leads.create({'name': 'Datatools Hall', 'type': 'opportunity', 'user_id': self.rep.id,
                                   'partner_id': self.partner.id, 'contact_ids': [
                                       (0, 0, {'partner_id': dana.id, 'role_ids': [(6, 0, self.architect.ids)]})]})
        second = self.Leads.create({'name': 'Datatools Hall (copy)', 'type': 'opportunity', 'user_id': self.rep.id,
                                    'partner_id': self.partner.id, 'contact_ids': [
                                        (0, 0, {'partner_id': dana.id, 'role_ids': [(6, 0, self.developer.ids)]})]})
        head = (first | second).sudo(self.manager).merge_opportunity()
        self.assertEqual(self.people(head), [
            ('Dana Both', self.partner.name, sorted([self.architect.name, self.developer.name]), False)])


class TestDuplicateConfiguration(DataToolsCase):

    def test_a_loss_criterion_and_a_role_are_duplicated(self):
        for record in (self.reason.criterion_id, self.architect):
            with self.subTest(model=record._name):
                copy = record.sudo(self.manager).copy()
                self.assertNotEqual(copy.name, record.name)
                self.assertIn(record.name, copy.name)


class TestDeletingWhatDealsPointTo(DataToolsCase):

    def test_a_role_that_people_hold_is_archived_not_deleted(self):
        """Deleting a role would take it from every deal's people without a word: refused while people hold it,
        archiving keeps it on the deals; a role nobody holds is deleted."""
        role = self.env['crm.lead.role'].create({'name': 'Datatools Acoustician'})
        unused = self.env['crm.lead.role'].create({'name': 'Datatools Unused'})
        dana = self.env['res.partner'].create({'name': 'Dana Acoustics', 'parent_id': self.partner.id})
        deal = self.Leads.create({'name': 'Datatools Hall', 'type': 'opportunity', 'user_id': self.rep.id,
                                  'partner_id': self.partner.id, 'contact_ids': [
                                      (0, 0, {'partner_id': dana.id, 'role_ids': [(6, 0, role.ids)]})]})
        for user in (self.manager, self.env.user):
            with self.assertRaisesRegex(UserError, 'archive it instead'):
                role.sudo(user).unlink()
        role.sudo(self.manager).write({'active': False})
        # the deal keeps it (lists hide archived records, as Odoo does everywhere)
        self.assertEqual(self.people(deal.with_context(active_test=False)),
                         [('Dana Acoustics', self.partner.name, [role.name], False)])
        self.assertNotIn(role, self.env['crm.lead.role'].search([]))
        unused.sudo(self.manager).unlink()
        self.assertFalse(unused.exists())

    def test_the_user_of_an_automation_rule_is_not_deleted(self):
        named = self.user('datatools_named', 'sales_team.group_sale_salesman')
        rule = self.env['crm.stage.rule'].create({
            'stage_id': self.env.ref('impact_crm.stage_quote').id, 'summary': 'Datatools: call the architect',
            'activity_type_id': self.env.ref('mail.mail_activity_data_call').id, 'assignee': 'user',
            'user_id': named.id})
        with self.assertRaises(IntegrityError), mute_logger('odoo.sql_db'), self.cr.savepoint():
            named.unlink()
        rule.invalidate_cache()
        self.assertEqual(rule.user_id, named)
        named.write({'active': False})
        self.assertEqual(rule.user_id, named)

    def test_deleting_a_salesperson_channel_or_region_keeps_the_forecast_in_step(self):
        rep = self.user('datatools_rep', 'sales_team.group_sale_salesman')
        team = self.env['crm.team'].create({'name': 'Datatools Channel'})
        region = self.env['crm.region'].create({'name': 'Datatools Region'})
        deal = self.env['crm.lead'].create({
            'name': 'Datatools Bridge', 'type': 'opportunity', 'user_id': rep.id, 'team_id': team.id,
            'region_id': region.id, 'partner_id': self.partner.id, 'planned_revenue': 3000.0,
            'stage_id': self.env.ref('impact_crm.stage_quote').id, 'date_end': '2031-03-01'})
        order = self.env['sale.order'].create({
            'partner_id': self.partner.id, 'opportunity_id': deal.id, 'user_id': rep.id, 'team_id': team.id,
            'order_line': [(0, 0, {'product_id': self.product.id, 'product_uom_qty': 3})]})
        order.action_confirm()
        name, fiscal_number = order.name, order.fiscal_number
        for record in (rep, team, region):
            record.unlink()
            self.assertForecastInStep()
        deal.invalidate_cache()
        self.assertFalse(deal.user_id or deal.team_id or deal.region_id)
        deal.sudo(self.manager).unlink()
        self.assertForecastInStep()
        order.invalidate_cache()
        self.assertEqual((order.name, order.fiscal_number, order.opportunity_id.id), (name, fiscal_number, False))
        self.assertTrue(self.env['sale.fiscal.number'].search([('order_id', '=', order.id)]))
