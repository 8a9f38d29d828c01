"""Benchmark: confirm N orders from C parallel JSON-RPC clients against Odoo servers running with --workers.

Two servers are started side by side, in the same run:
- impact_crm (gapless fiscal numbers, see impact_crm/models/sale_fiscal_number.py), database bench_i4;
- the baseline: Odoo's plain sale.order numbering, a copy of the template database without impact_crm.
Prints throughput of both, the ratio, the worst wait for the fiscal sequence lock, how many
transactions PostgreSQL made Odoo retry, and checks the fiscal numbers are gapless and unique.

    .venv-e2e/bin/python bench/bench_fiscal.py --orders 2000 --clients 8 --workers 4
"""
import argparse
import os
import re
import subprocess
import sys
import threading
import time

import psycopg2
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PG = 'host=127.0.0.1 port=%s user=odoo' % os.environ.get('IMPACT_PG_PORT', '54329')


def sh(cmd, **kwargs):
    return subprocess.check_output(['bash', '-c', cmd], cwd=ROOT, universal_newlines=True, **kwargs).strip()


class Client(object):
    def __init__(self, url, db):
        self.url, self.db = url, db
        self.session = requests.Session()
        self.uid = self.call('common', 'login', db, 'admin', 'admin')

    def call(self, service, method, *args):
        payload = {'jsonrpc': '2.0', 'method': 'call', 'id': 1,
                   'params': {'service': service, 'method': method, 'args': args}}
        body = self.session.post(self.url + '/jsonrpc', json=payload, timeout=600).json()
        if body.get('error'):
            raise RuntimeError(body['error'].get('data', {}).get('message') or body['error'])
        return body['result']

    def __call__(self, model, method, *args, **kwargs):
        return self.call('object', 'execute_kw', self.db, self.uid, 'admin', model, method, list(args), kwargs)


