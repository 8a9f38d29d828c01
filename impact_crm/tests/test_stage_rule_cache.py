from odoo import SUPERUSER_ID, api
from odoo.tests.common import TransactionCase


class TestStageRuleCache(TransactionCase):
    """The cache of the stages that have rules, shared by the requests of one process (a threaded server), with
    two real transactions: this one only reads, they commit (and the rule they create is removed after)."""

    def _env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {})

    def test_rule_committed_after_another_request_filled_the_cache(self):
        registry = self.env.registry
        rule_id = None
        try:
            with registry.cursor() as cr:
                env = self._env(cr)
                cr.execute("""SELECT id FROM crm_stage WHERE id NOT IN (
                                  SELECT stage_id FROM crm_stage_rule WHERE active AND stage_id IS NOT NULL)
                              ORDER BY id LIMIT 1""")
                stage_id = cr.fetchone()[0]
                rule_id = env['crm.stage.rule'].create({
                    'stage_id': stage_id, 'summary': 'Committed rule',
                    'activity_type_id': env.ref('mail.mail_activity_data_todo').id}).id
                # another request, before the commit: it does not see the rule and fills the shared cache
                with registry.cursor() as other:
                    self.assertNotIn(stage_id, self._env(other)['crm.stage.rule']._stage_ids_with_rules())
            # committed: the next request's stage change knows the stage has a rule
            with registry.cursor() as cr:
                self.assertIn(stage_id, self._env(cr)['crm.stage.rule']._stage_ids_with_rules())
        finally:
            if rule_id:
                with registry.cursor() as cr:
                    self._env(cr)['crm.stage.rule'].browse(rule_id).unlink()
            with registry.cursor() as cr:
                self.assertNotIn(rule_id, self._env(cr)['crm.stage.rule'].search([]).ids)
