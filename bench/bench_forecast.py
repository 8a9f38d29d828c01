#!/usr/bin/env python
"""Benchmark of the sales forecast workbook.

    .venv/bin/python bench/bench_forecast.py [--db bench_forecast] [--fresh] [--sizes 10000,100000]

--fresh re-creates the database from the base template with impact_crm installed (tools/lib.sh).
For every size it tops the pipeline up with SQL (INSERT ... SELECT generate_series) to that many
opportunities (3 quotation lines per opportunity on average, over 3 years; 20 reps, 5 teams,
8 regions, 30 product categories; 10% of quotations also have an older revision that must not count),
then, for each source, generates the monthly workbook (4 dimension sheets) as a sales manager and measures:
  * the bare SQL: one GROUPING SETS query over the view computing every total the workbook shows
    (the physical limit), and the same as 5 plain GROUP BY queries (one per sheet);
  * the workbook: wall seconds, Python peak (tracemalloc, separate run) and the process peak RSS.
Targets: workbook <= 3 x bare query + 1 s, peak memory < 300 MB. Not part of make test.
"""
import argparse
import os
import resource
import subprocess
import sys
import time
import tracemalloc

os.environ['TZ'] = 'UTC'
time.tzset()

import odoo  # noqa: E402
from odoo import SUPERUSER_ID, api  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATE_FROM, DATE_TO = '2025-01-01', '2027-12-31'
N_REPS, N_TEAMS, N_REGIONS, N_CATEGS = 20, 5, 8, 30


def fresh_db(db):
    script = ('source tools/lib.sh; source tools/base_template.sh; pg_start >/dev/null; ensure_base_template; '
              'copy_db "$BASE_TEMPLATE" %s; odoo -d %s -i impact_crm --stop-after-init --log-level=warn' % (db, db))
    subprocess.check_call(['bash', '-c', script], cwd=ROOT)


def fixtures(env):
    """Reps, teams, regions, categories, products, customers (ORM, once)."""
    Users = env['res.users'].with_context(no_reset_password=True, tracking_disable=True)
    manager = Users.search([('login', '=', 'bench_manager')])
    if manager:
        return
    salesman = env.ref('sales_team.group_sale_salesman')
    manager = Users.create({'name': 'Bench Manager', 'login': 'bench_manager',
                            'groups_id': [(6, 0, [env.ref('sales_team.group_sale_manager').id])]})
    reps = [Users.create({'name': 'Bench Rep %02d' % i, 'login': 'bench_rep_%02d' % i,
                          'groups_id': [(6, 0, [salesman.id])]}) for i in range(N_REPS)]
    per_team = N_REPS // N_TEAMS
    for t in range(N_TEAMS):
        members = reps[t * per_team:(t + 1) * per_team]
        env['crm.team'].create({'name': 'Bench Team %d' % t, 'user_id': members[0].id,
                                'member_ids': [(6, 0, [m.id for m in members])]})
    for r in range(N_REGIONS):
        env['crm.region'].create({'name': 'Bench Region %d' % r})
    for c in range(N_CATEGS):
        categ = env['product.category'].create({'name': 'Bench Category %02d' % c})
        env['product.product'].create({'name': 'Bench Product %02d' % c, 'type': 'service',
                                       'categ_id': categ.id, 'list_price': 100.0})
    for p in range(100):
        env['res.partner'].create({'name': 'Bench Customer %03d' % p, 'customer': True})
    env.cr.commit()
    return manager


def ids(env, sql):
    env.cr.execute(sql)
    return [row[0] for row in env.cr.fetchall()]


