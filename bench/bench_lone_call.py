#!/usr/bin/env python
"""One write per call, as an RPC client makes it: impact_crm versus plain Odoo, same run, alternating.

    .venv/bin/python bench/bench_lone_call.py [--rounds 3] [--calls 30] [--reuse] [--keep] [--statements]
                                              [--plain-db bench_lone_plain] [--impact-db bench_lone_impact]

Each operation runs as a JSON-RPC call does: its own cursor (transaction) and a fresh environment, so an empty
ORM cache, tracking on, as the admin. Rolled back, so every round starts from the same deals:

* lead creation, one ``create`` per call;
* stage change between two open stages with no rule, one deal per ``write``.

The two databases alternate every round (plain first in odd rounds). Prints, per operation, the best of the
rounds in ms per call (wall time, and CPU time of Odoo plus its PostgreSQL backend: the machine's load moves
the first much more than the second), the SQL statements the client sends per call (``Cursor.execute``
counted; statements run by triggers inside PostgreSQL are not counted) and the ratios. ``--statements`` also
lists, for the last call of each kind, the statements each database ran (time, the first 130 characters).
Not part of ``make test``.
"""
import argparse
import os
import sys
import time

os.environ['TZ'] = 'UTC'
time.tzset()

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_writes import add_database_pair_arguments, database_pair, odoo_in_process, shell  # noqa: E402


class StatementLog(object):
    """Counts (and optionally keeps) the statements sent through Odoo's cursors."""

    def __init__(self, odoo):
        self.count = 0
        self.keep = None
        cursor_class = odoo.sql_db.Cursor
        original = cursor_class.execute
        log = self

        def execute(cursor, query, params=None, log_exceptions=None):
            log.count += 1
            if log.keep is None:
                return original(cursor, query, params, log_exceptions)
            start = time.time()
            try:
                return original(cursor, query, params, log_exceptions)
            finally:
                log.keep.append('%6.2f ms  %s' % ((time.time() - start) * 1000, ' '.join(str(query).split())[:130]))
        cursor_class.execute = execute


def prepare(odoo, dbname, impact, calls):
    """The deals moved by the stage changes, committed once (in the first of their two stages)."""
    with odoo.api.Environment.manage(), odoo.registry(dbname).cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        if impact:
            first, second = env.ref('impact_crm.stage_potential'), env.ref('impact_crm.stage_quote')
            env['crm.stage.rule'].search([('stage_id', '=', second.id)]).write({'active': False})
        else:
            first, second = env.ref('crm.stage_lead1'), env.ref('crm.stage_lead2')
        Lead = env['crm.lead']
        deals = Lead.search([('name', '=like', 'Lone call deal %')], order='id')
        if len(deals) < calls:
            for i in range(len(deals), calls):
                deals |= Lead.create({'name': 'Lone call deal %d' % i, 'type': 'opportunity',
                                      'stage_id': first.id, 'user_id': env.uid,
                                      'planned_revenue': 1000.0 * (i % 50)})
        deals[:calls].write({'stage_id': first.id})
        cr.commit()
        return deals[:calls].ids, second.id


def backend_cpu(cr):
    """CPU seconds the PostgreSQL backend of ``cr`` has used so far (from /proc: same machine; in clock ticks,
    so only sums over many calls mean something), or 0 when it cannot be read."""
    try:
        with open('/proc/%d/stat' % cr._cnx.get_backend_pid()) as stat:
            values = stat.read().rsplit(')', 1)[1].split()
        return (int(values[11]) + int(values[12])) / float(os.sysconf('SC_CLK_TCK'))
    except (OSError, IOError, IndexError, ValueError):
        return 0.0


def lone_calls(odoo, dbname, operations, log, keep=False, uid=None):
    """[(kind, function(env))] each in its own transaction and environment (as ``uid``, the superuser by
    default), rolled back. Returns ({kind: (seconds, statements, CPU seconds of Odoo and of PostgreSQL, CPU
    seconds of Odoo alone)} summed over the calls, {kind: statements of its last call}); ``keep``: list them
    for every kind (True) or for this one kind."""
    registry = odoo.registry(dbname)
    result = {}
    kept = {}
    for kind, operation in operations:
        with odoo.api.Environment.manage():
            with registry.cursor() as cr:
                env = odoo.api.Environment(cr, uid or odoo.SUPERUSER_ID, {})
                if keep is True or keep == kind:
                    log.keep = kept[kind] = []  # the last call of each kind is listed
                count = log.count
                server = backend_cpu(cr)
                client = time.process_time()
                start = time.time()
                operation(env)
                elapsed = time.time() - start
                python = time.process_time() - client
                cpu = python + backend_cpu(cr) - server
                statements = log.count - count
                log.keep = None
                cr.rollback()
        seconds, total, cpu_total, python_total = result.get(kind, (0.0, 0, 0.0, 0.0))
        result[kind] = (seconds + elapsed, total + statements, cpu_total + cpu, python_total + python)
    return result, kept


