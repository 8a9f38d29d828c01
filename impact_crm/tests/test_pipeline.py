from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests.common import SavepointCase
from odoo.tools import mute_logger


class TestPipeline(SavepointCase):
    """Probabilities with a surviving override, stage history, opportunity file,
    lead -> opportunity -> quote."""

    @classmethod
    def setUpClass(cls):
        super(TestPipeline, cls).setUpClass()
        ref = cls.env.ref
        cls.potential = ref('impact_crm.stage_potential')
        cls.quote = ref('impact_crm.stage_quote')
        cls.order = ref('impact_crm.stage_order')
        cls.won = ref('impact_crm.stage_won')
        cls.group_open = ref('impact_crm.stage_group_open')
        cls.group_execution = ref('impact_crm.stage_group_execution')
        Users = cls.env['res.users'].with_context(no_reset_password=True)
        cls.rep = Users.create({
            'name': 'Rina Rep', 'login': 'rina.rep.i3', 'email': 'rina@example.com',
            'groups_id': [(6, 0, [ref('sales_team.group_sale_salesman').id])]})
        cls.manager = Users.create({
            'name': 'Moshe Manager', 'login': 'moshe.mgr.i3', 'email': 'moshe@example.com',
            'groups_id': [(6, 0, [ref('sales_team.group_sale_manager').id])]})
        cls.partner = cls.env['res.partner'].create({'name': 'Carmel Builders Ltd', 'email': 'info@carmel.example'})
        cls.product = cls.env['product.product'].create({
            'name': 'Curtain wall m2', 'list_price': 300.0, 'type': 'service'})

    def _opportunity(self, **vals):
        values = {'name': 'Tower C glazing', 'type': 'opportunity', 'partner_id': self.partner.id,
                  'user_id': self.rep.id, 'stage_id': self.potential.id}
        values.update(vals)
        return self.env['crm.lead'].sudo(self.rep).create(values)

    # --- probability -------------------------------------------------------------------------
    def test_weighted_revenue_30000_at_40_percent(self):
        lead = self._opportunity(planned_revenue=30000.0)
        lead.write({'stage_id': self.order.id})
        self.assertEqual(lead.probability, self.order.probability)
        self.assertEqual(lead.probability, 40.0)
        self.assertEqual(lead.weighted_revenue, 12000.0)
        total = self.env['crm.lead'].read_group([('id', '=', lead.id)], ['weighted_revenue'], [])
        self.assertEqual(total[0]['weighted_revenue'], 12000.0)
        self.assertEqual(self.env['crm.lead'].search_count([('weighted_revenue', '=', 12000.0),
                                                            ('id', '=', lead.id)]), 1)

    def test_stage_change_takes_stage_default(self):
        lead = self._opportunity()
        self.assertEqual(lead.probability, self.potential.probability)
        lead.write({'stage_id': self.quote.id})
        self.assertEqual(lead.probability, self.quote.probability)
        self.assertFalse(lead.probability_is_manual)

    def test_override_survives_two_stage_changes_then_reset(self):
        lead = self._opportunity()
        lead.write({'probability': 65.0})
        self.assertTrue(lead.probability_is_manual)
        self.assertEqual(lead.probability_manual_uid, self.rep)
        self.assertTrue(lead.probability_manual_date)
        lead.write({'stage_id': self.quote.id})
        lead.write({'stage_id': self.order.id})
        self.assertEqual(lead.stage_id, self.order)
        self.assertEqual(lead.probability, 65.0)
        self.assertTrue(lead.probability_is_manual)
        lead.action_reset_probability()
        self.assertEqual(lead.probability, self.order.probability)
        self.assertFalse(lead.probability_is_manual)
        self.assertFalse(lead.probability_manual_uid)
        # after the reset, stage changes move the probability again
        lead.write({'stage_id': self.quote.id})
        self.assertEqual(lead.probability, self.quote.probability)

    def test_override_in_form_onchange_survives(self):
        lead = self._opportunity()
        lead.write({'probability': 55.0})
        lead.stage_id = self.quote
        lead._onchange_stage_id()
        self.assertEqual(lead.probability, 55.0)

    def test_mass_stage_change_keeps_only_overrides(self):
        manual = self._opportunity(name='Manual')
        manual.write({'probability': 70.0})
        plain = self._opportunity(name='Plain')
        (manual | plain).write({'stage_id': self.quote.id})
        self.assertEqual(manual.probability, 70.0)
        self.assertEqual(plain.probability, self.quote.probability)
        self.assertEqual((manual | plain).mapped('stage_id'), self.quote)

    def test_mass_stage_change_tracks_each_deal_once(self):
        """A mass edit tracks every deal (each with its own prefetch): one message per deal, with that deal's
        own old and new values, and nothing on a deal browsed with them but not written."""
        leads = self.env['crm.lead']
        for i in range(3):
            leads |= self._opportunity(name='Tracked %s' % i, planned_revenue=1000.0 * (i + 1))
        bystander = self._opportunity(name='Bystander')
        leads[1].write({'probability': 55.0})
        together = self.env['crm.lead'].sudo(self.rep).browse((leads | bystander).ids)
        before = dict((lead.id, lead.message_ids) for lead in together)
        together[:3].write({'stage_id': self.quote.id})
        for lead in leads:
            new = lead.message_ids - before[lead.id]
            self.assertEqual(len(new), 1, lead.name)
            self.assertEqual(new.subtype_id, self.env.ref('crm.mt_lead_stage'))
            stage_value = new.tracking_value_ids.filtered(lambda value: value.field == 'stage_id')
            self.assertEqual((stage_value.old_value_integer, stage_value.new_value_integer),
                             (self.potential.id, self.quote.id))
        self.assertEqual(leads[1].probability, 55.0)
        self.assertEqual((leads[0] | leads[2]).mapped('probability'), [self.quote.probability] * 2)
        self.assertEqual(bystander.message_ids, before[bystander.id])
        self.assertEqual(bystander.stage_id, self.potential)

    def test_execution_stage_wins_and_ends_override(self):
        lead = self._opportunity()
        lead.write({'probability': 30.0})
        lead.write({'stage_id': self.won.id})
        self.assertEqual(lead.probability, 100.0)
        self.assertTrue(lead.date_closed)
        self.assertFalse(lead.probability_is_manual)

    def test_bad_probability_refused_nothing_written(self):
        lead = self._opportunity(planned_revenue=1000.0)
        for bad in (120.0, -5.0):
            with self.assertRaises(ValidationError), self.env.cr.savepoint():
                lead.write({'probability': bad, 'next_step': 'should not be saved'})
        self.assertEqual(lead.probability, self.potential.probability)
        self.assertFalse(lead.next_step)
        with self.assertRaises(ValidationError):
            self._opportunity(name='Bad', probability=101.0)
        self.assertFalse(self.env['crm.lead'].search([('name', '=', 'Bad')]))

    def test_stage_probability_reapplied_to_non_overridden_deals(self):
        manual = self._opportunity(name='Manual', stage_id=self.quote.id)
        manual.write({'probability': 80.0})
        plain = self._opportunity(name='Plain', stage_id=self.quote.id)
        self.quote.sudo(self.manager).write({'probability': 25.0})
        self.assertEqual(plain.probability, 20.0)  # existing deals keep their value until re-applied
        self.quote.sudo(self.manager).action_apply_probability()
        self.assertEqual(plain.probability, 25.0)
        self.assertEqual(manual.probability, 80.0)
        self.assertFalse(plain.probability_is_manual)

    def test_sales_user_cannot_edit_configuration(self):
        with self.assertRaises(AccessError):
            self.quote.sudo(self.rep).write({'probability': 50.0})
        with self.assertRaises(AccessError):
            self.group_open.sudo(self.rep).write({'sequence': 99})
        with self.assertRaises(AccessError):
            self.env['crm.stage.group'].sudo(self.rep).create({'name': 'Mine', 'kind': 'open'})
        with self.assertRaises(AccessError):
            self.env['crm.lead.stage.history'].sudo(self.rep).search([], limit=1).write({'probability': 1})
        self.assertEqual(self.quote.probability, 20.0)

    # --- stage groups ------------------------------------------------------------------------
    def test_groups_reorder_changes_stage_order(self):
        stages = self.env['crm.stage'].search([('id', 'in', (self.potential | self.won).ids)])
        self.assertEqual(stages[0], self.potential)
        self.group_execution.sudo(self.manager).write({'sequence': self.group_open.sequence - 1})
        stages = self.env['crm.stage'].search([('id', 'in', (self.potential | self.won).ids)])
        self.assertEqual(stages[0], self.won)
        lead = self._opportunity(stage_id=self.won.id)
        self.assertEqual(lead.stage_group_id, self.group_execution)

    # --- deleting a stage --------------------------------------------------------------------
    def _manager_stage(self):
        return self.env['crm.stage'].sudo(self.manager).create({'name': 'Site survey', 'probability': 15.0})

    def test_stage_with_deals_not_deleted(self):
        stage = self._manager_stage()
        lead = self._opportunity()
        lead.sudo(self.rep).write({'stage_id': stage.id})
        History = self.env['crm.lead.stage.history']
        history = History.search([('lead_id', '=', lead.id)])
        self.assertEqual(history[0].stage_to_id, stage)
        with self.assertRaises(UserError) as refused:
            stage.sudo(self.manager).unlink()
        self.assertIn('Site survey', str(refused.exception.name))
        self.assertIn('1 deal', str(refused.exception.name))
        self.assertTrue(stage.exists())
        lead.invalidate_cache()
        self.assertEqual(lead.stage_id, stage)
        self.assertEqual(History.search([('lead_id', '=', lead.id)]), history)
        self.assertEqual(history[0].stage_from_id, self.potential)
        self.assertEqual(history[0].stage_to_id, stage)

    def test_stage_with_deals_the_manager_cannot_see_not_deleted(self):
        # an archived lead of another company: out of the manager's sight, still in the stage
        stage = self._manager_stage()
        other = self.env['res.company'].create({'name': 'Impact Glass Eilat'})
        lead = self.env['crm.lead'].create({'name': 'Eilat marina', 'type': 'lead', 'company_id': other.id,
                                            'stage_id': stage.id})
        lead.write({'active': False})
        Lead = self.env['crm.lead'].sudo(self.manager).with_context(active_test=False)
        self.assertFalse(Lead.search([('stage_id', '=', stage.id)]))
        with self.assertRaises(UserError) as refused:
            stage.sudo(self.manager).unlink()
        self.assertIn('Site survey', str(refused.exception.name))
        self.assertTrue(stage.exists())
        lead.invalidate_cache()
        self.assertEqual(lead.stage_id, stage)
        self.assertFalse(lead.active)

    def test_stage_deleted_once_its_deals_moved(self):
        stage = self._manager_stage()
        leads = self._opportunity() | self._opportunity(name='Tower D glazing')
        leads.sudo(self.rep).write({'stage_id': stage.id})
        with self.assertRaises(UserError) as refused:
            stage.sudo(self.manager).unlink()
        self.assertIn('2 deal', str(refused.exception.name))
        # the way out the message gives: move them (recorded), then delete the stage no deal is in
        leads.sudo(self.manager).write({'stage_id': self.quote.id})
        History = self.env['crm.lead.stage.history']
        moves = History.search([('lead_id', 'in', leads.ids), ('stage_from_id', '=', stage.id)])
        self.assertEqual(len(moves), 2)
        self.assertEqual(moves.mapped('stage_to_id'), self.quote)
        self.assertEqual(moves.mapped('user_id'), self.manager)
        stage.sudo(self.manager).unlink()
        self.assertFalse(stage.exists())
        self.assertEqual(leads.mapped('stage_id'), self.quote)
        # the history keeps every row, only without the deleted stage
        self.assertEqual(History.search_count([('lead_id', 'in', leads.ids)]), 6)
        moves.invalidate_cache()
        self.assertFalse(moves.mapped('stage_from_id'))

    # --- stage history -----------------------------------------------------------------------
    def test_history_for_kanban_write(self):
        lead = self._opportunity(planned_revenue=5000.0)
        History = self.env['crm.lead.stage.history']
        first = History.search([('lead_id', '=', lead.id)])
        self.assertEqual(len(first), 1)
        self.assertFalse(first.stage_from_id)
        self.assertEqual(first.stage_to_id, self.potential)
        # what the kanban does on a drop: write({'stage_id'}) as the user
        lead.sudo(self.rep).write({'stage_id': self.quote.id})
        rec = History.search([('lead_id', '=', lead.id)], limit=1)
        self.assertEqual(rec.stage_from_id, self.potential)
        self.assertEqual(rec.stage_to_id, self.quote)
        self.assertEqual(rec.group_from_id, self.group_open)
        self.assertEqual(rec.group_to_id, self.group_open)
        self.assertEqual(rec.user_id, self.rep)
        self.assertEqual(rec.probability, self.quote.probability)
        self.assertEqual(rec.planned_revenue, 5000.0)
        self.assertGreaterEqual(rec.duration_hours, 0.0)
        self.assertEqual(lead.stage_history_count, 2)
        # the rep reads the history of their own deal
        self.assertEqual(History.sudo(self.rep).search_count([('lead_id', '=', lead.id)]), 2)
        # no stage change, no record
        lead.write({'next_step': 'Site visit'})
        self.assertEqual(History.search_count([('lead_id', '=', lead.id)]), 2)

    def test_history_for_mass_write_one_insert(self):
        leads = self.env['crm.lead']
        for i in range(50):
            leads |= self._opportunity(name='Bulk %s' % i)
        History = self.env['crm.lead.stage.history']
        queries = []
        cr = self.env.cr
        execute = cr.execute

        def counting_execute(query, params=None, log_exceptions=None):
            if 'INSERT INTO crm_lead_stage_history' in str(query):
                queries.append(query)
            return execute(query, params)
        cr.execute = counting_execute
        try:
            leads.write({'stage_id': self.order.id})
        finally:
            cr.execute = execute
        self.assertEqual(len(queries), 1)
        moved = History.search([('lead_id', 'in', leads.ids), ('stage_to_id', '=', self.order.id)])
        self.assertEqual(len(moved), 50)
        self.assertEqual(moved.mapped('stage_from_id'), self.potential)

    def test_history_for_import(self):
        result = self.env['crm.lead'].load(
            ['name', 'type', 'stage_id/id'],
            [['Imported A', 'opportunity', 'impact_crm.stage_quote'],
             ['Imported B', 'opportunity', 'impact_crm.stage_order']])
        self.assertFalse(result['messages'])
        leads = self.env['crm.lead'].browse(result['ids'])
        history = self.env['crm.lead.stage.history'].search([('lead_id', 'in', leads.ids)])
        self.assertEqual(sorted(history.mapped('stage_to_id').ids), sorted((self.quote | self.order).ids))
        # re-import moving A to Order (update by external id)
        ext = leads[0].export_data(['id'])['datas'][0][0]
        self.env['crm.lead'].load(['id', 'stage_id/id'], [[ext, 'impact_crm.stage_order']])
        rec = self.env['crm.lead.stage.history'].search([('lead_id', '=', leads[0].id)], limit=1)
        self.assertEqual(rec.stage_from_id, self.quote)
        self.assertEqual(rec.stage_to_id, self.order)

    def test_install_gave_existing_leads_a_first_record(self):
        # demo or pre-existing leads of the database (installed before impact_crm) have a history
        self.env.cr.execute("""SELECT count(*) FROM crm_lead l WHERE l.stage_id IS NOT NULL AND NOT EXISTS
                               (SELECT 1 FROM crm_lead_stage_history h WHERE h.lead_id = l.id)""")
        self.assertEqual(self.env.cr.fetchone()[0], 0)

    def test_time_in_stage_analysis(self):
        lead = self._opportunity()
        lead.write({'stage_id': self.quote.id})
        rows = self.env['crm.lead.stage.history'].read_group(
            [('lead_id', '=', lead.id), ('stage_from_id', '!=', False)],
            ['duration_days', 'stage_from_id'], ['stage_from_id'])
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0]['stage_from_id'][0], self.potential.id)
        self.assertGreaterEqual(rows[0]['duration_days'], 0.0)

    # --- opportunity file --------------------------------------------------------------------
    def test_bad_dates_refused_nothing_written(self):
        lead = self._opportunity(date_start='2027-01-01', date_end='2027-06-30')
        # as a request does: the failed write's transaction (here a savepoint) is rolled back
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            lead.write({'date_end': '2026-12-31', 'next_step': 'not saved'})
        lead.invalidate_cache()
        self.assertEqual(lead.date_end, '2027-06-30')
        self.assertFalse(lead.next_step)
        with self.assertRaises(ValidationError):
            self._opportunity(name='Backwards', date_start='2027-05-01', date_end='2027-04-01')

    def test_end_date_change_tracked(self):
        lead = self._opportunity(date_start='2027-01-01', date_end='2027-06-30')
        lead.write({'date_end': '2027-09-30'})
        values = self.env['mail.tracking.value'].search([
            ('mail_message_id.res_id', '=', lead.id), ('mail_message_id.model', '=', 'crm.lead'),
            ('field', '=', 'date_end')])
        self.assertTrue(values)

    # --- lead -> opportunity -> quote ---------------------------------------------------------
    def test_convert_wizard_puts_opportunity_in_potential(self):
        lead = self.env['crm.lead'].create({'name': 'Mall renovation', 'type': 'lead',
                                            'contact_name': 'Avi Cohen', 'stage_id': False})
        lead.write({'stage_id': False})
        lead.convert_opportunity(self.partner.id)
        self.assertEqual(lead.type, 'opportunity')
        self.assertEqual(lead.stage_id, self.potential)

    def test_lead_new_quotation_creates_exactly_one_opportunity(self):
        lead = self.env['crm.lead'].sudo(self.rep).create({
            'name': 'School extension', 'type': 'lead', 'partner_name': 'Negev Schools Co',
            'contact_name': 'Yael Mizrahi', 'email_from': 'yael@negev.example', 'user_id': self.rep.id})
        before = self.env['crm.lead'].search_count([('type', '=', 'opportunity')])
        action = lead.sudo(self.rep).action_new_quotation()
        self.assertEqual(lead.type, 'opportunity')
        self.assertTrue(lead.partner_id)
        self.assertEqual(action['res_model'], 'sale.order')
        # the quotation form opened by the action: its context gives customer and opportunity
        order = self.env['sale.order'].sudo(self.rep).with_context(action['context']).create({
            'partner_id': action['context']['default_partner_id'],
            'order_line': [(0, 0, {'product_id': self.product.id, 'product_uom_qty': 10})]})
        self.assertEqual(order.opportunity_id, lead)
        self.assertEqual(order.partner_id, lead.partner_id)
        after = self.env['crm.lead'].search_count([('type', '=', 'opportunity')])
        self.assertEqual(after, before + 1)
        self.assertEqual(lead.sale_number, 1)

    def test_quotation_without_opportunity_gets_one(self):
        order = self.env['sale.order'].sudo(self.rep).create({
            'partner_id': self.partner.id, 'user_id': self.rep.id,
            'order_line': [(0, 0, {'product_id': self.product.id, 'product_uom_qty': 100})]})
        opportunity = order.opportunity_id
        self.assertTrue(opportunity)
        self.assertIn(order.name, opportunity.name)
        self.assertEqual(opportunity.stage_id, self.quote)
        self.assertEqual(opportunity.partner_id, self.partner)
        self.assertEqual(opportunity.planned_revenue, 30000.0)
        self.assertEqual(opportunity.sale_number, 1)
        self.assertEqual(opportunity.quotation_amount_total, 30000.0)
        self.assertEqual(opportunity.sale_order_count, 0)
        order.action_confirm()
        opportunity.invalidate_cache()
        self.assertEqual(opportunity.quotation_amount_total, 0.0)
        self.assertEqual(opportunity.sale_order_count, 1)
        self.assertEqual(opportunity.sale_amount_total, 30000.0)

    def test_setting_off_no_opportunity(self):
        settings = self.env['res.config.settings'].create({})
        self.assertTrue(settings.quotation_creates_opportunity)
        settings.quotation_creates_opportunity = False
        settings.execute()
        self.assertFalse(self.env.user.company_id.quotation_creates_opportunity)
        before = self.env['crm.lead'].search_count([])
        order = self.env['sale.order'].create({'partner_id': self.partner.id})
        self.assertFalse(order.opportunity_id)
        self.assertEqual(self.env['crm.lead'].search_count([]), before)

    @mute_logger('odoo.sql_db')
    def test_database_constraint_still_there(self):
        lead = self._opportunity()
        with self.assertRaises(IntegrityError):
            with self.env.cr.savepoint():
                self.env.cr.execute("UPDATE crm_lead SET probability = 150 WHERE id = %s", (lead.id,))
