"""Promises that held through a deal's own create/write, tried through Odoo's other generic paths as a sales user
(and a sales manager where the rule is "nobody"): a client's context, nested one2many commands, import, mass
edit, deleting what a deal refers to.

- an instalment schedule sums to the deal's expected revenue, whatever context a client sends, and whichever
  deal's instalments a nested command reaches;
- a lost deal keeps its loss reason: deleting the reason itself is refused (archive it instead);
- a lost deal stays lost (its Lost stage, probability 0) until it is restored: no move into a won or open stage
  behind the Restore's back.
"""
from odoo.exceptions import UserError, ValidationError

from .test_integrity_paths import IntegrityCase

SCHEDULE = 'not to its expected revenue'


class TestInstalmentScheduleByAnyPath(IntegrityCase):

    def setUp(self):
        super(TestInstalmentScheduleByAnyPath, self).setUp()
        self.deal = self.Leads.create({
            'name': 'Audit Schedule', 'type': 'opportunity', 'user_id': self.rep.id, 'planned_revenue': 100.0,
            'revenue_spread': 'schedule',
            'instalment_ids': [(0, 0, {'date': '2027-01-01', 'amount': 60.0}),
                               (0, 0, {'date': '2027-02-01', 'amount': 40.0})]})
        self.first, self.second = self.deal.instalment_ids.sorted('date')

    def assertScheduleKept(self, operation, deal=None):
        deal = deal or self.deal
        self.assertRefused(operation, deal, ['planned_revenue', 'revenue_spread', 'instalment_ids'],
                           error=ValidationError, message=SCHEDULE)
        deal.invalidate_cache()
        self.assertEqual(sum(deal.instalment_ids.mapped('amount')), deal.planned_revenue)

    def test_the_deals_context_key_sent_by_a_client_checks_as_usual(self):
        """The key the deal's own write raises around its instalments, sent by a client (JSON-RPC context),
        switches nothing off: a write, a deletion, a creation and an import of an instalment are checked."""
        Instalments = self.env['crm.lead.instalment'].sudo(self.rep).with_context(
            impact_instalments_from_lead=True, impact_instalments_from_new_lead=True)
        first, second = self.first.with_env(Instalments.env), self.second.with_env(Instalments.env)
        self.assertScheduleKept(lambda: first.write({'amount': 1.0}))
        self.assertScheduleKept(lambda: second.unlink())
        self.assertScheduleKept(lambda: Instalments.create({'lead_id': self.deal.id, 'date': '2027-03-01',
                                                            'amount': 500.0}))
        result = Instalments.load(['lead_id/.id', 'date', 'amount'], [[str(self.deal.id), '2027-03-01', '500']])
        self.assertFalse(result['ids'])
        self.assertIn(SCHEDULE, result['messages'][0]['message'])
        self.deal.invalidate_cache()
        self.assertEqual(len(self.deal.instalment_ids), 2)

    def test_a_nested_command_on_another_deals_instalment_is_checked(self):
        """Writing a deal with a command on an instalment of another of the rep's deals (or creating a deal with
        one) checks that other deal's schedule too."""
        other = self.Leads.create({'name': 'Audit Other', 'type': 'opportunity', 'user_id': self.rep.id,
                                   'planned_revenue': 50.0})
        self.assertScheduleKept(
            lambda: other.write({'instalment_ids': [(1, self.first.id, {'amount': 1.0})]}))
        self.assertScheduleKept(
            lambda: other.write({'instalment_ids': [(2, self.second.id, 0)]}))
        self.assertScheduleKept(
            lambda: other.write({'instalment_ids': [(4, self.second.id, 0)]}))
        self.assertScheduleKept(lambda: self.Leads.create({
            'name': 'Audit New', 'type': 'opportunity', 'user_id': self.rep.id,
            'instalment_ids': [(1, self.first.id, {'amount': 1.0})]}))
        # the deal's own schedule, changed with it in one write, is checked once, whole
        self.deal.write({'planned_revenue': 120.0, 'instalment_ids': [(1, self.first.id, {'amount': 80.0})]})
        self.assertEqual(sum(self.deal.instalment_ids.mapped('amount')), 120.0)


