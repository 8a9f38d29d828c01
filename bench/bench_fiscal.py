"""Benchmark: confirm N orders from C parallel JSON-RPC clients against Odoo servers running with --workers.

Two servers are started side by side, in the same run:
- impact_crm (gapless fiscal numbers, see impact_crm/models/sale_fiscal_number.py), database DB (made from the
  template database and served by tools/run.sh, as `make run` does);
- the baseline: Odoo's plain sale.order numbering, DB_plain, a copy of the template database without impact_crm.
The orders are created first on both; the confirmations then alternate between the two servers in --rounds,
so that the machine's changing load weighs on both alike. Prints the throughput of both and the ratio (goal: at
least 0.9x), the worst wait for the fiscal sequence lock, how many transactions PostgreSQL made Odoo retry, and
checks after the run that the numbers given are consecutive and unique. During the rounds it reads the CPU time
the two servers spent (the Odoo processes and their PostgreSQL backends, from /proc), per confirmation: under load,
where the throughput is decided. Then, servers stopped, what one
confirmation costs on each database (bench/fiscal_probe.py in an Odoo shell): SQL statements, Python CPU of Odoo,
CPU of the PostgreSQL backend; on the CPU-bound 2-core machine the throughput ratio follows their sums.

    .venv-e2e/bin/python bench/bench_fiscal.py --orders 2000 --clients 8 --workers 4
"""
import argparse
import json
import os
import re
import sys
import threading
import time

import _testkit  # noqa: F401
from support.db import copy_db, drop_db, lifecycle, sql, template
from support.rpc import RPC
from support.server import Server


def parallel(n_clients, work):
    errors = []
    latencies = []
    lock = threading.Lock()

    def run(index):
        try:
            for seconds in work(index):
                with lock:
                    latencies.append(seconds)
        except Exception as exc:  # noqa: B902 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n_clients)]
    started = time.time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.time() - started, latencies, errors


def create_orders(kind, server, args):
    """args.orders quotations, created by args.clients clients: one list of order ids per client."""
    setup = RPC('admin', 'admin', url=server.url, db=server.db, timeout=600)
    partner = setup('res.partner', 'create', {'name': 'Bench Customer', 'customer': True})
    product = setup('product.product', 'create', {'name': 'Bench m2', 'list_price': 10.0, 'type': 'service'})
    per_client = [[] for _i in range(args.clients)]

    def create(index):
        client = RPC('admin', 'admin', url=server.url, db=server.db, timeout=600)
        for i in range(index, args.orders, args.clients):
            per_client[index].append(client('sale.order', 'create', {
                'partner_id': partner, 'order_line': [(0, 0, {'product_id': product, 'product_uom_qty': i + 1})]}))
            yield 0.0

    _t, _l, errors = parallel(args.clients, create)
    if errors:
        sys.exit('%s: creating orders failed: %s' % (kind, errors[0]))
    return per_client


