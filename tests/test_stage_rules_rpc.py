"""Stage rules over JSON-RPC on the running server: stage rules fire once for RPC writes and
imports, and done activities are kept.
(No base_automation record is created here: creating one reloads the registry inside the running server.)"""
from support.users import make_user


def _ref(admin, xmlid):
    return admin('ir.model.data', 'xmlid_to_res_id', xmlid)


def _salesman(admin):
    return make_user(admin, 'e2e.rules.', name='E2E Rules Rep')


def _activities(rpc, lead_id, summary):
    return rpc('mail.activity', 'search_read', [('res_model', '=', 'crm.lead'), ('res_id', '=', lead_id),
                                                ('summary', '=', summary)], fields=['user_id', 'date_deadline'])


def test_rpc_write_and_import_fire_the_rule_once(server, admin):
    rep = _salesman(admin)
    potential, quote = _ref(admin, 'impact_crm.stage_potential'), _ref(admin, 'impact_crm.stage_quote')
    lead_id = rep('crm.lead', 'create', {'name': 'E2E RPC deal', 'type': 'opportunity', 'stage_id': potential})
    rep('crm.lead', 'write', [lead_id], {'stage_id': quote})
    activities = _activities(rep, lead_id, 'Prepare the quote')
    assert len(activities) == 1
    assert activities[0]['user_id'][0] == rep.uid

    imported = rep('crm.lead', 'create', {'name': 'E2E imported deal', 'type': 'opportunity',
                                          'stage_id': potential})
    result = rep('crm.lead', 'load', ['.id', 'stage_id/.id'], [[str(imported), str(quote)]])
    assert not result['messages'], result['messages']
    assert len(_activities(rep, imported, 'Prepare the quote')) == 1

    # the rep marks it done: the activity goes, its record stays
    activity_id = rep('mail.activity', 'search', [('res_model', '=', 'crm.lead'), ('res_id', '=', lead_id)])
    rep('mail.activity', 'action_done', activity_id)
    assert not _activities(rep, lead_id, 'Prepare the quote')
    logs = rep('crm.activity.log', 'search_read', [('lead_id', '=', lead_id)], fields=['summary', 'source'])
    assert [(log['summary'], log['source']) for log in logs] == [('Prepare the quote', 'activity')]