def top_up(env, size):
    """Insert opportunities (and their quotations) until there are `size` bench opportunities."""
    cr = env.cr
    cr.execute("SELECT count(*), COALESCE(max(id), 0) FROM crm_lead WHERE name LIKE 'Bench opp %%'")
    count, _max_id = cr.fetchone()
    if count >= size:
        return
    params = {
        'users': ids(env, "SELECT id FROM res_users WHERE login LIKE 'bench_rep_%%' ORDER BY login"),
        'teams': ids(env, "SELECT id FROM crm_team WHERE name LIKE 'Bench Team %%' ORDER BY name"),
        'regions': ids(env, "SELECT id FROM crm_region WHERE name LIKE 'Bench Region %%' ORDER BY name"),
        'stages': ids(env, "SELECT id FROM crm_stage ORDER BY sequence, id"),
        'partners': ids(env, "SELECT id FROM res_partner WHERE name LIKE 'Bench Customer %%' ORDER BY id"),
        'products': ids(env, "SELECT id FROM product_product WHERE default_code IS NULL AND product_tmpl_id IN "
                             "(SELECT id FROM product_template WHERE name LIKE 'Bench Product %%') ORDER BY id"),
        'start': count + 1, 'stop': size, 'company': env.user.company_id.id,
        'pricelist': env['product.pricelist'].search([], limit=1).id,
        'uom': env.ref('product.product_uom_unit').id,
    }
    cr.execute("SELECT COALESCE(max(id), 0) FROM sale_order")
    params['last_order'] = cr.fetchone()[0]
    # The forecast's triggers refresh the deals of each statement, planned on the statistics the tables had
    # before it (a few dozen rows): with them, the refresh after the 300,000 lines' INSERT was still running
    # after 20 minutes, rereading a spilled tuple store (perf). As the install does, the rows are built once,
    # at the end.
    Report = env['crm.forecast.report']
    Report._drop_triggers()
    cr.execute("""
        INSERT INTO crm_lead (name, type, active, user_id, team_id, region_id, stage_id, probability,
                              planned_revenue, date_end, company_id, partner_id, create_date, write_date,
                              create_uid, write_uid)
        SELECT 'Bench opp ' || g, 'opportunity', TRUE,
               (%(users)s::int[])[g %% 20 + 1], (%(teams)s::int[])[(g %% 20) / 4 + 1],
               CASE WHEN g %% 9 = 0 THEN NULL ELSE (%(regions)s::int[])[g %% 8 + 1] END,
               (%(stages)s::int[])[g %% array_length(%(stages)s::int[], 1) + 1], 0,
               round((1000 + random() * 99000)::numeric, 2),
               DATE '2025-01-01' + (g * 7919 %% 1095), %(company)s,
               (%(partners)s::int[])[g %% 100 + 1], now(), now(), 1, 1
        FROM generate_series(%(start)s, %(stop)s) g
    """, params)
    cr.execute("""
        UPDATE crm_lead l SET probability = s.probability, stage_group_id = s.group_id,
               stage_group_kind = g.kind, weighted_revenue = l.planned_revenue * s.probability / 100
        FROM crm_stage s JOIN crm_stage_group g ON g.id = s.group_id
        WHERE s.id = l.stage_id AND l.name LIKE 'Bench opp %%' AND l.stage_group_id IS NULL
    """)
    # 3 of 4 opportunities have a quotation of 4 lines (3 lines per opportunity on average);
    # 1 in 10 of those also has an older revision (2 lines) that must not count
    cr.execute("""
        INSERT INTO sale_order (name, partner_id, partner_invoice_id, partner_shipping_id, pricelist_id,
                                date_order, confirmation_date, state, company_id, opportunity_id, user_id,
                                team_id, is_latest_revision, fiscal_number, create_date, write_date, create_uid,
                                write_uid)
        SELECT 'BENCH/' || l.id || '/' || rev, l.partner_id, l.partner_id, l.partner_id, %(pricelist)s,
               l.date_end - 30, CASE WHEN l.id %% 10 = 0 AND rev = 1 THEN l.date_end - 20 END,
               CASE WHEN l.id %% 10 = 0 AND rev = 1 THEN 'sale' ELSE 'draft' END, %(company)s, l.id,
               l.user_id, l.team_id, rev = 1,
               -- a confirmed order has a fiscal number (database check)
               CASE WHEN l.id %% 10 = 0 AND rev = 1 THEN 'BENCH-F/' || l.id END, now(), now(), 1, 1
        FROM crm_lead l CROSS JOIN generate_series(1, 2) rev
        WHERE l.name LIKE 'Bench opp %%' AND l.id %% 4 != 0
          AND NOT EXISTS (SELECT 1 FROM sale_order so WHERE so.opportunity_id = l.id)
          AND (rev = 1 OR l.id %% 10 = 3)
    """, params)
    cr.execute("""
        INSERT INTO sale_order_line (order_id, name, price_unit, product_id, product_uom_qty, product_uom,
                                     customer_lead, price_subtotal, price_total, price_tax, price_reduce, discount,
                                     company_id, currency_id, state, order_partner_id, salesman_id,
                                     create_date, write_date, create_uid, write_uid)
        SELECT o.id, 'Bench line', p.price, (%(products)s::int[])[(o.id * 4 + k) %% 30 + 1], p.qty, %(uom)s,
               0, p.price * p.qty, p.price * p.qty, 0, p.price, 0, %(company)s,
               (SELECT currency_id FROM product_pricelist WHERE id = %(pricelist)s), o.state, o.partner_id,
               o.user_id, now(), now(), 1, 1
        FROM sale_order o
        CROSS JOIN generate_series(1, 4) k
        CROSS JOIN LATERAL (SELECT round((10 + random() * 990)::numeric, 2) AS price,
                                   (1 + (o.id + k) %% 20)::numeric AS qty) p
        WHERE o.id > %(last_order)s AND o.name LIKE 'BENCH/%%' AND (o.is_latest_revision OR k <= 2)
    """, params)
    cr.execute("ANALYZE crm_lead; ANALYZE sale_order; ANALYZE sale_order_line")
    Report.init()   # the triggers and the monthly sums back, every row rebuilt
    env['crm.quota']._rebuild_deal_months()
    env.cr.commit()


