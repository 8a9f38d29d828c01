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


@pytest.fixture()
def unpaid_deal(admin):
    """A won deal whose confirmed order is invoiced (open invoice of 4 x 250, no taxes) and unpaid."""
    xmlid = lambda name: admin('ir.model.data', 'xmlid_to_res_id', name)  # noqa: E731
    partner = admin('res.partner', 'create', {'name': 'RPC Workbook Customer', 'customer': True,
                                              'is_company': True})
    product = admin('product.product', 'create', {'name': 'RPC workbook service', 'type': 'service',
                                                  'invoice_policy': 'order', 'list_price': 250.0,
                                                  'taxes_id': [(6, 0, [])]})
    lead = admin('crm.lead', 'create', {'name': 'RPC workbook won deal', 'type': 'opportunity',
                                        'partner_id': partner, 'stage_id': xmlid('impact_crm.stage_order')})
    order = admin('sale.order', 'create', {
        'partner_id': partner, 'opportunity_id': lead,
        'order_line': [(0, 0, {'product_id': product, 'product_uom_qty': 4, 'price_unit': 250.0,
                               'tax_id': [(6, 0, [])]})]})
    admin('sale.order', 'action_confirm', [order])
    admin('crm.lead', 'write', [lead], {'stage_id': xmlid('impact_crm.stage_won')})
    invoices = admin('sale.order', 'action_invoice_create', [order])
    admin('account.invoice', 'action_invoice_open', invoices)
    return partner


def test_workbook_download_over_rpc(admin, lost_deal, unpaid_deal):
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
    assert due >= 1
    quotas = admin('crm.quota', 'search_count', [('date_start', '<=', wizard['date_to']),
                                                 ('date_end', '>=', wizard['date_from'])])
    expected = (['Summary'] + (['Salesperson', 'Sales Channel', 'Sales Region', 'Product Category'] if forecast
                               else []) + (['Quotas'] if quotas else []) + ['Lost Deals'])
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
    collection = book['Collection']
    [outstanding] = admin('crm.collection.report', 'read_group', [], ['amount_outstanding'], [])
    assert collection.cell(row=collection.max_row, column=8).value == pytest.approx(
        outstanding['amount_outstanding'])
    [line] = [[collection.cell(row=r, column=c).value for c in range(1, 9)] for r in range(5, collection.max_row)
              if collection.cell(row=r, column=1).value == 'RPC Workbook Customer']
    assert line[2:] == [1, 1000.0, 0.0, 0.0, 0.0, 1000.0]   # invoiced today: 0-30 days

    # the quota sheet has the figures the quotas' own fields compute, read in another request
    assert quotas >= 1
    figures = ['amount', 'amount_ordered', 'amount_invoiced', 'amount_paid', 'pipeline_weighted', 'amount_to_reach']
    records = admin('crm.quota', 'search_read', [('date_start', '<=', wizard['date_to']),
                                                 ('date_end', '>=', wizard['date_from'])], figures,
                    order='date_start, team_id, user_id, id')
    sheet = book['Quotas']
    rows = [[sheet.cell(row=r, column=c).value for c in (6, 7, 8, 9, 13, 14)] for r in range(5, sheet.max_row + 1)
            if sheet.cell(row=r, column=5).value]
    assert rows == [pytest.approx([record[name] for name in figures]) for record in records]
