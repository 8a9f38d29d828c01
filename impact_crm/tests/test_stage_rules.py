from datetime import date, timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError

from ..internal_flags import with_flags
from ..models.crm_stage_rule import RULE_GUARD
from .common_people import PeopleCase


class TestStageRules(PeopleCase):

    @classmethod
    def setUpClass(cls):
        super(TestStageRules, cls).setUpClass()
        cls.rule_prepare = cls.env.ref('impact_crm.stage_rule_prepare_quote')
        cls.rule_order = cls.env['crm.stage.rule'].create({
            'stage_id': cls.stage_order.id, 'activity_type_id': cls.todo.id, 'summary': 'Book the production',
            'assignee': 'salesperson', 'due_days': 2, 'sla_value': 4, 'sla_unit': 'hours'})

    def test_shipped_rule_potential_to_quote(self):
        lead = self._lead('Tower B')
        self.assertFalse(self._activities(lead))
        lead.sudo(self.salesman).write({'stage_id': self.stage_quote.id})
        activity = self._activities(lead)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.summary, 'Prepare the quote')
        self.assertEqual(activity.user_id, self.salesman)
        self.assertEqual(activity.date_deadline, fields.Date.context_today(lead.sudo(self.salesman)))
        self.assertEqual(activity.stage_rule_id, self.rule_prepare)
        self.assertTrue(activity.sla_deadline)

    def test_every_path_fires_once(self):
        # form-like save: the stage with other fields
        form = self._lead('Form')
        form.sudo(self.salesman).write({'stage_id': self.stage_order.id, 'name': 'Form (edited)',
                                        'planned_revenue': 5000.0, 'description': 'saved from the form'})
        # kanban drag and drop: stage only
        kanban = self._lead('Kanban')
        kanban.sudo(self.salesman).write({'stage_id': self.stage_order.id})
        # RPC-like: browse by id in a fresh environment, as execute_kw does
        rpc = self._lead('RPC')
        self.env['crm.lead'].sudo(self.salesman).browse([rpc.id]).write({'stage_id': self.stage_order.id})
        # import
        imported = self._lead('Import')
        result = self.env['crm.lead'].sudo(self.salesman).load(
            ['id', 'stage_id/id'],
            [[imported.get_external_id()[imported.id] or self._xmlid(imported), 'impact_crm.stage_order']])
        self.assertFalse(result['messages'], result['messages'])
        # mass edit of several leads
        mass = self._lead('Mass 1') | self._lead('Mass 2') | self._lead('Mass 3')
        mass.sudo(self.salesman).write({'stage_id': self.stage_order.id})
        # created directly in the stage
        created = self._lead('Created in Order', stage=self.stage_order)
        for lead in form | kanban | rpc | imported | mass | created:
            self.assertEqual(lead.stage_id, self.stage_order)
            self.assertEqual(len(self._activities(lead, self.rule_order)), 1, lead.name)
        # writing the same stage again, or other fields, fires nothing more
        (form | kanban).sudo(self.salesman).write({'stage_id': self.stage_order.id})
        kanban.sudo(self.salesman).write({'name': 'Kanban renamed'})
        self.assertEqual(len(self._activities(form | kanban, self.rule_order)), 2)

    def test_a_deal_moved_back_and_again_keeps_its_open_task(self):
        """Potential -> Quote -> Potential -> Quote: one "Prepare the quote" while the first is open, measured
        from the first move; once it is done, the next move into Quote makes a new one. The other deals of a
        mass move get theirs."""
        lead, other = self._lead('Back and forth'), self._lead('Moved once')
        as_rep = lead.sudo(self.salesman)
        as_rep.write({'stage_id': self.stage_quote.id})
        first = self._activities(lead, self.rule_prepare)
        self.assertEqual(len(first), 1)
        as_rep.write({'stage_id': self.stage_potential.id})
        (lead | other).sudo(self.salesman).write({'stage_id': self.stage_quote.id})
        self.assertEqual(self._activities(lead, self.rule_prepare), first)
        self.assertEqual(len(self._activities(other, self.rule_prepare)), 1)
        first.sudo(self.salesman).action_feedback(feedback='Quote ready')
        as_rep.write({'stage_id': self.stage_potential.id})
        as_rep.write({'stage_id': self.stage_quote.id})
        second = self._activities(lead, self.rule_prepare)
        self.assertEqual(len(second), 1)
        self.assertNotEqual(second, first)

    def _xmlid(self, record):
        name = 'test_lead_%d' % record.id
        self.env['ir.model.data'].create({'module': '__import__', 'name': name, 'model': record._name,
                                          'res_id': record.id})
        return '__import__.' + name

    def test_from_stage_fires_only_from_it(self):
        direct = self._lead('Direct', stage=self.stage_order)
        direct.sudo(self.salesman).write({'stage_id': self.stage_quote.id})
        self.assertFalse(self._activities(direct, self.rule_prepare), "came from Order, not from Potential")
        regular = self._lead('Regular')
        regular.sudo(self.salesman).write({'stage_id': self.stage_quote.id})
        self.assertEqual(len(self._activities(regular, self.rule_prepare)), 1)
        created = self._lead('Created in Quote', stage=self.stage_quote)
        self.assertFalse(self._activities(created, self.rule_prepare))

    def test_several_rules_per_stage_and_assignees(self):
        named = self.env['crm.stage.rule'].create({
            'stage_id': self.stage_order.id, 'activity_type_id': self.call.id, 'summary': 'Tell the factory',
            'assignee': 'user', 'user_id': self.salesman2.id})
        leader = self.env['crm.stage.rule'].create({
            'stage_id': self.stage_order.id, 'activity_type_id': self.todo.id, 'summary': 'Approve the order',
            'assignee': 'team_leader'})
        self.assertEqual(self.stage_order.rule_ids, self.rule_order | named | leader)
        lead = self._lead('Tower B')
        lead.sudo(self.salesman).write({'stage_id': self.stage_order.id})
        self.assertEqual(self._activities(lead, self.rule_order).user_id, self.salesman)
        self.assertEqual(self._activities(lead, named).user_id, self.salesman2)
        self.assertEqual(self._activities(lead, leader).user_id, self.manager)
        # no team leader: falls back to the salesperson
        lonely = self._lead('No team')
        lonely.write({'team_id': False})
        lonely.sudo(self.salesman).write({'stage_id': self.stage_order.id})
        self.assertEqual(self._activities(lonely, leader).user_id, self.salesman)
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self.env['crm.stage.rule'].create({
                'stage_id': self.stage_order.id, 'activity_type_id': self.call.id, 'summary': 'Nobody',
                'assignee': 'user'})

    def test_due_date_arithmetic(self):
        rule = self.rule_order
        company = self.env['res.company'].create({'name': 'Impact Israel'})
        company.resource_calendar_id.write({'attendance_ids': [(5, 0, 0)] + [
            (0, 0, {'name': 'Day %s' % day, 'dayofweek': day, 'hour_from': 8, 'hour_to': 17})
            for day in ('6', '0', '1', '2', '3')]})  # Sunday to Thursday
        thursday, friday, saturday = date(2026, 11, 26), date(2026, 11, 27), date(2026, 11, 28)
        rule.write({'due_days': 2, 'working_days': False})
        self.assertEqual(rule._due_date(thursday, company), date(2026, 11, 28))
        rule.write({'working_days': True})
        self.assertEqual(rule._due_date(thursday, company), date(2026, 11, 30), "Sun, Mon")
        self.assertEqual(rule._due_date(friday, company), date(2026, 12, 1), "from the weekend: Sun is day 0")
        rule.write({'due_days': 0})
        self.assertEqual(rule._due_date(saturday, company), date(2026, 11, 29), "same day off: next working day")
        self.assertEqual(rule._due_date(thursday, company), thursday)
        company.resource_calendar_id.write({'attendance_ids': [(5, 0, 0)]})
        rule.write({'due_days': 1})
        self.assertEqual(rule._due_date(friday, company), date(2026, 11, 30), "no calendar: Monday to Friday")

    def test_due_date_through_a_stage_change(self):
        self.rule_order.write({'due_days': 3, 'working_days': True})
        self.env.user.company_id.resource_calendar_id.write({'attendance_ids': [(5, 0, 0)] + [
            (0, 0, {'name': 'Day %s' % day, 'dayofweek': day, 'hour_from': 8, 'hour_to': 17})
            for day in ('0', '1', '2', '3', '4')]})
        lead = self._lead('Tower B')
        with freeze_time('2026-11-26 09:00:00'):  # a Thursday
            lead.sudo(self.salesman).write({'stage_id': self.stage_order.id})
        self.assertEqual(self._activities(lead, self.rule_order).date_deadline, '2026-12-01')

    def test_quote_sent_follow_up_due_tomorrow(self):
        lead = self._lead('Tower B')
        product = self.env['product.product'].create({'name': 'Glazing m2', 'list_price': 300.0, 'type': 'service'})
        order = self.env['sale.order'].sudo(self.salesman).create({
            'partner_id': self.developer.id, 'opportunity_id': lead.id,
            'order_line': [(0, 0, {'product_id': product.id, 'product_uom_qty': 10})]})
        follow_up = self.env.ref('impact_crm.stage_rule_quote_sent_follow_up')
        self.assertFalse(self._activities(lead, follow_up))
        # sending by email goes through the composer with mark_so_as_sent
        self.developer.email = 'buyer@tower.example'
        action = order.action_quotation_send()
        composer = self.env['mail.compose.message'].sudo(self.salesman).with_context(action['context']).create({})
        composer.onchange_template_id_wrapper()
        composer.write(composer.onchange_template_id(
            composer.template_id.id, 'comment', 'sale.order', order.id)['value'])
        composer.send_mail()
        self.assertEqual(order.state, 'sent')
        activity = self._activities(lead, follow_up)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.summary, 'Check the customer received the quote')
        tomorrow = fields.Date.from_string(fields.Date.context_today(lead.sudo(self.salesman))) + timedelta(days=1)
        self.assertEqual(activity.date_deadline, fields.Date.to_string(tomorrow))
        self.assertEqual(activity.user_id, self.salesman)
        # printing an already sent quotation is no new sending
        order.sudo(self.salesman).print_quotation()
        self.assertEqual(len(self._activities(lead, follow_up)), 1)
        # a second quotation marked sent by printing it
        order2 = order.copy()
        order2.sudo(self.salesman).print_quotation()
        self.assertEqual(order2.state, 'sent')
        self.assertEqual(len(self._activities(lead, follow_up)), 2)

    def test_sla_late_flag_flips_with_time(self):
        lead = self._lead('Tower B')
        with freeze_time('2026-11-26 08:00:00'):
            lead.sudo(self.salesman).write({'stage_id': self.stage_order.id})
            activity = self._activities(lead, self.rule_order)
            self.assertEqual(activity.sla_deadline, '2026-11-26 12:00:00')
            self.assertFalse(activity.sla_late)
            self.assertNotIn(activity, self.env['mail.activity'].search([('sla_late', '=', True)]))
        with freeze_time('2026-11-26 12:30:00'):
            activity.invalidate_cache()
            self.assertTrue(activity.sla_late)
            self.assertIn(activity, self.env['mail.activity'].search([('sla_late', '=', True)]))
            self.assertNotIn(activity, self.env['mail.activity'].search([('sla_late', '=', False)]))
            activity.sudo(self.salesman).action_done()
        log = self.env['crm.activity.log'].search([('lead_id', '=', lead.id)])
        self.assertEqual(log.sla_status, 'late')
        self.assertEqual(log.stage_rule_id, self.rule_order)
        on_time = self._lead('Park')
        with freeze_time('2026-11-26 08:00:00'):
            on_time.sudo(self.salesman).write({'stage_id': self.stage_order.id})
        with freeze_time('2026-11-26 11:00:00'):
            self._activities(on_time, self.rule_order).sudo(self.salesman).action_done()
        self.assertEqual(self.env['crm.activity.log'].search([('lead_id', '=', on_time.id)]).sla_status, 'on_time')
        groups = self.env['crm.activity.sla.report'].sudo(self.manager).read_group(
            [('lead_id', 'in', (lead | on_time).ids)], ['sla_status', 'user_id', 'nbr'], ['sla_status', 'user_id'],
            lazy=False)
        counts = dict(((g['sla_status'], g['user_id'][0]), g['nbr']) for g in groups)
        self.assertEqual(counts, {('late', self.salesman.id): 1, ('on_time', self.salesman.id): 1})

    def test_rules_never_loop(self):
        # rules only create activities: firing one changes no stage
        lead = self._lead('Tower B')
        lead.sudo(self.salesman).write({'stage_id': self.stage_quote.id})
        self.assertEqual(lead.stage_id, self.stage_quote)
        self.assertEqual(len(self._activities(lead)), 1)
        # a stage change made while rules run (by another automation reacting to the new activity, which
        # runs inside the rule's context) fires no rule; the out-of-process tests do it with base_automation
        guarded = with_flags(self.env['crm.lead'].sudo(self.salesman), RULE_GUARD)
        guarded.browse(lead.id).write({'stage_id': self.stage_order.id})
        self.assertEqual(lead.stage_id, self.stage_order)
        self.assertFalse(self._activities(lead, self.rule_order))
        # an ordinary stage change afterwards fires the rules again
        lead.sudo(self.salesman).write({'stage_id': self.stage_potential.id})
        lead.sudo(self.salesman).write({'stage_id': self.stage_order.id})
        self.assertEqual(len(self._activities(lead, self.rule_order)), 1)

    def test_a_rule_activity_stays_open_until_done(self):
        lead = self._lead('Tower B')
        with freeze_time('2026-11-26 08:00:00'):
            lead.sudo(self.salesman).write({'stage_id': self.stage_order.id})
        activity = self._activities(lead, self.rule_order)
        self.assertEqual(activity.sla_deadline, '2026-11-26 12:00:00')
        as_rep = activity.sudo(self.salesman)
        for vals in ({'sla_value': 40}, {'sla_unit': 'days'}, {'sla_deadline': '2030-01-01 00:00:00'},
                     {'stage_rule_id': False}, {'summary': 'Renamed', 'sla_value': 0}):
            with self.assertRaises(UserError, msg=vals), self.cr.savepoint():
                as_rep.write(vals)
        with self.assertRaises(UserError), self.cr.savepoint():
            as_rep.unlink()
        activity.invalidate_cache()
        self.assertEqual((activity.sla_value, activity.sla_unit, activity.sla_deadline, activity.stage_rule_id),
                         (4.0, 'hours', '2026-11-26 12:00:00', self.rule_order))
        # the rest of the activity is the rep's, and a form saving the time standard unchanged passes
        as_rep.write({'summary': 'Book it now', 'stage_rule_id': self.rule_order.id,
                      'sla_deadline': '2026-11-26 12:00:00'})
        self.assertEqual(activity.summary, 'Book it now')
        other = self._lead('Park')
        other.sudo(self.salesman).write({'stage_id': self.stage_order.id})
        managed = self._activities(other, self.rule_order).sudo(self.manager)
        managed.sudo(self.salesman).write({'sla_value': 4, 'sla_unit': 'hours', 'note': '<p>Call first</p>'})
        self.assertEqual((managed.sla_value, managed.stage_rule_id), (4.0, self.rule_order))
        # a sales manager changes the time standard (the deadline follows), the rule, or deletes it
        managed.write({'sla_value': 1, 'sla_unit': 'days'})
        self.assertEqual(managed.sla_deadline, fields.Datetime.to_string(
            fields.Datetime.from_string(managed.create_date) + timedelta(days=1)))
        managed.write({'stage_rule_id': self.rule_prepare.id})
        managed.unlink()
        self.assertFalse(self._activities(other))
        # marking it done still deletes it, and keeps its done record against the time standard
        with freeze_time('2026-11-26 13:00:00'):
            as_rep.action_done()
        self.assertFalse(activity.exists())
        log = self.env['crm.activity.log'].search([('lead_id', '=', lead.id)])
        self.assertEqual((log.stage_rule_id, log.sla_status, log.user_id), (self.rule_order, 'late', self.salesman))

    def test_a_rep_cannot_forge_the_time_standard_of_his_activities(self):
        lead = self._lead('Tower B')
        activities = self.env['mail.activity'].sudo(self.salesman)
        values = {'res_model_id': self.env['ir.model']._get('crm.lead').id, 'res_id': lead.id,
                  'activity_type_id': self.todo.id, 'summary': 'Mine', 'user_id': self.salesman.id}
        with self.assertRaises(UserError), self.cr.savepoint():
            activities.create(dict(values, stage_rule_id=self.rule_order.id))
        with freeze_time('2026-11-26 08:00:00'):
            own = activities.create(dict(values, sla_value=2, sla_deadline='2030-01-01 00:00:00'))
            plain = activities.create(dict(values, sla_deadline='2030-01-01 00:00:00'))
        self.assertEqual(own.sla_deadline, '2026-11-26 10:00:00', "the deadline follows the time standard")
        self.assertFalse(plain.sla_deadline)
        for vals in ({'sla_deadline': '2030-01-01 00:00:00'}, {'stage_rule_id': self.rule_order.id}):
            with self.assertRaises(UserError, msg=vals), self.cr.savepoint():
                own.write(vals)
        self.assertFalse(own.stage_rule_id)
        # his own time standard stays his (Odoo's behaviour otherwise: he may delete his activity)
        own.write({'sla_value': 3})
        self.assertEqual(own.sla_deadline, fields.Datetime.to_string(
            fields.Datetime.from_string(own.create_date) + timedelta(hours=3)))
        plain.unlink()
        self.assertFalse(plain.exists())

    def test_sales_user_cannot_edit_rules(self):
        rules = self.env['crm.stage.rule'].sudo(self.salesman)
        self.assertIn(self.rule_prepare, rules.search([]))
        with self.assertRaises(AccessError), self.cr.savepoint():
            self.rule_prepare.sudo(self.salesman).write({'due_days': 5})
        with self.assertRaises(AccessError), self.cr.savepoint():
            rules.create({'stage_id': self.stage_order.id, 'activity_type_id': self.todo.id, 'summary': 'Mine'})
        with self.assertRaises(AccessError), self.cr.savepoint():
            self.rule_order.sudo(self.salesman).unlink()
        self.rule_prepare.sudo(self.manager).write({'due_days': 1})
        self.assertEqual(self.rule_prepare.due_days, 1)

    def test_leads_with_late_activities_are_found(self):
        late, fresh = self._lead('Late deal'), self._lead('Fresh deal')
        with freeze_time('2026-11-26 08:00:00'):
            late.sudo(self.salesman).write({'stage_id': self.stage_order.id})
        fresh.sudo(self.salesman).write({'stage_id': self.stage_order.id})
        found = self.env['crm.lead'].sudo(self.salesman).search([('activity_ids.sla_late', '=', True),
                                                                 ('id', 'in', (late | fresh).ids)])
        self.assertEqual(found, late)

    def test_rule_changes_reach_the_next_stage_change(self):
        # the stages that have rules are cached: a rule added, archived or restored after the cache was
        # filled changes what the next stage change does
        Rule = self.env['crm.stage.rule']
        self.assertNotIn(self.stage_potential.id, Rule._stage_ids_with_rules())
        first = self._lead('Before the rule', stage=self.stage_quote)
        first.sudo(self.salesman).write({'stage_id': self.stage_potential.id})
        self.assertFalse(self._activities(first))
        rule = Rule.sudo(self.manager).create({
            'stage_id': self.stage_potential.id, 'activity_type_id': self.call.id, 'summary': 'Call back'})
        second = self._lead('After the rule', stage=self.stage_quote)
        second.sudo(self.salesman).write({'stage_id': self.stage_potential.id})
        self.assertEqual(self._activities(second, rule).mapped('summary'), ['Call back'])
        rule.sudo(self.manager).write({'active': False})
        third = self._lead('Rule archived', stage=self.stage_quote)
        third.sudo(self.salesman).write({'stage_id': self.stage_potential.id})
        self.assertFalse(self._activities(third, rule))
        rule.sudo(self.manager).write({'active': True})
        created = self._lead('Created in Potential')
        self.assertEqual(len(self._activities(created, rule)), 1)
        rule.sudo(self.manager).unlink()
        fourth = self._lead('Rule deleted', stage=self.stage_quote)
        fourth.sudo(self.salesman).write({'stage_id': self.stage_potential.id})
        self.assertFalse(self._activities(fourth))

    def test_assignee_follows_the_deal(self):
        # the activity subscribes its assignee (written without the chatter's tracking: following changes no
        # tracked field); the stage change's own tracking message is still posted
        rule = self.env['crm.stage.rule'].create({
            'stage_id': self.stage_order.id, 'activity_type_id': self.call.id, 'summary': 'Call the leader',
            'assignee': 'team_leader'})
        lead = self._lead('Followed', stage=self.stage_quote)
        self.assertNotIn(self.manager.partner_id, lead.message_partner_ids)
        messages = lead.message_ids
        lead.sudo(self.salesman).write({'stage_id': self.stage_order.id})
        self.assertEqual(self._activities(lead, rule).user_id, self.manager)
        self.assertIn(self.manager.partner_id, lead.message_partner_ids)
        posted = lead.message_ids - messages
        self.assertEqual(len(posted), 1)
        self.assertIn('stage_id', posted.sudo().tracking_value_ids.mapped('field'))

    def _followers(self, lead):
        """{partner: its subtypes} of the deal's followers (one row per partner is checked too)."""
        followers = self.env['mail.followers'].search([('res_model', '=', 'crm.lead'), ('res_id', '=', lead.id)])
        self.assertEqual(len(followers), len(followers.mapped('partner_id')), "one follower row per partner")
        return dict((follower.partner_id, follower.subtype_ids) for follower in followers)

    def _new_bus_messages(self, since):
        return self.env['bus.bus'].search([('id', '>', since)]).mapped(lambda bus: (bus.channel, bus.message))

    def test_mass_stage_change_makes_what_odoo_makes_one_by_one(self):
        # rules that fire together on deals of two salespeople and two companies (different working days),
        # assigned to each deal's salesperson, to a named user and to the team leader (due today: Odoo
        # notifies the assignee); one deal already followed by an assignee with other subtypes, which
        # Odoo's subscription replaces. The rules create their activities in one batch: the result must be
        # what Odoo's own creation of the same activities one by one gives on twin deals.
        company2 = self.env['res.company'].create({'name': 'Impact Cyprus'})
        company2.resource_calendar_id.write({'attendance_ids': [(5, 0, 0)] + [
            (0, 0, {'name': 'Day %s' % day, 'dayofweek': day, 'hour_from': 8, 'hour_to': 17})
            for day in ('6', '0', '1', '2', '3')]})  # Sunday to Thursday
        self.rule_order.write({'due_days': 1, 'working_days': True})
        Rule = self.env['crm.stage.rule']
        rules = self.rule_order | Rule.create({
            'stage_id': self.stage_order.id, 'activity_type_id': self.call.id, 'summary': 'Tell the factory',
            'assignee': 'user', 'user_id': self.salesman2.id, 'due_days': 3}) | Rule.create({
                'stage_id': self.stage_order.id, 'activity_type_id': self.todo.id, 'summary': 'Approve the order',
                'assignee': 'team_leader'})
        note = self.env.ref('mail.mt_note')

        def deals(tag):
            leads = self._lead('%s Rina' % tag) | self._lead('%s Omer' % tag, user=self.salesman2)
            cyprus = self._lead('%s Cyprus' % tag, user=self.salesman2)
            cyprus.write({'company_id': company2.id})
            leads |= cyprus
            leads[0].message_subscribe(partner_ids=[self.manager.partner_id.id], subtype_ids=[note.id])
            return leads

        def last_bus():
            return self.env['bus.bus'].search([], order='id desc', limit=1).id or 0

        def bus_since(since):
            return sorted(self.env['bus.bus'].search([('id', '>', since)]).mapped(lambda b: (b.channel, b.message)))

        batched, twins = deals('Batch'), deals('Twin')
        self.assertEqual(self._followers(batched[0])[self.manager.partner_id], note)
        with freeze_time('2026-11-26 09:00:00'):  # a Thursday
            since = last_bus()
            batched.write({'stage_id': self.stage_order.id})  # an administrator's mass edit (both companies)
            batched_bus = bus_since(since)
            # Odoo's way on the twins: no rule fires, the same activities are created one by one, each
            # subscribing its assignee
            with_flags(twins, RULE_GUARD).write({'stage_id': self.stage_order.id})
            self.assertFalse(self._activities(twins))
            since = last_bus()
            for twin in twins:
                for rule in rules:
                    self.env['mail.activity'].sudo().create(rule._prepare_activity(twin, today=date(2026, 11, 26)))
            twins_bus = bus_since(since)
        self.assertEqual(batched_bus, twins_bus)
        self.assertEqual(len([1 for _channel, message in batched_bus if 'activity_updated' in message]), 3,
                         "the team leader, for each of his activities due today")

        def activities(lead):
            return sorted((a.activity_type_id.id, a.summary, a.user_id.id, a.date_deadline, a.sla_value, a.sla_unit,
                           a.stage_rule_id.id, a.res_name == lead.name) for a in self._activities(lead))
        for lead, twin in zip(batched, twins):
            self.assertEqual(len(self._activities(lead)), 3)
            self.assertEqual(activities(lead), activities(twin), lead.name)
            self.assertEqual(self._followers(lead), self._followers(twin), lead.name)
            self.assertTrue({self.salesman2.partner_id, self.manager.partner_id, lead.user_id.partner_id}
                            <= set(self._followers(lead)))
            self.assertEqual(lead.activity_date_deadline, twin.activity_date_deadline, lead.name)
        self.assertEqual(self._activities(batched, self.rule_order).mapped('date_deadline'),
                         ['2026-11-27', '2026-11-27', '2026-11-29'], "Friday; Sunday in Cyprus")
        self.assertEqual(self._followers(batched[0])[self.manager.partner_id],
                         self.env['mail.message.subtype'].default_subtypes('crm.lead')[0],
                         "replaced by the default subtypes, as Odoo does")
