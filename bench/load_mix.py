"""The load's mix: the operations a sales team does all day, each client a sales user of its own, and how the
clients run them (one client alone for the baseline, then all of them at once)."""
import collections
import random
import threading
import time

import _testkit  # noqa: F401
import requests
from support.rpc import RPC, HTTPError, RPCError
from support.users import ensure_user

CONCURRENCY_ERRORS = ('could not serialize', 'deadlock detected', 'SerializationFailure', 'TransactionRollbackError',
                      'DeadlockDetected', 'LockNotAvailable', 'could not obtain lock')

# name -> (weight, plain, function(client, ctx)); ``plain``: plain Odoo can do it too (the comparison's mix)
OPERATIONS = collections.OrderedDict()


def operation(weight, plain=True):
    def register(func):
        OPERATIONS[func.__name__] = (weight, plain, func)
        return func
    return register


def my_pipeline(c):
    """The pipeline as Odoo's CRM opens it ("My Pipeline"): the client's own opportunities, the same deals
    in both databases (the add-on's demo deals and plain Odoo's are not)."""
    return [('type', '=', 'opportunity'), ('user_id', '=', c.uid)]


@operation(25)
def read_pipeline(c, ctx):
    c('crm.lead', 'search_read', my_pipeline(c),
      fields=['name', 'partner_id', 'stage_id', 'planned_revenue', 'probability', 'user_id', 'activity_ids'],
      limit=80, order='stage_id, id desc')
    c('crm.lead', 'read_group', my_pipeline(c), ['planned_revenue', 'stage_id'], ['stage_id'], lazy=True)


@operation(10, plain=False)
def read_stage_groups(c, ctx):
    c('crm.lead', 'read_group', my_pipeline(c), ['planned_revenue', 'weighted_revenue', 'stage_group_id'],
      ['stage_group_id'])


@operation(20)
def change_stage(c, ctx):
    lead = random.choice(ctx['leads'][c.login])
    # each client owns its deals: no one else moves them between this read and the write
    before = c('crm.lead', 'read', [lead], ['stage_id'])[0]['stage_id']
    # always another stage: plain Odoo has 4 stages and the add-on 6 without rules, so a random pick among
    # all of them would leave more deals where they are (a write that changes nothing) on plain Odoo's side
    stage = random.choice([stage for stage in ctx['stages'] if not before or stage != before[0]])
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


def create_quotation(c, ctx, lead):
    """A quotation of one line on ``lead``, for a random customer and quantity."""
    return c('sale.order', 'create', {
        'partner_id': random.choice(ctx['partners']), 'opportunity_id': lead,
        'order_line': [(0, 0, {'product_id': ctx['product'], 'product_uom_qty': random.randint(1, 50)})]})


@operation(7)
def quote_and_confirm(c, ctx):
    lead = random.choice(ctx['quote_leads'][c.login])
    order = create_quotation(c, ctx, lead)
    c('sale.order', 'action_confirm', [order])
    ctx['confirmed'].append(order)


@operation(5, plain=False)
def revise_quotation(c, ctx):
    lead = random.choice(ctx['quote_leads'][c.login])
    order = create_quotation(c, ctx, lead)
    c('sale.order', 'action_new_revision', [order])
    latest = c('sale.order', 'search', [('opportunity_id', '=', lead), ('is_latest_revision', '=', True),
                                        ('state', '=', 'draft')], order='id desc', limit=1)
    if latest and random.random() < 0.5:
        c('sale.order', 'action_confirm', latest)
        ctx['confirmed'].append(latest[0])


@operation(2, plain=False)
def export_workbook(c, ctx):
    wizard = c('crm.forecast.workbook', 'create', {})
    c('crm.forecast.workbook', 'action_export', [wizard])
    data = c('crm.forecast.workbook', 'read', [wizard], ['file_data'])[0]['file_data']
    assert data, 'the workbook is empty'


def mix(common=False, only=None):
    """{name: (weight, function)}: every operation, or (``common``) those plain Odoo can do too."""
    return collections.OrderedDict(
        (name, (weight, func)) for name, (weight, plain, func) in OPERATIONS.items()
        if (plain or not common) and (not only or name in only))


def prepare(url, db, clients, leads_per_client, plain=False, common=False):
    """Users, deals and the ids the operations draw from; returns (admin client, ctx, logins).

    ``plain``: a database without impact_crm. ``common``: stage changes only between stages that fire no
    automation rule (plain Odoo has none), so both servers do the same work."""
    admin = RPC('admin', 'admin', url=url, db=db)
    if plain:
        stages = admin('crm.stage', 'search', [])
    else:
        domain = [('is_lost', '=', False)]
        if common:
            domain.append(('rule_ids', '=', False))
        stages = admin('crm.stage', 'search', domain)
    ctx = {
        'stages': stages,
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
        uid = ensure_user(admin, login, 'Load Rep %02d' % i)
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


def run_alone(url, db, ctx, login, ops, repeat):
    """Each operation ``repeat`` times by one client alone: {name: [seconds]}."""
    client = RPC(login, login, url=url, db=db)
    alone = {}
    for name, (_weight, func) in ops.items():
        alone[name] = []
        for _i in range(repeat):
            start = time.time()
            func(client, ctx)
            alone[name].append(time.time() - start)
    return alone


class Sample(object):
    """What a load run measured: latencies per operation and per request, errors, wall time."""

    def __init__(self):
        self.operations = collections.defaultdict(list)   # name -> [seconds]
        self.requests = []                                # seconds of every HTTP request
        self.errors = collections.Counter()               # (name, kind) -> count
        self.examples = {}                                # kind -> text of one error
        self.wall = 0.0

    def add(self, other):
        for name, values in other.operations.items():
            self.operations[name].extend(values)
        self.requests.extend(other.requests)
        self.errors.update(other.errors)
        for kind, text in other.examples.items():
            self.examples.setdefault(kind, text)
        self.wall += other.wall


def classify(exc):
    """(kind, text) of an error a client got: HTTP 5xx, a concurrency error that reached the user, others."""
    if isinstance(exc, HTTPError):
        return 'HTTP %s' % exc.status, None
    if isinstance(exc, RPCError):
        text = exc.name + ' ' + exc.message
        if any(marker in text for marker in CONCURRENCY_ERRORS):
            return 'concurrency error reaching the user', text
        return 'RPC %s' % exc.name, text
    return 'connection: %s' % type(exc).__name__, str(exc)


def run_load(url, db, ctx, logins, ops, seconds, max_requests, think):
    """Every client at once for ``seconds`` (at most ``max_requests`` operations in all): a Sample."""
    names = list(ops)
    weights = [ops[name][0] for name in names]
    sample = Sample()
    budget = [max_requests]
    lock = threading.Lock()
    deadline = time.time() + seconds

    def worker(login):
        client = RPC(login, login, url=url, db=db)
        client.latencies = sample.requests
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
            kind = None
            try:
                ops[name][1](client, ctx)
            except (HTTPError, RPCError, requests.RequestException) as exc:
                kind, text = classify(exc)
                if text:
                    sample.examples.setdefault(kind, text[:300])
            elapsed = time.time() - start
            with lock:
                sample.operations[name].append(elapsed)
                if kind:
                    sample.errors[(name, kind)] += 1

    started = time.time()
    threads = [threading.Thread(target=worker, args=(login,)) for login in logins]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sample.wall = time.time() - started
    return sample
