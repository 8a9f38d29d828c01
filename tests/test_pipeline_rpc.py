"""The pipeline over JSON-RPC, as the web client uses it: a sales rep's probability override survives a kanban
drop, every drop is in the stage history, and bad probabilities come back as a clear error."""
import pytest
from support.rpc import RPCError
from support.users import make_user


@pytest.fixture(scope='module')
def rep(admin):
    return make_user(admin, 'rep-', name='Pipeline Rep')


def ref(admin, xmlid):
    return admin('ir.model.data', 'xmlid_to_res_id', xmlid)


def test_override_survives_kanban_drop_and_history_is_written(admin, rep):
    potential, quote, order = (ref(admin, 'impact_crm.stage_%s' % s) for s in ('potential', 'quote', 'order'))
    lead_id = rep('crm.lead', 'create', {'name': 'RPC tower', 'type': 'opportunity', 'stage_id': potential,
                                         'planned_revenue': 30000, 'user_id': rep.uid})
    rep('crm.lead', 'write', [lead_id], {'probability': 35})
    rep('crm.lead', 'write', [lead_id], {'stage_id': quote})   # the kanban drop
    rep('crm.lead', 'write', [lead_id], {'stage_id': order})
    lead = rep('crm.lead', 'read', [lead_id], ['probability', 'probability_is_manual', 'probability_manual_uid',
                                               'weighted_revenue', 'stage_group_id', 'stage_history_count'])[0]
    assert lead['probability'] == 35
    assert lead['probability_is_manual'] is True
    assert lead['probability_manual_uid'][0] == rep.uid
    assert lead['weighted_revenue'] == 10500
    assert lead['stage_history_count'] == 3
    history = rep('crm.lead.stage.history', 'search_read', [('lead_id', '=', lead_id)],
                  fields=['stage_from_id', 'stage_to_id', 'user_id'], order='id')
    assert [h['stage_to_id'][0] for h in history] == [potential, quote, order]
    assert all(h['user_id'][0] == rep.uid for h in history)
    rep('crm.lead', 'action_reset_probability', [lead_id])
    assert rep('crm.lead', 'read', [lead_id], ['probability'])[0]['probability'] == 40


def test_bad_probability_is_a_clear_error(rep):
    lead_id = rep('crm.lead', 'create', {'name': 'RPC bad', 'type': 'opportunity', 'user_id': rep.uid})
    with pytest.raises(RPCError) as error:
        rep('crm.lead', 'write', [lead_id], {'probability': 140})
    assert 'between 0 and 100' in str(error.value)


def test_rep_cannot_touch_history_or_stage_probability(admin, rep):
    quote = ref(admin, 'impact_crm.stage_quote')
    with pytest.raises(RPCError):
        rep('crm.stage', 'write', [quote], {'probability': 90})
    ids = rep('crm.lead.stage.history', 'search', [], limit=1)
    assert ids
    with pytest.raises(RPCError):
        rep('crm.lead.stage.history', 'unlink', ids)


def test_pipeline_views_load(admin):
    for model, view_type in (('crm.lead', 'kanban'), ('crm.lead', 'form'), ('crm.lead', 'tree'),
                             ('crm.lead', 'pivot'), ('crm.lead.stage.history', 'pivot'),
                             ('crm.lead.stage.history', 'graph')):
        view = admin(model, 'fields_view_get', view_type=view_type)
        assert view['arch']
