#!/usr/bin/env python
"""Benchmark of the forecast over time: the as-of forecast and the waterfall against today's forecast report,
and the cost of recording forecast changes on a stage change.

    .venv/bin/python bench/bench_forecast_history.py [--db impact_crm_bench_15] [--fresh] [--size 100000]

--fresh re-creates the database from the base template with impact_crm installed (tools/lib.sh). The
pipeline is topped up as bench_forecast.py does it (opportunities with quotations over 3 years), then every
bench opportunity gets 10 kept changes spread over the last year (stage, probability, revenue and end date
moving; the last one is the deal as it stands), all with SQL. Measured as a sales manager, best of 3:
  * baseline: today's forecast report (crm.forecast.report, opportunities) read_group by salesperson and quarter;
  * the as-of forecast (same read_group) 30 days ago and now; the waterfall (read_group by step) of the whole
    3-year period between 90 days ago and now. Target: each <= 3 x the baseline.
  * 300 stage changes (one write each, as a kanban drop) with the change log, then 300 others with its
    recording switched off in this process only. Target: <= 1.10 x.
Not part of make test.
"""
import argparse
import datetime
import os
import sys
import time

os.environ['TZ'] = 'UTC'
time.tzset()
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import odoo  # noqa: E402
from odoo import SUPERUSER_ID, api, fields  # noqa: E402

from bench_forecast import DATE_FROM, DATE_TO, ROOT, fixtures, top_up  # noqa: E402

CHANGES_PER_DEAL = 10


def fresh_db(db):
    import subprocess
    script = ('source tools/lib.sh; source tools/base_template.sh; pg_start >/dev/null; ensure_base_template; '
              'copy_db "$BASE_TEMPLATE" %s; odoo -d %s -i impact_crm --stop-after-init --log-level=warn' % (db, db))
    subprocess.check_call(['bash', '-c', script], cwd=ROOT)


def history(env):
    """10 changes per bench opportunity over the last year, the last one equal to the deal now."""
    cr = env.cr
    cr.execute("""SELECT count(*) FROM crm_lead_forecast_change c JOIN crm_lead l ON l.id = c.lead_id
                  WHERE l.name LIKE 'Bench opp %%'""")
    if cr.fetchone()[0] >= CHANGES_PER_DEAL:
        return
    cr.execute("SELECT array_agg(id ORDER BY sequence, id) FROM crm_stage s WHERE NOT COALESCE(is_lost, FALSE)")
    stages = cr.fetchone()[0]
    cr.execute("DELETE FROM crm_lead_forecast_change c USING crm_lead l WHERE l.id = c.lead_id "
               "AND l.name LIKE 'Bench opp %%'")
    cr.execute("""
        INSERT INTO crm_lead_forecast_change
            (create_uid, write_uid, create_date, write_date, lead_id, date, changed_by_id, changed_fields,
             is_backfill, lead_type, stage_id, probability, planned_revenue, date_end, date_deadline, user_id,
             team_id, region_id, company_id, lead_active)
        SELECT 1, 1, now(), now(), l.id,
               (now() AT TIME ZONE 'UTC') - make_interval(days => 365 - k * 33 + l.id %% 30, secs => k),
               l.user_id, CASE WHEN k > 1 THEN 'stage_id,probability,planned_revenue,date_end' END, FALSE,
               'opportunity',
               CASE WHEN k = %(n)s THEN l.stage_id ELSE st.id END,
               CASE WHEN k = %(n)s THEN l.probability ELSE st.probability END,
               CASE WHEN k = %(n)s THEN l.planned_revenue
                    ELSE round((l.planned_revenue * (0.7 + 0.03 * k))::numeric, 2) END,
               CASE WHEN k = %(n)s THEN l.date_end ELSE l.date_end - (%(n)s - k) * 9 END,
               l.date_deadline, l.user_id, l.team_id, l.region_id, l.company_id, TRUE
          FROM crm_lead l
         CROSS JOIN generate_series(1, %(n)s) k
          JOIN crm_stage st ON st.id = (%(stages)s::int[])[(l.id + k) %% array_length(%(stages)s::int[], 1) + 1]
         WHERE l.name LIKE 'Bench opp %%'
    """, {'n': CHANGES_PER_DEAL, 'stages': stages})
    cr.execute("ANALYZE crm_lead_forecast_change")
    cr.commit()


