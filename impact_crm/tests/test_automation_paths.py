"""The automation rules' activities, tried as a sales user through Odoo's generic paths (a write, a nested command
on the deal, a form saving its values):

- a rule's activity stays with whom and on what the rule put it: a rep neither hands it to a colleague (his
  lateness would count as the colleague's in the SLA report) nor moves it to another document (it would leave
  its deal and the SLA report); a sales manager may;
- a deal without salesperson gives a rule's activity to the user who moved it, not to the superuser the rules
  run as;
- a time standard sent as text (an import, a JSON-RPC client) counts as its number.
"""
from odoo import fields
from odoo.exceptions import ValidationError

from .test_integrity_paths import IntegrityCase

HANDED = 'only a sales manager can assign it to someone else or move it to another document'


class TestRuleActivityStaysPut(IntegrityCase):

    @classmethod
    def setUpClass(cls):
        super(TestRuleActivityStaysPut, cls).setUpClass()
        cls.manager = cls.user('automation_manager', 'sales_team.group_sale_manager')
        cls.potential = cls.env.ref('impact_crm.stage_potential')
        cls.quote = cls.env.ref('impact_crm.stage_quote')
        cls.rule = cls.env.ref('impact_crm.stage_rule_prepare_quote')

    def deal(self, name, user=None):
        return self.Leads.create({'name': name, 'type': 'opportunity', 'stage_id': self.potential.id,
                                  'user_id': user.id if user else False})

    def rule_task(self, deal):
        deal.write({'stage_id': self.quote.id})
        task = self.env['mail.activity'].search([('res_model', '=', 'crm.lead'), ('res_id', '=', deal.id),
                                                 ('stage_rule_id', '=', self.rule.id)])
        self.assertEqual(len(task), 1)
        return task

    def test_a_rep_does_not_hand_a_rule_task_to_a_colleague(self):
        deal = self.deal('Audit Handed', self.rep)
        task = self.rule_task(deal)
        self.assertEqual(task.user_id, self.rep)
        mine = task.sudo(self.rep)
        for label, operation in [
                ('write', lambda: mine.write({'user_id': self.colleague.id})),
                ('no assignee', lambda: mine.write({'user_id': False})),
                ("a command on the deal's activities",
                 lambda: deal.write({'activity_ids': [(1, task.id, {'user_id': self.colleague.id})]}))]:
            self.assertRefused(operation, task, ['user_id'], message=HANDED)
        # a form saving its values unchanged passes; a sales manager reassigns
        mine.write({'user_id': self.rep.id, 'summary': 'Prepare the quote today'})
        task.sudo(self.manager).write({'user_id': self.colleague.id})
        self.assertEqual(task.user_id, self.colleague)
        # taking it over is his own lateness (Odoo's meeting scheduled from the task does it): allowed
        mine.write({'user_id': self.rep.id})
        self.assertEqual(task.user_id, self.rep)
        # his own activities, without rule, he hands to whom he likes (Odoo's behaviour)
        own = self.env['mail.activity'].sudo(self.rep).create({
            'res_model_id': self.env['ir.model']._get('crm.lead').id, 'res_id': deal.id,
            'activity_type_id': self.rule.activity_type_id.id, 'summary': 'Mine', 'user_id': self.rep.id})
        own.write({'user_id': self.colleague.id})
        self.assertEqual(own.user_id, self.colleague)

    def test_a_rep_does_not_move_a_rule_task_off_its_deal(self):
        deal = self.deal('Audit Moved', self.rep)
        other = self.deal('Audit Other', self.rep)
        task = self.rule_task(deal)
        mine = task.sudo(self.rep)
        partner_model = self.env['ir.model']._get('res.partner')
        for label, operation in [
                ('another document', lambda: mine.write({'res_model_id': partner_model.id,
                                                         'res_id': self.rep.partner_id.id})),
                ('another deal', lambda: mine.write({'res_id': other.id}))]:
            self.assertRefused(operation, task, ['res_model', 'res_id'], message=HANDED)
        report = self.env['crm.activity.sla.report'].search([('lead_id', '=', deal.id), ('state', '=', 'open')])
        self.assertEqual(report.user_id, self.rep)

    def test_a_deal_without_salesperson_gives_the_task_to_who_moved_it(self):
        deal = self.deal('Audit Unassigned')
        self.assertFalse(deal.user_id)
        self.assertEqual(self.rule_task(deal).user_id, self.rep)

    def test_a_time_standard_sent_as_text_counts_as_its_number(self):
        deal = self.deal('Audit Text Standard', self.rep)
        Activity = self.env['mail.activity'].sudo(self.rep)
        values = {'res_model_id': self.env['ir.model']._get('crm.lead').id, 'res_id': deal.id,
                  'activity_type_id': self.rule.activity_type_id.id, 'user_id': self.rep.id}
        for unit, hours in (('hours', 5), ('days', 120)):
            activity = Activity.create(dict(values, sla_value='5', sla_unit=unit))
            self.assertEqual(activity.sla_value, 5.0)
            delta = fields.Datetime.from_string(activity.sla_deadline) - fields.Datetime.from_string(
                activity.create_date)
            self.assertAlmostEqual(delta.total_seconds() / 3600.0, hours, places=1)
            activity.write({'sla_value': '2'})
            self.assertEqual(activity.sla_value, 2.0)
        with self.assertRaises(ValidationError):
            Activity.create(dict(values, sla_value='five'))
