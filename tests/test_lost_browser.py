"""The lost dialog in the web client: Mark Lost on a deal, pick a reason, submit."""


def test_mark_lost_dialog(browser, server, admin):
    stage = admin('ir.model.data', 'xmlid_to_res_id', 'impact_crm.stage_order')
    action = admin('ir.model.data', 'xmlid_to_res_id', 'crm.crm_lead_opportunities')
    lead_id = admin('crm.lead', 'create', {'name': 'Browser lost deal', 'type': 'opportunity',
                                           'stage_id': stage, 'planned_revenue': 777.0})
    page = browser.new_page()
    try:
        page.goto(server + '/web/login')
        page.fill('input[name=login]', 'admin')
        page.fill('input[name=password]', 'admin')
        page.click('button[type=submit]')
        page.wait_for_selector('.o_main_navbar, .o_web_client', timeout=60000)
        page.goto('%s/web#id=%s&model=crm.lead&view_type=form&action=%s' % (server, lead_id, action))
        page.wait_for_selector('.o_form_view .o_statusbar_buttons', timeout=60000)
        page.click('.o_statusbar_buttons button:has-text("Mark Lost")')
        reason = page.wait_for_selector('.modal .o_field_widget[name=lost_reason_id] input', timeout=30000)
        reason.fill('Our price')
        page.click('.ui-autocomplete li a:has-text("Our price above their budget")', timeout=30000)
        page.fill('.modal .o_field_widget[name=note]', 'Lost in the browser')
        page.click('.modal-footer button:has-text("Submit")')
        # the dialog closes once the server has applied it
        page.wait_for_selector('.modal', state='detached', timeout=30000)
        lead = admin('crm.lead', 'read', [lead_id], ['active', 'lost_reason', 'lost_stage_id', 'lost_note'],
                     context={'active_test': False})[0]
        assert lead['active'] is False
        assert lead['lost_reason'][1] == 'Our price above their budget'
        assert lead['lost_stage_id'][0] == stage
        assert lead['lost_note'] == 'Lost in the browser'
    finally:
        page.close()
        admin('crm.lead', 'unlink', [lead_id])
