#!/usr/bin/env python
"""Installing impact_crm into a large existing database, and upgrading it.

    .venv/bin/python bench/bench_install.py [--db bench_install] [--deals 100000] [--orders 50000] [--keep]

Copies the base template (plain Odoo: crm, sale_crm, sale_management ...), fills it with SQL: --deals opportunities
spread over Odoo's stages (some lost), --orders quotations/orders of those opportunities with 3 lines each
(a third confirmed), a creation message per deal in the chatter; then times
``odoo -i impact_crm --without-demo=all`` (wall time and peak memory of the Odoo process: hooks, back-fills,
stored computed fields, forecast rows) and ``odoo -u impact_crm`` on the result.
Targets: install < 5 min and < 1 GB, upgrade < 2 min (2 cores). Not part of ``make test``.
"""
import argparse
import os
import resource
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

FILL = """
INSERT INTO crm_lead (name, type, active, user_id, team_id, stage_id, probability, planned_revenue, date_deadline,
                      company_id, partner_id, create_date, write_date, create_uid, write_uid, date_last_stage_update,
                      date_closed)
SELECT 'Install deal ' || g, 'opportunity', g %% 10 != 0,
       (SELECT id FROM res_users WHERE share IS NOT TRUE ORDER BY id LIMIT 1 OFFSET g %% 2),
       (SELECT id FROM crm_team ORDER BY id LIMIT 1),
       (SELECT id FROM crm_stage ORDER BY sequence, id LIMIT 1 OFFSET g %% 4),
       CASE WHEN g %% 10 = 0 THEN 0 ELSE (g %% 4) * 25 END, round((1000 + random() * 99000)::numeric, 2),
       DATE '2025-01-01' + (g * 7919 %% 1095), 1,
       (SELECT id FROM res_partner WHERE customer ORDER BY id LIMIT 1 OFFSET g %% 10),
       now(), now(), 1, 1, now(), CASE WHEN g %% 10 = 0 THEN now() END
FROM generate_series(1, %(deals)s) g;

INSERT INTO mail_message (model, res_id, body, message_type, date, author_id, create_date, write_date)
SELECT 'crm.lead', l.id, '<p>Deal created</p>', 'notification', now(), 3, now(), now()
FROM crm_lead l WHERE l.name LIKE 'Install deal %%';

INSERT INTO sale_order (name, partner_id, partner_invoice_id, partner_shipping_id, pricelist_id, date_order,
                        confirmation_date, state, company_id, opportunity_id, user_id, team_id, amount_untaxed,
                        amount_tax, amount_total, create_date, write_date, create_uid, write_uid)
SELECT 'INST' || lpad(s.n::text, 6, '0'), l.partner_id, l.partner_id, l.partner_id,
       (SELECT id FROM product_pricelist ORDER BY id LIMIT 1), l.date_deadline - 30,
       CASE WHEN s.n %% 3 = 0 THEN l.date_deadline - 20 END, CASE WHEN s.n %% 3 = 0 THEN 'sale' ELSE 'draft' END, 1,
       l.id, l.user_id, l.team_id, 0, 0, 0, now(), now(), 1, 1
FROM (SELECT row_number() OVER (ORDER BY id) AS n, id FROM crm_lead WHERE name LIKE 'Install deal %%') s
JOIN crm_lead l ON l.id = s.id
WHERE s.n <= %(orders)s;

INSERT INTO sale_order_line (order_id, name, price_unit, product_id, product_uom_qty, product_uom, customer_lead,
                             price_subtotal, price_total, price_tax, price_reduce, discount, company_id, currency_id,
                             state, order_partner_id, salesman_id, create_date, write_date, create_uid, write_uid,
                             sequence)
SELECT o.id, 'Line', 100 + k, p.id, k, p.uom, 0, (100 + k) * k, (100 + k) * k, 0, 100 + k, 0, 1,
       (SELECT currency_id FROM product_pricelist ORDER BY id LIMIT 1), o.state, o.partner_id, o.user_id,
       now(), now(), 1, 1, k
FROM sale_order o CROSS JOIN generate_series(1, 3) k
CROSS JOIN LATERAL (SELECT pp.id, pt.uom_id AS uom FROM product_product pp
                      JOIN product_template pt ON pt.id = pp.product_tmpl_id
                     WHERE pt.sale_ok ORDER BY pp.id LIMIT 1 OFFSET (o.id + k) %% 5) p
WHERE o.name LIKE 'INST%%';

-- a production database: Odoo 11 would load the add-on's demo data when its dependencies have theirs
UPDATE ir_module_module SET demo = false;

-- statistics first: planned on the empty tables' estimates, the join below ran for more than 9 minutes
ANALYZE sale_order;
ANALYZE sale_order_line;
UPDATE sale_order o SET amount_untaxed = t.s, amount_total = t.s
  FROM (SELECT order_id, sum(price_subtotal) AS s FROM sale_order_line GROUP BY order_id) t
 WHERE t.order_id = o.id AND o.name LIKE 'INST%%';
ANALYZE;
"""


def shell(script, capture=False):
    return subprocess.run(['bash', '-c', 'set -e; source tools/lib.sh; source tools/base_template.sh; ' + script],
                          cwd=ROOT, check=True, stdout=subprocess.PIPE if capture else None)


def timed_odoo(db, args):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.time()
    shell('odoo -d %s %s --stop-after-init --log-level=warn' % (db, args))
    elapsed = time.time() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before) / 1024.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--db', default='bench_install')
    parser.add_argument('--deals', type=int, default=100000)
    parser.add_argument('--orders', type=int, default=50000)
    parser.add_argument('--keep', action='store_true')
    parser.add_argument('--fill-only', action='store_true', help="make the database, do not install")
    args = parser.parse_args()
    start = time.time()
    shell('pg_start >/dev/null; ensure_base_template; copy_db "$BASE_TEMPLATE" %s' % args.db)
    sql = FILL % {'deals': args.deals, 'orders': args.orders}
    shell('psql_cmd -d %s -v ON_ERROR_STOP=1 <<\'EOSQL\'\n%s\nEOSQL' % (args.db, sql))
    print('%s, %d cores: %d deals, %d orders with 3 lines each, made in %.0f s'
          % (time.strftime('%Y-%m-%d'), os.cpu_count(), args.deals, args.orders, time.time() - start), flush=True)
    if args.fill_only:
        return
    try:
        install, install_mem = timed_odoo(args.db, '-i impact_crm --without-demo=all')
        print('install: %.0f s, peak memory of the Odoo process %.0f MB (targets: 300 s, 1024 MB) %s'
              % (install, install_mem, 'OK' if install < 300 and install_mem < 1024 else 'OVER'), flush=True)
        upgrade, _mem = timed_odoo(args.db, '-u impact_crm')
        print('upgrade (-u impact_crm): %.0f s (target: 120 s) %s' % (upgrade, 'OK' if upgrade < 120 else 'OVER'))
    finally:
        if not args.keep:
            shell('drop_db %s' % args.db)


if __name__ == '__main__':
    main()
