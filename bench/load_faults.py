"""Faults in the middle of a transaction: a row is locked so that a stage change (then a confirmation) blocks
mid-transaction, then its PostgreSQL backend is terminated, or its Odoo worker killed. The client must get an
error, nothing be written, and the next request succeed."""
import os
import signal
import threading
import time

import _testkit  # noqa: F401
from load_invariants import fiscal_state, history_count
from support.db import connect
from support.rpc import RPC


def worker_pid_of_backend(backend_port):
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
        # ``cr`` is the locker's transaction, in which PostgreSQL reads the backends' list once and keeps it: a
        # backend connected since (a worker started again after the previous fault) would never be seen
        cr.execute('SELECT pg_stat_clear_snapshot()')
        cr.execute("""SELECT pid, client_port FROM pg_stat_activity
                      WHERE datname = %s AND %s = ANY(pg_blocking_pids(pid))""", (db, my_pid))
        row = cr.fetchone()
        if row:
            return row
        time.sleep(0.05)
    return None


def inject(db, table, row_id, action, how):
    """Lock ``table`` row ``row_id``, start ``action`` in a thread (it blocks on the lock, mid-transaction),
    then terminate its PostgreSQL backend or kill its Odoo worker. Returns (problem, outcome)."""
    locker = connect(db)
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
            admin_conn = connect(db)
            admin_conn.autocommit = True
            try:
                with admin_conn.cursor() as acr:
                    if how == 'terminate backend':
                        acr.execute('SELECT pg_terminate_backend(%s)', (backend_pid,))
                    else:
                        # the socket table and the process's descriptors are read while the machine is busy:
                        # look again a few times (with the blocked backend found again) before giving up
                        worker = worker_pid_of_backend(client_port)
                        for _attempt in range(20):
                            if worker:
                                break
                            time.sleep(0.1)
                            found = blocked_backend(cr, db, my_pid, timeout=5) or found
                            backend_pid, client_port = found
                            worker = worker_pid_of_backend(client_port)
                        if not worker:
                            acr.execute('SELECT application_name, backend_type, client_addr, state, query '
                                        'FROM pg_stat_activity WHERE pid = %s', (backend_pid,))
                            locker.rollback()
                            thread.join(120)
                            return 'no Odoo worker holds the backend connection (%r, client port %s)' % (
                                acr.fetchone(), client_port), outcome
                        os.kill(worker, signal.SIGKILL)
                        time.sleep(0.5)
            finally:
                admin_conn.close()
            locker.rollback()
            thread.join(120)
    finally:
        locker.close()
    return None, outcome


def run_faults(url, db, admin, ctx, login):
    results = []
    client = RPC(login, login, url=url, db=db)
    partner = ctx['partners'][0]
    for how in ('terminate backend', 'kill worker'):
        # 1. a stage change
        lead = ctx['leads'][login][0]
        before = admin('crm.lead', 'read', [lead], ['stage_id'])[0]['stage_id'][0]
        target = next(s for s in ctx['stages'] if s != before)
        history_before = history_count(db, lead)
        problem, outcome = inject(db, 'crm_lead', lead,
                                  lambda: client('crm.lead', 'write', [lead], {'stage_id': target}), how)
        after = admin('crm.lead', 'read', [lead], ['stage_id'])[0]['stage_id'][0]
        ok = problem is None and 'error' in outcome and after == before and history_count(db, lead) == history_before
        results.append(('%s during a stage change: client error, nothing written' % how, ok,
                        problem or 'client got %r; stage %s -> %s' % (outcome.get('error'), before, after)))
        client = RPC(login, login, url=url, db=db)
        client('crm.lead', 'write', [lead], {'stage_id': target})
        again = admin('crm.lead', 'read', [lead], ['stage_id'])[0]['stage_id'][0]
        grew = history_count(db, lead) - history_before
        results.append(('%s: the next stage change succeeds' % how, again == target and grew == 1,
                        'history records added: %s' % grew))
        # 2. an order confirmation
        order = client('sale.order', 'create', {'partner_id': partner, 'opportunity_id': lead, 'order_line': [
            (0, 0, {'product_id': ctx['product'], 'product_uom_qty': 3})]})
        sequence_before = fiscal_state(db)
        problem, outcome = inject(db, 'sale_order', order, lambda: client('sale.order', 'action_confirm', [order]),
                                  how)
        state = admin('sale.order', 'read', [order], ['state'])[0]['state']
        ok = problem is None and 'error' in outcome and state == 'draft' and fiscal_state(db) == sequence_before
        results.append(('%s during a confirmation: client error, nothing written' % how, ok,
                        problem or 'client got %r; order state %s' % (outcome.get('error'), state)))
        client = RPC(login, login, url=url, db=db)
        client('sale.order', 'action_confirm', [order])
        state = admin('sale.order', 'read', [order], ['state'])[0]['state']
        results.append(('%s: the next confirmation succeeds' % how, state == 'sale', 'state %s' % state))
        ctx['confirmed'].append(order)
    return results
