"""Hostile and broken input on the configuration a sales manager keeps (automation rules, quotas, regions, loss
criteria and reasons, roles), on the activities' time standard, the done activities and the fiscal numbering
check: refused with a clear error, nothing written; never a raw database error or a Python traceback.
"""
from odoo.exceptions import AccessError, UserError, ValidationError

from .test_integrity_paths import IntegrityCase

REFUSED = (UserError, ValidationError)
BAD_INTEGERS = ['x', 2 ** 40, 1e300]
BAD_FLOATS = ['abc', 'nan', 'inf', 1e300]
BAD_TEXTS = ['a\x00b']
BAD_LINKS = ['x', 2 ** 40]
BAD_DATES = ['garbage', '2027-13-45']


class ConfigInputCase(IntegrityCase):

    @classmethod
    def setUpClass(cls):
        super(ConfigInputCase, cls).setUpClass()
        cls.manager = cls.user('config_input_manager', 'sales_team.group_sale_manager')

    def as_manager(self, model):
        return self.env[model].sudo(self.manager)

    def assertBadValuesRefused(self, record, base, bad_values):
        """Each of ``bad_values`` ({field: [values]}) is refused on create (with ``base``) and on write of
        ``record``: a clear error, no record created, ``record`` unchanged."""
        model = record.with_env(record.env)
        for name, values in sorted(bad_values.items()):
            for value in values:
                count = model.sudo().with_context(active_test=False).search_count([])
                self.assertRefused(lambda: model.browse().create(dict(base, **{name: value})), record, [name],
                                   error=REFUSED)
                self.assertEqual(model.sudo().with_context(active_test=False).search_count([]), count,
                                 '%s=%r' % (name, value))
                self.assertRefused(lambda: record.write({name: value}), record, [name], error=REFUSED)


class TestConfigInput(ConfigInputCase):

    def test_stage_rule_refuses_bad_values(self):
        Rules = self.as_manager('crm.stage.rule')
        base = {'trigger': 'stage', 'stage_id': self.env['crm.stage'].search([], limit=1).id,
                'activity_type_id': self.env['mail.activity.type'].search([], limit=1).id, 'summary': 'Call'}
        rule = Rules.create(base)
        self.assertBadValuesRefused(rule, base, {
            'due_days': BAD_INTEGERS + [10 ** 8], 'sla_value': BAD_FLOATS + [1e9], 'sequence': BAD_INTEGERS,
            'assignee': ['bogus'], 'trigger': ['bogus'], 'sla_unit': ['weeks'], 'summary': BAD_TEXTS,
            'user_id': BAD_LINKS, 'activity_type_id': BAD_LINKS})

    def test_quota_refuses_bad_values(self):
        team = self.env['crm.team'].search([], limit=1)
        base = {'team_id': team.id, 'period_type': 'quarter', 'date_start': '2041-01-01', 'amount': 100.0}
        quota = self.as_manager('crm.quota').create(dict(base, date_start='2041-04-01'))
        self.assertBadValuesRefused(quota, base, {
            'amount': BAD_FLOATS, 'date_start': BAD_DATES, 'period_type': ['bogus'], 'team_id': BAD_LINKS,
            'user_id': BAD_LINKS, 'region_id': BAD_LINKS, 'categ_id': BAD_LINKS, 'company_id': BAD_LINKS})
        quota.invalidate_cache()
        self.assertEqual(quota.attainment_ordered, 0.0)   # the quotas still read

    def test_configuration_lists_refuse_bad_values(self):
        for model, name in [('crm.region', 'Audit Region'), ('crm.lost.criterion', 'Audit Criterion'),
                            ('crm.lost.reason', 'Audit Reason'), ('crm.lead.role', 'Audit Role')]:
            record = self.as_manager(model).create({'name': name})
            bad = {'name': BAD_TEXTS, 'sequence': BAD_INTEGERS}
            if model == 'crm.region':
                bad['company_id'] = BAD_LINKS
            if model == 'crm.lost.reason':
                bad['criterion_id'] = BAD_LINKS
            if model == 'crm.lead.role':
                bad['color'] = BAD_INTEGERS
            self.assertBadValuesRefused(record, {'name': name + ' 2'}, bad)

    def test_lists_of_records_refuse_bad_commands(self):
        """Commands on records (a deal's tags, its people, a region's countries) whose ids are not ids are refused
        with the guard's message, not PostgreSQL's; well-formed ones pass, as the web client sends them."""
        tag = self.env['crm.lead.tag'].create({'name': 'Audit Tag'})
        deal = self.Leads.create({'name': 'Audit Commands', 'type': 'opportunity', 'user_id': self.rep.id})
        region = self.as_manager('crm.region').create({'name': 'Audit Commands Region'})
        bad = [(4, 'x'), (6, 0, ['x']), (6, 0, 'x'), (7, 1), ('x',), (4, 2 ** 40), (1, 'x', {}), (0, 0, 'x')]
        for record, name in ((deal, 'tag_ids'), (deal, 'contact_ids'), (region, 'country_ids')):
            for value in bad + ['x']:
                commands = [value] if value != 'x' else value
                self.assertRefused(lambda: record.write({name: commands}), record, [name], error=ValidationError,
                                   message='record')
        deal.write({'tag_ids': [(4, tag.id)]})
        deal.write({'tag_ids': [(6, 0, [tag.id])]})
        deal.write({'tag_ids': [tag.id]})
        self.assertEqual(deal.tag_ids, tag)
        deal.write({'contact_ids': [(0, 'virtual_1', {'partner_id': self.partner.id})]})
        self.assertEqual(deal.contact_ids.partner_id, self.partner)

    def test_activity_time_standard_refuses_bad_values(self):
        deal = self.Leads.create({'name': 'Audit Activity', 'type': 'opportunity', 'user_id': self.rep.id})
        base = {'res_model_id': self.env['ir.model']._get('crm.lead').id, 'res_id': deal.id,
                'activity_type_id': self.env['mail.activity.type'].search([], limit=1).id, 'summary': 'Call',
                'date_deadline': '2040-01-01', 'user_id': self.manager.id}
        activity = self.as_manager('mail.activity').create(base)
        self.assertBadValuesRefused(activity, base, {'sla_value': BAD_FLOATS + [1e9, -5], 'sla_unit': ['weeks']})

    def test_activity_log_refuses_bad_values(self):
        base = {'summary': 'Call', 'source': 'retroactive', 'date_done': '2020-01-01 00:00:00'}
        log = self.as_manager('crm.activity.log').create(base)
        self.assertBadValuesRefused(log, base, {
            'duration': BAD_FLOATS, 'date_done': BAD_DATES, 'date_planned': BAD_DATES, 'res_id': BAD_INTEGERS,
            'source': ['bogus'], 'summary': BAD_TEXTS, 'lead_id': BAD_LINKS, 'user_id': BAD_LINKS})

    def test_fiscal_numbering_check_refuses_bad_input(self):
        Numbers = self.as_manager('sale.fiscal.number')
        company = self.manager.company_id.id
        for args in [(company, 'garbage', None), (company, None, '2027-13-45'), (company, {'a': 1}, None),
                     (company, 5, None), (True, None, None), ('x', None, None)]:
            with self.assertRaises(REFUSED + (AccessError,)):
                Numbers.get_numbering_issues(*args)
        base = {'date_from': '2020-01-01'}
        check = self.as_manager('sale.fiscal.numbering.check').create(base)
        self.assertBadValuesRefused(check, base, {
            'date_from': BAD_DATES, 'date_to': BAD_DATES + ['2019-12-31'], 'company_id': BAD_LINKS})
