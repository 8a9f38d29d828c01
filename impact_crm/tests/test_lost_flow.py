from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests.common import SavepointCase


class LostCase(SavepointCase):
    """Deals of a sales rep in the shipped pipeline, the shipped loss taxonomy."""

    @classmethod
    def setUpClass(cls):
        super(LostCase, cls).setUpClass()
        cls.Lead = cls.env['crm.lead']
        cls.company = cls.env.user.company_id
        cls.company.crm_lost_reason_required = True
        users = cls.env['res.users'].with_context(no_reset_password=True)
        cls.rep = users.create({
            'name': 'Rep Lost', 'login': 'rep_lost', 'email': 'rep_lost@example.com',
            'groups_id': [(6, 0, [cls.env.ref('sales_team.group_sale_salesman').id,
                                  cls.env.ref('base.group_partner_manager').id])]})
        cls.manager = users.create({
            'name': 'Manager Lost', 'login': 'manager_lost', 'email': 'manager_lost@example.com',
            'groups_id': [(6, 0, [cls.env.ref('sales_team.group_sale_manager').id])]})
        cls.team = cls.env['crm.team'].create({'name': 'Lost Flow Team'})
        ref = cls.env.ref
        cls.stage_potential = ref('impact_crm.stage_potential')
        cls.stage_quote = ref('impact_crm.stage_quote')
        cls.stage_order = ref('impact_crm.stage_order')
        cls.stage_lost = ref('impact_crm.stage_lost')
        cls.group_open = ref('impact_crm.stage_group_open')
        cls.reason_price = ref('impact_crm.lost_reason_price_above_budget')
        cls.reason_budget = ref('impact_crm.lost_reason_budget_cut')
        cls.reason_needs = ref('impact_crm.lost_reason_needs_misunderstood')
        cls.reason_competitor = ref('impact_crm.lost_reason_competitor')
        cls.reason_cancelled = ref('impact_crm.lost_reason_project_cancelled')
        cls.crit_price = ref('impact_crm.lost_criterion_price')
        cls.crit_needs = ref('impact_crm.lost_criterion_needs')
        cls.crit_competition = ref('impact_crm.lost_criterion_competition')
        cls.crit_timing = ref('impact_crm.lost_criterion_timing')

    @classmethod
    def _deal(cls, name, stage, revenue, user=None, **kw):
        vals = dict(name=name, type='opportunity', stage_id=stage.id, planned_revenue=revenue,
                    user_id=(user or cls.rep).id, team_id=cls.team.id)
        vals.update(kw)
        return cls.env['crm.lead'].create(vals)

    def _wizard(self, leads, user=None, **vals):
        Wizard = self.env['crm.lead.lost'].sudo(user or self.rep).with_context(
            active_model='crm.lead', active_ids=leads.ids, active_id=leads[:1].id)
        defaults = Wizard.default_get(list(Wizard._fields))
        defaults.update(vals)
        return Wizard.create(defaults)

    def assertNotLost(self, lead, stage):
        lead.invalidate_cache()
        self.assertTrue(lead.active)
        self.assertEqual(lead.stage_id, stage)
        self.assertFalse(lead.lost_date)
        self.assertFalse(lead.lost_reason)


