"""Fiscal numbers under real concurrency: confirmations at the same moment from separate
connections (JSON-RPC against the e2e server with workers) get consecutive numbers."""
import threading

import pytest
from support.db import sql
from support.rpc import RPC, RPCError

N = 12


def _ledger_numbers():
    return [row[0] for row in sql("""SELECT l.number FROM sale_fiscal_number l
                                         JOIN ir_sequence s ON s.id = l.sequence_id
                                        WHERE s.code = 'sale.order.fiscal' ORDER BY l.number""")]


def _run_at_once(calls):
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        try:
            results[index] = ('ok', call())
        except RPCError as exc:
            results[index] = ('error', exc)

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    return results


@pytest.fixture
def quotations(admin):
    partner = admin('res.partner', 'create', {'name': 'Concurrent Builders Ltd', 'customer': True})
    product = admin('product.product', 'create', {'name': 'Concrete m3', 'list_price': 90.0, 'type': 'service'})
    return [admin('sale.order', 'create', {
        'partner_id': partner,
        'order_line': [(0, 0, {'product_id': product, 'product_uom_qty': i + 1})]}) for i in range(N)]


def test_simultaneous_confirmations_are_gapless(admin, quotations):
    before = _ledger_numbers()
    # one client (own HTTP connection, own worker transaction) per order
    calls = [(lambda order_id: (lambda: RPC('admin', 'admin')('sale.order', 'action_confirm', [order_id])))(oid)
             for oid in quotations]
    results = _run_at_once(calls)
    assert [r[0] for r in results] == ['ok'] * N, results
    after = _ledger_numbers()
    new = after[len(before):]
    assert len(new) == N
    start = (before[-1] + 1) if before else new[0]
    assert new == list(range(start, start + N)), new
    assert len(set(after)) == len(after)
    orders = admin('sale.order', 'read', quotations, ['fiscal_number', 'state'])
    numbers = sorted(o['fiscal_number'] for o in orders)
    assert len(set(numbers)) == N and all(o['state'] == 'sale' for o in orders)
    assert admin('sale.fiscal.number', 'get_numbering_issues') == []


def test_simultaneous_revisions_never_reuse_a_number(admin, quotations):
    first = quotations[0]
    calls = [lambda: RPC('admin', 'admin')('sale.order', 'action_new_revision', [first]) for _i in range(4)]
    results = _run_at_once(calls)
    ok = [r for r in results if r[0] == 'ok']
    assert len(ok) == 1, results
    assert all('latest revision' in str(r[1]) for r in results if r[0] == 'error'), results
    base = admin('sale.order', 'read', [first], ['quote_base_number'])[0]['quote_base_number']
    revisions = admin('sale.order', 'search_read', [('quote_base_number', '=', base)],
                      ['revision', 'is_latest_revision'], order='revision')
    assert [(r['revision'], r['is_latest_revision']) for r in revisions] == [(1, False), (2, True)]


def test_first_confirmations_in_a_new_company_share_one_sequence(admin):
    """The company's fiscal sequence does not exist yet: both confirmations create it at the same moment."""
    company = admin('res.company', 'create', {'name': 'Race Start Ltd %s' % threading.get_ident()})
    admin('res.users', 'write', [admin.uid], {'company_ids': [(4, company)]})
    partner = admin('res.partner', 'create', {'name': 'Race Customer', 'company_id': company})
    product = admin('product.product', 'create', {'name': 'Race m2', 'list_price': 10.0, 'type': 'service',
                                                  'company_id': False})
    orders = [admin('sale.order', 'create', {'partner_id': partner, 'company_id': company, 'order_line': [
        (0, 0, {'product_id': product, 'product_uom_qty': 1})]}) for _i in range(3)]
    calls = [(lambda order_id: (lambda: RPC('admin', 'admin')('sale.order', 'action_confirm', [order_id])))(oid)
             for oid in orders]
    results = _run_at_once(calls)
    assert [r[0] for r in results] == ['ok'] * 3, results
    assert sql("SELECT count(*) FROM ir_sequence WHERE code = 'sale.order.fiscal' AND company_id = %s",
               [company]) == [(1,)]
    numbers = sql("SELECT number FROM sale_fiscal_number WHERE company_id = %s ORDER BY number", [company])
    assert [row[0] for row in numbers] == [1, 2, 3]