class TestLossReasonDeletion(IntegrityCase):

    def setUp(self):
        super(TestLossReasonDeletion, self).setUp()
        self.env.user.company_id.crm_lost_reason_required = True
        self.manager = self.user('audit_sales_manager', 'sales_team.group_sale_manager')
        self.used = self.env['crm.lost.reason'].create({'name': 'Audit: used reason'})
        self.lost = self.Leads.create({'name': 'Audit Lost Hall', 'type': 'opportunity', 'user_id': self.rep.id,
                                       'planned_revenue': 5000.0, 'lost_reason': self.used.id})
        self.lost.action_set_lost()
        self.assertTrue(self.lost.lost_date)

    def test_a_reason_lost_deals_hold_is_archived_not_deleted(self):
        unused = self.env['crm.lost.reason'].create({'name': 'Audit: unused reason'})
        reasons = self.env['crm.lost.reason'].sudo(self.manager)
        for operation in (lambda: reasons.browse(self.used.id).unlink(),
                          lambda: reasons.browse([unused.id, self.used.id]).unlink(),
                          lambda: self.used.sudo().unlink()):   # the administrator neither
            error = self.assertRefused(operation, self.lost, ['lost_reason', 'lost_date', 'active'],
                                       message='archive it instead')
            self.assertIn(self.used.name, error.name)
        self.assertTrue(self.used.exists())
        report = self.env['crm.lead.lost.report'].sudo(self.rep).search([('lead_id', '=', self.lost.id)])
        self.assertEqual(report.lost_reason_id, self.used)
        # archiving is the way; a reason no deal holds may go
        reasons.browse(self.used.id).write({'active': False})
        self.assertEqual(self.lost.lost_reason, self.used)
        reasons.browse(unused.id).unlink()
        self.assertFalse(unused.exists())


