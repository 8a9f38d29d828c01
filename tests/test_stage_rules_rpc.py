"""Issue 5 over JSON-RPC on the running server: stage rules fire once for RPC writes and imports, done
activities are kept, and a base_automation rule moving the stage while our rule fires does not loop."""
import time

from conftest import RPC


def _ref(admin, xmlid):
    return admin('ir.model.data', 'xmlid_to_res_id', xmlid)


def _salesman(admin):
    login = 'e2e.rules.%d' % int(time.time() * 1000)
    group = _ref(admin, 'sales_team.group_sale_salesman')
    admin('res.users', 'create', {'name': 'E2E Rules Rep', 'login': login, 'password': login,
                                  'email': login + '@example.com', 'groups_id': [(6, 0, [group])]})
    return RPC(login, login)


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


def test_base_automation_moving_the_stage_does_not_loop(server, admin):
    rep = _salesman(admin)
    potential, quote = _ref(admin, 'impact_crm.stage_potential'), _ref(admin, 'impact_crm.stage_quote')
    order = _ref(admin, 'impact_crm.stage_order')
    todo = _ref(admin, 'mail.mail_activity_data_todo')
    rules = [
        admin('crm.stage.rule', 'create', {'stage_id': quote, 'activity_type_id': todo,
                                           'summary': 'E2E loop guard'}),
        admin('crm.stage.rule', 'create', {'stage_id': order, 'activity_type_id': todo,
                                           'summary': 'E2E order rule'}),
    ]
    model = admin('ir.model', 'search', [('model', '=', 'mail.activity')])[0]
    automation = admin('base.automation', 'create', {
        'name': 'E2E: move the deal to Order when the loop-guard activity is created',
        'model_id': model, 'trigger': 'on_create', 'state': 'code',
        'filter_domain': "[('summary', '=', 'E2E loop guard')]",
        'code': "env['crm.lead'].browse(record.res_id).write({'stage_id': %d})" % order,
    })
    try:
        lead_id = rep('crm.lead', 'create', {'name': 'E2E loop deal', 'type': 'opportunity',
                                             'stage_id': potential})
        rep('crm.lead', 'write', [lead_id], {'stage_id': quote})
        lead = rep('crm.lead', 'read', [lead_id], ['stage_id'])[0]
        assert lead['stage_id'][0] == order, 'the automation moved the deal'
        assert len(_activities(rep, lead_id, 'E2E loop guard')) == 1
        assert not _activities(rep, lead_id, 'E2E order rule'), 'a stage moved by automation fires no rule'
        # an ordinary move into Order still fires its rule, once
        other = rep('crm.lead', 'create', {'name': 'E2E plain deal', 'type': 'opportunity', 'stage_id': potential})
        rep('crm.lead', 'write', [other], {'stage_id': order})
        assert len(_activities(rep, other, 'E2E order rule')) == 1
    finally:
        admin('base.automation', 'write', [automation], {'active': False})
        admin('crm.stage.rule', 'write', rules, {'active': False})