def best(fn, repeat=3):
    times = []
    for _i in range(repeat):
        start = time.time()
        fn()
        times.append(time.time() - start)
    return min(times)


def stage_changes(env, manager, leads, stage):
    for lead in leads.sudo(manager):
        lead.write({'stage_id': stage.id})


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--db', default='impact_crm_bench_15')
    parser.add_argument('--fresh', action='store_true')
    parser.add_argument('--size', type=int, default=100000)
    parser.add_argument('--skip-reads', action='store_true', help="only the stage changes")
    args = parser.parse_args()
    if args.fresh:
        fresh_db(args.db)
    odoo.tools.config.parse_config([
        '--addons-path=%s' % ROOT, '--data-dir=%s' % os.path.join(ROOT, '.local', 'data'),
        '--db_host=127.0.0.1', '--db_port=%s' % os.environ.get('IMPACT_PG_PORT', '54329'), '--db_user=odoo',
        '--log-level=warn'])
    registry = odoo.registry(args.db)
    with api.Environment.manage(), registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        fixtures(env)
        manager = env['res.users'].search([('login', '=', 'bench_manager')])
        t0 = time.time()
        top_up(env, args.size)
        history(env)
        cr.execute("SELECT count(*) FROM crm_lead_forecast_change")
        changes = cr.fetchone()[0]
        print('== %d opportunities, %d kept changes (built in %.1f s)' % (args.size, changes, time.time() - t0))

        now = fields.Datetime.from_string(fields.Datetime.now())
        month_ago = fields.Datetime.to_string(now.replace(microsecond=0) - datetime.timedelta(days=30))
        quarter_ago = fields.Datetime.to_string(now - datetime.timedelta(days=90))
        groupby = ['user_id', 'date:quarter']
        read = ['user_id', 'date', 'amount', 'weighted_amount']
        live = env['crm.forecast.report'].sudo(manager)
        asof = env['crm.forecast.asof.report'].sudo(manager)
        waterfall = env['crm.forecast.waterfall.report'].sudo(manager).with_context(
            waterfall_date_from=quarter_ago, waterfall_date_to=fields.Datetime.to_string(now),
            waterfall_period_start=DATE_FROM, waterfall_period_end=DATE_TO)
        if args.skip_reads:
            base = None
        else:
            base = best(lambda: live.read_group([('source', '=', 'opportunity')], read, groupby, lazy=False))
            past = best(lambda: asof.with_context(forecast_as_of=month_ago).read_group([], read, groupby, lazy=False))
            current = best(lambda: asof.read_group([], read, groupby, lazy=False))
            steps = best(lambda: waterfall.read_group([], ['bucket', 'value'], ['bucket'], lazy=False))
            print('today\'s forecast report  %.3f s (baseline)' % base)
            for label, seconds in (('as of 30 days ago', past), ('as of now', current), ('waterfall', steps)):
                print('%-24s %.3f s  ratio %.2f x  (target <= 3 x: %s)'
                      % (label, seconds, seconds / base, 'OK' if seconds <= 3 * base else 'OVER'))

        # stage changes: with the change log, then without it (this process only), on different deals
        Lead = env['crm.lead']
        quote, order = env.ref('impact_crm.stage_quote'), env.ref('impact_crm.stage_order')
        leads = Lead.search([('name', 'like', 'Bench opp %'), ('stage_id', '=', quote.id)], limit=1200)
        manager.email = 'bench_manager@example.com'   # the chatter's tracking message needs a sender
        Change = type(env['crm.lead.forecast.change'])
        original = (Change._record, Change._update_slippage)
        timings = {'with': [], 'without': []}
        for round_ in range(2):
            for mode in ('with', 'without'):
                chunk = leads[:300]
                leads = leads[300:]
                if mode == 'without':
                    Change._record = lambda self, *args, **kwargs: None
                    Change._update_slippage = lambda self, *args, **kwargs: None
                start = time.time()
                stage_changes(env, manager, chunk, order)
                timings[mode].append(time.time() - start)
                Change._record, Change._update_slippage = original
        cr.rollback()
        with_log, without = min(timings['with']), min(timings['without'])
        print('300 stage changes: with the change log %.3f s, without %.3f s: ratio %.3f (target <= 1.10: %s)'
              % (with_log, without, with_log / without, 'OK' if with_log <= 1.10 * without else 'OVER'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
