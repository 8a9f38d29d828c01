"""Load and fault injection against Odoo with --workers=4 on the embedded PostgreSQL (loopback only).

    .venv-e2e/bin/python bench/load.py                 # 16 clients for 120 s, then invariants, then faults
    .venv-e2e/bin/python bench/load.py --seconds 20    # a short run
    .venv-e2e/bin/python bench/load.py --no-faults --keep
    .venv-e2e/bin/python bench/load.py --think 0      # clients back to back: the server's throughput

It makes its own database (IMPACT_LOAD_DB, default t_issue9_load: the template database with crm/sale and
their demo data, plus impact_crm) and serves it on 127.0.0.1:IMPACT_LOAD_PORT (default 18195) with
4 workers, the way `make run` does. Each client is its own sales user and runs a weighted mix of the
operations a sales team does all day; operations whose models or methods the add-on does not have
(yet) are skipped. Bounded: --seconds, and at most --max-requests requests in all.

Prints requests/s, p50/p95/p99 latency per operation and overall, errors by kind (HTTP 5xx, concurrency
errors that reached the user, other errors), then checks invariants with SQL, then injects faults: a
PostgreSQL backend terminated, and an Odoo worker killed, in the middle of a stage change and of an
order confirmation. Exits non-zero when an invariant or a fault check fails.
"""
import argparse
import collections
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

import psycopg2
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIFECYCLE = os.path.join(ROOT, 'tools', 'lifecycle.sh')
HOST = '127.0.0.1'
CONCURRENCY_ERRORS = ('could not serialize', 'deadlock detected', 'SerializationFailure', 'TransactionRollbackError',
                      'DeadlockDetected', 'LockNotAvailable', 'could not obtain lock')


class RPCError(Exception):
    def __init__(self, error):
        data = error.get('data') or {}
        self.name = data.get('name', '')
        self.message = data.get('message', error.get('message', ''))
        super(RPCError, self).__init__('%s: %s' % (self.name, self.message))


class Client(object):
    def __init__(self, url, db, login, password):
        self.url, self.db, self.login, self.password = url, db, login, password
        self.session = requests.Session()
        self.uid = self.call('common', 'login', db, login, password)
        assert self.uid, 'login failed for %s' % login

    requests_log = None  # a list: every request's latency is appended to it while the load runs

    def call(self, service, method, *args, **kw):
        payload = {'jsonrpc': '2.0', 'method': 'call', 'id': 1,
                   'params': {'service': service, 'method': method, 'args': args}}
        start = time.time()
        try:
            response = self.session.post(self.url + '/jsonrpc', json=payload, timeout=kw.get('timeout', 120))
        finally:
            if self.requests_log is not None:
                self.requests_log.append(time.time() - start)
        if response.status_code >= 500:
            raise HTTPError(response.status_code)
        response.raise_for_status()
        body = response.json()
        if body.get('error'):
            raise RPCError(body['error'])
        return body['result']

    def __call__(self, model, method, *args, **kwargs):
        return self.call('object', 'execute_kw', self.db, self.uid, self.password, model, method, list(args), kwargs)


class HTTPError(Exception):
    def __init__(self, status):
        self.status = status
        super(HTTPError, self).__init__('HTTP %s' % status)


# ---------------------------------------------------------------------------------------------------------------
# the mix: name -> (weight, function(client, ctx)); ctx holds the ids every client may use
OPERATIONS = collections.OrderedDict()


def operation(weight, requires=()):
    """Register an operation; ``requires`` lists (model, field or method) the add-on must have for it to run."""
    def register(func):
        OPERATIONS[func.__name__] = (weight, requires, func)
        return func
    return register


@operation(25)
def read_pipeline(c, ctx):
    c('crm.lead', 'search_read', [('type', '=', 'opportunity')],
      fields=['name', 'partner_id', 'stage_id', 'planned_revenue', 'probability', 'user_id', 'activity_ids'],
      limit=80, order='stage_id, id desc')
    c('crm.lead', 'read_group', [('type', '=', 'opportunity')], ['planned_revenue', 'stage_id'], ['stage_id'],
      lazy=True)


@operation(10, requires=[('crm.lead', 'stage_group_id'), ('crm.lead', 'weighted_revenue')])
def read_stage_groups(c, ctx):
    c('crm.lead', 'read_group', [('type', '=', 'opportunity')],
      ['planned_revenue', 'weighted_revenue', 'stage_group_id'], ['stage_group_id'])