class TestLostDealStaysLost(IntegrityCase):

    def setUp(self):
        super(TestLostDealStaysLost, self).setUp()
        self.env.user.company_id.crm_lost_reason_required = True
        self.quote_stage = self.env.ref('impact_crm.stage_quote')
        self.won_stage = self.env['crm.stage'].search([('group_kind', '=', 'execution')], limit=1)
        self.lost = self.Leads.create({'name': 'Audit Lost Pier', 'type': 'opportunity', 'user_id': self.rep.id,
                                       'planned_revenue': 7000.0, 'stage_id': self.quote_stage.id,
                                       'lost_reason': self.reason.id})
        self.lost.action_set_lost()
        self.assertTrue(self.lost.lost_date and self.lost.stage_id.is_lost)

    def test_a_lost_deal_is_not_moved_without_restore(self):
        fields = ['stage_id', 'probability', 'active', 'lost_date', 'lost_reason', 'date_closed',
                  'forecast_category', 'stage_history_count']
        other = self.Leads.create({'name': 'Audit Open Pier', 'type': 'opportunity', 'user_id': self.rep.id})
        for label, operation in [
                ('into a won stage', lambda: self.lost.write({'stage_id': self.won_stage.id})),
                ('into an open stage', lambda: self.lost.write({'stage_id': self.quote_stage.id})),
                ('a probability', lambda: self.lost.write({'probability': 50.0})),
                ('mass edit with an open deal', lambda: (self.lost | other).write({'stage_id': self.won_stage.id})),
                ('as administrator', lambda: self.lost.sudo().write({'stage_id': self.won_stage.id})),
                ('import', lambda: self._load_stage(self.won_stage))]:
            with self.subTest(path=label):
                self.assertRefused(operation, self.lost, fields, message='until it is restored')
        self.assertEqual(self.lost.lost_stage_id, self.quote_stage)

    def _load_stage(self, stage):
        result = self.Leads.with_context(active_test=False).load(['.id', 'stage_id/.id'],
                                                                 [[str(self.lost.id), str(stage.id)]])
        if not result['ids']:
            raise UserError(result['messages'][0]['message'])

    def test_restore_then_move(self):
        # restoring clears the loss and goes back to the stage it was lost at; then it moves as any deal
        self.lost.write({'active': True})
        self.assertFalse(self.lost.lost_date)
        self.assertEqual(self.lost.stage_id, self.quote_stage)
        self.lost.write({'stage_id': self.won_stage.id})
        self.assertEqual(self.lost.probability, 100.0)
        # restored with a stage in the same write: straight into that stage, one move from the Lost stage
        lost_stage = self.env['crm.stage'].search([('is_lost', '=', True)], limit=1)
        moved = self.Leads.create({'name': 'Audit Lost Quay', 'type': 'opportunity', 'user_id': self.rep.id,
                                   'stage_id': self.quote_stage.id, 'lost_reason': self.reason.id})
        moved.action_set_lost()
        moved.write({'active': True, 'stage_id': self.won_stage.id})
        self.assertEqual((moved.stage_id, moved.probability, moved.lost_date), (self.won_stage, 100.0, False))
        history = self.env['crm.lead.stage.history'].search([('lead_id', '=', moved.id)], order='id desc', limit=1)
        self.assertEqual((history.stage_from_id, history.stage_to_id), (lost_stage, self.won_stage))
        # Odoo's meaning of lost sent again on a lost deal changes nothing it refuses
        again = self.Leads.create({'name': 'Audit Lost Again', 'type': 'opportunity', 'user_id': self.rep.id,
                                   'lost_reason': self.reason.id})
        again.action_set_lost()
        again.write({'active': False, 'probability': 0})
        self.assertTrue(again.lost_date and again.stage_id.is_lost)

    def test_a_lost_deal_moves_between_lost_stages(self):
        """A lost deal stays lost in another Lost stage: the way to empty a Lost stage before deleting it."""
        manager = self.user('audit_lost_manager', 'sales_team.group_sale_manager')
        first = self.lost.stage_id
        second = self.env['crm.stage'].sudo(manager).create({
            'name': 'Lost (archive)', 'group_id': first.group_id.id, 'is_lost': True, 'probability': 0.0,
            'sequence': first.sequence + 1, 'fold': True})
        self.lost.write({'stage_id': second.id})
        self.assertEqual((self.lost.stage_id, self.lost.active, self.lost.probability), (second, False, 0.0))
        self.assertTrue(self.lost.lost_date)
        # an open deal still enters a Lost stage only through Mark Lost
        other = self.Leads.create({'name': 'Audit Open Quay', 'type': 'opportunity', 'user_id': self.rep.id,
                                   'stage_id': self.quote_stage.id})
        self.assertRefused(lambda: other.write({'stage_id': second.id}), other, ['stage_id'], message='Mark Lost')
        self.lost.sudo(manager).write({'stage_id': first.id})
        second.sudo(manager).unlink()
        self.assertFalse(second.exists())

    def test_a_manager_merges_a_lost_deal_with_its_open_duplicate(self):
        """Odoo keeps the lost deal (its Lost stage comes last) and gave it the open one's probability: it stays
        lost, at 0, with the open deal's quotation."""
        manager = self.user('audit_merge_manager', 'sales_team.group_sale_manager')
        duplicate = self.Leads.create({'name': 'Audit Lost Pier (copy)', 'type': 'opportunity',
                                       'user_id': self.rep.id, 'partner_id': self.partner.id,
                                       'stage_id': self.quote_stage.id})
        quotation = self.env['sale.order'].sudo(self.rep).create({
            'partner_id': self.partner.id, 'opportunity_id': duplicate.id})
        head = (self.lost | duplicate).sudo(manager).merge_opportunity()
        self.assertEqual(head, self.lost)
        self.assertEqual((head.active, head.probability, head.stage_id.is_lost), (False, 0.0, True))
        self.assertTrue(head.lost_date)
        self.assertEqual(quotation.opportunity_id, self.lost)
        self.assertFalse(duplicate.exists())
