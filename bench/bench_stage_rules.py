"""Cost of the stage automation rules: moving N deals to a stage with no rule (baseline) vs with 3 rules
(each creates an activity). Rolls back.

    .venv/bin/python bench/bench_stage_rules.py DB [N]    (DB: a database with impact_crm installed)
"""
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    db = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    import odoo
    odoo.tools.config.parse_config([
        '--addons-path=%s' % ROOT, '--data-dir=%s' % os.path.join(ROOT, '.local', 'data'),
        '--db_host=127.0.0.1', '--db_port=%s' % os.environ.get('PG_PORT', '54329'), '--db_user=odoo',
        '--log-level=warn'])
    from odoo import SUPERUSER_ID, api
    with api.Environment.manage(), odoo.registry(db).cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        ref = env.ref
        stages = [ref('impact_crm.stage_potential'), ref('impact_crm.stage_quote'), ref('impact_crm.stage_order')]
        env['crm.stage.rule'].search([]).write({'active': False})
        leads = env['crm.lead']
        for i in range(n):
            leads |= env['crm.lead'].create({'name': 'bench %d' % i, 'type': 'opportunity',
                                             'stage_id': stages[0].id})

        def timed(func):
            start = time.time()
            func()
            return time.time() - start

        baseline = timed(lambda: leads.write({'stage_id': stages[1].id}))
        for summary in ('Rule A', 'Rule B', 'Rule C'):
            env['crm.stage.rule'].create({'stage_id': stages[2].id, 'summary': summary, 'due_days': 2,
                                          'working_days': True, 'sla_value': 4,
                                          'activity_type_id': ref('mail.mail_activity_data_todo').id})
        with_rules = timed(lambda: leads.write({'stage_id': stages[2].id}))
        activities = env['mail.activity'].search_count([('res_model', '=', 'crm.lead'), ('res_id', 'in', leads.ids)])
        print('stage change of %d deals: no rule %.3fs, 3 rules (%d activities) %.3fs, ratio %.1fx'
              % (n, baseline, activities, with_rules, with_rules / baseline))
        cr.rollback()


if __name__ == '__main__':
    main()
