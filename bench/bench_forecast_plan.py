#!/usr/bin/env python
"""Benchmark of the forecast with forecast categories, quotas and revenue spreads.

    .venv/bin/python bench/bench_forecast_plan.py [--db bench_plan] [--fresh] [--sizes 10000,100000]
                                                [--quotas-only]

Builds the pipeline of bench/bench_forecast.py (SQL, 3 quotation lines per opportunity on average, over 3 years,
20 reps, 5 teams), then gives each opportunity a forecast category (the stage's, 1 in 7 set by a rep), spreads the
revenue of 1 in 3 deals linearly over 1 to 18 months before their end date and 1 in 10 by a schedule of 3
instalments, and sets quarterly quotas for every rep and team over the 3 years (and monthly ones for the reps).
For each size it measures, as a sales manager, against the bare SQL aggregate of the same totals in the same run:
  * the monthly workbook by close period (4 dimension sheets + the forecast-category sheet, the call on the
    summary, the quota sheet) vs one GROUPING SETS query over the view (status, category and dimensions);
  * the same workbook by delivery period vs the same GROUPING SETS query with the spread joined;
  * the attainment and coverage of every quota (the quota list, an export), and of its first page of 80,
    vs their bare aggregate query.
Target: each within 3 x its bare SQL (+ 1 s for the workbook's Excel writing). Not part of make test.
"""
import argparse
import os
import sys
import time

os.environ['TZ'] = 'UTC'
time.tzset()

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import odoo  # noqa: E402
from odoo import SUPERUSER_ID, api  # noqa: E402

from bench_forecast import DATE_FROM, DATE_TO, ROOT, fixtures, fresh_db, timed, top_up  # noqa: E402


