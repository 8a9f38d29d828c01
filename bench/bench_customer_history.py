"""Customer history: the grouped SQL compute against a naive ORM loop over each customer's orders.

Usage: .venv/bin/python bench/bench_customer_history.py DBNAME [repeat]
Runs on an installed database (e.g. the e2e copy of the test DB), changes nothing, prints the ratio.
"""
import os
import sys
import time

import odoo
from odoo.api import Environment

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PG_ARGS = ['--db_host=127.0.0.1', '--db_port=54329', '--db_user=odoo', '--addons-path=' + ROOT,
           '--data-dir=' + os.path.join(ROOT, '.local', 'data')]


def naive(partners):
    """What the history would cost computed in Python, order by order (count and total only)."""
    result = {}
    for partner in partners:
        orders = partner.env['sale.order'].search([
            ('partner_id', 'child_of', partner.commercial_partner_id.id),
            ('state', 'in', ('sale', 'done')), ('is_latest_revision', '=', True)])
        total = 0.0
        for order in orders:
            total += order.currency_id.compute(order.amount_total, partner.env.user.company_id.currency_id)
            for line in order.order_line:
                line.product_id.categ_id.name
        result[partner.id] = (len(orders), total)
    return result


def grouped(partners):
    partners.invalidate_cache()
    return dict((p.id, (p.history_order_count, p.history_amount_ordered)) for p in partners)


def timed(func, partners, repeat):
    best = None
    for _ in range(repeat):
        partners.invalidate_cache()
        start = time.perf_counter()
        func(partners)
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return best


def main():
    dbname = sys.argv[1]
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    odoo.tools.config.parse_config(PG_ARGS + ['-d', dbname])
    registry = odoo.registry(dbname)
    with Environment.manage(), registry.cursor() as cr:
        env = Environment(cr, odoo.SUPERUSER_ID, {})
        partners = env['res.partner'].search([('customer', '=', True), ('parent_id', '=', False)])
        base = timed(naive, partners, repeat)
        ours = timed(grouped, partners, repeat)
        print('customers: %d, orders: %d' % (len(partners), env['sale.order'].search_count([])))
        print('naive ORM loop: %.3f s, grouped SQL: %.3f s, ratio naive/grouped: %.1fx' % (base, ours, base / ours))
        cr.rollback()


if __name__ == '__main__':
    main()
