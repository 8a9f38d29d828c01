import json

from odoo.tests.common import SavepointCase


class TestWriteCost(SavepointCase):
    """What one write of a deal costs: the stored fields computed from the stage (stage group and kind, forecast
    category, weighted revenue) are written together by one UPDATE, hold what a fresh computation gives, and
    the values left in the ORM's cache are those of the rows."""

    @classmethod
    def setUpClass(cls):
        super(TestWriteCost, cls).setUpClass()
        env = cls.env
        cls.rep = env['res.users'].with_context(no_reset_password=True).create({
            'name': 'Cost Rep', 'login': 'cost_rep', 'email': 'cost_rep@example.com',
            'groups_id': [(6, 0, [env.ref('sales_team.group_sale_salesman').id])]})
        # from Order to Quote: no stage rule fires (the shipped one comes from Potential)
        cls.stage = dict((name, env.ref('impact_crm.stage_%s' % name)) for name in ('order', 'quote', 'won'))
        Lead = env['crm.lead'].sudo(cls.rep)
        cls.plain = Lead.create({'name': 'Cost Plain', 'type': 'opportunity', 'planned_revenue': 10000,
                                 'stage_id': cls.stage['order'].id, 'user_id': cls.rep.id})
        cls.called = Lead.create({'name': 'Cost Called', 'type': 'opportunity', 'planned_revenue': 30000,
                                  'stage_id': cls.stage['order'].id, 'user_id': cls.rep.id})
        cls.called.write({'forecast_category': 'pipeline'})

    def _updated_rows(self):
        self.env.cr.execute("SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'crm_lead'")
        return self.env.cr.fetchone()[0]

    def _stored(self, leads):
        """{deal: (stage group, kind, forecast category, weighted revenue)} as the rows hold them."""
        self.env.cr.execute("""SELECT id, stage_group_id, stage_group_kind, forecast_category, weighted_revenue
                                 FROM crm_lead WHERE id IN %s""", (tuple(leads.ids),))
        return dict((row[0], row[1:]) for row in self.env.cr.fetchall())

    def _cached(self, leads):
        return dict((lead.id, (lead.stage_group_id.id, lead.stage_group_kind, lead.forecast_category,
                               lead.weighted_revenue)) for lead in leads)

    def test_stage_change_writes_the_computed_fields_once(self):
        open_group = self.env.ref('impact_crm.stage_group_open')
        before = self._updated_rows()
        self.plain.sudo(self.rep).write({'stage_id': self.stage['quote'].id})
        # the stage change itself, then every field computed from it in one UPDATE (Odoo: one per field)
        self.assertLessEqual(self._updated_rows() - before, 2)
        self.assertEqual(self._stored(self.plain), {self.plain.id: (open_group.id, 'open', 'best_case', 2000.0)})
        self.assertEqual(self._cached(self.plain), self._stored(self.plain))
        self.assertEqual(self.plain.sudo().forecast_change_ids[0].stage_id, self.stage['quote'])
        # the chatter tracks the forecast category the stage gave
        tracking = self.plain.sudo().message_ids[0].tracking_value_ids
        self.assertIn('forecast_category', tracking.mapped('field'))

    def test_mass_stage_change_keeps_each_deals_values(self):
        execution = self.env.ref('impact_crm.stage_group_execution')
        deals = self.plain | self.called
        deals.sudo(self.rep).write({'stage_id': self.stage['quote'].id})
        open_group = self.env.ref('impact_crm.stage_group_open')
        expected = {self.plain.id: (open_group.id, 'open', 'best_case', 2000.0),
                    self.called.id: (open_group.id, 'open', 'pipeline', 6000.0)}  # the rep's call stays
        self.assertEqual(self._stored(deals), expected)
        self.assertEqual(self._cached(deals), expected)
        deals.sudo(self.rep).write({'stage_id': self.stage['won'].id})
        expected = {self.plain.id: (execution.id, 'execution', 'closed', 10000.0),
                    self.called.id: (execution.id, 'execution', 'closed', 30000.0)}
        self.assertEqual(self._stored(deals), expected)
        deals.invalidate_cache()
        self.assertEqual(self._cached(deals), expected)
        self.assertEqual(self.env['crm.forecast.report']._stale_rows(), 0)

    def test_new_deal_stores_its_computed_fields(self):
        deal = self.env['crm.lead'].sudo(self.rep).create({
            'name': 'Cost New', 'type': 'opportunity', 'planned_revenue': 5000, 'stage_id': self.stage['quote'].id})
        open_group = self.env.ref('impact_crm.stage_group_open')
        self.assertEqual(self._stored(deal), {deal.id: (open_group.id, 'open', 'best_case', 1000.0)})
        self.assertEqual(self._cached(deal), self._stored(deal))
        self.assertEqual(self.env['crm.forecast.report']._stale_rows(), 0)

    def test_salesperson_outside_the_team_costs_no_extra_write(self):
        """Odoo's constraint on the salesperson moves the deal into the salesperson's team when the salesperson
        is not a member of the deal's team; when that team is already the deal's, nothing is written again."""
        env = self.env
        team = env['crm.team'].create({'name': 'Cost Team', 'member_ids': [(6, 0, [self.rep.id])]})
        teamless = env['res.users'].with_context(no_reset_password=True).create({
            'name': 'Cost Teamless', 'login': 'cost_teamless', 'email': 'cost_teamless@example.com',
            'groups_id': [(6, 0, [env.ref('sales_team.group_sale_salesman').id])]})
        default_team = env['crm.team'].sudo(teamless)._get_default_team_id(user_id=teamless.id)
        self.assertTrue(default_team)
        self.assertNotIn(teamless, default_team.member_ids)
        member_deal = env['crm.lead'].create({'name': 'Cost Member', 'type': 'opportunity', 'team_id': team.id,
                                              'user_id': False})
        outside_deal = env['crm.lead'].create({'name': 'Cost Outside', 'type': 'opportunity',
                                               'team_id': default_team.id, 'user_id': False})
        env['crm.lead'].recompute()   # what the creations left to compute is not counted below
        # a member of the deal's team: Odoo's constraint writes nothing
        before = self._updated_rows()
        member_deal.write({'user_id': self.rep.id})
        member_cost = self._updated_rows() - before
        self.assertEqual(member_deal.team_id, team)
        # outside the deal's team, whose team is already the salesperson's default: no more than that
        before = self._updated_rows()
        outside_deal.write({'user_id': teamless.id})
        self.assertEqual(self._updated_rows() - before, member_cost)
        self.assertEqual(outside_deal.team_id, default_team)
        # a deal of a team the salesperson is not a member of still moves into the salesperson's team, as in Odoo
        self.assertNotIn(self.rep, default_team.member_ids)
        outside_deal.write({'user_id': self.rep.id})
        self.assertEqual(outside_deal.team_id, team)
        created = env['crm.lead'].sudo(self.rep).create({'name': 'Cost Created', 'type': 'opportunity',
                                                         'team_id': default_team.id, 'user_id': self.rep.id})
        self.assertEqual(created.team_id, team)
        self.assertEqual(self.env['crm.forecast.report']._stale_rows(), 0)

    def test_tracking_message_reaches_the_followers_chat_and_nobody_else(self):
        # the chat notification of a tracking message is formatted only when someone is to get it
        Bus = self.env['bus.bus']

        def needactions(since):
            return Bus.search([('id', '>', since), ('channel', 'like', '"ir.needaction"')])

        since = Bus.search([], order='id desc', limit=1).id or 0
        self.plain.sudo(self.rep).write({'stage_id': self.stage['quote'].id})
        message = self.plain.message_ids[0]
        self.assertIn('stage_id', message.sudo().tracking_value_ids.mapped('field'))
        self.assertFalse(message.needaction_partner_ids, "the rep, the only follower, made the change")
        self.assertFalse(needactions(since))
        watcher = self.env['res.users'].with_context(no_reset_password=True).create({
            'name': 'Cost Watcher', 'login': 'cost_watcher', 'email': 'cost_watcher@example.com',
            'notification_type': 'inbox', 'groups_id': [(6, 0, [self.env.ref('sales_team.group_sale_manager').id])]})
        self.plain.message_subscribe(partner_ids=[watcher.partner_id.id],
                                     subtype_ids=[self.env.ref('crm.mt_lead_stage').id])
        since = Bus.search([], order='id desc', limit=1).id or 0
        self.plain.sudo(self.rep).write({'stage_id': self.stage['order'].id})
        message = self.plain.message_ids[0]
        self.assertEqual(message.needaction_partner_ids, watcher.partner_id)
        sent = needactions(since)
        self.assertEqual(len(sent), 1)
        self.assertEqual(json.loads(sent.message)['id'], message.id)
        self.assertEqual(json.loads(sent.channel)[1:], ['ir.needaction', watcher.partner_id.id])
