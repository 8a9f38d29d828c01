"""Forecast categories, quotas and revenue spread over JSON-RPC, as the web client and an import script use
them: a rep's category survives kanban drops, a manager imports quotas from a spreadsheet and a rep reads only
their own, an instalment schedule that does not sum is refused with a clear message and nothing is saved."""
import pytest
from support.rpc import RPCError
from support.users import make_user


def ref(admin, xmlid):
    return admin('ir.model.data', 'xmlid_to_res_id', xmlid)


def user(admin, name, group):
    return make_user(admin, name + '-', groups=[group])


@pytest.fixture(scope='module')
def rep(admin):
    return user(admin, 'plan-rep', 'sales_team.group_sale_salesman')


@pytest.fixture(scope='module')
def manager(admin):
    return user(admin, 'plan-manager', 'sales_team.group_sale_manager')


def test_category_survives_kanban_drops(admin, rep):
    potential, quote, order = (ref(admin, 'impact_crm.stage_%s' % s) for s in ('potential', 'quote', 'order'))
    lead_id = rep('crm.lead', 'create', {'name': 'RPC category', 'type': 'opportunity', 'stage_id': potential,
                                         'planned_revenue': 1000, 'user_id': rep.uid})
    rep('crm.lead', 'write', [lead_id], {'forecast_category': 'commit'})
    rep('crm.lead', 'write', [lead_id], {'stage_id': quote})
    rep('crm.lead', 'write', [lead_id], {'stage_id': order})
    rep('crm.lead', 'write', [lead_id], {'stage_id': potential})
    [lead] = rep('crm.lead', 'read', [lead_id], ['forecast_category', 'forecast_category_manual_uid'])
    assert lead['forecast_category'] == 'commit'
    assert lead['forecast_category_manual_uid'][0] == rep.uid
    rep('crm.lead', 'action_reset_forecast_category', [lead_id])
    assert rep('crm.lead', 'read', [lead_id], ['forecast_category'])[0]['forecast_category'] == 'pipeline'
    rows = rep('crm.forecast.report', 'search_read', [('lead_id', '=', lead_id)], fields=['forecast_category'])
    assert [row['forecast_category'] for row in rows] == ['pipeline']


def test_quotas_imported_by_a_manager_read_by_their_rep(admin, rep, manager):
    [rep_name] = [u['name'] for u in admin('res.users', 'read', [rep.uid], ['name'])]
    result = manager('crm.quota', 'load', ['user_id', 'period_type', 'date_start', 'amount'],
                     [[rep_name, 'Quarter', '2040-01-01', '100000'], [rep_name, 'Month', '2040-02-01', '30000']])
    assert not result['messages'] and len(result['ids']) == 2
    mine = rep('crm.quota', 'search_read', [('date_start', '>=', '2040-01-01')],
               fields=['amount', 'attainment_ordered', 'coverage'])
    assert sorted(q['amount'] for q in mine) == [30000, 100000]
    with pytest.raises(RPCError):
        rep('crm.quota', 'write', result['ids'], {'amount': 1})
    with pytest.raises(RPCError) as error:
        manager('crm.quota', 'create', {'user_id': rep.uid, 'date_start': '2040-02-01', 'amount': 5})
    assert 'first day' in error.value.message


def test_schedule_that_does_not_sum_is_refused(admin, rep):
    with pytest.raises(RPCError) as error:
        rep('crm.lead', 'create', {'name': 'RPC bad schedule', 'type': 'opportunity', 'planned_revenue': 1000,
                                   'user_id': rep.uid, 'revenue_spread': 'schedule',
                                   'instalment_ids': [(0, 0, {'date': '2040-01-10', 'amount': 400}),
                                                      (0, 0, {'date': '2040-03-10', 'amount': 500})]})
    assert 'sum to 900' in error.value.message
    assert not rep('crm.lead', 'search', [('name', '=', 'RPC bad schedule')])