def wait_up(url, proc, log, timeout=600):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit('server exited, see %s' % log)
        try:
            if requests.get(url + '/web/login', timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    sys.exit('server %s did not start' % url)


def start_servers(args):
    template = sh('source tools/lib.sh; source tools/base_template.sh; pg_start >/dev/null; '
                  'ensure_base_template >/dev/null; echo $BASE_TEMPLATE')
    plain_db = args.db + '_plain'
    cnx = psycopg2.connect(PG + ' dbname=postgres')
    cnx.autocommit = True
    with cnx.cursor() as cr:
        cr.execute('DROP DATABASE IF EXISTS "%s"' % plain_db)
        for _attempt in range(30):
            try:
                cr.execute('CREATE DATABASE "%s" TEMPLATE "%s"' % (plain_db, template))
                break
            except psycopg2.errors.ObjectInUse:
                time.sleep(2)   # another helper is copying the template right now
    cnx.close()
    logs = {}
    procs = []
    env = dict(os.environ, IMPACT_DB=args.db, IMPACT_HTTP_PORT=str(args.port), IMPACT_WORKERS=str(args.workers))
    logs['impact'] = os.path.join(ROOT, '.local/log/bench-%s.log' % args.db)
    procs.append(subprocess.Popen(['bash', 'tools/run.sh', '--logfile=' + logs['impact'], '--log-level=info',
                                   '--max-cron-threads=0'], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True))
    logs['plain'] = os.path.join(ROOT, '.local/log/bench-%s.log' % plain_db)
    procs.append(subprocess.Popen(
        ['bash', '-c', 'source tools/lib.sh; odoo -d %s --db-filter="^%s$" --http-interface=127.0.0.1 '
                       '--http-port=%d --longpolling-port=%d --workers=%d --max-cron-threads=0 '
                       '--logfile=%s --log-level=info'
         % (plain_db, plain_db, args.port + 1, args.port + 4, args.workers, logs['plain'])],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
    urls = {'impact': 'http://127.0.0.1:%d' % args.port, 'plain': 'http://127.0.0.1:%d' % (args.port + 1)}
    for key, proc in zip(('impact', 'plain'), procs):
        wait_up(urls[key], proc, logs[key])
    dbs = {'impact': args.db, 'plain': plain_db}
    return procs, urls, dbs, logs


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


def bench(kind, url, db, args):
    setup = Client(url, db)
    partner = setup('res.partner', 'create', {'name': 'Bench Customer', 'customer': True})
    product = setup('product.product', 'create', {'name': 'Bench m2', 'list_price': 10.0, 'type': 'service'})
    per_client = [[] for _i in range(args.clients)]

    def create(index):
        client = Client(url, db)
        for i in range(index, args.orders, args.clients):
            per_client[index].append(client('sale.order', 'create', {
                'partner_id': partner, 'order_line': [(0, 0, {'product_id': product, 'product_uom_qty': i + 1})]}))
            yield 0.0

    _t, _l, errors = parallel(args.clients, create)
    if errors:
        sys.exit('%s: creating orders failed: %s' % (kind, errors[0]))

    def confirm(index):
        client = Client(url, db)
        for order_id in per_client[index]:
            started = time.time()
            client('sale.order', 'action_confirm', [order_id])
            yield time.time() - started

    seconds, latencies, errors = parallel(args.clients, confirm)
    if errors:
        sys.exit('%s: confirming failed: %s' % (kind, errors[0]))
    return {'seconds': seconds, 'rate': len(latencies) / seconds, 'worst_call': max(latencies), 'n': len(latencies)}


def count_retries(log):
    with open(log, errors='replace') as handle:
        return len(re.findall(r'(SERIALIZATION_FAILURE|LOCK_NOT_AVAILABLE|DEADLOCK_DETECTED), retry', handle.read()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--orders', type=int, default=2000)
    parser.add_argument('--clients', type=int, default=8)
    parser.add_argument('--workers', type=int, default=4)
    parser.add_argument('--db', default='bench_i4')
    parser.add_argument('--port', type=int, default=18145)
    args = parser.parse_args()
    procs, urls, dbs, logs = start_servers(args)
    try:
        with psycopg2.connect(PG + ' dbname=' + dbs['impact']) as cnx, cnx.cursor() as cr:
            cr.execute("SELECT coalesce(max(id), 0) FROM sale_fiscal_number")
            ledger_before = cr.fetchone()[0]
        results = {}
        for kind in ('plain', 'impact'):
            results[kind] = bench(kind, urls[kind], dbs[kind], args)
        with psycopg2.connect(PG + ' dbname=' + dbs['impact']) as cnx, cnx.cursor() as cr:
            cr.execute("""SELECT count(*), count(DISTINCT number), min(number), max(number), max(lock_wait_ms)
                            FROM sale_fiscal_number WHERE id > %s AND NOT is_legacy""", [ledger_before])
            count, distinct, low, high, worst_wait = cr.fetchone()
            cr.execute("""SELECT count(*) FROM (SELECT number - lag(number) OVER (PARTITION BY sequence_id
                            ORDER BY number) AS step FROM sale_fiscal_number WHERE NOT is_legacy) s
                           WHERE step <> 1""")
            bad_steps = cr.fetchone()[0]
        issues = Client(urls['impact'], dbs['impact'])('sale.fiscal.number', 'get_numbering_issues')
    finally:
        for proc in procs:
            os.killpg(proc.pid, 15)
    plain, impact = results['plain'], results['impact']
    print('orders: %d, clients: %d, server workers: %d' % (args.orders, args.clients, args.workers))
    print('plain Odoo numbering : %7.1f confirmations/s (%.1f s, slowest call %.3f s, retries %d)'
          % (plain['rate'], plain['seconds'], plain['worst_call'], count_retries(logs['plain'])))
    print('impact_crm fiscal    : %7.1f confirmations/s (%.1f s, slowest call %.3f s, retries %d)'
          % (impact['rate'], impact['seconds'], impact['worst_call'], count_retries(logs['impact'])))
    print('ratio impact/plain   : %.2f' % (impact['rate'] / plain['rate']))
    print('worst fiscal lock wait: %.1f ms' % (worst_wait or 0.0))
    gapless = count == args.orders == distinct and high - low + 1 == count and bad_steps == 0 and not issues
    print('fiscal numbers %s..%s: %d given, %d distinct, %d broken steps, %d issues -> %s'
          % (low, high, count, distinct, bad_steps, len(issues), 'GAPLESS' if gapless else 'NOT GAPLESS'))
    sys.exit(0 if gapless else 1)


if __name__ == '__main__':
    main()
