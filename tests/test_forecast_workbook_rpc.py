"""The forecast workbook generated and downloaded over JSON-RPC, as the web client's wizard does it."""
import base64
import io

import openpyxl
import pytest


@pytest.fixture()
def lost_deal(admin):
    """A deal lost today through the lost wizard, removed afterwards."""
    stage = admin('ir.model.data', 'xmlid_to_res_id', 'impact_crm.stage_quote')
    reason = admin('ir.model.data', 'xmlid_to_res_id', 'impact_crm.lost_reason_budget_cut')
    lead_id = admin('crm.lead', 'create', {'name': 'RPC workbook lost deal', 'type': 'opportunity',
                                           'stage_id': stage, 'planned_revenue': 6300.0})
    context = {'active_model': 'crm.lead', 'active_ids': [lead_id], 'active_id': lead_id}
    wizard = admin('crm.lead.lost', 'create', {'lead_ids': [(6, 0, [lead_id])], 'lost_reason_id': reason},
                   context=context)
    admin('crm.lead.lost', 'action_lost_reason_apply', [wizard], context=context)
    yield lead_id
    admin('crm.lead', 'unlink', [lead_id])


def test_workbook_download_over_rpc(admin, lost_deal):
    wizard_id = admin('crm.forecast.workbook', 'create', {})
    action = admin('crm.forecast.workbook', 'action_export', [wizard_id])
    assert 'field=file_data' in action['url']
    [wizard] = admin('crm.forecast.workbook', 'read', [wizard_id],
                     ['file_data', 'file_name', 'date_from', 'date_to'])
    assert wizard['file_name'].endswith('.xlsx')
    content = base64.b64decode(wizard['file_data'])
    book = openpyxl.load_workbook(io.BytesIO(content), data_only=True)

    forecast = admin('crm.forecast.report', 'search_count', [
        ('source', '=', 'opportunity'), ('date', '>=', wizard['date_from']), ('date', '<=', wizard['date_to'])])
    due = admin('crm.collection.report', 'search_count', [])
    expected = (['Summary'] + (['Salesperson', 'Sales Channel', 'Sales Region', 'Product Category'] if forecast
                               else []) + ['Lost Deals'])
    assert book.sheetnames == expected + (['Collection'] if due else [])

    # the lost sheet's grand total is the lost analysis of the same period, as the database has it
    period = [('lost_date', '>=', wizard['date_from']), ('lost_date', '<=', wizard['date_to'])]
    [totals] = admin('crm.lead.lost.report', 'read_group', period, ['nbr', 'lost_amount'], [])
    lost = book['Lost Deals']
    total = [lost.cell(row=lost.max_row, column=c).value for c in range(1, 5)]
    assert total[2] == totals['nbr'] >= 1
    assert total[3] == pytest.approx(totals['lost_amount'])
    reason = admin('crm.lost.reason', 'read', [admin('ir.model.data', 'xmlid_to_res_id',
                                                     'impact_crm.lost_reason_budget_cut')], ['name'])[0]['name']
    assert reason in [lost.cell(row=r, column=2).value for r in range(5, lost.max_row)]
    if due:
        collection = book['Collection']
        [outstanding] = admin('crm.collection.report', 'read_group', [], ['amount_outstanding'], [])
        assert collection.cell(row=collection.max_row, column=8).value == pytest.approx(
            outstanding['amount_outstanding'])
