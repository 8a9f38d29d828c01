#!/usr/bin/env python
"""Pipeline benchmark: impact_crm installed versus plain Odoo crm + sale_crm, same run.

    .venv/bin/python bench/bench_pipeline.py [--rounds 3] [--keep]

Makes two databases from the base template (tools/base_template.sh): ``bench_pipeline_plain`` (Odoo's
crm, sale_crm, sale_management, base_automation only) and ``bench_pipeline_impact`` (the same plus
impact_crm). In each, and alternating between them every round:

* bulk stage change: one ``write({'stage_id': ...})`` on 1,000 opportunities (a mass edit);
* creation of 10,000 leads, one ``create`` each (what an import does).

Every round runs in a transaction that is rolled back. Prints the best time of each and the ratio
impact / plain (target: at most 1.5x). Not part of ``make test``.
"""
import argparse
import os
import subprocess
import sys
import time

os.environ['TZ'] = 'UTC'
time.tzset()

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLAIN_DB = 'bench_pipeline_plain'
IMPACT_DB = 'bench_pipeline_impact'
N_STAGE = 1000
N_CREATE = 10000


def shell(script):
    """Run bash with the project's helpers (tools/lib.sh: copy_db, odoo, ...)."""
    subprocess.check_call(['bash', '-c', 'set -e; source tools/lib.sh; source tools/base_template.sh; ' + script],
                          cwd=ROOT)


def make_databases():
    shell('pg_start >/dev/null; ensure_base_template; '
          'copy_db "$BASE_TEMPLATE" %s; copy_db "$BASE_TEMPLATE" %s; '
          'odoo -d %s -i impact_crm --stop-after-init --log-level=warn >/dev/null 2>&1'
          % (PLAIN_DB, IMPACT_DB, IMPACT_DB))


def drop_databases():
    shell('drop_db %s; drop_db %s' % (PLAIN_DB, IMPACT_DB))


def stages(env, impact):
    if impact:
        return env.ref('impact_crm.stage_potential'), env.ref('impact_crm.stage_quote')
    return env.ref('crm.stage_lead1'), env.ref('crm.stage_lead2')


def run_round(odoo, dbname, impact):
    """One round in one database: returns (seconds for the bulk stage change, seconds for the creates)."""
    registry = odoo.registry(dbname)
    with odoo.api.Environment.manage(), registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        Lead = env['crm.lead']
        first, second = stages(env, impact)
        user = env.ref('base.user_admin') if env.ref('base.user_admin', False) else env.user
        opportunities = Lead.browse([Lead.create({
            'name': 'Bench opportunity %s' % i, 'type': 'opportunity', 'stage_id': first.id,
            'planned_revenue': 1000.0 * (i % 50), 'user_id': user.id}).id for i in range(N_STAGE)])
        opportunities.invalidate_cache()
        start = time.time()
        opportunities.write({'stage_id': second.id})
        stage_seconds = time.time() - start

        create_seconds = 0.0
        for chunk in range(0, N_CREATE, 500):
            # like an import in batches: a cache that grows with 10,000 records slows plain Odoo down too
            Lead.invalidate_cache()
            start = time.time()
            for i in range(chunk, min(chunk + 500, N_CREATE)):
                Lead.create({'name': 'Bench lead %s' % i, 'type': 'lead', 'contact_name': 'Contact %s' % i,
                             'email_from': 'lead%s@example.com' % i, 'planned_revenue': 500.0})
            create_seconds += time.time() - start
        cr.rollback()
    return stage_seconds, create_seconds


def main():
    global N_STAGE, N_CREATE
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--opportunities', type=int, default=1000)
    parser.add_argument('--leads', type=int, default=10000)
    parser.add_argument('--keep', action='store_true', help="keep the two databases afterwards")
    parser.add_argument('--reuse', action='store_true', help="reuse databases made by an earlier --keep run")
    args = parser.parse_args()
    N_STAGE, N_CREATE = args.opportunities, args.leads

    sys.path.insert(0, ROOT)
    import odoo
    if not args.reuse:
        print("making %s and %s from the base template ..." % (PLAIN_DB, IMPACT_DB))
        make_databases()
    odoo.tools.config.parse_config([
        '--addons-path=%s' % ROOT, '--data-dir=%s' % os.path.join(ROOT, '.local', 'data'),
        '--db_host=127.0.0.1', '--db_port=%s' % os.environ.get('PG_PORT', '54329'),
        '--db_user=%s' % os.environ.get('PG_USER_NAME', 'odoo'), '--log-level=warn'])
    best = {PLAIN_DB: [float('inf'), float('inf')], IMPACT_DB: [float('inf'), float('inf')]}
    try:
        for rnd in range(args.rounds):
            for dbname in ((PLAIN_DB, IMPACT_DB) if rnd % 2 == 0 else (IMPACT_DB, PLAIN_DB)):
                stage_s, create_s = run_round(odoo, dbname, dbname == IMPACT_DB)
                print("round %d %-16s stage change of %d: %6.2f s   %d creates: %6.2f s"
                      % (rnd + 1, dbname, N_STAGE, stage_s, N_CREATE, create_s), flush=True)
                best[dbname] = [min(best[dbname][0], stage_s), min(best[dbname][1], create_s)]
    finally:
        if not args.keep:
            odoo.sql_db.close_all()
            drop_databases()
    plain, impact = best[PLAIN_DB], best[IMPACT_DB]
    print()
    print("%-34s %10s %10s %7s" % ('best of %d rounds' % args.rounds, 'plain', 'impact', 'ratio'))
    row = "%-34s %9.2fs %9.2fs %6.2fx"
    print(row % ('bulk stage change, %d opps' % N_STAGE, plain[0], impact[0], impact[0] / plain[0]))
    print(row % ('create %d leads' % N_CREATE, plain[1], impact[1], impact[1] / plain[1]))
    print("target: ratio <= 1.5x")


if __name__ == '__main__':
    main()
