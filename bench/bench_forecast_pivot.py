#!/usr/bin/env python
"""Forecast pivot and workbook versus Odoo's own pipeline pivot (crm.lead), same database, same run.

    .venv/bin/python bench/bench_forecast_pivot.py [--db bench_forecast_pivot] [--fresh] [--size 100000]
                                                   [--workbook-only] [--rounds 5]

Builds the data set of bench_forecast.py (opportunities with 3 quotation lines each on average, over 3 years,
20 reps in 5 teams, 8 regions, 30 categories, old revisions that must not count) up to --size opportunities,
then times, as a sales manager and as a sales rep (record rules):

* the baseline: Odoo's pipeline pivot, ``read_group`` on crm.lead, opportunities by salesperson x quarter (the
  best of 3 runs);
* ``read_group`` on crm.forecast.report for both sources and every grouping the report offers (the best of 3
  rounds), and the workbook (monthly, 3 years, 4 dimension sheets) for both sources, with and without the quota
  sheet (the best of --rounds rounds); each round right after a run of the baseline;

and prints each time with its ratio to the baseline of the same user (target: at most 3x), and the median of the
ratios of each round (against the baseline run just before it). Each pivot and workbook runs in a savepoint
rolled back afterwards: the session settings a forecast read takes for its transaction (parallel workers or not)
do not reach the baseline or the next read. It also times the
rebuild of every row and the refresh of one deal (what a write pays). Not part of ``make test``.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_forecast  # noqa: E402  (same data set)

import odoo  # noqa: E402
from odoo import SUPERUSER_ID, api  # noqa: E402

# the report's two pivot views (salesperson x quarter, month x status) and its search view's groupings
GROUPINGS = [
    ['user_id', 'date:quarter'], ['date:month', 'status'], ['team_id', 'date:month'], ['region_id', 'date:year'],
    ['categ_id', 'date:quarter'], ['stage_group_id', 'status'], ['stage_id'], ['forecast_category'], ['company_id'],
]


def best(fn, repeat=3):
    times = []
    for _i in range(repeat):
        start = time.time()
        fn()
        times.append(time.time() - start)
    return min(times)


def interleaved(cr, fn, baseline_fn, rounds):
    """Time ``fn`` in ``rounds`` rounds, each right after a run of ``baseline_fn``: (the best time of ``fn``,
    the median over the rounds of its time over the baseline's of the same round). A machine whose speed
    drifts moves both times of a round together; the best times alone compare two moments. Each ``fn`` runs
    in a savepoint rolled back afterwards: the report's SET LOCAL settings do not reach the next baseline."""
    times, ratios = [], []
    for _i in range(rounds):
        start = time.time()
        baseline_fn()
        cr.execute('SAVEPOINT bench_round')
        middle = time.time()
        fn()
        end = time.time()
        cr.execute('ROLLBACK TO SAVEPOINT bench_round')
        times.append(end - middle)
        ratios.append((end - middle) / (middle - start))
    ratios.sort()
    middle = len(ratios) // 2
    median = ratios[middle] if len(ratios) % 2 else (ratios[middle - 1] + ratios[middle]) / 2
    return min(times), median


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--db', default='bench_forecast_pivot')
    parser.add_argument('--fresh', action='store_true')
    parser.add_argument('--size', type=int, default=100000)
    parser.add_argument('--rounds', type=int, default=5,
                        help="rounds of each workbook, each right after a run of the baseline (default 5)")
    parser.add_argument('--workbook-only', action='store_true',
                        help="time the baseline and the workbooks only (not the pivots, the rebuild, the refresh)")
    args = parser.parse_args()
    if args.fresh:
        bench_forecast.fresh_db(args.db)
    odoo.tools.config.parse_config([
        '--addons-path=%s' % bench_forecast.ROOT, '--data-dir=%s' % os.path.join(bench_forecast.ROOT, '.local', 'data'),
        '--db_host=127.0.0.1', '--db_port=%s' % os.environ.get('IMPACT_PG_PORT', '54329'), '--db_user=odoo',
        '--log-level=warn'])
    with api.Environment.manage(), odoo.registry(args.db).cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        bench_forecast.fixtures(env)
        t0 = time.time()
        bench_forecast.top_up(env, args.size)
        build = time.time() - t0
        cr.execute("SELECT count(*) FROM crm_lead WHERE type = 'opportunity'")
        leads = cr.fetchone()[0]
        cr.execute("SELECT count(*) FROM sale_order_line")
        lines = cr.fetchone()[0]
        cr.execute("SELECT count(*) FROM crm_forecast_report")
        rows = cr.fetchone()[0]
        cr.execute("SELECT count(*) FROM crm_quota")
        quotas = cr.fetchone()[0]
        print('%s, %d cores: %d opportunities, %d quotation/order lines, %d forecast rows, %d quotas (data set built '
              'in %.1f s)' % (time.strftime('%Y-%m-%d'), os.cpu_count(), leads, lines, rows, quotas, build))
        manager = env['res.users'].search([('login', '=', 'bench_manager')])
        rep = env['res.users'].search([('login', '=', 'bench_rep_01')])   # not a team leader: crm.lead's rule
        worst = 0.0
        for user, role in ((manager, 'manager'), (rep, 'rep (record rules)')):
            cr.rollback()   # the report's SET LOCAL settings end with the transaction: a clean baseline
            Lead = env['crm.lead'].sudo(user)
            Report = env['crm.forecast.report'].sudo(user)

            def pivot(Lead=Lead):
                return Lead.read_group([('type', '=', 'opportunity')], ['planned_revenue', 'user_id', 'create_date'],
                                       ['user_id', 'create_date:quarter'], lazy=False)
            baseline = best(pivot)
            print('\n%s: crm.lead pivot (salesperson x quarter) %.3f s = baseline' % (role, baseline))
            for source in ('opportunity', 'order'):
                for groupby in ([] if args.workbook_only else GROUPINGS):
                    fields_ = ['amount', 'weighted_amount'] + [g.split(':')[0] for g in groupby]
                    elapsed, median = interleaved(
                        cr, lambda: Report.read_group([('source', '=', source)], fields_, groupby, lazy=False),
                        pivot, 3)
                    worst = max(worst, elapsed / baseline)
                    print('  forecast pivot %-11s by %-28s %.3f s  %.2fx  (median of the rounds %.2fx)' % (
                        source, ' x '.join(groupby), elapsed, elapsed / baseline, median))
                # every sheet, then without the quota sheet (one row per quota of the data set, read through
                # the quotas' attainment: its cost grows with the quotas, not with the forecast's rows)
                for quota_sheet, label in ((True, 'all sheets'), (False, 'no quota sheet')):
                    wizard = env['crm.forecast.workbook'].sudo(user).create({
                        'date_from': bench_forecast.DATE_FROM, 'date_to': bench_forecast.DATE_TO,
                        'granularity': 'month', 'source': source, 'quota_sheet': quota_sheet})
                    elapsed, median = interleaved(cr, wizard._build_workbook, pivot, args.rounds)
                    worst = max(worst, elapsed / baseline)
                    print('  forecast workbook %-11s monthly, 3 years, %-14s %.3f s  %.2fx  (median of the '
                          'rounds %.2fx)' % (source, label, elapsed, elapsed / baseline, median))
        print('\nworst ratio to the crm.lead pivot: %.2fx (target <= 3x) %s' % (worst, 'OK' if worst <= 3 else 'OVER'))
        if args.workbook_only:
            cr.rollback()
            return 0
        Report = env['crm.forecast.report']
        rebuild = best(Report._rebuild, repeat=1)
        cr.execute("SELECT id FROM crm_lead WHERE type = 'opportunity' ORDER BY id DESC LIMIT 50")
        ids = [row[0] for row in cr.fetchall()]
        cr.execute("SELECT crm_forecast_report_refresh(%s)", ([ids[0]],))   # the plan, once per connection
        start = time.time()
        for lead_id in ids:
            cr.execute("SELECT crm_forecast_report_refresh(%s)", ([lead_id],))
        one = (time.time() - start) / len(ids)
        print('rebuild of every row %.1f s; refresh of one deal (what a write pays) %.2f ms' % (rebuild, one * 1000))
        cr.rollback()
    return 0


if __name__ == '__main__':
    sys.exit(main())
