from odoo.tests.common import SavepointCase


class PeopleCase(SavepointCase):
    """Users, a sales team, stages and partners shared by the tests of a deal's people, the stage rules
    and the activity log."""

    @classmethod
    def setUpClass(cls):
        super(PeopleCase, cls).setUpClass()
        users = cls.env['res.users'].with_context(no_reset_password=True, mail_create_nosubscribe=True)
        cls.salesman = users.create({
            'name': 'Rina Sales', 'login': 'rina.sales', 'email': 'rina@example.com',
            'groups_id': [(6, 0, [cls.env.ref('sales_team.group_sale_salesman').id])]})
        cls.salesman2 = users.create({
            'name': 'Omer Sales', 'login': 'omer.sales', 'email': 'omer@example.com',
            'groups_id': [(6, 0, [cls.env.ref('sales_team.group_sale_salesman').id])]})
        cls.manager = users.create({
            'name': 'Yael Manager', 'login': 'yael.manager', 'email': 'yael@example.com',
            'groups_id': [(6, 0, [cls.env.ref('sales_team.group_sale_manager').id])]})
        cls.team = cls.env['crm.team'].create({'name': 'Projects North', 'user_id': cls.manager.id})
        cls.stage_potential = cls.env.ref('impact_crm.stage_potential')
        cls.stage_quote = cls.env.ref('impact_crm.stage_quote')
        cls.stage_order = cls.env.ref('impact_crm.stage_order')
        cls.role_architect = cls.env.ref('impact_crm.lead_role_architect')
        cls.role_engineer = cls.env.ref('impact_crm.lead_role_structural_engineer')
        cls.role_developer = cls.env.ref('impact_crm.lead_role_developer')
        cls.role_decision = cls.env.ref('impact_crm.lead_role_decision_maker')
        partners = cls.env['res.partner']
        cls.firm_arch = partners.create({'name': 'Levi Architects Ltd', 'is_company': True})
        cls.firm_eng = partners.create({'name': 'Cohen Engineering', 'is_company': True})
        cls.developer = partners.create({'name': 'Tower Developers Ltd', 'is_company': True})
        cls.dana = partners.create({'name': 'Dana Levi', 'parent_id': cls.firm_arch.id, 'type': 'contact'})
        cls.avi = partners.create({'name': 'Avi Levi', 'parent_id': cls.firm_arch.id, 'type': 'contact'})
        cls.moshe = partners.create({'name': 'Moshe Cohen', 'parent_id': cls.firm_eng.id, 'type': 'contact'})
        cls.call = cls.env.ref('mail.mail_activity_data_call')
        cls.meeting = cls.env.ref('mail.mail_activity_data_meeting')
        cls.todo = cls.env.ref('mail.mail_activity_data_todo')

    @classmethod
    def _lead(cls, name, stage=None, user=None, **vals):
        vals.update({
            'name': name, 'type': 'opportunity', 'partner_id': cls.developer.id,
            'user_id': (user or cls.salesman).id, 'team_id': cls.team.id,
            'stage_id': (stage or cls.stage_potential).id,
        })
        return cls.env['crm.lead'].sudo(user or cls.salesman).create(vals).sudo()

    def _activities(self, leads, rule=None):
        domain = [('res_model', '=', 'crm.lead'), ('res_id', 'in', leads.ids)]
        if rule is not None:
            domain.append(('stage_rule_id', '=', rule.id))
        return self.env['mail.activity'].search(domain)
