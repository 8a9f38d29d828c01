"""Execution and collection through JSON-RPC, checked against the database itself."""
from support.db import sql


def test_customer_history_over_rpc(admin):
    # the demo customer with the most confirmed latest-revision orders, counted straight in SQL
    rows = sql("""
        SELECT p.commercial_partner_id, COUNT(*) FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
         WHERE so.state IN ('sale', 'done') AND so.is_latest_revision
         GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1""")
    assert rows, 'the demo data has confirmed orders'
    partner_id, count = rows[0]
    [history] = admin('res.partner', 'read', [partner_id],
                      fields=['history_order_count', 'history_amount_ordered', 'history_last_order_date',
                              'history_top_products', 'history_win_rate'])
    assert history['history_order_count'] == count
    assert history['history_amount_ordered'] > 0
    assert history['history_last_order_date']
    assert history['history_top_products']
    assert 0.0 <= history['history_win_rate'] <= 100.0


def test_collection_report_and_lead_amounts_over_rpc(admin):
    rows = admin('crm.collection.report', 'search_read', [],
                 fields=['lead_id', 'amount_outstanding', 'age_bucket', 'age_days'])
    for row in rows:
        assert row['amount_outstanding'] > 0
        assert row['age_bucket'] in ('0_30', '31_60', '61_90', '90_plus')
    leads = admin('crm.lead', 'search_read', [('amount_ordered', '>', 0)],
                  fields=['amount_ordered', 'amount_invoiced', 'amount_paid', 'amount_outstanding'])
    for lead in leads:
        assert abs(lead['amount_invoiced'] - lead['amount_paid'] - lead['amount_outstanding']) < 0.01


def _open(browser, server, admin, xmlid, view_type, selector):
    action_id = admin('ir.model.data', 'xmlid_to_res_id', xmlid)
    page = browser.new_page()
    errors = []
    page.on('pageerror', lambda exc: errors.append(str(exc)))
    page.goto(server + '/web/login')
    page.fill('input[name=login]', 'admin')
    page.fill('input[name=password]', 'admin')
    page.click('button[type=submit]')
    page.wait_for_selector('.o_web_client', timeout=60000)
    page.goto('%s/web#action=%s&view_type=%s' % (server, action_id, view_type))
    # only the hash changed: if the web client was still starting it missed it; a reload reads it at start-up
    page.reload()
    page.wait_for_selector(selector, timeout=60000)
    assert page.query_selector('.o_dialog_warning, .o_error_dialog') is None
    assert not errors
    return page


def test_collection_pivot_and_pipeline_render(browser, server, admin):
    page = _open(browser, server, admin, 'impact_crm.crm_collection_report_action', 'pivot', '.o_pivot')
    page.close()
    page = _open(browser, server, admin, 'crm.crm_lead_opportunities', 'kanban', '.o_kanban_record')
    page.close()
    page = _open(browser, server, admin, 'crm.crm_lead_opportunities', 'list', '.o_list_view')
    assert 'Outstanding' in page.inner_text('.o_list_view thead')
    page.close()
