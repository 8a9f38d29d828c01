"""The lost flow over JSON-RPC, as an external client or the web client calls it."""
import pytest

from support.rpc import RPCError


@pytest.fixture()
def deal(admin):
    stage = admin('ir.model.data', 'xmlid_to_res_id', 'impact_crm.stage_quote')
    lead_id = admin('crm.lead', 'create', {'name': 'RPC lost deal', 'type': 'opportunity', 'stage_id': stage,
                                           'planned_revenue': 4200.0})
    yield lead_id
    admin('crm.lead', 'unlink', [lead_id])


def _read(admin, lead_id):
    return admin('crm.lead', 'read', [lead_id], ['active', 'stage_id', 'lost_reason', 'lost_stage_id', 'lost_amount'],
                 context={'active_test': False})[0]


def test_action_set_lost_without_reason_is_refused(admin, deal):
    with pytest.raises(RPCError) as error:
        admin('crm.lead', 'action_set_lost', [deal])
    assert error.value.name == 'odoo.exceptions.UserError'
    assert 'Mark Lost' in error.value.message
    assert _read(admin, deal)['active'] is True


def test_moving_to_lost_stage_is_refused(admin, deal):
    lost = admin('ir.model.data', 'xmlid_to_res_id', 'impact_crm.stage_lost')
    with pytest.raises(RPCError) as error:
        admin('crm.lead', 'write', [deal], {'stage_id': lost})
    assert error.value.name == 'odoo.exceptions.UserError'
    # the flow's own context flag cannot be forged from outside
    with pytest.raises(RPCError):
        admin('crm.lead', 'write', [deal], {'stage_id': lost}, context={'impact_lost_flow': True})
    assert _read(admin, deal)['stage_id'][0] != lost


def test_wizard_loses_and_restore_returns(admin, deal):
    reason = admin('ir.model.data', 'xmlid_to_res_id', 'impact_crm.lost_reason_price_above_budget')
    quote = admin('ir.model.data', 'xmlid_to_res_id', 'impact_crm.stage_quote')
    context = {'active_model': 'crm.lead', 'active_ids': [deal], 'active_id': deal}
    # the wizard's form view loads (the web client asks for it before opening the dialog)
    view = admin('crm.lead.lost', 'fields_view_get', view_type='form', context=context)
    assert 'competitor_id' in view['fields'] and 'line_ids' in view['fields']
    wizard = admin('crm.lead.lost', 'create', {'lead_ids': [(6, 0, [deal])], 'lost_reason_id': reason},
                   context=context)
    admin('crm.lead.lost', 'action_lost_reason_apply', [wizard], context=context)
    lead = _read(admin, deal)
    assert lead['active'] is False
    assert lead['lost_reason'][0] == reason
    assert lead['lost_stage_id'][0] == quote
    assert lead['lost_amount'] == 4200.0
    admin('crm.lead', 'action_set_active', [deal])  # "Restore" on the card
    lead = _read(admin, deal)
    assert lead['active'] is True and lead['stage_id'][0] == quote and lead['lost_reason'] is False


def test_analysis_views_load(admin):
    for model in ('crm.lead.lost.report', 'crm.competitor.report'):
        for view_type in ('pivot', 'graph', 'search'):
            view = admin(model, 'fields_view_get', view_type=view_type)
            assert view['arch']
    settings = admin('res.config.settings', 'create', {})
    assert admin('res.config.settings', 'read', [settings], ['crm_lost_reason_required'])[0][
        'crm_lost_reason_required'] is True
