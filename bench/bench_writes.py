#!/usr/bin/env python
"""Writes on deals: impact_crm versus plain Odoo (crm + sale_crm, the same base template), same run.

    .venv/bin/python bench/bench_writes.py [--rounds 3] [--deals 100] [--reuse] [--keep]
                                           [--plain-db bench_writes_plain] [--impact-db bench_writes_impact]

In each database, alternating between them every round, in a transaction rolled back, tracking on, as the admin:

* lead creation through the ORM, one ``create`` per lead (ms per lead);
* stage change between two open stages with no rule, one deal per ``write`` (ms per call);
* stage change of --deals deals in one ``write`` (a mass edit);
* impact only: a stage change firing one rule (one activity per deal) on --deals deals in one ``write``,
  against Odoo's own activity scheduling in the plain database: --deals ``mail.activity`` created one by one
  on the same deals (what a user or a plain server action does). Target: at most 2x.

Prints the best of the rounds and the ratios (targets: writes <= 1.25x). Not part of ``make test``.
"""
import argparse
import os
import subprocess
import sys
import time

os.environ['TZ'] = 'UTC'
time.tzset()

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def shell(script):
    subprocess.check_call(['bash', '-c', 'set -e; source tools/lib.sh; source tools/base_template.sh; ' + script],
                          cwd=ROOT)


def database_pair(plain_db, impact_db):
    """The two databases a write benchmark compares: copies of the base template (plain Odoo), the add-on
    installed in the second."""
    shell('pg_start >/dev/null; ensure_base_template; copy_db "$BASE_TEMPLATE" %s; copy_db "$BASE_TEMPLATE" %s; '
          'odoo -d %s -i impact_crm --stop-after-init --log-level=warn >/dev/null 2>&1'
          % (plain_db, impact_db, impact_db))


def add_database_pair_arguments(parser, name):
    """--plain-db, --impact-db, --keep, --reuse: the two databases a benchmark compares (``database_pair``)."""
    parser.add_argument('--plain-db', default='bench_%s_plain' % name)
    parser.add_argument('--impact-db', default='bench_%s_impact' % name)
    parser.add_argument('--keep', action='store_true', help="keep the two databases afterwards")
    parser.add_argument('--reuse', action='store_true', help="reuse databases made by an earlier --keep run")


def odoo_in_process():
    """Odoo imported in this process, configured for this checkout and the embedded PostgreSQL."""
    sys.path.insert(0, ROOT)
    import odoo
    odoo.tools.config.parse_config([
        '--addons-path=%s' % ROOT, '--data-dir=%s' % os.path.join(ROOT, '.local', 'data'),
        '--db_host=127.0.0.1', '--db_port=%s' % os.environ.get('PG_PORT', '54329'), '--db_user=odoo',
        '--log-level=warn'])
    return odoo


def timed(fn):
    start = time.time()
    fn()
    return time.time() - start


def run_round(odoo, dbname, impact, n):
    registry = odoo.registry(dbname)
    result = {}
    with odoo.api.Environment.manage(), registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        ref = env.ref
        if impact:
            first, second, third = (ref('impact_crm.stage_potential'), ref('impact_crm.stage_quote'),
                                    ref('impact_crm.stage_order'))
            env['crm.stage.rule'].search([]).write({'active': False})
        else:
            first, second, third = ref('crm.stage_lead1'), ref('crm.stage_lead2'), ref('crm.stage_lead3')
        Lead = env['crm.lead']
        created = []
        result['create'] = timed(lambda: created.extend(
            Lead.create({'name': 'Bench lead %d' % i, 'type': 'lead', 'contact_name': 'Contact %d' % i,
                         'email_from': 'lead%d@example.com' % i, 'planned_revenue': 500.0}) for i in range(n))) / n
        deals = Lead.browse([Lead.create({
            'name': 'Bench deal %d' % i, 'type': 'opportunity', 'stage_id': first.id, 'user_id': env.uid,
            'planned_revenue': 1000.0 * (i % 50)}).id for i in range(2 * n)])
        single, bulk = deals[:n], deals[n:]
        deals.invalidate_cache()
        result['single'] = timed(lambda: [deal.write({'stage_id': second.id}) for deal in single]) / n
        deals.invalidate_cache()
        result['bulk'] = timed(lambda: bulk.write({'stage_id': second.id}))
        deals.invalidate_cache()
        todo = ref('mail.mail_activity_data_todo')
        if impact:
            env['crm.stage.rule'].create({'stage_id': third.id, 'summary': 'Bench rule', 'due_days': 2,
                                          'activity_type_id': todo.id})
            result['rule'] = timed(lambda: bulk.write({'stage_id': third.id}))
            count = env['mail.activity'].search_count([('res_model', '=', 'crm.lead'), ('res_id', 'in', bulk.ids)])
            assert count == n, count
        else:
            model_id = env['ir.model']._get('crm.lead').id
            Activity = env['mail.activity']
            result['rule'] = timed(lambda: [Activity.create({
                'res_model_id': model_id, 'res_id': deal.id, 'activity_type_id': todo.id, 'summary': 'Bench',
                'date_deadline': '2030-01-01', 'user_id': env.uid}) for deal in bulk])
        cr.rollback()
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--deals', type=int, default=100)
    add_database_pair_arguments(parser, 'writes')
    args = parser.parse_args()
    if not args.reuse:
        database_pair(args.plain_db, args.impact_db)
    odoo = odoo_in_process()
    best = {}
    try:
        for rnd in range(args.rounds):
            order = (args.plain_db, args.impact_db) if rnd % 2 == 0 else (args.impact_db, args.plain_db)
            for dbname in order:
                result = run_round(odoo, dbname, dbname == args.impact_db, args.deals)
                print('round %d %-22s %s' % (rnd + 1, dbname, ', '.join(
                    '%s %.4f' % item for item in sorted(result.items()))), flush=True)
                for key, value in result.items():
                    best.setdefault((dbname, key), value)
                    best[(dbname, key)] = min(best[(dbname, key)], value)
    finally:
        if not args.keep:
            odoo.sql_db.close_all()
            shell('drop_db %s; drop_db %s' % (args.plain_db, args.impact_db))
    n = args.deals
    print('\n%s, %d cores, best of %d rounds' % (time.strftime('%Y-%m-%d'), os.cpu_count(), args.rounds))
    print('%-58s %10s %10s %7s' % ('', 'plain', 'impact', 'ratio'))
    for key, label, unit in (('create', 'lead creation, one per call (ms/lead)', 1000),
                             ('single', 'stage change, one deal per call (ms/call)', 1000),
                             ('bulk', 'stage change, %d deals in one write (s)' % n, 1),
                             ('rule', 'rule firing on %d deals vs %d activities by Odoo (s)' % (n, n), 1)):
        plain, impact = best[(args.plain_db, key)], best[(args.impact_db, key)]
        print('%-58s %10.3f %10.3f %6.2fx' % (label, plain * unit, impact * unit, impact / plain))
    print('targets: writes <= 1.25x, rule firing <= 2x')


if __name__ == '__main__':
    main()