def plan(env):
    """Categories, spreads, instalments and quotas for the bench deals that have none yet (SQL)."""
    cr = env.cr
    cr.execute("""
        UPDATE crm_lead l SET forecast_category = CASE
                   WHEN g.kind != 'open' THEN 'closed'
                   WHEN l.id % 7 = 0 THEN (ARRAY['commit', 'best_case', 'pipeline', 'omitted'])[l.id % 4 + 1]
                   ELSE s.forecast_category END,
               forecast_category_manual = CASE WHEN g.kind = 'open' AND l.id % 7 = 0
                   THEN (ARRAY['commit', 'best_case', 'pipeline', 'omitted'])[l.id % 4 + 1] END,
               revenue_spread = CASE WHEN l.id % 3 = 0 THEN 'linear' WHEN l.id % 10 = 1 THEN 'schedule'
                                     ELSE 'end' END,
               date_start = CASE WHEN l.id % 3 = 0 THEN l.date_end - (30 * (1 + l.id % 18)) END,
               -- won deals: closed two weeks before their end, ordered in full, 60 % invoiced, 40 % paid
               date_closed = CASE WHEN g.kind != 'open' THEN l.date_end - 15 END,
               amount_ordered = CASE WHEN g.kind != 'open' THEN l.planned_revenue ELSE 0 END,
               amount_invoiced = CASE WHEN g.kind != 'open' THEN l.planned_revenue * 0.6 ELSE 0 END,
               amount_paid = CASE WHEN g.kind != 'open' THEN l.planned_revenue * 0.4 ELSE 0 END
          FROM crm_stage s JOIN crm_stage_group g ON g.id = s.group_id
         WHERE s.id = l.stage_id AND l.name LIKE 'Bench opp %' AND l.forecast_category IS NULL
    """)
    cr.execute("""
        INSERT INTO crm_lead_instalment (lead_id, date, amount, name, user_id, team_id, company_id,
                                         create_date, write_date, create_uid, write_uid)
        SELECT l.id, l.date_end - 60 * (3 - k), round(l.planned_revenue::numeric * k / 6, 2), 'Bench instalment',
               l.user_id, l.team_id, l.company_id, now(), now(), 1, 1
          FROM crm_lead l CROSS JOIN generate_series(1, 3) k
         WHERE l.revenue_spread = 'schedule' AND l.name LIKE 'Bench opp %'
           AND NOT EXISTS (SELECT 1 FROM crm_lead_instalment i WHERE i.lead_id = l.id)
    """)
    # the three instalments (1/6, 2/6, 3/6) must sum to the revenue exactly: the last takes the rounding
    cr.execute("""
        UPDATE crm_lead_instalment i SET amount = i.amount + l.planned_revenue - t.total
          FROM crm_lead l, (SELECT lead_id, SUM(amount) AS total, MAX(date) AS last FROM crm_lead_instalment
                             GROUP BY lead_id) t
         WHERE l.id = i.lead_id AND t.lead_id = i.lead_id AND i.date = t.last AND t.total != l.planned_revenue
    """)
    cr.execute("SELECT count(*) FROM crm_quota WHERE amount = 1234567")
    if not cr.fetchone()[0]:
        cr.execute("""
            INSERT INTO crm_quota (user_id, team_id, period_type, date_start, date_end, amount, company_id,
                                   create_date, write_date, create_uid, write_uid)
            SELECT who.user_id, who.team_id, p.kind, p.start, (p.start + p.step - INTERVAL '1 day')::date, 1234567,
                   %(company)s, now(), now(), 1, 1
              FROM (SELECT id AS user_id, NULL::int AS team_id FROM res_users WHERE login LIKE 'bench_rep_%%'
                    UNION ALL SELECT NULL, id FROM crm_team WHERE name LIKE 'Bench Team %%') who
             CROSS JOIN LATERAL (
                   SELECT 'quarter' AS kind, d::date AS start, INTERVAL '3 months' AS step
                     FROM generate_series(DATE %(start)s, DATE %(stop)s, INTERVAL '3 months') d
                   UNION ALL
                   SELECT 'month', d::date, INTERVAL '1 month'
                     FROM generate_series(DATE %(start)s, DATE %(stop)s, INTERVAL '1 month') d
                    WHERE who.user_id IS NOT NULL) p
        """, {'company': env.user.company_id.id, 'start': DATE_FROM, 'stop': DATE_TO})
    cr.execute("ANALYZE crm_lead; ANALYZE crm_lead_instalment; ANALYZE crm_quota")
    cr.commit()
    # The differences the UPDATE appended to the monthly sums (1.3 million rows, 160 MB), summed up as the hourly
    # scheduled actions do, twice, with autovacuum's pass after each: the first compaction's rows go after
    # the dead ones, at the end of the table (89 MB for 5 MB of sums); the second's into the space the
    # vacuum freed at its start, and the next vacuum cuts the empty end off.
    for _round in range(2):
        env['crm.forecast.report']._compact_months()
        env['crm.quota']._compact_deal_months()
        cr.commit()
        with odoo.sql_db.db_connect(cr.dbname).cursor() as vacuum_cr:
            vacuum_cr.autocommit(True)
            for table in ('crm_forecast_month', 'crm_forecast_order_month', 'crm_quota_deal_month'):
                vacuum_cr.execute('VACUUM ANALYZE %s' % table)


def bare_sql(cr, delivery):
    """Every total of the workbook in one scan of the view (GROUPING SETS), by close or delivery period."""
    from odoo.addons.impact_crm.models.crm_lead import SPREAD_SQL   # the add-ons path is set by now
    spread = 'LEFT JOIN (%s) spread ON spread.lead_id = r.lead_id' % SPREAD_SQL if delivery else ''
    date = 'COALESCE(spread.date, r.date)' if delivery else 'r.date'
    share = 'COALESCE(spread.share, 1.0)' if delivery else '1.0'
    cr.execute("""
        SELECT r.status, r.forecast_category, r.user_id, r.team_id, r.region_id, r.categ_id,
               date_trunc('month', {date}) AS month, SUM(r.amount * {share}), SUM(r.weighted_amount * {share})
        FROM crm_forecast_report r {spread}
        WHERE r.source = 'opportunity' AND {date} BETWEEN %s AND %s AND r.forecast_category != 'omitted'
        GROUP BY GROUPING SETS ((r.status, month), (r.forecast_category, month), (r.user_id, month),
                                (r.team_id, month), (r.region_id, month), (r.categ_id, month))
    """.format(date=date, share=share, spread=spread), (DATE_FROM, DATE_TO))
    return cr.fetchall()


