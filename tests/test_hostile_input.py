"""Hostile and broken input through JSON-RPC, as a sales user: each value is refused with a clear Odoo error
(never a psycopg2 error or a Python exception), or stored safely; nothing partial is left in the tables, and
the server keeps serving."""
import json
import uuid

import pytest
import requests
from support.db import connect
from support.rpc import DB, URL, RPCError, call_service
from support.users import make_user

CLEAR_ERRORS = ('odoo.exceptions.ValidationError', 'odoo.exceptions.UserError', 'odoo.exceptions.AccessError',
                'odoo.exceptions.except_orm')
TABLES = ('crm_lead', 'sale_order', 'sale_order_line', 'crm_stage', 'crm_stage_group', 'mail_message',
          'mail_followers')


def table_counts():
    conn = connect()
    try:
        with conn.cursor() as cr:
            counts = {}
            for table in TABLES:
                cr.execute('SELECT count(*), coalesce(max(id), 0) FROM "%s"' % table)
                counts[table] = cr.fetchone()
            return counts
    finally:
        conn.close()


def lead_row(lead_id):
    conn = connect()
    try:
        with conn.cursor() as cr:
            cr.execute('SELECT * FROM crm_lead WHERE id = %s', (lead_id,))
            return cr.fetchone()
    finally:
        conn.close()


@pytest.fixture(scope='module')
def rep(admin):
    """A sales user (own documents only), created through admin's JSON-RPC."""
    return make_user(admin, 'hostile_rep_', name='Hostile Rep')


@pytest.fixture(scope='module')
def own_lead(rep):
    return rep('crm.lead', 'create', {'name': 'Hostile input target', 'type': 'opportunity',
                                      'planned_revenue': 1000, 'user_id': rep.uid})


def assert_refused(call, *args, **kwargs):
    """The call fails with a clear Odoo error, leaves the tables as they were, and the server still serves."""
    before = table_counts()
    with pytest.raises(RPCError) as info:
        call(*args, **kwargs)
    error = info.value
    assert error.name in CLEAR_ERRORS, '%s: %s' % (error.name, error.message)
    assert error.message and 'psycopg2' not in error.message and 'Traceback' not in error.message
    assert table_counts() == before
    assert call_service('common', 'version')['server_serie'] == '11.0'
    return error.message


# (label, values for crm.lead.create)
BAD_LEAD_VALUES = [
    ('name is a list', {'name': ['a', 'b']}),
    ('name is an object', {'name': {'x': 1}}),
    ('name with a NUL character', {'name': 'Tower\x00 A'}),
    ('revenue is a word', {'name': 'x', 'planned_revenue': 'a lot'}),
    ('revenue is a list', {'name': 'x', 'planned_revenue': [1]}),
    ('negative revenue', {'name': 'x', 'planned_revenue': -5000}),
    ('huge revenue', {'name': 'x', 'planned_revenue': 1e300}),
    ('probability -1', {'name': 'x', 'probability': -1}),
    ('probability 101', {'name': 'x', 'probability': 101}),
    ('probability is a word', {'name': 'x', 'probability': 'high'}),
    ('end before start', {'name': 'x', 'date_start': '2027-05-01', 'date_end': '2027-01-01'}),
    ('impossible date', {'name': 'x', 'date_start': '2027-13-45'}),
    ('date is a number', {'name': 'x', 'date_end': 20270101}),
    ('unknown stage', {'name': 'x', 'stage_id': 987654321}),
    ('stage is a word', {'name': 'x', 'stage_id': 'Won'}),
    ('negative stage id', {'name': 'x', 'stage_id': -3}),
    ('unknown customer', {'name': 'x', 'partner_id': 987654321}),
    ('integer beyond 32 bits', {'name': 'x', 'color': 2 ** 40}),
    ('unknown type', {'name': 'x', 'type': 'hacker'}),
    ('no name', {'planned_revenue': 10}),
]


@pytest.mark.parametrize('label,values', BAD_LEAD_VALUES, ids=[case[0] for case in BAD_LEAD_VALUES])
def test_bad_lead_values_are_refused_on_create(rep, label, values):
    assert_refused(rep, 'crm.lead', 'create', values)


@pytest.mark.parametrize('label,values', [case for case in BAD_LEAD_VALUES if case[0] != 'no name'],
                         ids=[case[0] for case in BAD_LEAD_VALUES if case[0] != 'no name'])
def test_bad_lead_values_are_refused_on_write(rep, own_lead, label, values):
    row = lead_row(own_lead)
    assert_refused(rep, 'crm.lead', 'write', [own_lead], dict(values, name=values.get('name', 'renamed')))
    assert lead_row(own_lead) == row


@pytest.mark.parametrize('literal', ['NaN', 'Infinity', '-Infinity'])
@pytest.mark.parametrize('field', ['planned_revenue', 'probability'])
def test_non_finite_numbers_are_refused(rep, own_lead, field, literal):
    """JSON has no NaN, but Odoo's JSON parser accepts the literal: such numbers must not reach the table."""
    def post(values):
        body = json.dumps({'jsonrpc': '2.0', 'method': 'call', 'id': 1, 'params': {
            'service': 'object', 'method': 'execute_kw',
            'args': [DB, rep.uid, rep.password, 'crm.lead', 'create', [values], {}]}})
        body = body.replace('"__NUMBER__"', literal)
        response = requests.post(URL + '/jsonrpc', data=body, headers={'Content-Type': 'application/json'},
                                 timeout=60)
        assert response.status_code == 200
        error = response.json().get('error')
        if error:
            raise RPCError(error)
    assert_refused(post, {'name': 'Not a number', field: '__NUMBER__'})


