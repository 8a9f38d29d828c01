"""The forecast change log over JSON-RPC, as the web client writes: a rep's create, kanban drop, form save
and mass edit each leave their row; the forecast as of a moment between two of them is the deal as it
stood then; the rep reads only their own rows and cannot write them."""
import time

import pytest
from support.rpc import RPCError
from support.users import make_user


@pytest.fixture(scope='module')
def rep(admin):
    return make_user(admin, 'history-rep-', name='History Rep')


def test_every_rpc_write_is_kept_and_as_of_reproduces(admin, rep):
    ref = lambda name: admin('ir.model.data', 'xmlid_to_res_id', name)  # noqa: E731
    potential, quote = ref('impact_crm.stage_potential'), ref('impact_crm.stage_quote')
    lead_id = rep('crm.lead', 'create', {'name': 'RPC history tower', 'type': 'opportunity', 'stage_id': potential,
                                         'planned_revenue': 40000, 'user_id': rep.uid, 'date_end': '2031-05-10'})
    time.sleep(1.1)   # the log keeps seconds: the next change is a second later
    between = rep('crm.lead.forecast.change', 'search_read', [('lead_id', '=', lead_id)], fields=['date'])[0]['date']
    time.sleep(1.1)
    rep('crm.lead', 'write', [lead_id], {'stage_id': quote})                       # kanban drop
    rep('crm.lead', 'write', [lead_id], {'planned_revenue': 45000, 'date_end': '2031-06-20'})   # form save
    other = rep('crm.lead', 'create', {'name': 'RPC history shed', 'type': 'opportunity', 'stage_id': potential,
                                       'planned_revenue': 1000, 'user_id': rep.uid})
    rep('crm.lead', 'write', [lead_id, other], {'date_deadline': '2031-12-31'})  # mass edit
    rows = rep('crm.lead.forecast.change', 'search_read', [('lead_id', '=', lead_id)],
               fields=['changed_fields', 'stage_id', 'probability', 'planned_revenue', 'date_end'], order='id')
    assert [row['changed_fields'] for row in rows] == [False, 'stage_id,probability', 'planned_revenue,date_end',
                                                       'date_deadline']
    last = rows[-1]
    assert (last['stage_id'][0], last['planned_revenue'], last['date_end']) == (quote, 45000, '2031-06-20')
    assert rep('crm.lead.forecast.change', 'search_count', [('lead_id', '=', other)]) == 2
    # the forecast as of the moment between the creation and the drop: 40,000 at Potential's 10 %
    asof = rep('crm.forecast.asof.report', 'search_read', [('lead_id', '=', lead_id)],
               fields=['amount', 'weighted_amount', 'stage_id', 'date'], context={'forecast_as_of': between})
    assert [(r['amount'], r['weighted_amount'], r['stage_id'][0], r['date']) for r in asof] == [
        (40000, 4000, potential, '2031-05-10')]
    now = rep('crm.forecast.asof.report', 'read_group', [('lead_id', '=', lead_id)], ['amount', 'weighted_amount'],
              [])
    assert (now[0]['amount'], now[0]['weighted_amount']) == (45000, 9000)
    # the slippage figures follow: 05-10 then 06-20, one push of 41 days
    lead = rep('crm.lead', 'read', [lead_id], ['forecast_date_first', 'push_count', 'slip_days'])[0]
    assert (lead['forecast_date_first'], lead['push_count'], lead['slip_days']) == ('2031-05-10', 1, 41)
    with pytest.raises(RPCError) as error:
        rep('crm.lead.forecast.change', 'write', [rows[0]['id']], {'planned_revenue': 1})
    assert error.value.name == 'odoo.exceptions.AccessError'
    admin('crm.lead', 'unlink', [lead_id, other])