def bare_quota_sql(cr, ids=None):
    """Ordered/invoiced/paid of the deals won in each quota's period and its open weighted pipeline: the rep
    quotas joined by salesperson, the channel quotas by channel, without the category shares (all the quotas,
    or those of ids)."""
    branch = """
        SELECT q.id, SUM(l.amount_ordered) FILTER (WHERE g.kind != 'open'),
               SUM(l.amount_invoiced) FILTER (WHERE g.kind != 'open'),
               SUM(l.amount_paid) FILTER (WHERE g.kind != 'open'),
               SUM(l.weighted_revenue) FILTER (WHERE g.kind = 'open')
          FROM crm_quota q
          JOIN crm_lead l ON {key}
          JOIN crm_stage st ON st.id = l.stage_id
          JOIN crm_stage_group g ON g.id = st.group_id
         WHERE {which} AND {only} AND l.active AND l.type = 'opportunity' AND NOT COALESCE(st.is_lost, FALSE)
           AND CASE WHEN g.kind = 'open' THEN COALESCE(l.forecast_category, '') != 'omitted'
                         AND COALESCE(l.date_end, l.date_deadline, l.create_date::date)
                             BETWEEN q.date_start AND q.date_end
                    ELSE l.date_closed::date BETWEEN q.date_start AND q.date_end END
         GROUP BY q.id"""
    only = 'q.id IN (%s)' % ','.join(str(int(i)) for i in ids) if ids else 'TRUE'
    cr.execute(' UNION ALL '.join(branch.format(key=key, which=which, only=only) for key, which in (
        ('l.user_id = q.user_id', 'q.user_id IS NOT NULL'), ('l.team_id = q.team_id', 'q.user_id IS NULL'))))
    return cr.fetchall()


def workbook(env, manager, basis):
    wizard = env['crm.forecast.workbook'].sudo(manager).create({
        'date_from': DATE_FROM, 'date_to': DATE_TO, 'granularity': 'month', 'source': 'opportunity',
        'date_basis': basis, 'by_forecast_category': True, 'lost_sheet': False, 'collection_sheet': False})
    wizard._check_input()
    return wizard._build_workbook()


def quota_list(env, manager, limit=None):
    quotas = env['crm.quota'].sudo(manager).search([], limit=limit)
    quotas.invalidate_cache()
    return quotas.read(['amount_ordered', 'amount_invoiced', 'amount_paid', 'pipeline_weighted', 'coverage'])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--db', default='bench_plan')
    parser.add_argument('--fresh', action='store_true')
    parser.add_argument('--sizes', default='10000,100000')
    parser.add_argument('--quotas-only', action='store_true', help="measure only the quota list")
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
        for size in [int(s) for s in args.sizes.split(',')]:
            t0 = time.time()
            top_up(env, size)
            plan(env)
            cr.execute("SELECT count(*) FROM crm_quota")
            n_quotas = cr.fetchone()[0]
            print('\n== %d opportunities, %d quotas (data set built in %.1f s)' % (size, n_quotas, time.time() - t0))
            for basis in () if args.quotas_only else ('close', 'delivery'):
                bare, _rows = timed(lambda: bare_sql(cr, basis == 'delivery'))
                wb, content = timed(lambda: workbook(env, manager, basis))
                print('  workbook by %-8s period: bare SQL %.3f s | workbook %.3f s (%d bytes) | ratio %.2f x | '
                      'budget 3 x bare + 1 s = %.3f s %s'
                      % (basis, bare, wb, len(content), wb / bare, 3 * bare + 1, 'OK' if wb <= 3 * bare + 1
                         else 'OVER'))
            bare, _rows = timed(lambda: bare_quota_sql(cr))
            listed, rows = timed(lambda: quota_list(env, manager))
            print('  quota list (%d quotas): bare SQL %.3f s | attainment and coverage %.3f s | ratio %.2f x %s'
                  % (len(rows), bare, listed, listed / bare, 'OK' if listed <= 3 * bare else 'OVER'))
            # the first page of the list (80 quotas, the latest periods)
            page = env['crm.quota'].sudo(manager).search([], limit=80).ids
            bare, _rows = timed(lambda: bare_quota_sql(cr, page))
            listed, rows = timed(lambda: quota_list(env, manager, limit=80))
            print('  quota list, first page (%d quotas): bare SQL %.3f s | attainment and coverage %.3f s | '
                  'ratio %.2f x %s' % (len(rows), bare, listed, listed / bare, 'OK' if listed <= 3 * bare else 'OVER'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