def test_a_stage_of_another_sales_channel_is_refused(admin, rep, own_lead):
    team = admin('crm.team', 'create', {'name': 'Other channel %s' % uuid.uuid4().hex[:6]})
    stage = admin('crm.stage', 'create', {'name': 'Their stage', 'team_id': team, 'probability': 30})
    row = lead_row(own_lead)
    message = assert_refused(rep, 'crm.lead', 'write', [own_lead], {'stage_id': stage})
    assert 'Their stage' in message
    assert lead_row(own_lead) == row
    assert_refused(rep, 'crm.lead', 'create', {'name': 'x', 'stage_id': stage})


SAFE_NAMES = [
    "Tower'); DROP TABLE crm_lead; --",
    "1' OR '1'='1",
    '\u202eמגדל הים \u200f برج البحر \U0001F3D7 \u0301\u0000'.replace('\u0000', ''),
    '<script>alert(1)</script>',
    '%s %(name)s {0} \\x00',
]


@pytest.mark.parametrize('name', SAFE_NAMES, ids=['sql', 'sql-or', 'rtl-unicode', 'html', 'format'])
def test_hostile_names_are_stored_as_they_are(admin, rep, name):
    lead = rep('crm.lead', 'create', {'name': name, 'type': 'opportunity', 'planned_revenue': 1})
    assert rep('crm.lead', 'read', [lead], ['name'])[0]['name'] == name
    assert rep('crm.lead', 'search', [('name', '=', name)]) == [lead]
    assert rep('crm.lead', 'search_count', []) >= 1  # crm_lead still exists
    admin('crm.lead', 'unlink', [lead])  # sales users do not delete deals


def test_a_10_mb_note_is_stored_safely_and_the_server_keeps_serving(admin, rep):
    note = ('Bill of quantities, line after line. ' * 300000)[:10 * 1024 * 1024]
    lead = rep('crm.lead', 'create', {'name': 'Big note', 'description': note})
    assert rep('crm.lead', 'read', [lead], ['description'])[0]['description'] == note
    rep('crm.lead', 'write', [lead], {'description': note[::-1]})
    assert len(rep('crm.lead', 'read', [lead], ['description'])[0]['description']) == len(note)
    admin('crm.lead', 'unlink', [lead])  # sales users do not delete deals
    assert call_service('common', 'version')['server_serie'] == '11.0'


@pytest.fixture(scope='module')
def quotation(admin, rep):
    product = admin('product.product', 'create', {'name': 'Hostile input glazing', 'list_price': 100,
                                                  'type': 'service'})
    partner = rep('res.partner', 'create', {'name': 'Hostile input customer'})
    order = rep('sale.order', 'create', {'partner_id': partner, 'order_line': [
        (0, 0, {'product_id': product, 'product_uom_qty': 2})]})
    return order, product


BAD_LINE_VALUES = [
    ('quantity is a word', {'product_uom_qty': 'two'}),
    ('huge quantity', {'product_uom_qty': 1e20}),
    ('huge price', {'price_unit': 1e20}),
    ('price is a list', {'price_unit': [5]}),
    ('unknown product', {'product_id': 987654321}),
    ('discount is a word', {'discount': 'ten percent'}),
]


@pytest.mark.parametrize('label,values', BAD_LINE_VALUES, ids=[case[0] for case in BAD_LINE_VALUES])
def test_bad_quotation_lines_are_refused(rep, quotation, label, values):
    order, product = quotation
    line = dict({'product_id': product, 'product_uom_qty': 1}, **values)
    assert_refused(rep, 'sale.order', 'write', [order], {'order_line': [(0, 0, line)]})
    assert_refused(rep, 'sale.order', 'create', {'partner_id': rep('sale.order', 'read', [order], ['partner_id'])[
        0]['partner_id'][0], 'order_line': [(0, 0, line)]})


def test_bad_quotation_values_are_refused(rep, quotation):
    order, _product = quotation
    assert_refused(rep, 'sale.order', 'write', [order], {'partner_id': 987654321})
    assert_refused(rep, 'sale.order', 'write', [order], {'date_order': '2027-02-30 10:00:00'})
    assert_refused(rep, 'sale.order', 'write', [order], {'opportunity_id': 'the big one'})
    assert_refused(rep, 'sale.order', 'create', {'partner_id': 'Tower B'})


def test_another_companys_quotation_cannot_be_read_revised_or_confirmed(admin, rep, quotation):
    _order, product = quotation
    company = admin('res.company', 'create', {'name': 'Other Company %s' % uuid.uuid4().hex[:6]})
    partner = admin('res.partner', 'create', {'name': 'Customer of the other company', 'company_id': company})
    order = admin('sale.order', 'create', {'partner_id': partner, 'company_id': company, 'order_line': [
        (0, 0, {'product_id': product, 'product_uom_qty': 1})]})
    state = admin('sale.order', 'read', [order], ['state', 'name'])
    assert_refused(rep, 'sale.order', 'read', [order], ['name'])
    assert_refused(rep, 'sale.order', 'write', [order], {'note': 'taken over'})
    assert_refused(rep, 'sale.order', 'action_confirm', [order])
    if admin('ir.model.fields', 'search_count', [('model', '=', 'sale.order'), ('name', '=', 'revision')]):
        assert_refused(rep, 'sale.order', 'action_new_revision', [order])
    assert admin('sale.order', 'read', [order], ['state', 'name']) == state
