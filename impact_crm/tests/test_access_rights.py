"""The access-rights matrix of the README ("Access rights"), tried operation by operation as each group.

Every forbidden operation must raise AccessError (or UserError) and change nothing.
"""
from odoo.exceptions import AccessError, UserError
from odoo.tests.common import SavepointCase

# Configuration models: sales managers configure them, everybody internal reads them, nobody else writes.
# (model, values of a valid new record or None when the test cannot make one)
CONFIG_MODELS = [
    ('crm.stage.group', lambda env: {'name': 'Tendering', 'kind': 'open', 'sequence': 15}),
    ('crm.stage', lambda env: {'name': 'Site visit', 'probability': 35,
                               'group_id': env.ref('impact_crm.stage_group_open').id}),
    ('crm.lead.role', lambda env: {'name': 'Structural engineer'}),
    ('crm.lost.criterion', lambda env: {'name': 'Timing'}),
    ('crm.lost.reason', lambda env: {'name': 'Budget frozen'}),
    ('crm.region', lambda env: {'name': 'Galilee'}),
    ('crm.stage.rule', lambda env: {'summary': 'Call the client', 'stage_id': env.ref('impact_crm.stage_quote').id,
                                    'activity_type_id': env['mail.activity.type'].search([], limit=1).id}),
]