class TestLostFlow(LostCase):

    # --- every path to lost enforces the reason -------------------------------------------------

    def test_wizard_without_reason_is_refused(self):
        lead = self._deal('Mall roof', self.stage_quote, 50000)
        wizard = self._wizard(lead)
        with self.assertRaises(UserError):
            wizard.action_lost_reason_apply()
        self.assertNotLost(lead, self.stage_quote)

    def test_action_set_lost_by_rpc_without_reason_is_refused(self):
        lead = self._deal('School facade', self.stage_quote, 80000)
        with self.assertRaisesRegex(UserError, 'Mark Lost'):
            lead.sudo(self.rep).action_set_lost()
        self.assertNotLost(lead, self.stage_quote)

    def test_action_set_lost_by_rpc_with_reason_written_first(self):
        # what Odoo's own wizard (and an RPC client) does: write the reason, then action_set_lost
        lead = self._deal('Clinic windows', self.stage_order, 12000)
        lead.sudo(self.rep).write({'lost_reason': self.reason_budget.id})
        lead.sudo(self.rep).action_set_lost()
        self.assertFalse(lead.active)
        self.assertEqual(lead.probability, 0)
        self.assertEqual(lead.stage_id, self.stage_lost)
        self.assertEqual(lead.lost_stage_id, self.stage_order)
        self.assertEqual(lead.lost_amount, 12000)

    def test_kanban_drag_to_lost_stage_is_refused(self):
        lead = self._deal('Bridge railings', self.stage_potential, 30000)
        with self.assertRaisesRegex(UserError, 'Mark Lost'):
            lead.sudo(self.rep).write({'stage_id': self.stage_lost.id})
        # even with a reason: the stage is entered through the flow only
        with self.assertRaises(UserError):
            lead.sudo(self.rep).write({'stage_id': self.stage_lost.id, 'lost_reason': self.reason_price.id})
        self.assertNotLost(lead, self.stage_potential)

    def test_direct_write_of_lost_semantic_goes_through_the_flow(self):
        lead = self._deal('Hotel lobby', self.stage_quote, 7000)
        with self.assertRaises(UserError):
            lead.sudo(self.rep).write({'active': False, 'probability': 0})
        self.assertNotLost(lead, self.stage_quote)
        lead.sudo(self.rep).write({'active': False, 'probability': 0, 'lost_reason': self.reason_needs.id})
        self.assertFalse(lead.active)
        self.assertEqual(lead.stage_id, self.stage_lost)
        self.assertEqual(lead.lost_stage_id, self.stage_quote)
        self.assertEqual(lead.lost_criterion_id, self.crit_needs)
        self.assertEqual(lead.lost_date, fields.Date.context_today(lead.sudo(self.rep)))

    def test_archiving_is_not_losing(self):
        lead = self._deal('Duplicate enquiry', self.stage_potential, 0)
        lead.sudo(self.rep).write({'active': False})
        self.assertFalse(lead.active)
        self.assertEqual(lead.stage_id, self.stage_potential)
        self.assertFalse(lead.lost_date)
        self.assertFalse(self.env['crm.lead.lost.report'].search([('lead_id', '=', lead.id)]))

    def test_create_in_lost_stage_needs_reason(self):
        with self.assertRaises(UserError):
            self._deal('Imported loss', self.stage_lost, 900)
        lead = self._deal('Imported loss', self.stage_lost, 900, lost_reason=self.reason_cancelled.id)
        self.assertFalse(lead.active)
        self.assertEqual(lead.probability, 0)
        self.assertEqual(lead.lost_amount, 900)
        self.assertEqual(lead.lost_criterion_id, self.crit_timing)

    def test_reason_optional_when_company_says_so(self):
        self.company.crm_lost_reason_required = False
        lead = self._deal('Small fence', self.stage_potential, 500)
        self._wizard(lead).action_lost_reason_apply()
        self.assertFalse(lead.active)
        self.assertEqual(lead.stage_id, self.stage_lost)
        self.assertFalse(lead.lost_reason)

    # --- the wizard ----------------------------------------------------------------------------

    def test_wizard_records_the_loss_and_creates_the_competitor(self):
        lead = self._deal('Tower C curtain wall', self.stage_order, 250000)
        # the competitor is typed in the wizard and created on the fly (many2one quick create)
        competitor_id = self.env['res.partner'].sudo(self.rep).with_context(
            default_is_competitor=True, default_is_company=True).name_create('GlassCo Ltd')[0]
        competitor = self.env['res.partner'].browse(competitor_id)
        self.assertTrue(competitor.is_competitor)
        wizard = self._wizard(lead, lost_reason_id=self.reason_competitor.id, competitor_id=competitor_id,
                              competitor_price=231000.0, note='They bid 8% lower.')
        wizard.action_lost_reason_apply()
        self.assertFalse(lead.active)
        self.assertEqual(lead.probability, 0)
        self.assertEqual(lead.stage_id, self.stage_lost)
        self.assertEqual(lead.lost_reason, self.reason_competitor)
        self.assertEqual(lead.lost_criterion_id, self.crit_competition)
        self.assertEqual(lead.lost_stage_id, self.stage_order)
        self.assertEqual(lead.lost_stage_group_id, self.group_open)
        self.assertEqual(lead.lost_amount, 250000)
        self.assertEqual(lead.lost_date, fields.Date.context_today(lead.sudo(self.rep)))
        self.assertEqual(lead.lost_competitor_id, competitor)
        self.assertEqual(lead.lost_competitor_price, 231000.0)
        self.assertEqual(lead.lost_note, 'They bid 8% lower.')
        self.assertIn(competitor, lead.competitor_ids)
        # the chatter tells: one message with the reason, the stage, the competitor and the note
        values = lead.message_ids.mapped('tracking_value_ids')
        tracked = values.mapped('new_value_char') + values.mapped('new_value_text')
        for value in ('Lost to a competitor', 'Lost', 'GlassCo Ltd', 'They bid 8% lower.'):
            self.assertIn(value, tracked)

    def test_existing_partner_picked_as_competitor_is_flagged(self):
        partner = self.env['res.partner'].create({'name': 'Steel Frames Inc', 'is_company': True})
        lead = self._deal('Warehouse frame', self.stage_quote, 40000)
        wizard = self._wizard(lead, lost_reason_id=self.reason_competitor.id, competitor_id=partner.id)
        wizard.action_lost_reason_apply()
        self.assertTrue(partner.is_competitor)
        self.assertEqual(lead.lost_competitor_id, partner)

    def test_mass_lost_one_reason_for_all(self):
        leads = (self._deal('Mass A', self.stage_potential, 1000) | self._deal('Mass B', self.stage_quote, 2000)
                 | self._deal('Mass C', self.stage_order, 4000))
        wizard = self._wizard(leads, lost_reason_id=self.reason_price.id)
        self.assertEqual(wizard.lead_count, 3)
        wizard.action_lost_reason_apply()
        self.assertEqual(set(leads.mapped('active')), {False})
        self.assertEqual(leads.mapped('stage_id'), self.stage_lost)
        self.assertEqual(leads.mapped('lost_reason'), self.reason_price)
        self.assertEqual([lead.lost_stage_id for lead in leads],
                         [self.stage_potential, self.stage_quote, self.stage_order])
        self.assertEqual(leads.mapped('lost_amount'), [1000, 2000, 4000])

    def test_mass_lost_reason_per_deal(self):
        deal_a = self._deal('Per deal A', self.stage_potential, 100)
        deal_b = self._deal('Per deal B', self.stage_quote, 200)
        wizard = self._wizard(deal_a | deal_b, mode='each')
        self.assertEqual(wizard.line_ids.mapped('lead_id'), deal_a | deal_b)
        line_a = wizard.line_ids.filtered(lambda line: line.lead_id == deal_a)
        line_a.lost_reason_id = self.reason_needs
        # one deal without a reason: nothing is lost
        with self.assertRaises(UserError):
            wizard.action_lost_reason_apply()
        self.assertNotLost(deal_a, self.stage_potential)
        self.assertNotLost(deal_b, self.stage_quote)
        (wizard.line_ids - line_a).lost_reason_id = self.reason_cancelled
        wizard.action_lost_reason_apply()
        self.assertEqual(deal_a.lost_reason, self.reason_needs)
        self.assertEqual(deal_b.lost_reason, self.reason_cancelled)
        self.assertFalse(deal_a.active or deal_b.active)

    # --- restore -------------------------------------------------------------------------------

    def test_restore_returns_to_stage_lost_from_and_clears_the_loss(self):
        competitor = self.env['res.partner'].create({'name': 'Rival', 'is_competitor': True})
        lead = self._deal('Airport canopy', self.stage_order, 60000)
        self._wizard(lead, lost_reason_id=self.reason_competitor.id, competitor_id=competitor.id,
                     competitor_price=55000, note='price').action_lost_reason_apply()
        self.assertEqual(lead.stage_id, self.stage_lost)
        lead.sudo(self.rep).toggle_active()  # the Restore button of the form
        lead.invalidate_cache()
        self.assertTrue(lead.active)
        self.assertEqual(lead.stage_id, self.stage_order)
        self.assertEqual(lead.probability, self.stage_order.probability)
        for fname in ('lost_reason', 'lost_stage_id', 'lost_stage_group_id', 'lost_date', 'lost_competitor_id',
                      'lost_note'):
            self.assertFalse(lead[fname], fname)
        self.assertFalse(lead.lost_amount)
        self.assertIn(competitor, lead.competitor_ids)  # still a bidder on the deal
        self.assertTrue(any('Restored from lost' in (message.body or '') for message in lead.message_ids))
        self.assertFalse(self.env['crm.lead.lost.report'].search([('lead_id', '=', lead.id)]))

    def test_restore_from_kanban_link(self):
        lead = self._deal('Parking deck', self.stage_quote, 100)
        self._wizard(lead, lost_reason_id=self.reason_budget.id).action_lost_reason_apply()
        lead.sudo(self.rep).action_set_active()
        self.assertTrue(lead.active)
        self.assertEqual(lead.stage_id, self.stage_quote)
        self.assertFalse(lead.lost_reason)

    # --- taxonomy access -----------------------------------------------------------------------

    def test_sales_user_uses_but_cannot_edit_the_taxonomy(self):
        Criterion = self.env['crm.lost.criterion'].sudo(self.rep)
        Reason = self.env['crm.lost.reason'].sudo(self.rep)
        self.assertIn(self.crit_price, Criterion.search([]))
        self.assertEqual(Reason.browse(self.reason_price.id).criterion_id.name, self.crit_price.name)
        with self.assertRaises(AccessError):
            Criterion.create({'name': 'Rep criterion'})
        with self.assertRaises(AccessError):
            Criterion.browse(self.crit_price.id).write({'name': 'Renamed'})
        with self.assertRaises(AccessError):
            Reason.create({'name': 'Rep reason', 'criterion_id': self.crit_price.id})
        with self.assertRaises(AccessError):
            Reason.browse(self.reason_price.id).write({'active': False})
        # the manager adds and archives
        criterion = self.env['crm.lost.criterion'].sudo(self.manager).create({'name': 'Regulation'})
        reason = self.env['crm.lost.reason'].sudo(self.manager).create(
            {'name': 'Permit refused', 'criterion_id': criterion.id})
        reason.sudo(self.manager).write({'active': False})
        criterion.sudo(self.manager).toggle_active()
        self.assertFalse(reason.active or criterion.active)
        self.assertNotIn(reason, self.env['crm.lost.reason'].search([]))

    def test_shipped_taxonomy(self):
        names = self.env['crm.lost.criterion'].with_context(lang='en_US').search([]).mapped('name')
        for name in ('Price / budget gap', 'Needs', 'Competition', 'Communication',
                     'Timing / project cancelled', 'Other'):
            self.assertIn(name, names)
        criteria = self.env['crm.lost.criterion'].search([])
        self.assertGreaterEqual(len(criteria), 6)
        for criterion in criteria:
            self.assertTrue(criterion.reason_ids, criterion.name)

    def test_install_backfills_deals_lost_before(self):
        from ..hooks import _backfill_lost_deals
        lead = self._deal('Lost in 2025', self.stage_quote, 3300)
        # as Odoo's own lost button left it before impact_crm was installed
        self.env.cr.execute("UPDATE crm_lead SET active = FALSE, probability = 0, date_closed = '2025-03-04 10:00:00' "
                            "WHERE id = %s", (lead.id,))
        _backfill_lost_deals(self.env.cr)
        lead.invalidate_cache()
        self.assertEqual(lead.lost_date, '2025-03-04')
        self.assertEqual(lead.lost_amount, 3300)
        self.assertEqual(lead.lost_stage_id, self.stage_quote)
        row = self.env['crm.lead.lost.report'].search([('lead_id', '=', lead.id)])
        self.assertEqual(row.lost_amount, 3300)
        self.assertFalse(row.criterion_id)
