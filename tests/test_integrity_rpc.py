"""The integrity promises over JSON-RPC, as a plain sales user (own documents only), against the running server:
each path is refused with the module's clear error and nothing is written (checked in the database)."""
import uuid

import pytest
from support.db import sql
from support.rpc import RPCError
from support.users import make_user


def refused(call, *args, **kwargs):
    """The call fails with the named Odoo error; returns its message."""
    name = kwargs.pop('error', 'odoo.exceptions.UserError')
    with pytest.raises(RPCError) as info:
        call(*args, **kwargs)
    assert info.value.name == name, '%s: %s' % (info.value.name, info.value.message)
    assert 'Traceback' not in info.value.message
    return info.value.message


@pytest.fixture(scope='module')
def users(admin):
    return dict((key, make_user(admin, 'integrity_%s_' % key, name='Integrity %s' % key))
                for key in ('rep', 'colleague'))


@pytest.fixture(scope='module')
def rep(users):
    return users['rep']


@pytest.fixture(scope='module')
def setup(admin):
    partner = admin('res.partner', 'create', {'name': 'RPC Integrity Ltd', 'customer': True, 'is_company': True})
    product = admin('product.product', 'create', {'name': 'RPC panel', 'list_price': 50.0, 'type': 'service',
                                                  'invoice_policy': 'order'})
    return {'partner': partner, 'product': product}


def quotation(rpc, setup, qty=1):
    return rpc('sale.order', 'create', {'partner_id': setup['partner'], 'user_id': rpc.uid, 'order_line': [
        (0, 0, {'product_id': setup['product'], 'product_uom_qty': qty})]})


def order_row(order_id):
    return sql('SELECT state, fiscal_number, name, company_id FROM sale_order WHERE id = %s', (order_id,))[0]


def test_no_path_confirms_without_a_fiscal_number(rep, setup):
    quote = quotation(rep, setup)
    before = order_row(quote)
    assert before[0] == 'draft' and before[1] is None
    for method, args in [('write', [[quote], {'state': 'sale'}]), ('write', [[quote], {'state': 'done'}]),
                         ('action_unlock', [[quote]]), ('action_done', [[quote]])]:
        assert 'fiscal number' in refused(rep, 'sale.order', method, *args)
        assert order_row(quote) == before
    count = sql('SELECT count(*) FROM sale_order')[0][0]
    assert 'Confirm' in refused(rep, 'sale.order', 'create', {'partner_id': setup['partner'], 'state': 'sale'})
    assert 'Confirm' in refused(rep, 'sale.order', 'copy', quote, {'state': 'sale'})
    result = rep('sale.order', 'load', ['partner_id/.id', 'state'], [[str(setup['partner']), 'done']])
    assert result['ids'] is False and 'Confirm' in str(result['messages'])
    assert sql('SELECT count(*) FROM sale_order')[0][0] == count
    rep('sale.order', 'action_confirm', [quote])
    state, number, name, _company = order_row(quote)
    assert state == 'sale' and number and name.startswith(number + ' (')


def test_numbered_order_reference_is_fixed(rep, setup):
    order = quotation(rep, setup)
    rep('sale.order', 'action_confirm', [order])
    before = order_row(order)
    assert 'cannot be changed' in refused(rep, 'sale.order', 'write', [order], {'name': 'SO/1999/00001 (1-1)'})
    values = {'partner_id': setup['partner'], 'name': before[2]}
    assert 'cannot be chosen' in refused(rep, 'sale.order', 'create', values)
    assert order_row(order) == before


def test_superseded_revision_lines_frozen_and_not_invoiceable(rep, setup):
    order = quotation(rep, setup, qty=4)
    rep('sale.order', 'action_confirm', [order])
    new = rep('sale.order', 'action_new_revision', [order])['res_id']
    line = rep('sale.order', 'read', [order], ['order_line'])[0]['order_line'][0]
    price = sql('SELECT price_unit FROM sale_order_line WHERE id = %s', (line,))
    assert 'earlier revision' in refused(rep, 'sale.order.line', 'write', [line], {'price_unit': 1.0})
    assert 'earlier revision' in refused(rep, 'sale.order.line', 'unlink', [line])
    assert 'earlier revision' in refused(rep, 'sale.order.line', 'create', {
        'order_id': order, 'product_id': setup['product'], 'product_uom_qty': 1})
    assert sql('SELECT price_unit FROM sale_order_line WHERE id = %s', (line,)) == price
    invoices = sql('SELECT count(*) FROM account_invoice')[0][0]
    assert 'invoiced' in refused(rep, 'sale.order', 'action_invoice_create', [order])
    context = {'active_model': 'sale.order', 'active_ids': [order], 'active_id': order}
    wizard = rep('sale.advance.payment.inv', 'create', {'advance_payment_method': 'all'}, context=context)
    assert 'earlier revision' in refused(rep, 'sale.advance.payment.inv', 'create_invoices', [wizard],
                                         context=context)
    assert sql('SELECT count(*) FROM account_invoice')[0][0] == invoices
    assert sql('SELECT fiscal_number FROM sale_order WHERE id = %s', (new,)) == \
        sql('SELECT fiscal_number FROM sale_order WHERE id = %s', (order,))