@operation(20)
def change_stage(c, ctx):
    lead = random.choice(ctx['leads'][c.login])
    stage = random.choice(ctx['stages'])
    # each client owns its deals: no one else moves them between this read and the write
    before = c('crm.lead', 'read', [lead], ['stage_id'])[0]['stage_id']
    c('crm.lead', 'write', [lead], {'stage_id': stage})
    ctx['stage_writes'][c.login].append((lead, stage, not before or before[0] != stage))


@operation(8)
def create_lead(c, ctx):
    lead = c('crm.lead', 'create', {
        'name': 'Load lead %s' % random.randint(1, 10 ** 9), 'type': 'opportunity', 'user_id': c.uid,
        'planned_revenue': random.randint(1, 500) * 1000, 'partner_id': random.choice(ctx['partners']),
        'stage_id': random.choice(ctx['stages'])})
    ctx['leads'][c.login].append(lead)
    ctx['created_leads'].append(lead)


@operation(10)
def log_activity(c, ctx):
    lead = random.choice(ctx['quote_leads'][c.login])
    activity = c('mail.activity', 'create', {
        'res_model_id': ctx['lead_model'], 'res_id': lead, 'activity_type_id': ctx['activity_type'],
        'summary': 'Call the site manager', 'user_id': c.uid})
    c('mail.activity', 'action_done', [activity])


@operation(7)
def quote_and_confirm(c, ctx):
    lead = random.choice(ctx['quote_leads'][c.login])
    order = c('sale.order', 'create', {
        'partner_id': random.choice(ctx['partners']), 'opportunity_id': lead,
        'order_line': [(0, 0, {'product_id': ctx['product'], 'product_uom_qty': random.randint(1, 50)})]})
    c('sale.order', 'action_confirm', [order])
    ctx['confirmed'].append(order)


@operation(5, requires=[('sale.order', 'action_new_revision'), ('sale.order', 'revision')])
def revise_quotation(c, ctx):
    lead = random.choice(ctx['quote_leads'][c.login])
    order = c('sale.order', 'create', {
        'partner_id': random.choice(ctx['partners']), 'opportunity_id': lead,
        'order_line': [(0, 0, {'product_id': ctx['product'], 'product_uom_qty': random.randint(1, 50)})]})
    c('sale.order', 'action_new_revision', [order])
    latest = c('sale.order', 'search', [('opportunity_id', '=', lead), ('is_latest_revision', '=', True),
                                        ('state', '=', 'draft')], order='id desc', limit=1)
    if latest and random.random() < 0.5:
        c('sale.order', 'action_confirm', latest)
        ctx['confirmed'].append(latest[0])


@operation(2, requires=[('crm.forecast.workbook', 'action_export')])
def export_workbook(c, ctx):
    wizard = c('crm.forecast.workbook', 'create', {})
    c('crm.forecast.workbook', 'action_export', [wizard])
    data = c('crm.forecast.workbook', 'read', [wizard], ['file_data'])[0]['file_data']
    assert data, 'the workbook is empty'


def available_operations(admin, only=None):
    ops = collections.OrderedDict()
    for name, (weight, requires, func) in OPERATIONS.items():
        if only and name not in only:
            continue
        missing = [req for req in requires if not has_member(admin, *req)]
        if missing:
            print('skipped %s: the add-on has no %s' % (name, ', '.join('%s.%s' % req for req in missing)))
            continue
        ops[name] = (weight, func)
    return ops


def has_member(admin, model, member):
    if not admin('ir.model', 'search_count', [('model', '=', model)]):
        return False
    if admin('ir.model.fields', 'search_count', [('model', '=', model), ('name', '=', member)]):
        return True
    try:  # a method: call it on no record; an unknown one fails with AttributeError
        admin(model, member, [])
        return True
    except RPCError as exc:
        return 'AttributeError' not in exc.name and 'has no attribute' not in exc.message


# ---------------------------------------------------------------------------------------------------------------
def lifecycle(*args):
    return subprocess.run(['bash', LIFECYCLE] + list(args), check=True, capture_output=True, text=True).stdout


def pg_connect(db):
    return psycopg2.connect(host=HOST, port=int(os.environ.get('IMPACT_PG_PORT', 54329)), user='odoo', dbname=db)


