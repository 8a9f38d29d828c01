"""What one confirmation costs, measured inside Odoo (run in an Odoo shell, as bench_fiscal.py does it:
``tools/lifecycle.sh shell DB < bench/fiscal_probe.py``).

Confirms COUNT fresh quotations one by one as the administrator, each in its own transaction as a JSON-RPC
call runs it (a pooled connection, reset by Odoo when borrowed), and prints one line ``PROBE {json}``: the SQL
statements per confirmation, the Python CPU time of the Odoo process and the CPU time of the PostgreSQL backend
(read from /proc: the benchmark's database server runs on this machine), means per confirmation. The first
two confirmations warm the caches and are not counted.
"""
import json
import os
import time

import odoo
from odoo import sql_db

COUNT = int(os.environ.get('FISCAL_PROBE_COUNT', '20'))


def backend_cpu(cr):
    cr.execute('SELECT pg_backend_pid()')
    pid = cr.fetchone()[0]
    with open('/proc/%d/stat' % pid) as handle:
        fields = handle.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / float(os.sysconf('SC_CLK_TCK'))


def probe(registry):
    with registry.cursor() as cr:
        admin = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        partner = admin['res.partner'].create({'name': 'Probe Customer', 'customer': True})
        product = admin['product.product'].create({'name': 'Probe m2', 'list_price': 10.0, 'type': 'service'})
        order_ids = [admin['sale.order'].create({
            'partner_id': partner.id, 'order_line': [(0, 0, {'product_id': product.id, 'product_uom_qty': i + 1})],
        }).id for i in range(COUNT + 2)]
        cr.commit()
    statements = [0]
    execute = sql_db.Cursor.execute

    def counted(self, *args, **kwargs):
        statements[0] += 1
        return execute(self, *args, **kwargs)

    totals = {'statements': 0, 'python_cpu_ms': 0.0, 'postgres_cpu_ms': 0.0, 'wall_ms': 0.0}
    for index, order_id in enumerate(order_ids):
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {'lang': 'en_US', 'tz': 'UTC'})
            backend_before = backend_cpu(cr)
            statements[0] = 0
            sql_db.Cursor.execute = counted
            wall, cpu = time.time(), time.process_time()
            try:
                env['sale.order'].browse(order_id).action_confirm()
                cr.commit()
            finally:
                sql_db.Cursor.execute = execute
            wall, cpu = time.time() - wall, time.process_time() - cpu
            if index >= 2:
                totals['statements'] += statements[0]
                totals['python_cpu_ms'] += cpu * 1000.0
                totals['wall_ms'] += wall * 1000.0
                totals['postgres_cpu_ms'] += (backend_cpu(cr) - backend_before) * 1000.0
    return dict((key, round(value / float(COUNT), 1)) for key, value in totals.items())


print('PROBE ' + json.dumps(probe(env.registry)))  # noqa: F821 - env: the Odoo shell's