def timed(fn, repeat=2):
    best = None
    for _i in range(repeat):
        start = time.time()
        result = fn()
        elapsed = time.time() - start
        best = elapsed if best is None else min(best, elapsed)
    return best, result


def bare_sql(cr, source):
    """Every total of the workbook in one scan of the view (GROUPING SETS)."""
    cr.execute("""
        SELECT status, user_id, team_id, region_id, categ_id, date_trunc('month', date) AS month,
               SUM(amount), SUM(weighted_amount)
        FROM crm_forecast_report
        WHERE source = %s AND date BETWEEN %s AND %s
        GROUP BY GROUPING SETS ((status, month), (user_id, month), (team_id, month), (region_id, month),
                                (categ_id, month))
    """, (source, DATE_FROM, DATE_TO))
    return cr.fetchall()


def bare_sql_per_sheet(cr, source):
    rows = []
    for dim in ('status', 'user_id', 'team_id', 'region_id', 'categ_id'):
        cr.execute("""
            SELECT {0}, date_trunc('month', date), SUM(amount), SUM(weighted_amount)
            FROM crm_forecast_report WHERE source = %s AND date BETWEEN %s AND %s GROUP BY 1, 2
        """.format(dim), (source, DATE_FROM, DATE_TO))
        rows.extend(cr.fetchall())
    return rows


def workbook(env, manager, source):
    wizard = env['crm.forecast.workbook'].sudo(manager).create({
        'date_from': DATE_FROM, 'date_to': DATE_TO, 'granularity': 'month', 'source': source})
    wizard._check_input()
    return wizard._build_workbook()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--db', default='bench_forecast')
    parser.add_argument('--fresh', action='store_true')
    parser.add_argument('--sizes', default='10000,100000')
    args = parser.parse_args()
    if args.fresh:
        fresh_db(args.db)
    odoo.tools.config.parse_config([
        '--addons-path=%s' % ROOT, '--data-dir=%s' % os.path.join(ROOT, '.local', 'data'),
        '--db_host=127.0.0.1', '--db_port=%s' % os.environ.get('IMPACT_PG_PORT', '54329'), '--db_user=odoo',
        '--log-level=warn'])
    registry = odoo.registry(args.db)
    results = {}
    with api.Environment.manage(), registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        fixtures(env)
        manager = env['res.users'].search([('login', '=', 'bench_manager')])
        for size in [int(s) for s in args.sizes.split(',')]:
            t0 = time.time()
            top_up(env, size)
            cr.execute("SELECT count(*) FROM sale_order_line l JOIN sale_order o ON o.id = l.order_id "
                       "WHERE o.name LIKE 'BENCH/%%' AND o.is_latest_revision")
            lines = cr.fetchone()[0]
            print('\n== %d opportunities, %d latest-revision quote lines (data set built in %.1f s)'
                  % (size, lines, time.time() - t0))
            for source in ('opportunity', 'order'):
                env['crm.lead'].invalidate_cache()
                bare, rows = timed(lambda: bare_sql(cr, source))
                per_sheet, _rows = timed(lambda: bare_sql_per_sheet(cr, source))
                wb, content = timed(lambda: workbook(env, manager, source))
                tracemalloc.start()
                workbook(env, manager, source)
                _current, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
                results[(size, source)] = wb
                print('  source %-11s bare SQL (grouping sets) %.3f s | 5 GROUP BYs %.3f s | workbook %.3f s '
                      '(%d bytes) | ratio %.2f x bare, %.2f x 5 GROUP BYs | budget 3 x bare + 1 s = %.3f s %s | '
                      'Python peak %.1f MB, process peak RSS %.0f MB %s'
                      % (source, bare, per_sheet, wb, len(content), wb / bare, wb / per_sheet, 3 * bare + 1,
                         'OK' if wb <= 3 * bare + 1 else 'OVER', peak / 1048576.0, rss,
                         'OK' if rss < 300 else 'OVER'))
        sizes = sorted(set(size for size, _source in results))
        if len(sizes) > 1:
            small, big = sizes[0], sizes[-1]
            for source in ('opportunity', 'order'):
                print('growth %s: %dx the data -> %.2fx the time' % (
                    source, big // small, results[(big, source)] / results[(small, source)]))
    return 0


if __name__ == '__main__':
    sys.exit(main())