def lead_row(lead_id):
    return sql("""SELECT active, probability, stage_id, lost_date, lost_amount, probability_is_manual,
                         probability_manual_uid FROM crm_lead WHERE id = %s""", (lead_id,))[0]


def test_archive_then_zero_needs_the_lost_flow(rep):
    lead = rep('crm.lead', 'create', {'name': 'RPC archived deal', 'type': 'opportunity', 'user_id': rep.uid,
                                      'planned_revenue': 900})
    rep('crm.lead', 'toggle_active', [lead])
    before = lead_row(lead)
    assert before[0] is False
    assert 'loss reason' in refused(rep, 'crm.lead', 'write', [lead], {'probability': 0})
    assert lead_row(lead) == before
    rep('crm.lead', 'toggle_active', [lead])
    rep('crm.lead', 'write', [lead], {'probability': 0})
    before = lead_row(lead)
    assert 'loss reason' in refused(rep, 'crm.lead', 'toggle_active', [lead])
    assert lead_row(lead) == before


def test_loss_and_override_bookkeeping_not_writable(rep, users):
    lead = rep('crm.lead', 'create', {'name': 'RPC forged loss', 'type': 'opportunity', 'user_id': rep.uid,
                                      'planned_revenue': 700})
    rep('crm.lead', 'write', [lead], {'probability': 33})
    before = lead_row(lead)
    assert before[5] is True and before[6] == rep.uid
    for values in ({'lost_date': '2020-01-01'}, {'lost_amount': 1}, {'probability_is_manual': False},
                   {'probability_manual_uid': users['colleague'].uid}):
        assert 'nobody can write it' in refused(rep, 'crm.lead', 'write', [lead], values)
        assert 'nobody can write it' in refused(rep, 'crm.lead', 'write', [lead], values,
                                                context={'impact_lost_flow': True, 'impact_internal_write': True})
    assert lead_row(lead) == before
    rep('crm.lead', 'write', [lead], {'forecast_category': 'commit'})
    category = sql("""SELECT forecast_category, forecast_category_manual, forecast_category_manual_uid,
                             forecast_category_manual_date FROM crm_lead WHERE id = %s""", (lead,))
    assert category[0][:3] == ('commit', 'commit', rep.uid)
    for values in ({'forecast_category_manual': 'best_case'}, {'forecast_category_manual_uid': users['colleague'].uid},
                   {'forecast_category_manual_date': '2020-01-01 00:00:00'}):
        assert 'nobody can write it' in refused(rep, 'crm.lead', 'write', [lead], values,
                                                context={'impact_internal_write': True})
    assert sql("""SELECT forecast_category, forecast_category_manual, forecast_category_manual_uid,
                         forecast_category_manual_date FROM crm_lead WHERE id = %s""", (lead,)) == category
    before = lead_row(lead)
    # a probability sent as text is refused cleanly
    refused(rep, 'crm.lead', 'write', [lead], {'probability': 'fifty'}, error='odoo.exceptions.ValidationError')
    refused(rep, 'crm.lead', 'write', [lead], {'probability': '150'}, error='odoo.exceptions.ValidationError')
    assert lead_row(lead) == before