def start_server(db, port, workers):
    log = os.path.join(ROOT, '.local', 'log', 'load-%s.log' % db)
    env = dict(os.environ, IMPACT_DB=db, IMPACT_HTTP_PORT=str(port), IMPACT_WORKERS=str(workers))
    proc = subprocess.Popen(['bash', os.path.join(ROOT, 'tools', 'run.sh'), '--logfile=%s' % log,
                             '--log-level=warn', '--limit-time-real=300'],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = 'http://%s:%s' % (HOST, port)
    deadline = time.time() + 300
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit('the Odoo server exited (%s); log: %s' % (proc.returncode, log))
        try:
            if requests.get(url + '/web/login', timeout=5).status_code == 200:
                return proc, url, log
        except requests.RequestException:
            pass
        time.sleep(1)
    stop_server(proc)
    sys.exit('the Odoo server did not answer on %s' % url)


def stop_server(proc):
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def prepare(url, db, clients, leads_per_client):
    admin = Client(url, db, 'admin', 'admin')
    group = admin('ir.model.data', 'xmlid_to_res_id', 'sales_team.group_sale_salesman')
    ctx = {
        'stages': admin('crm.stage', 'search', ['|', ('is_lost', '=', False), ('is_lost', '=', None)])
        if has_member(admin, 'crm.stage', 'is_lost') else admin('crm.stage', 'search', []),
        'partners': admin('res.partner', 'search', [('customer', '=', True)], limit=30),
        'lead_model': admin('ir.model', 'search', [('model', '=', 'crm.lead')])[0],
        'activity_type': admin('mail.activity.type', 'search', [], limit=1)[0],
        'product': admin('product.product', 'create', {'name': 'Load glazing m2', 'list_price': 250,
                                                       'type': 'service'}),
        'leads': {}, 'quote_leads': {}, 'stage_writes': collections.defaultdict(list), 'created_leads': [],
        'confirmed': [],
    }
    logins = []
    for i in range(clients):
        login = 'load_rep_%02d' % i
        if not admin('res.users', 'search', [('login', '=', login)]):
            admin('res.users', 'create', {'name': 'Load Rep %02d' % i, 'login': login, 'password': login,
                                          'email': '%s@example.com' % login, 'groups_id': [(6, 0, [group])]})
        uid = admin('res.users', 'search', [('login', '=', login)])[0]
        # two pools of deals per client: stage changes on one (so that their history can be counted exactly),
        # quotations, orders and activities (which automation rules may react to) on the other
        existing = admin('crm.lead', 'search', [('user_id', '=', uid), ('type', '=', 'opportunity')], order='id')
        for pool, size in (('leads', leads_per_client), ('quote_leads', max(3, leads_per_client // 3))):
            ctx[pool][login] = existing[:size]
            existing = existing[size:]
            while len(ctx[pool][login]) < size:
                ctx[pool][login].append(admin('crm.lead', 'create', {
                    'name': 'Load deal %s-%s-%s' % (pool, i, len(ctx[pool][login])), 'type': 'opportunity',
                    'user_id': uid, 'planned_revenue': 10000 * (i + 1), 'stage_id': random.choice(ctx['stages'])}))
        logins.append(login)
    return admin, ctx, logins


def percentile(values, pct):
    if not values:
        return float('nan')
    values = sorted(values)
    index = min(len(values) - 1, max(0, int(round(pct / 100.0 * len(values) + 0.5)) - 1))
    return values[index]


def run_baseline(url, db, ctx, login, ops, repeat):
    """Each operation ``repeat`` times by one client alone: the latency the load is compared to."""
    client = Client(url, db, login, login)
    baseline = {}
    for name, (_weight, func) in ops.items():
        values = []
        for _i in range(repeat):
            start = time.time()
            func(client, ctx)
            values.append(time.time() - start)
        baseline[name] = percentile(values, 50)
    return baseline


def run_load(url, db, ctx, logins, ops, seconds, max_requests, think):
    names = list(ops)
    weights = [ops[name][0] for name in names]
    samples = collections.defaultdict(list)
    errors = collections.Counter()
    examples = {}
    budget = [max_requests]
    lock = threading.Lock()
    deadline = time.time() + seconds

    per_request = []

    def worker(login):
        client = Client(url, db, login, login)
        client.requests_log = per_request
        rng = random.Random(login)
        while time.time() < deadline:
            if think:
                time.sleep(rng.uniform(0, 2 * think))  # a person reads the screen before the next click
            with lock:
                if budget[0] <= 0:
                    return
                budget[0] -= 1
            name = rng.choices(names, weights)[0]
            start = time.time()
            try:
                ops[name][1](client, ctx)
                kind = None
            except HTTPError as exc:
                kind = 'HTTP %s' % exc.status
            except RPCError as exc:
                text = exc.name + ' ' + exc.message
                if any(marker in text for marker in CONCURRENCY_ERRORS):
                    kind = 'concurrency error reaching the user'
                else:
                    kind = 'RPC %s' % exc.name
                examples.setdefault(kind, text[:300])
            except requests.RequestException as exc:
                kind = 'connection: %s' % type(exc).__name__
                examples.setdefault(kind, str(exc)[:300])
            elapsed = time.time() - start
            with lock:
                samples[name].append(elapsed)
                if kind:
                    errors[(name, kind)] += 1

    started = time.time()
    threads = [threading.Thread(target=worker, args=(login,)) for login in logins]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples, errors, examples, time.time() - started, per_request


def report_load(samples, errors, examples, wall, clients, baseline, per_request, think):
    total = sum(len(v) for v in samples.values())
    every = [x for v in samples.values() for x in v]
    print('\n== load: %d clients (think time %.1f s on average), %.1f s' % (clients, think, wall))
    print('requests: %d, %.1f requests/s, latency p50 %.0f ms, p95 %.0f ms, p99 %.0f ms' % (
        len(per_request), len(per_request) / wall, 1000 * percentile(per_request, 50),
        1000 * percentile(per_request, 95), 1000 * percentile(per_request, 99)))
    print('operations (one or more requests each): %d, %.1f operations/s' % (total, total / wall))
    print('%-20s %7s %8s %8s %8s %8s %12s %10s' % ('operation', 'count', 'p50 ms', 'p95 ms', 'p99 ms', 'errors',
                                                   'alone p50', 'p50 ratio'))
    for name in sorted(samples):
        values = samples[name]
        failed = sum(n for (op, _kind), n in errors.items() if op == name)
        alone = baseline.get(name)
        print('%-20s %7d %8.0f %8.0f %8.0f %8d %12.0f %10.1f' % (
            name, len(values), 1000 * percentile(values, 50), 1000 * percentile(values, 95),
            1000 * percentile(values, 99), failed, 1000 * (alone or 0),
            percentile(values, 50) / alone if alone else float('nan')))
    print('%-20s %7d %8.0f %8.0f %8.0f %8d' % ('all', total, 1000 * percentile(every, 50),
                                               1000 * percentile(every, 95), 1000 * percentile(every, 99),
                                               sum(errors.values())))
    by_kind = collections.Counter()
    for (_op, kind), n in errors.items():
        by_kind[kind] += n
    print('errors by kind: %s' % (dict(by_kind) or 'none'))
    for kind, text in examples.items():
        print('  e.g. %s: %s' % (kind, text.replace('\n', ' ')))
    return {'requests': len(per_request), 'requests_per_s': round(len(per_request) / wall, 1),
            'request_p50_ms': round(1000 * percentile(per_request, 50)),
            'request_p95_ms': round(1000 * percentile(per_request, 95)),
            'request_p99_ms': round(1000 * percentile(per_request, 99)), 'think_s': think,
            'operations': total, 'seconds': round(wall, 1), 'ops_per_s': round(total / wall, 1),
            'p50_ms': round(1000 * percentile(every, 50)), 'p95_ms': round(1000 * percentile(every, 95)),
            'p99_ms': round(1000 * percentile(every, 99)), 'errors': dict(by_kind)}


# ---------------------------------------------------------------------------------------------------------------
# invariants, with SQL
def table_exists(cr, table):
    cr.execute("SELECT 1 FROM pg_tables WHERE tablename = %s", (table,))
    return bool(cr.fetchone())


def column_exists(cr, table, column):
    cr.execute("SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
               (table, column))
    return bool(cr.fetchone())


def check_invariants(db):
    """[(name, ok, detail)]"""
    results = []
    conn = pg_connect(db)
    try:
        with conn.cursor() as cr:
            cr.execute("""SELECT count(*) FROM crm_lead l JOIN crm_stage s ON s.id = l.stage_id
                          WHERE l.stage_group_id IS DISTINCT FROM s.group_id""")
            results.append(('every deal has its stage\'s group', cr.fetchone()[0] == 0, ''))
            cr.execute("SELECT count(*) FROM crm_lead WHERE stage_id IS NULL AND type = 'opportunity'")
            results.append(('no opportunity without a stage', cr.fetchone()[0] == 0, ''))
            cr.execute("""SELECT count(*) FROM mail_activity a LEFT JOIN crm_lead l ON l.id = a.res_id
                          WHERE a.res_model = 'crm.lead' AND l.id IS NULL""")
            results.append(('no activity of a missing deal', cr.fetchone()[0] == 0, ''))
            cr.execute("""SELECT count(*) FROM mail_message m LEFT JOIN crm_lead l ON l.id = m.res_id
                          WHERE m.model = 'crm.lead' AND l.id IS NULL""")
            results.append(('no message of a missing deal', cr.fetchone()[0] == 0, ''))
            cr.execute("""SELECT count(*) FROM sale_order o LEFT JOIN sale_order_line l ON l.order_id = o.id
                          WHERE o.name LIKE 'SO%%' AND o.state = 'sale' AND l.id IS NULL""")
            results.append(('no confirmed order without lines', cr.fetchone()[0] == 0, ''))
            cr.execute("""SELECT count(*) FROM sale_order WHERE state = 'sale' AND confirmation_date IS NULL""")
            results.append(('every confirmed order has its confirmation date', cr.fetchone()[0] == 0, ''))
            cr.execute("""SELECT name, count(*) FROM sale_order GROUP BY name HAVING count(*) > 1""")
            dups = cr.fetchall()
            results.append(('order names are unique', not dups, str(dups[:5])))
            results.extend(check_fiscal_numbers(cr))
            results.extend(check_stage_history(cr))
    finally:
        conn.close()
    return results


def check_fiscal_numbers(cr):
    """Fiscal numbers: one per confirmed order, unique, and consecutive per sequence (the ledger)."""
    if table_exists(cr, 'sale_fiscal_number') and column_exists(cr, 'sale_order', 'fiscal_number'):
        results = []
        cr.execute("""SELECT sequence_id, count(*), min(number), max(number), count(DISTINCT number)
                      FROM sale_fiscal_number WHERE number IS NOT NULL GROUP BY sequence_id""")
        rows = cr.fetchall()
        bad = [row for row in rows if not (row[1] == row[4] == row[3] - row[2] + 1)]
        results.append(('fiscal numbers consecutive and unique per sequence (%s numbers)' % sum(r[1] for r in rows),
                        not bad, str(bad[:5])))
        cr.execute("""SELECT count(*) FROM sale_order o WHERE o.state IN ('sale', 'done') AND o.fiscal_number IS NULL
                      AND NOT EXISTS (SELECT 1 FROM sale_order n WHERE n.fiscal_number IS NOT NULL
                                      AND n.quote_base_number = o.quote_base_number)""")
        missing = cr.fetchone()[0]
        results.append(('every confirmed order has a fiscal number', missing == 0, '%d without' % missing))
        cr.execute("""SELECT fiscal_number, count(DISTINCT quote_base_number) FROM sale_order
                      WHERE fiscal_number IS NOT NULL GROUP BY fiscal_number
                      HAVING count(DISTINCT quote_base_number) > 1""")
        dups = cr.fetchall()
        results.append(('no fiscal number on two different orders', not dups, str(dups[:5])))
        cr.execute("""SELECT count(*) FROM sale_fiscal_number f LEFT JOIN sale_order o ON o.id = f.order_id
                      WHERE f.order_id IS NOT NULL AND o.id IS NULL""")
        results.append(('no fiscal number of a missing order', cr.fetchone()[0] == 0, ''))
        return results
    column = None
    for candidate in ('fiscal_number', 'fiscal_name', 'l10n_fiscal_number'):
        if column_exists(cr, 'sale_order', candidate):
            column = candidate
            break
    if not column:
        return [('fiscal numbers gapless', None, 'sale.order has no fiscal number field (yet): skipped')]
    cr.execute('SELECT %s FROM sale_order WHERE %s IS NOT NULL' % (column, column))
    numbers = [row[0] for row in cr.fetchall()]
    series = collections.defaultdict(list)
    for number in numbers:
        digits = len(number) - len(number.rstrip('0123456789'))
        series[number[:len(number) - digits]].append(int(number[len(number) - digits:] or 0))
    problems = []
    for prefix, values in series.items():
        values.sort()
        if len(set(values)) != len(values):
            problems.append('%s: duplicates' % prefix)
        expected = list(range(values[0], values[0] + len(values)))
        if values != expected:
            missing = sorted(set(expected) - set(values))[:10]
            problems.append('%s: gaps at %s' % (prefix, missing))
    return [('fiscal numbers unique and gapless (%d numbers)' % len(numbers), not problems, '; '.join(problems))]


def check_stage_history(cr):
    if not table_exists(cr, 'crm_lead_stage_history'):
        return [('one history record per stage change', None, 'no stage history model (yet): skipped')]
    cr.execute("""SELECT count(*) FROM crm_lead l WHERE l.stage_id IS NOT NULL AND NOT EXISTS (
                  SELECT 1 FROM crm_lead_stage_history h WHERE h.lead_id = l.id)""")
    without = cr.fetchone()[0]
    # the last history record of every deal is the stage the deal is in
    cr.execute("""SELECT count(*) FROM crm_lead l JOIN LATERAL (
                      SELECT h.stage_to_id FROM crm_lead_stage_history h WHERE h.lead_id = l.id
                      ORDER BY h.date DESC, h.id DESC LIMIT 1) last ON true
                  WHERE last.stage_to_id IS DISTINCT FROM l.stage_id""")
    wrong = cr.fetchone()[0]
    # consecutive records chain: each one starts where the previous one ended
    cr.execute("""SELECT count(*) FROM (
                      SELECT stage_from_id, lag(stage_to_id) OVER (PARTITION BY lead_id ORDER BY date, id) AS prev,
                             row_number() OVER (PARTITION BY lead_id ORDER BY date, id) AS n
                      FROM crm_lead_stage_history) h
                  WHERE n > 1 AND stage_from_id IS DISTINCT FROM prev""")
    broken = cr.fetchone()[0]
    return [('every deal with a stage has a stage history', without == 0, '%d without' % without),
            ('the last history record of every deal is its stage', wrong == 0, '%d differ' % wrong),
            ('history records chain (from = previous to)', broken == 0, '%d breaks' % broken)]


def stage_changes_recorded(db, ctx, baseline):
    """As many history records were added during the load, for the deals of the stage-change pool, as the
    clients made stage changes on them (writes that actually changed the stage, and creations)."""
    leads = [lead for pool in ctx['leads'].values() for lead in pool]
    conn = pg_connect(db)
    try:
        with conn.cursor() as cr:
            if not table_exists(cr, 'crm_lead_stage_history'):
                return [('one history record per stage change', None, 'no stage history model (yet): skipped')]
            cr.execute('SELECT count(*) FROM crm_lead_stage_history WHERE id > %s AND lead_id IN %s',
                       (baseline, tuple(leads)))
            added = cr.fetchone()[0]
    finally:
        conn.close()
    made = sum(1 for writes in ctx['stage_writes'].values() for _lead, _stage, changed in writes if changed)
    made += len(ctx['created_leads'])
    return [('one history record per stage change', added == made, '%d records for %d changes' % (added, made))]


def history_max_id(db):
    conn = pg_connect(db)
    try:
        with conn.cursor() as cr:
            if not table_exists(cr, 'crm_lead_stage_history'):
                return 0
            cr.execute('SELECT coalesce(max(id), 0) FROM crm_lead_stage_history')
            return cr.fetchone()[0]
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------------------------------
# faults
def worker_pid_of_backend(server_pid, backend_port):
    """The pid of the Odoo process that holds the TCP connection from local port ``backend_port``."""
    inode = None
    for path in ('/proc/net/tcp', '/proc/net/tcp6'):
        try:
            lines = open(path).read().splitlines()[1:]
        except IOError:
            continue
        for line in lines:
            parts = line.split()
            if int(parts[1].split(':')[1], 16) == backend_port:
                inode = parts[9]
    if not inode:
        return None
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            for fd in os.listdir('/proc/%s/fd' % pid):
                if os.readlink('/proc/%s/fd/%s' % (pid, fd)) == 'socket:[%s]' % inode:
                    return int(pid)
        except OSError:
            continue
    return None


def blocked_backend(cr, db, my_pid, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        cr.execute("""SELECT pid, client_port FROM pg_stat_activity
                      WHERE datname = %s AND %s = ANY(pg_blocking_pids(pid))""", (db, my_pid))
        row = cr.fetchone()
        if row:
            return row
        time.sleep(0.05)
    return None


def inject(db, table, row_id, action, how, server_pid):
    """Lock ``table`` row ``row_id``, start ``action`` in a thread (it blocks on the lock, mid-transaction),
    then terminate its PostgreSQL backend or kill its Odoo worker. Returns the exception the client got."""
    locker = pg_connect(db)
    locker.autocommit = False
    outcome = {}
    try:
        with locker.cursor() as cr:
            cr.execute('SELECT pg_backend_pid()')
            my_pid = cr.fetchone()[0]
            cr.execute('SELECT 1 FROM "%s" WHERE id = %%s FOR UPDATE' % table, (row_id,))

            def run():
                try:
                    outcome['result'] = action()
                except Exception as exc:  # the fault under test
                    outcome['error'] = exc
            thread = threading.Thread(target=run)
            thread.start()
            found = blocked_backend(cr, db, my_pid)
            if not found:
                locker.rollback()
                thread.join(120)
                return 'the request never blocked on the locked row (it got %r)' % (
                    outcome.get('error') or outcome.get('result'),), outcome
            backend_pid, client_port = found
            admin_conn = pg_connect(db)
            admin_conn.autocommit = True
            try:
                with admin_conn.cursor() as acr:
                    if how == 'terminate backend':
                        acr.execute('SELECT pg_terminate_backend(%s)', (backend_pid,))
                    else:
                        worker = worker_pid_of_backend(server_pid, client_port)
                        if not worker:
                            locker.rollback()
                            thread.join(120)
                            return 'no Odoo worker holds the backend connection', outcome
                        os.kill(worker, signal.SIGKILL)
                        time.sleep(0.5)
            finally:
                admin_conn.close()
            locker.rollback()
            thread.join(120)
    finally:
        locker.close()
    return None, outcome


def run_faults(url, db, admin, ctx, server_pid, login):
    results = []
    client = Client(url, db, login, login)
    partner = ctx['partners'][0]
    for how in ('terminate backend', 'kill worker'):
        # 1. a stage change
        lead = ctx['leads'][login][0]
        before = admin('crm.lead', 'read', [lead], ['stage_id'])[0]['stage_id'][0]
        target = next(s for s in ctx['stages'] if s != before)
        history_before = history_count(db, lead)
        problem, outcome = inject(db, 'crm_lead', lead,
                                  lambda: client('crm.lead', 'write', [lead], {'stage_id': target}), how, server_pid)
        after = admin('crm.lead', 'read', [lead], ['stage_id'])[0]['stage_id'][0]
        ok = problem is None and 'error' in outcome and after == before and history_count(db, lead) == history_before
        results.append(('%s during a stage change: client error, nothing written' % how, ok,
                        problem or 'client got %r; stage %s -> %s' % (outcome.get('error'), before, after)))
        client = Client(url, db, login, login)
        client('crm.lead', 'write', [lead], {'stage_id': target})
        again = admin('crm.lead', 'read', [lead], ['stage_id'])[0]['stage_id'][0]
        grew = None if history_before is None else history_count(db, lead) - history_before
        results.append(('%s: the next stage change succeeds' % how, again == target and grew in (None, 1),
                        'history records added: %s' % grew))
        # 2. an order confirmation
        order = client('sale.order', 'create', {'partner_id': partner, 'opportunity_id': lead, 'order_line': [
            (0, 0, {'product_id': ctx['product'], 'product_uom_qty': 3})]})
        sequence_before = fiscal_state(db)
        problem, outcome = inject(db, 'sale_order', order, lambda: client('sale.order', 'action_confirm', [order]),
                                  how, server_pid)
        state = admin('sale.order', 'read', [order], ['state'])[0]['state']
        ok = problem is None and 'error' in outcome and state == 'draft' and fiscal_state(db) == sequence_before
        results.append(('%s during a confirmation: client error, nothing written' % how, ok,
                        problem or 'client got %r; order state %s' % (outcome.get('error'), state)))
        client = Client(url, db, login, login)
        client('sale.order', 'action_confirm', [order])
        state = admin('sale.order', 'read', [order], ['state'])[0]['state']
        results.append(('%s: the next confirmation succeeds' % how, state == 'sale', 'state %s' % state))
        ctx['confirmed'].append(order)
    return results


def history_count(db, lead):
    conn = pg_connect(db)
    try:
        with conn.cursor() as cr:
            if table_exists(cr, 'crm_lead_stage_history'):
                cr.execute('SELECT count(*) FROM crm_lead_stage_history WHERE lead_id = %s', (lead,))
                return cr.fetchone()[0]
            return None
    finally:
        conn.close()


def fiscal_state(db):
    """What a confirmation draws from: the number_next of the sequences of sale.order."""
    conn = pg_connect(db)
    try:
        with conn.cursor() as cr:
            cr.execute("""SELECT s.id, s.number_next, coalesce(array_agg(r.number_next ORDER BY r.id), '{}')
                          FROM ir_sequence s LEFT JOIN ir_sequence_date_range r ON r.sequence_id = s.id
                          WHERE s.code LIKE 'sale.order%%' GROUP BY s.id ORDER BY s.id""")
            return cr.fetchall()
    finally:
        conn.close()


def show(checks):
    for name, ok, detail in checks:
        print('%-8s %s%s' % ({True: 'ok', False: 'FAILED', None: 'skipped'}[ok], name,
                             (': ' + detail) if detail else ''))
    sys.stdout.flush()
    return checks


# ---------------------------------------------------------------------------------------------------------------
def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seconds', type=float, default=120)
    parser.add_argument('--clients', type=int, default=16)
    parser.add_argument('--workers', type=int, default=4)
    parser.add_argument('--max-requests', type=int, default=50000)
    parser.add_argument('--leads-per-client', type=int, default=15)
    parser.add_argument('--think', type=float, default=1.0,
                        help='average seconds a client waits between two operations (0: back to back)')
    parser.add_argument('--baseline-repeat', type=int, default=5,
                        help='each operation this many times by one client alone, before the load')
    parser.add_argument('--db', default=os.environ.get('IMPACT_LOAD_DB', 't_issue9_load'))
    parser.add_argument('--port', type=int, default=int(os.environ.get('IMPACT_LOAD_PORT', 18195)))
    parser.add_argument('--only', help='comma-separated operations to run (default: every available one)')
    parser.add_argument('--no-faults', action='store_true')
    parser.add_argument('--keep', action='store_true', help='keep the database (it is dropped otherwise)')
    parser.add_argument('--reuse', action='store_true', help='reuse the database if impact_crm is installed')
    parser.add_argument('--json', help='write the numbers to this file')
    args = parser.parse_args()
    assert args.seconds <= 900 and args.clients <= 64, 'bounded: at most 900 s and 64 clients'

    if not args.reuse:
        lifecycle('drop', args.db)
    proc, url, log = start_server(args.db, args.port, args.workers)
    failed = False
    try:
        admin, ctx, logins = prepare(url, args.db, args.clients, args.leads_per_client)
        ops = available_operations(admin, args.only and args.only.split(','))
        print('mix: %s' % ', '.join('%s x%d' % (name, weight) for name, (weight, _f) in ops.items()))
        baseline = run_baseline(url, args.db, ctx, logins[-1], ops, args.baseline_repeat)
        try:
            load1 = os.getloadavg()[0]
        except OSError:
            load1 = float('nan')
        print('machine load average before the run: %.1f on %d CPUs' % (load1, os.cpu_count()))
        # what the baseline changed is before the history baseline: count only the load's own changes
        ctx['stage_writes'] = collections.defaultdict(list)
        ctx['created_leads'] = []
        history_baseline = history_max_id(args.db)
        samples, errors, examples, wall, per_request = run_load(url, args.db, ctx, logins, ops, args.seconds,
                                                                args.max_requests, args.think)
        numbers = report_load(samples, errors, examples, wall, args.clients, baseline, per_request, args.think)
        numbers['load_average_before'] = load1
        numbers['baseline_p50_ms'] = dict((k, round(1000 * v)) for k, v in baseline.items())
        hard = sum(n for (_op, kind), n in errors.items() if kind.startswith(('HTTP 5', 'concurrency')))
        print('\n== invariants')
        checks = show(check_invariants(args.db) + stage_changes_recorded(args.db, ctx, history_baseline))
        if not args.no_faults:
            print('\n== faults (a row locked, the request blocked on it mid-transaction, then the fault)')
            checks += show(run_faults(url, args.db, admin, ctx, proc.pid, logins[0]))
            checks += show([(name + ' (after the faults)', ok, detail)
                            for name, ok, detail in check_invariants(args.db) if ok is not None])
        failed = hard > 0 or any(ok is False for _n, ok, _d in checks)
        numbers['checks'] = [(name, ok, detail) for name, ok, detail in checks]
        if args.json:
            with open(args.json, 'w') as out:
                json.dump(numbers, out, indent=1)
        print('\nserver log: %s' % log)
    finally:
        stop_server(proc)
        if not args.keep:
            lifecycle('drop', args.db)
    print('RESULT: %s' % ('FAILED' if failed else 'ok'))
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