def run_round(odoo, dbname, deal_ids, stage_id, log, keep):
    def create(i):
        return lambda env: env['crm.lead'].create({
            'name': 'Lone call lead %d' % i, 'type': 'lead', 'contact_name': 'Contact %d' % i,
            'email_from': 'lone%d@example.com' % i, 'planned_revenue': 500.0})

    def stage(deal_id):
        return lambda env: env['crm.lead'].browse(deal_id).write({'stage_id': stage_id})
    operations = []
    for i, deal_id in enumerate(deal_ids):
        operations.append(('create', create(i)))
        operations.append(('stage', stage(deal_id)))
    return lone_calls(odoo, dbname, operations, log, keep)


def alternating_rounds(odoo, args, prepare_db, run):
    """The rounds of a benchmark comparing ``args.plain_db`` and ``args.impact_db`` (``add_database_pair_arguments``),
    the two alternating every round (plain first in odd rounds); the databases dropped afterwards unless --keep.

    ``prepare_db(dbname)``: what ``run`` needs of the database, made once; ``run(dbname, setup, last)``: one round,
    ``lone_calls``' pair ({name: (wall s, statements, CPU s, Python CPU s)}, {name: statements}), ``last`` true in
    the last round, whose kept statements are listed at the end. Returns ({(dbname, name): [best wall,
    statements, best CPU, best Python CPU]}, {dbname: its setup})."""
    best, kept = {}, {}
    try:
        setup = dict((dbname, prepare_db(dbname)) for dbname in (args.plain_db, args.impact_db))
        for rnd in range(args.rounds):
            for dbname in ((args.plain_db, args.impact_db) if rnd % 2 == 0 else (args.impact_db, args.plain_db)):
                result, kept[dbname] = run(dbname, setup[dbname], rnd == args.rounds - 1)
                print('round %d %-22s %s' % (rnd + 1, dbname, ', '.join(
                    '%s %.1f ms (CPU %.1f ms) %.1f statements' % (
                        name, seconds * 1000 / args.calls, cpu * 1000 / args.calls, total / float(args.calls))
                    for name, (seconds, total, cpu, _python) in sorted(result.items()))), flush=True)
                for name, values in result.items():
                    previous = best.get((dbname, name))
                    best[(dbname, name)] = list(values) if not previous else [
                        min(previous[0], values[0]), values[1], min(previous[2], values[2]),
                        min(previous[3], values[3])]
    finally:
        if not args.keep:
            odoo.sql_db.close_all()
            shell('drop_db %s; drop_db %s' % (args.plain_db, args.impact_db))
    for dbname in (args.plain_db, args.impact_db):
        for name, statements in sorted(kept.get(dbname, {}).items()):
            print('\n%s, one %s call: %d statements' % (dbname, name, len(statements)))
            for statement in statements:
                print('  ' + statement)
    return best, setup


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--calls', type=int, default=30)
    add_database_pair_arguments(parser, 'lone')
    parser.add_argument('--statements', action='store_true', help="list the statements of one call of each kind")
    args = parser.parse_args()
    if not args.reuse:
        database_pair(args.plain_db, args.impact_db)
    odoo = odoo_in_process()
    log = StatementLog(odoo)

    def run(dbname, setup, last):
        deal_ids, stage_id = setup
        return run_round(odoo, dbname, deal_ids, stage_id, log, args.statements and last)
    best, _setup = alternating_rounds(
        odoo, args, lambda dbname: prepare(odoo, dbname, dbname == args.impact_db, args.calls), run)
    load = os.getloadavg()
    print('\n%s, %d cores, load average %.1f %.1f %.1f, best of %d rounds of %d calls' % (
        time.strftime('%Y-%m-%d'), os.cpu_count(), load[0], load[1], load[2], args.rounds, args.calls))
    print('%-34s %9s %9s %6s %8s %8s %6s %9s %9s' % (
        '', 'plain ms', 'impact ms', 'ratio', 'plain', 'impact', 'ratio', 'plain', 'impact'))
    print('%-34s %9s %9s %6s %8s %8s %6s %9s %9s' % (
        '', '(wall)', '(wall)', '', 'CPU ms', 'CPU ms', '(CPU)', 'SQL', 'SQL'))
    for kind, label in (('create', 'lead creation, one per call'),
                        ('stage', 'stage change, one deal per call')):
        plain, impact = best[(args.plain_db, kind)], best[(args.impact_db, kind)]
        print('%-34s %9.1f %9.1f %5.2fx %8.1f %8.1f %5.2fx %9.1f %9.1f' % (
            label, plain[0] * 1000 / args.calls, impact[0] * 1000 / args.calls, impact[0] / plain[0],
            plain[2] * 1000 / args.calls, impact[2] * 1000 / args.calls, impact[2] / (plain[2] or 1.0),
            plain[1] / float(args.calls), impact[1] / float(args.calls)))
    print('target: <= 1.25x. CPU: Odoo (this process) + its PostgreSQL backend, less sensitive to the machine\'s '
          'load than the wall time')


if __name__ == '__main__':
    main()