def _proc_cpu(pid):
    """CPU seconds (user + system) of process ``pid`` so far; 0 when it has ended."""
    try:
        with open('/proc/%d/stat' % pid) as handle:
            fields = handle.read().rsplit(')', 1)[1].split()
    except (IOError, OSError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / float(os.sysconf('SC_CLK_TCK'))


def server_cpu(server):
    """(CPU seconds of the Odoo server's processes, of the PostgreSQL backends connected to its database) so far.

    The Odoo side: the server's process and every descendant (the workers). The PostgreSQL side: the backends
    of the database now (Odoo keeps its connections in a pool, so they are the same ones all round long; a
    backend that ended meanwhile is not counted). The embedded PostgreSQL runs on this machine."""
    children = {}
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open('/proc/%s/stat' % entry) as handle:
                    parent = int(handle.read().rsplit(')', 1)[1].split()[1])
            except (IOError, OSError):
                continue
            children.setdefault(parent, []).append(int(entry))
    pids, todo = [], [server.pid]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo.extend(children.get(pid, ()))
    backends = [row[0] for row in sql("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                                      [server.db], db=server.db)]
    return sum(map(_proc_cpu, pids)), sum(map(_proc_cpu, backends))


def confirm_orders(kind, server, args, orders):
    """Confirm each client's ``orders`` (one list per client) in parallel: (seconds, latencies, (CPU seconds
    of the Odoo processes, of the PostgreSQL backends) spent meanwhile)."""
    def confirm(index):
        client = RPC('admin', 'admin', url=server.url, db=server.db, timeout=600)
        for order_id in orders[index]:
            started = time.time()
            client('sale.order', 'action_confirm', [order_id])
            yield time.time() - started

    odoo_before, postgres_before = server_cpu(server)
    seconds, latencies, errors = parallel(args.clients, confirm)
    odoo_after, postgres_after = server_cpu(server)
    if errors:
        sys.exit('%s: confirming failed: %s' % (kind, errors[0]))
    return seconds, latencies, (odoo_after - odoo_before, postgres_after - postgres_before)


def count_retries(log):
    with open(log, errors='replace') as handle:
        return len(re.findall(r'(SERIALIZATION_FAILURE|LOCK_NOT_AVAILABLE|DEADLOCK_DETECTED), retry', handle.read()))


def probe(db, count):
    """bench/fiscal_probe.py on ``db``: the cost of one confirmation (dict)."""
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fiscal_probe.py')) as handle:
        script = handle.read()
    os.environ['FISCAL_PROBE_COUNT'] = str(count)
    lines = [line for line in lifecycle('shell', db, stdin=script).splitlines() if line.startswith('PROBE ')]
    if not lines:
        sys.exit('%s: the probe printed nothing' % db)
    return json.loads(lines[-1][len('PROBE '):])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--orders', type=int, default=2000)
    parser.add_argument('--clients', type=int, default=8)
    parser.add_argument('--workers', type=int, default=4)
    parser.add_argument('--rounds', type=int, default=2)
    parser.add_argument('--db', default='impact_crm_bench_fiscal')
    parser.add_argument('--port', type=int, default=18145,
                        help='impact_crm on PORT, plain Odoo on PORT+1 (their longpolling on PORT+3, PORT+4)')
    parser.add_argument('--keep', action='store_true', help='keep the databases (they are dropped otherwise)')
    parser.add_argument('--reuse', action='store_true', help='reuse the databases kept by an earlier --keep')
    parser.add_argument('--probe', type=int, default=20, help='confirmations measured one by one afterwards (0: none)')
    args = parser.parse_args()
    plain_db = args.db + '_plain'
    if not args.reuse:
        drop_db(args.db)
        copy_db(template(), plain_db)
    extra = ['--max-cron-threads=0']
    servers = {}
    try:
        # log level info: the retries are logged at that level
        servers['impact'] = Server(args.db, args.port, args.workers, log_level='info', extra=extra)
        servers['plain'] = Server(plain_db, args.port + 1, args.workers, plain=True, log_level='info', extra=extra)
        ledger_before = sql("SELECT coalesce(max(id), 0) FROM sale_fiscal_number", db=args.db)[0][0]
        kinds = ('plain', 'impact')
        orders = dict((kind, create_orders(kind, servers[kind], args)) for kind in kinds)
        results = dict((kind, {'seconds': 0.0, 'latencies': [], 'odoo_cpu': 0.0, 'postgres_cpu': 0.0})
                       for kind in kinds)
        for round_ in range(args.rounds):
            for kind in kinds:
                part = [client_orders[round_::args.rounds] for client_orders in orders[kind]]
                seconds, latencies, (odoo_cpu, postgres_cpu) = confirm_orders(kind, servers[kind], args, part)
                results[kind]['seconds'] += seconds
                results[kind]['latencies'] += latencies
                results[kind]['odoo_cpu'] += odoo_cpu
                results[kind]['postgres_cpu'] += postgres_cpu
        # after the run: the numbers given are consecutive and unique
        count, distinct, low, high, worst_wait = sql(
            """SELECT count(*), count(DISTINCT number), min(number), max(number), max(lock_wait_ms)
                 FROM sale_fiscal_number WHERE id > %s AND NOT is_legacy""", [ledger_before], db=args.db)[0]
        bad_steps = sql("""SELECT count(*) FROM (SELECT number - lag(number) OVER (PARTITION BY sequence_id
                             ORDER BY number) AS step FROM sale_fiscal_number WHERE NOT is_legacy) s
                            WHERE step <> 1""", db=args.db)[0][0]
        checker = RPC('admin', 'admin', url=servers['impact'].url, db=args.db)
        issues = checker('sale.fiscal.number', 'get_numbering_issues')
    finally:
        for server in servers.values():
            server.stop()
    for kind in ('plain', 'impact'):
        result = results[kind]
        result['rate'] = len(result['latencies']) / result['seconds']
    plain, impact = results['plain'], results['impact']
    print('orders: %d, clients: %d, server workers: %d, rounds: %d' % (args.orders, args.clients, args.workers,
                                                                       args.rounds))
    print('plain Odoo numbering : %7.1f confirmations/s (%.1f s, slowest call %.3f s, retries %d)'
          % (plain['rate'], plain['seconds'], max(plain['latencies']), count_retries(servers['plain'].log)))
    print('impact_crm fiscal    : %7.1f confirmations/s (%.1f s, slowest call %.3f s, retries %d)'
          % (impact['rate'], impact['seconds'], max(impact['latencies']), count_retries(servers['impact'].log)))
    ratio = impact['rate'] / plain['rate']
    print('ratio impact/plain   : %.2f (goal: at least 0.9: %s)' % (ratio, 'met' if ratio >= 0.9 else 'NOT MET'))
    print('worst fiscal lock wait: %.1f ms' % (worst_wait or 0.0))
    print("CPU per confirmation under load (the servers' processes during the rounds):")
    for kind, label in (('plain', 'plain Odoo numbering'), ('impact', 'impact_crm fiscal   ')):
        result = results[kind]
        confirmed = float(len(result['latencies']))
        print('%s : Odoo %5.1f ms, PostgreSQL %5.1f ms'
              % (label, result['odoo_cpu'] * 1000.0 / confirmed, result['postgres_cpu'] * 1000.0 / confirmed))
    under_load = dict((kind, results[kind]['odoo_cpu'] + results[kind]['postgres_cpu']) for kind in kinds)
    print('CPU ratio under load plain/impact: %.2f' % (under_load['plain'] / under_load['impact']))
    gapless = count == args.orders == distinct and high - low + 1 == count and bad_steps == 0 and not issues
    print('fiscal numbers %s..%s: %d given, %d distinct, %d broken steps, %d issues -> %s'
          % (low, high, count, distinct, bad_steps, len(issues), 'GAPLESS' if gapless else 'NOT GAPLESS'))
    if args.probe:
        costs = {'plain': probe(plain_db, args.probe), 'impact': probe(args.db, args.probe)}
        print('one confirmation (mean of %d, one at a time, inside Odoo):' % args.probe)
        for kind, label in (('plain', 'plain Odoo numbering'), ('impact', 'impact_crm fiscal   ')):
            cost = costs[kind]
            print('%s : %5.1f SQL statements, Python CPU %5.1f ms, PostgreSQL CPU %5.1f ms, wall %5.1f ms'
                  % (label, cost['statements'], cost['python_cpu_ms'], cost['postgres_cpu_ms'], cost['wall_ms']))
        cpu = dict((kind, costs[kind]['python_cpu_ms'] + costs[kind]['postgres_cpu_ms']) for kind in costs)
        print('CPU ratio plain/impact: %.2f' % (cpu['plain'] / cpu['impact']))
    if not args.keep:
        drop_db(args.db)
        drop_db(plain_db)
    sys.exit(0 if gapless else 1)


if __name__ == '__main__':
    main()