def test_rules_hide_the_people_and_activities_of_a_colleagues_deal(admin, users):
    rep, colleague = users['rep'], users['colleague']
    foreign = colleague('crm.lead', 'create', {'name': 'RPC colleague deal', 'type': 'opportunity',
                                               'user_id': colleague.uid, 'planned_revenue': 5000})
    person = admin('res.partner', 'create', {'name': 'RPC architect'})
    contact = colleague('crm.lead.contact', 'create', {'lead_id': foreign, 'partner_id': person})
    assert rep('crm.lead.contact', 'search', [('lead_id', '=', foreign)]) == []
    refused(rep, 'crm.lead.contact', 'read', [contact], ['partner_id'], error='odoo.exceptions.AccessError')
    refused(rep, 'crm.lead.contact', 'unlink', [contact], error='odoo.exceptions.AccessError')
    refused(rep, 'crm.activity.log', 'create', {'lead_id': foreign, 'summary': 'Not mine'},
            error='odoo.exceptions.AccessError')
    assert rep('crm.lead.contact.report', 'search', [('lead_id', '=', foreign)]) == []
    assert rep('crm.activity.sla.report', 'search', [('lead_id', '=', foreign)]) == []
    assert sql('SELECT count(*) FROM crm_lead_contact WHERE id = %s', (contact,))[0][0] == 1
    assert sql('SELECT count(*) FROM crm_activity_log WHERE lead_id = %s', (foreign,))[0][0] == 0


def test_numbering_check_of_another_company_is_refused(admin, rep):
    other = admin('res.company', 'create', {'name': 'RPC Foreign Co %s' % uuid.uuid4().hex[:6]})
    refused(rep, 'sale.fiscal.number', 'get_numbering_issues', other, error='odoo.exceptions.AccessError')


def test_figures_lost_reason_and_merge_hold_over_rpc(admin, rep, setup):
    """A deal's and an order's computed figures are written by nobody, a lost deal keeps its reason, and a sales
    user merges open duplicates only, taking their quotations along; a context key sent by the client opens
    none of it."""
    forged = {'impact_internal_write': True, 'impact_merging': True}
    lead = rep('crm.lead', 'create', {'name': 'RPC figures', 'type': 'opportunity', 'user_id': rep.uid,
                                      'planned_revenue': 900})
    quote = rep('sale.order', 'create', {
        'partner_id': setup['partner'], 'user_id': rep.uid, 'opportunity_id': lead,
        'order_line': [(0, 0, {'product_id': setup['product'], 'product_uom_qty': 2})]})
    figures = 'SELECT amount_ordered, weighted_revenue, stage_group_kind, push_count FROM crm_lead WHERE id = %s'
    before = sql(figures, (lead,))
    for values in ({'amount_ordered': 5e6}, {'weighted_revenue': 1}, {'stage_group_kind': 'execution'},
                   {'push_count': 9}):
        for context in ({}, forged):
            assert 'cannot be written' in refused(rep, 'crm.lead', 'write', [lead], values, context=context)
    assert sql(figures, (lead,)) == before
    totals = 'SELECT amount_untaxed, amount_total, quote_number FROM sale_order WHERE id = %s'
    before = sql(totals, (quote,))
    line = rep('sale.order', 'read', [quote], ['order_line'])[0]['order_line'][0]
    assert 'cannot be written' in refused(rep, 'sale.order', 'write', [quote], {'amount_total': 9e6})
    assert 'cannot be written' in refused(rep, 'sale.order', 'write', [quote], {'quote_number': '1-9'})
    assert 'cannot be written' in refused(rep, 'sale.order.line', 'write', [line], {'price_subtotal': 9e6})
    assert sql(totals, (quote,)) == before

    reason = admin('ir.model.data', 'xmlid_to_res_id', 'impact_crm.lost_reason_price_above_budget')
    lost = rep('crm.lead', 'create', {'name': 'RPC lost', 'type': 'opportunity', 'user_id': rep.uid})
    rep('crm.lead', 'write', [lost], {'lost_reason': reason})
    rep('crm.lead', 'action_set_lost', [lost])
    assert 'keeps its loss reason' in refused(rep, 'crm.lead', 'write', [lost], {'lost_reason': False},
                                              context=forged)
    assert sql('SELECT lost_reason FROM crm_lead WHERE id = %s', (lost,)) == [(reason,)]

    # a rep's merge: not with a lost deal; two open ones, the quotation moving to the deal kept
    twin = rep('crm.lead', 'create', {'name': 'RPC figures (twin)', 'type': 'opportunity', 'user_id': rep.uid,
                                      'planned_revenue': 100})
    assert 'only a sales manager merges' in refused(rep, 'crm.lead', 'merge_opportunity', [twin, lost],
                                                    context=forged)
    assert sql('SELECT count(*) FROM crm_lead WHERE id IN %s', ((twin, lost),)) == [(2,)]
    rep('crm.lead', 'merge_opportunity', [lead, twin])
    kept = sql('SELECT id FROM crm_lead WHERE id IN %s', ((lead, twin),))
    assert len(kept) == 1
    assert sql('SELECT opportunity_id FROM sale_order WHERE id = %s', (quote,)) == kept