class TestAccessRights(SavepointCase):

    @classmethod
    def setUpClass(cls):
        super(TestAccessRights, cls).setUpClass()
        Users = cls.env['res.users'].with_context(no_reset_password=True, mail_create_nosubscribe=True)

        def user(login, *groups):
            return Users.create({
                'name': login.replace('_', ' ').title(), 'login': login, 'email': '%s@example.com' % login,
                'groups_id': [(6, 0, [cls.env.ref(group).id for group in groups])]})
        cls.rep = user('acl_rep_own', 'sales_team.group_sale_salesman')
        cls.rep_other = user('acl_rep_other', 'sales_team.group_sale_salesman')
        cls.rep_all = user('acl_rep_all', 'sales_team.group_sale_salesman_all_leads')
        cls.manager = user('acl_manager', 'sales_team.group_sale_manager')
        cls.accountant = user('acl_accountant', 'account.group_account_invoice')
        cls.portal = user('acl_portal', 'base.group_portal')
        cls.public = user('acl_public', 'base.group_public')
        cls.non_managers = cls.rep | cls.rep_all | cls.accountant
        cls.outsiders = cls.portal | cls.public
        cls.partner = cls.env['res.partner'].create({'name': 'ACL Customer Ltd', 'customer': True})
        Lead = cls.env['crm.lead'].with_context(mail_create_nosubscribe=True)
        cls.own_lead = Lead.create({'name': 'Own deal', 'type': 'opportunity', 'user_id': cls.rep.id,
                                    'planned_revenue': 1000, 'partner_id': cls.partner.id})
        cls.other_lead = Lead.create({'name': 'Colleague deal', 'type': 'opportunity',
                                      'user_id': cls.rep_other.id, 'planned_revenue': 2000,
                                      'partner_id': cls.partner.id})

    def config_models(self):
        return [(model, values) for model, values in CONFIG_MODELS if model in self.env]

    def assertForbidden(self, operation, records=None, model=None):
        """``operation`` raises an access error, and the records (or the table of ``model``) are unchanged."""
        model = model or records._name
        records = records or self.env[model]
        fields = [name for name, field in records._fields.items()
                  if field.store and name not in ('write_date', '__last_update')]
        before = records.sudo().read(fields) if records else None
        count = self.env[model].sudo().with_context(active_test=False).search_count([])
        with self.assertRaises((AccessError, UserError)):
            with self.env.cr.savepoint():
                operation()
        self.env[model].invalidate_cache()  # read back what the database holds
        if records:
            self.assertEqual(records.sudo().read(fields), before)
        self.assertEqual(self.env[model].sudo().with_context(active_test=False).search_count([]), count)

    # configuration ---------------------------------------------------------------------------------------
    def test_non_managers_read_but_cannot_edit_configuration(self):
        for model, values in self.config_models():
            record = self.env[model].search([], limit=1) or self.env[model].create(values(self.env))
            for user in self.non_managers:
                as_user = self.env[model].sudo(user)
                self.assertTrue(as_user.search_count([]), (model, user.login))
                self.assertTrue(as_user.browse(record.id).read(['display_name']), (model, user.login))
                self.assertForbidden(lambda: as_user.create(values(self.env)), model=model)
                self.assertForbidden(lambda: as_user.browse(record.id).write({record._rec_name: 'Hacked'}), record)
                self.assertForbidden(lambda: as_user.browse(record.id).unlink(), record)

    def test_managers_configure(self):
        for model, values in self.config_models():
            as_manager = self.env[model].sudo(self.manager)
            record = as_manager.create(values(self.env))
            name = record._rec_name
            record.write({name: 'Renamed by the manager'})
            self.assertEqual(record[name], 'Renamed by the manager')
            record.unlink()
            self.assertFalse(record.exists())

    def test_stage_probability_is_configuration(self):
        stage = self.env.ref('impact_crm.stage_order')
        for user in self.non_managers:
            self.assertForbidden(lambda: stage.sudo(user).write({'probability': 99}), stage)
            self.assertForbidden(lambda: stage.sudo(user).write({
                'group_id': self.env.ref('impact_crm.stage_group_execution').id}), stage)

    # portal and public -------------------------------------------------------------------------------------
    def own_models(self):
        data = self.env['ir.model.data'].search([('module', '=', 'impact_crm'), ('model', '=', 'ir.model')])
        models = self.env['ir.model'].browse(data.mapped('res_id'))
        owned = []
        for model in models:
            others = self.env['ir.model.data'].search_count([('model', '=', 'ir.model'), ('res_id', '=', model.id),
                                                             ('module', '!=', 'impact_crm')])
            if not others and not model.transient and model.model in self.env \
                    and not self.env[model.model]._abstract:
                owned.append(model.model)
        return owned

    def test_portal_and_public_see_nothing_of_the_module(self):
        models = self.own_models()
        self.assertIn('crm.stage.group', models)
        for model in models:
            for user in self.outsiders:
                as_user = self.env[model].sudo(user)
                for mode in ('read', 'write', 'create', 'unlink'):
                    self.assertFalse(as_user.check_access_rights(mode, raise_exception=False), (model, mode))
                self.assertForbidden(lambda: as_user.search([]), model=model)
        for user in self.outsiders:
            self.assertForbidden(lambda: self.own_lead.sudo(user).read(['name', 'stage_group_id']), self.own_lead)
            self.assertForbidden(lambda: self.env['crm.lead'].sudo(user).search([]), model='crm.lead')

    # documents -----------------------------------------------------------------------------------------------
    def test_own_documents_rep_cannot_touch_colleagues_deals(self):
        as_rep = self.other_lead.sudo(self.rep)
        self.assertNotIn(self.other_lead, self.env['crm.lead'].sudo(self.rep).search([]))
        self.assertForbidden(lambda: as_rep.read(['name', 'planned_revenue']), self.other_lead)
        self.assertForbidden(lambda: as_rep.write({'planned_revenue': 1}), self.other_lead)
        self.assertForbidden(lambda: as_rep.write({'stage_id': self.env.ref('impact_crm.stage_won').id}),
                             self.other_lead)
        self.assertForbidden(lambda: as_rep.unlink(), self.other_lead)
        # while the own deal is theirs to work
        self.own_lead.sudo(self.rep).write({'stage_id': self.env.ref('impact_crm.stage_quote').id,
                                            'planned_revenue': 1500})
        self.assertEqual(self.own_lead.stage_id, self.env.ref('impact_crm.stage_quote'))

    def test_reps_do_not_delete_deals(self):
        for user in (self.rep, self.rep_all):
            self.assertForbidden(lambda: self.own_lead.sudo(user).unlink(), self.own_lead)

    def test_all_documents_rep_works_every_deal(self):
        self.other_lead.sudo(self.rep_all).write({'stage_id': self.env.ref('impact_crm.stage_order').id})
        self.assertEqual(self.other_lead.stage_group_id, self.env.ref('impact_crm.stage_group_open'))

    def test_accountant_has_no_pipeline(self):
        self.assertForbidden(lambda: self.own_lead.sudo(self.accountant).read(['name']), self.own_lead)
        self.assertForbidden(lambda: self.env['crm.lead'].sudo(self.accountant).create({'name': 'x'}),
                             model='crm.lead')

    # fiscal numbers --------------------------------------------------------------------------------------------
    def confirmed_order(self):
        product = self.env['product.product'].create({'name': 'ACL glazing', 'list_price': 10, 'type': 'service'})
        order = self.env['sale.order'].create({'partner_id': self.partner.id, 'user_id': self.rep.id, 'order_line': [
            (0, 0, {'product_id': product.id, 'product_uom_qty': 1})]})
        order.action_confirm()
        return order

    def test_nobody_edits_fiscal_numbers(self):
        order = self.confirmed_order()
        self.assertTrue(order.fiscal_number)
        ledger = self.env['sale.fiscal.number'].search([('order_id', '=', order.id)])
        self.assertTrue(ledger)
        for user in self.rep | self.rep_all | self.manager | self.accountant | self.env.ref('base.user_root'):
            self.assertForbidden(lambda: order.sudo(user).write({'fiscal_number': 'SO/HACK/1'}), order)
            self.assertForbidden(lambda: ledger.sudo(user).write({'name': 'SO/HACK/1'}), ledger)
            self.assertForbidden(lambda: ledger.sudo(user).unlink(), ledger)
            self.assertForbidden(lambda: self.env['sale.fiscal.number'].sudo(user).create({
                'name': 'SO/HACK/2', 'company_id': order.company_id.id}), model='sale.fiscal.number')

    # multi-company ---------------------------------------------------------------------------------------------
    def test_a_user_of_another_company_sees_nothing_of_this_one(self):
        company_a = self.env.user.company_id
        company_b = self.env['res.company'].create({'name': 'Company B Ltd'})
        user_b = self.env['res.users'].with_context(no_reset_password=True).create({
            'name': 'Manager B', 'login': 'acl_manager_b', 'email': 'b@example.com',
            'company_id': company_b.id, 'company_ids': [(6, 0, [company_b.id])],
            'groups_id': [(6, 0, [self.env.ref('sales_team.group_sale_manager').id,
                                  self.env.ref('account.group_account_invoice').id])]})
        # the deals of one company are not another's: not listed, read, changed or deleted
        deal_a = self.env['crm.lead'].create({'name': 'Tower of A', 'type': 'opportunity',
                                              'company_id': company_a.id, 'user_id': False})
        self.assertNotIn(deal_a, self.env['crm.lead'].sudo(user_b).search([]))
        self.assertEqual(self.env['crm.lead'].sudo(user_b).search_count([('id', '=', deal_a.id)]), 0)
        self.assertForbidden(lambda: deal_a.sudo(user_b).read(['name']), deal_a)
        self.assertForbidden(lambda: deal_a.sudo(user_b).write({'name': 'Taken by B'}), deal_a)
        self.assertForbidden(lambda: deal_a.sudo(user_b).unlink(), deal_a)
        deal_b = self.env['crm.lead'].sudo(user_b).create({'name': 'Tower of B', 'type': 'opportunity'})
        self.assertEqual(deal_b.company_id, company_b)
        self.assertIn(deal_b, self.env['crm.lead'].sudo(user_b).search([]))
        self.assertNotIn(deal_b, self.env['crm.lead'].sudo(self.manager).search([]))
        self.assertIn(deal_a, self.env['crm.lead'].sudo(self.manager).search([]))
        region = self.env['crm.region'].create({'name': 'North (A only)', 'company_id': company_a.id})
        self.assertNotIn(region, self.env['crm.region'].sudo(user_b).search([]))
        self.assertForbidden(lambda: region.sudo(user_b).read(['name']), region)
        self.assertForbidden(lambda: region.sudo(user_b).write({'name': 'Taken by B'}), region)
        order = self.confirmed_order()
        ledger = self.env['sale.fiscal.number'].search([('order_id', '=', order.id)])
        self.assertFalse(self.env['sale.fiscal.number'].sudo(user_b).search([('id', '=', ledger.id)]))
        self.assertFalse(self.env['sale.order'].sudo(user_b).search([('id', '=', order.id)]))
        sequences = self.env['ir.sequence'].search([('code', 'like', 'sale.order'),
                                                    ('company_id', '=', company_a.id)])
        self.assertTrue(sequences)
        self.assertFalse(self.env['ir.sequence'].sudo(user_b).search([('id', 'in', sequences.ids)]))
        # numbering for company B uses company B's own sequence, never company A's
        partner_b = self.env['res.partner'].create({'name': 'Customer of B', 'company_id': company_b.id})
        product = self.env['product.product'].create({'name': 'B glazing', 'list_price': 5, 'type': 'service',
                                                      'company_id': False})
        order_b = self.env['sale.order'].sudo(user_b).create({
            'partner_id': partner_b.id, 'company_id': company_b.id,
            'order_line': [(0, 0, {'product_id': product.id, 'product_uom_qty': 1})]})
        before = dict((seq.id, seq.number_next_actual) for seq in sequences)
        order_b.action_confirm()
        self.assertEqual(order_b.company_id, company_b)
        ledger_b = self.env['sale.fiscal.number'].search([('order_id', '=', order_b.id)])
        self.assertEqual(ledger_b.company_id, company_b)
        self.assertNotIn(ledger_b.sequence_id, sequences)
        self.env['ir.sequence'].invalidate_cache()
        self.assertEqual(dict((seq.id, seq.number_next_actual) for seq in sequences), before)

    def test_a_parent_company_sees_its_subsidiaries_from_the_moment_they_join(self):
        company_a = self.env.user.company_id
        Lead = self.env['crm.lead'].sudo(self.manager)
        People = self.env['crm.lead.contact'].sudo(self.manager)
        deal_a = self.env['crm.lead'].create({'name': 'Tower of A', 'type': 'opportunity', 'user_id': False})
        # the manager's rules are evaluated (and cached) before the subsidiary exists
        self.assertIn(deal_a, Lead.search([]))
        self.assertFalse(People.search([('lead_id.name', '=', 'Tower of the subsidiary')]))
        subsidiary = self.env['res.company'].create({'name': 'A Subsidiary Ltd', 'parent_id': company_a.id})
        deal_s = self.env['crm.lead'].create({'name': 'Tower of the subsidiary', 'type': 'opportunity',
                                              'company_id': subsidiary.id, 'user_id': False})
        person = self.env['crm.lead.contact'].create({
            'lead_id': deal_s.id, 'partner_id': self.env['res.partner'].create({'name': 'Site architect'}).id})
        self.assertIn(deal_s, Lead.search([]))
        self.assertEqual(People.search([('lead_id', '=', deal_s.id)]), person)
        deal_s.sudo(self.manager).write({'name': 'Tower of the subsidiary, phase 2'})
        # Odoo's own multi-company rules (the orders', the companies') say the same
        order_s = self.env['sale.order'].create({'partner_id': self.partner.id, 'company_id': subsidiary.id,
                                                 'user_id': False})
        self.assertIn(order_s, self.env['sale.order'].sudo(self.manager).search([]))
        self.assertIn(subsidiary, self.env['res.company'].sudo(self.manager).search([]))
        # a user of the subsidiary sees its deals, not its parent's
        user_s = self.env['res.users'].with_context(no_reset_password=True).create({
            'name': 'Manager S', 'login': 'acl_manager_s', 'email': 's@example.com',
            'company_id': subsidiary.id, 'company_ids': [(6, 0, [subsidiary.id])],
            'groups_id': [(6, 0, [self.env.ref('sales_team.group_sale_manager').id])]})
        self.assertEqual(self.env['crm.lead'].sudo(user_s).search([('id', 'in', (deal_a | deal_s).ids)]), deal_s)
        self.assertForbidden(lambda: deal_a.sudo(user_s).read(['name']), deal_a)
        # once the subsidiary leaves the group, its deals and their people are no longer the parent's
        subsidiary.write({'parent_id': False})
        self.assertNotIn(deal_s, Lead.search([]))
        self.assertNotIn(order_s, self.env['sale.order'].sudo(self.manager).search([]))
        self.assertFalse(People.search([('lead_id', '=', deal_s.id)]))
        self.assertForbidden(lambda: deal_s.sudo(self.manager).write({'name': 'Taken back'}), deal_s)
        # and a user moved to the parent company sees the parent's deals at once
        user_s.write({'company_ids': [(4, company_a.id)], 'company_id': company_a.id})
        self.assertIn(deal_a, self.env['crm.lead'].sudo(user_s).search([]))

    def test_company_child_of_resolved_only_where_it_means_subsidiaries(self):
        Rule = self.env['ir.rule']
        self.assertTrue(Rule._company_path(self.env['crm.lead'], 'company_id'))
        self.assertTrue(Rule._company_path(self.env['crm.lead.contact'], 'lead_id.company_id'))
        self.assertTrue(Rule._company_path(self.env['res.company'], 'id'))
        # the hierarchy's own field, other hierarchies, and paths through lists are left to Odoo
        self.assertFalse(Rule._company_path(self.env['res.company'], 'parent_id'))
        self.assertFalse(Rule._company_path(self.env['res.partner'], 'parent_id'))
        self.assertFalse(Rule._company_path(self.env['res.users'], 'company_ids'))
        self.assertFalse(Rule._company_path(self.env['crm.lead'], 'id'))
        # the domain a sales rep's searches apply: the companies listed, no child_of left on them
        domain = Rule.sudo(self.rep)._compute_domain('crm.lead', 'read')
        company_leaves = [leaf for leaf in domain if isinstance(leaf, (list, tuple)) and leaf[0] == 'company_id']
        # his company and its subsidiaries (a database with Odoo's stock demo data has one), as child_of names them
        subsidiaries = self.env['res.company'].search([('id', 'child_of', self.rep.company_id.id)])
        self.assertIn(self.rep.company_id, subsidiaries)
        self.assertIn(('company_id', 'in', sorted(subsidiaries.ids)),
                      [(leaf[0], leaf[1], sorted(leaf[2])) for leaf in company_leaves if leaf[1] == 'in'])
        self.assertFalse([leaf for leaf in company_leaves if leaf[1] == 'child_of'])
