"""The data of the pipeline kanban's stage-group bands: the groups of the columns in order, the
totals of each group under the user's record rules, and the Lost stage the lost dialog guards."""
from odoo.exceptions import UserError
from odoo.tests.common import SavepointCase


class TestPipelineBands(SavepointCase):

    @classmethod
    def setUpClass(cls):
        super(TestPipelineBands, cls).setUpClass()
        ref = cls.env.ref
        cls.potential = ref('impact_crm.stage_potential')
        cls.quote = ref('impact_crm.stage_quote')
        cls.won = ref('impact_crm.stage_won')
        cls.lost = ref('impact_crm.stage_lost')
        cls.done = ref('impact_crm.stage_done')
        cls.group_open = ref('impact_crm.stage_group_open')
        cls.group_execution = ref('impact_crm.stage_group_execution')
        cls.group_closed = ref('impact_crm.stage_group_closed')
        Users = cls.env['res.users'].with_context(no_reset_password=True)
        salesman = ref('sales_team.group_sale_salesman')
        cls.rep = Users.create({'name': 'Band Rep', 'login': 'band.rep', 'email': 'band.rep@example.com',
                                'groups_id': [(6, 0, [salesman.id])]})
        cls.other_rep = Users.create({'name': 'Other Rep', 'login': 'band.other', 'email': 'band.other@example.com',
                                      'groups_id': [(6, 0, [salesman.id])]})
        cls.tag = cls.env['crm.lead.tag'].create({'name': 'band test'})
        Lead = cls.env['crm.lead']
        cls.leads = Lead
        deals = ((cls.rep, cls.potential, 100000.0, None), (cls.rep, cls.quote, 50000.0, 30.0),
                 (cls.rep, cls.won, 20000.0, None), (cls.other_rep, cls.potential, 7000.0, None))
        for user, stage, revenue, probability in deals:
            vals = {'name': 'Band deal %s' % revenue, 'type': 'opportunity', 'user_id': user.id,
                    'stage_id': stage.id, 'planned_revenue': revenue, 'tag_ids': [(6, 0, cls.tag.ids)]}
            if probability is not None:
                vals['probability'] = probability
            cls.leads |= Lead.create(vals)
        cls.stages = cls.potential | cls.quote | cls.won | cls.done | cls.lost

    def _bands(self, user):
        result = self.env['crm.lead'].sudo(user).impact_stage_group_bands(
            [('tag_ids', 'in', self.tag.ids)], self.stages.ids)
        return result, dict((band['id'], band) for band in result['bands'])

    def test_groups_in_order_with_their_stages_and_totals(self):
        result, bands = self._bands(self.env.user)
        self.assertEqual([band['id'] for band in result['bands']],
                         [self.group_open.id, self.group_execution.id, self.group_closed.id])
        self.assertEqual(bands[self.group_open.id]['stage_ids'], [self.potential.id, self.quote.id])
        self.assertEqual(bands[self.group_closed.id]['stage_ids'], [self.done.id, self.lost.id])
        # Open: 100,000 at Potential's 10 % + 50,000 at 30 % + the other rep's 7,000 at 10 %
        self.assertEqual(bands[self.group_open.id]['count'], 3)
        self.assertAlmostEqual(bands[self.group_open.id]['expected'], 157000.0)
        self.assertAlmostEqual(bands[self.group_open.id]['weighted'], 10000.0 + 15000.0 + 700.0)
        self.assertAlmostEqual(bands[self.group_execution.id]['expected'], 20000.0)
        self.assertAlmostEqual(bands[self.group_execution.id]['weighted'], 20000.0)
        self.assertEqual(bands[self.group_closed.id]['count'], 0)
        self.assertEqual(result['lost_stage_ids'], [self.lost.id])
        self.assertEqual(result['currency_id'], self.env.user.company_id.currency_id.id)

    def test_totals_follow_the_record_rules_of_a_rep(self):
        # a rep sees his own deals (and unassigned ones): the other rep's 7,000 is not in his totals
        result, bands = self._bands(self.rep)
        self.assertEqual(bands[self.group_open.id]['count'], 2)
        self.assertAlmostEqual(bands[self.group_open.id]['expected'], 150000.0)
        self.assertAlmostEqual(bands[self.group_open.id]['weighted'], 25000.0)

    def test_totals_follow_the_kanban_filter(self):
        result = self.env['crm.lead'].impact_stage_group_bands(
            [('tag_ids', 'in', self.tag.ids), ('user_id', '=', self.other_rep.id)], self.stages.ids)
        open_band = [band for band in result['bands'] if band['id'] == self.group_open.id][0]
        self.assertEqual((open_band['count'], open_band['expected']), (1, 7000.0))

    def test_stage_ids_that_are_not_ids_are_refused_clearly(self):
        Lead = self.env['crm.lead'].sudo(self.rep)
        for stage_ids in ('x', ['x'], [True], {'a': 1}):
            with self.assertRaises(UserError):
                Lead.impact_stage_group_bands([], stage_ids)

    def test_a_group_moved_first_leads_the_bands(self):
        self.group_execution.sequence = 1
        result, bands = self._bands(self.env.user)
        self.assertEqual(result['bands'][0]['id'], self.group_execution.id)
