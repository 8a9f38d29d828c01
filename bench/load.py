"""Load and fault injection: impact_crm against plain Odoo, both with --workers=4 on the embedded PostgreSQL
(loopback only), in the same run.

    .venv-e2e/bin/python bench/load.py                 # 16 clients, 120 s on each server, invariants, faults
    .venv-e2e/bin/python bench/load.py --seconds 20    # a short run
    .venv-e2e/bin/python bench/load.py --no-plain      # impact_crm alone, with its whole mix
    .venv-e2e/bin/python bench/load.py --think 0       # clients back to back: the servers' throughput

Two databases: DB (IMPACT_LOAD_DB, default impact_crm_load: the template database with crm/sale and their demo
data, plus impact_crm, served by tools/run.sh as `make run` serves it) on 127.0.0.1:PORT (IMPACT_LOAD_PORT), and
DB_plain (the template database as it is) on PORT+1. Each client is its own sales user and runs a weighted mix of
the operations a sales team does all day (load_mix.py); against plain Odoo, the operations both can do, stage
changes between stages without automation rules. The seconds are split into --rounds, alternating plain and
impact_crm, so that the machine's changing load weighs on both alike. Bounded: --seconds, and at most
--max-requests operations per round and server.

Prints, per server, requests/s, p50/p95/p99 latency per operation and overall next to the same operation run by
one client alone, errors by kind (HTTP 5xx, concurrency errors that reached the user, other errors); then the
ratios impact_crm / plain (p95, throughput) against the goals (p95 within 1.3x, throughput at least 0.8x);
then checks invariants with SQL (load_invariants.py) and injects faults (load_faults.py) on impact_crm's server.
Exits non-zero when an invariant or a fault check fails, or a 5xx / concurrency error reached a client.
"""
import argparse
import collections
import json
import os
import sys

import _testkit  # noqa: F401
import load_faults
import load_invariants
import load_mix
import load_report
from support.db import copy_db, drop_db, template
from support.server import Server


def load_average():
    try:
        return os.getloadavg()[0]
    except OSError:
        return float('nan')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seconds', type=float, default=120, help='seconds of load on each server')
    parser.add_argument('--rounds', type=int, default=2, help='the seconds split into this many alternations')
    parser.add_argument('--clients', type=int, default=16)
    parser.add_argument('--workers', type=int, default=4)
    parser.add_argument('--max-requests', type=int, default=50000)
    parser.add_argument('--leads-per-client', type=int, default=15)
    parser.add_argument('--think', type=float, default=1.0,
                        help='average seconds a client waits between two operations (0: back to back)')
    parser.add_argument('--baseline-repeat', type=int, default=20,
                        help='each operation this many times by one client alone, before the load (enough calls '
                             'for the median not to time the workers\' first calls)')
    parser.add_argument('--db', default=os.environ.get('IMPACT_LOAD_DB', 'impact_crm_load'))
    parser.add_argument('--port', type=int, default=int(os.environ.get('IMPACT_LOAD_PORT', 18195)),
                        help='impact_crm on PORT, plain Odoo on PORT+1 (their longpolling on PORT+3, PORT+4)')
    parser.add_argument('--only', help='comma-separated operations to run (default: the whole mix)')
    parser.add_argument('--no-plain', action='store_true', help='impact_crm alone, with its whole mix')
    parser.add_argument('--no-faults', action='store_true')
    parser.add_argument('--keep', action='store_true', help='keep the databases (they are dropped otherwise)')
    parser.add_argument('--reuse', action='store_true', help='reuse the databases when they exist')
    parser.add_argument('--json', help='write the numbers to this file')
    args = parser.parse_args()
    assert args.seconds <= 900 and args.clients <= 64, 'bounded: at most 900 s and 64 clients'

    plain_db = args.db + '_plain'
    sides = ['impact'] if args.no_plain else ['plain', 'impact']
    if not args.reuse:
        drop_db(args.db)
        if not args.no_plain:
            copy_db(template(), plain_db)
    extra = ['--limit-time-real=300', '--max-cron-threads=0']
    servers = {}
    failed = False
    try:
        servers['impact'] = Server(args.db, args.port, args.workers, extra=extra)
        if not args.no_plain:
            servers['plain'] = Server(plain_db, args.port + 1, args.workers, plain=True, extra=extra)
        ops = load_mix.mix(common=not args.no_plain, only=args.only and args.only.split(','))
        print('mix: %s' % ', '.join('%s x%d' % (name, weight) for name, (weight, _f) in ops.items()))
        state = {}
        for side in sides:
            server = servers[side]
            admin, ctx, logins = load_mix.prepare(server.url, server.db, args.clients, args.leads_per_client,
                                                  plain=side == 'plain', common=not args.no_plain)
            alone = load_mix.run_alone(server.url, server.db, ctx, logins[-1], ops, args.baseline_repeat)
            # what the baseline changed is before the history baseline: count only the load's own changes
            ctx['stage_writes'] = collections.defaultdict(list)
            ctx['created_leads'] = []
            state[side] = {'admin': admin, 'ctx': ctx, 'logins': logins, 'alone': alone,
                           'sample': load_mix.Sample()}
        history_since = load_invariants.history_max_id(args.db)
        loads = []
        for _round in range(args.rounds):
            for side in sides:
                loads.append(load_average())
                server, st = servers[side], state[side]
                st['sample'].add(load_mix.run_load(server.url, server.db, st['ctx'], st['logins'], ops,
                                                   args.seconds / args.rounds, args.max_requests, args.think))
        numbers = {'load_average': loads, 'cpus': os.cpu_count()}
        print('\nmachine load average (1 min) before each round: %s on %d CPUs' % (
            ', '.join('%.1f' % value for value in loads), os.cpu_count()))
        for side in sides:
            st = state[side]
            numbers[side] = load_report.summary(st['sample'], args.clients, args.think, st['alone'])
            load_report.show_load({'plain': 'plain Odoo', 'impact': 'impact_crm'}[side], st['sample'],
                                  numbers[side])
        if not args.no_plain:
            numbers['ratios'], numbers['goals_met'] = load_report.compare(numbers['plain'], numbers['impact'])
        hard = sum(n for side in sides for (_op, kind), n in state[side]['sample'].errors.items()
                   if kind.startswith(('HTTP 5', 'concurrency')))
        impact = state['impact']
        print('\n== invariants (impact_crm)')
        checks = load_invariants.show(load_invariants.check_invariants(args.db) +
                                      load_invariants.stage_changes_recorded(args.db, impact['ctx'], history_since))
        if not args.no_faults:
            print('\n== faults (a row locked, the request blocked on it mid-transaction, then the fault)')
            checks += load_invariants.show(load_faults.run_faults(
                servers['impact'].url, args.db, impact['admin'], impact['ctx'], impact['logins'][0]))
            checks += load_invariants.show([(name + ' (after the faults)', ok, detail) for name, ok, detail
                                            in load_invariants.check_invariants(args.db)])
        sys.stdout.flush()
        failed = hard > 0 or not all(ok for _n, ok, _d in checks)
        numbers['checks'] = checks
        if args.json:
            with open(args.json, 'w') as out:
                json.dump(numbers, out, indent=1)
        print('\nserver logs: %s' % ', '.join(server.log for server in servers.values()))
    finally:
        for server in servers.values():
            server.stop()
        if not args.keep:
            drop_db(args.db)
            if not args.no_plain:
                drop_db(plain_db)
    print('RESULT: %s' % ('FAILED' if failed else 'ok'))
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
