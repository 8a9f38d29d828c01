"""The product as a sales team meets it, in a real headless Chromium against the server 'make run' starts:
log in, work the pipeline kanban, and read it in Hebrew, right to left.

Screenshots go to .local/screenshots/; with IMPACT_SCREENSHOTS=1 they also replace the ones of
docs/screenshots/ that the README shows (so that routine test runs leave the tree clean).
"""
import datetime
import functools
import re
import os
import shutil
import uuid

import pytest
from support.rpc import RPC

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, 'docs', 'screenshots')
SCRATCH = os.path.join(ROOT, '.local', 'screenshots')
TIMEOUT = 60000


def screenshot(page, name, docs=True, **kwargs):
    """Save a PNG of the page as .local/screenshots/<name>.png and, for the README's pictures (docs),
    as docs/screenshots/<name>.png when IMPACT_SCREENSHOTS=1. Returns the path of the fresh PNG."""
    wait_idle(page)
    os.makedirs(SCRATCH, exist_ok=True)
    path = os.path.join(SCRATCH, name + '.png')
    page.screenshot(path=path, **kwargs)
    if docs and os.environ.get('IMPACT_SCREENSHOTS') == '1':
        os.makedirs(DOCS, exist_ok=True)
        shutil.copyfile(path, os.path.join(DOCS, name + '.png'))
    return path


def xmlid(admin, ref):
    return admin('ir.model.data', 'xmlid_to_res_id', ref, True)


def wait_idle(page):
    """Wait until the web client has no RPC in flight: no 'Loading' indicator, no blocked UI."""
    page.wait_for_load_state('networkidle')
    page.wait_for_function("""() => !document.querySelector('.oe_wait, .blockUI')
        && Array.from(document.querySelectorAll('.o_loading')).every(el => getComputedStyle(el).display === 'none')""",
                           timeout=TIMEOUT)


def skip_tours(page):
    """Mark Odoo's onboarding tours (shown to the superuser) done, so that their tips do not cover
    the screenshots."""
    consumed = page.evaluate("""() => new Promise(resolve => {
        const services = odoo.__DEBUG__.services;
        const names = Object.keys((services['web_tour.tour'] || {}).tours || {});
        if (!names.length || !odoo.session_info.is_superuser) { return resolve(0); }
        services['web.rpc'].query({model: 'web_tour.tour', method: 'consume', args: [names]})
            .then(() => resolve(names.length), () => resolve(0));
    })""")
    if consumed:
        page.reload()
        page.wait_for_selector('.o_web_client .o_main_content', timeout=TIMEOUT)


def login(page, server, user='admin', password='admin'):
    page.goto(server + '/web/login')
    page.fill('input[name=login]', user)
    page.fill('input[name=password]', password)
    page.click('button[type=submit]')
    page.wait_for_selector('.o_web_client .o_main_content', timeout=TIMEOUT)
    wait_idle(page)
    skip_tours(page)


def open_pipeline(page, server):
    """The CRM app as a rep opens it: its menu shows the rep's pipeline, a kanban grouped by stage."""
    page.goto(server + '/web#menu_id=%d' % crm_menu())
    page.wait_for_selector('.o_kanban_view .o_kanban_group', timeout=TIMEOUT)
    wait_idle(page)


@functools.lru_cache()
def crm_menu():
    """The id of the CRM app's menu."""
    return RPC('admin', 'admin')('ir.model.data', 'xmlid_to_res_id', 'crm.crm_menu_root', True)


def open_form(page, server, name):
    """Open an opportunity from the pipeline, as a rep does: a click on its card."""
    open_pipeline(page, server)
    card(page, name).first.click()
    page.wait_for_selector('.o_form_view .o_form_sheet', timeout=TIMEOUT)
    wait_idle(page)


def column(page, stage_id):
    return page.locator('.o_kanban_group[data-id="%d"]' % stage_id)


def card(page, name):
    return page.locator('.o_kanban_record', has_text=name)


def drag_card(page, name, stage_id):
    """Drag a kanban card into the column of a stage with the mouse, in small steps (Odoo 11's kanban
    uses jQuery UI sortable, which reacts to real mouse moves, not to HTML5 drag and drop), and wait
    for the web client to save the move."""
    source = card(page, name).first
    source.scroll_into_view_if_needed()
    target = column(page, stage_id)
    box = source.bounding_box()
    tbox = target.bounding_box()
    x0, y0 = box['x'] + box['width'] / 2, box['y'] + min(box['height'] / 2, 20)
    x1, y1 = tbox['x'] + tbox['width'] / 2, tbox['y'] + 80
    with page.expect_response(lambda response: '/web/dataset/call_kw/crm.lead/write' in response.url
                              or '/web/dataset/resequence' in response.url) as saved:
        page.mouse.move(x0, y0)
        page.mouse.down()
        page.mouse.move(x0 + 5, y0 + 5, steps=5)
        page.mouse.move(x1, y1, steps=25)
        page.mouse.move(x1, y1 + 10, steps=5)
        page.mouse.up()
    assert saved.value.ok
    wait_idle(page)


@pytest.fixture
def user_lang(admin):
    """Set the admin's language for one test (the databases of make run / make test are Hebrew by
    default, English installed but inactive), and restore it afterwards."""
    original = admin('res.users', 'read', [admin.uid], ['lang'])[0]['lang']

    def set_lang(code):
        lang = admin('res.lang', 'search', [('code', '=', code)], context={'active_test': False})
        assert lang, 'language %s is not installed' % code
        admin('res.lang', 'write', lang, {'active': True})
        admin('res.users', 'write', [admin.uid], {'lang': code})
    yield set_lang
    admin('res.users', 'write', [admin.uid], {'lang': original})


@pytest.fixture(scope='module')
def web_context(browser, server):
    """One browser context for the module: the admin logs in once and the web client's bundles are
    downloaded once. Odoo's bus (long polling) is not served by the HTTP workers: it is cut off."""
    context = browser.new_context(viewport={'width': 1440, 'height': 900})
    context.route('**/longpolling/**', lambda route: route.abort())
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    login(page, server)
    page.close()
    yield context
    context.close()


def new_page(web_context, server):
    # the session caches the user's context (language) at login: refresh it, as a new login would
    response = web_context.request.post(server + '/web/session/get_session_info', data={
        'jsonrpc': '2.0', 'method': 'call', 'params': {}})
    assert response.ok and 'result' in response.json(), response.text()
    page = web_context.new_page()
    page.set_default_timeout(TIMEOUT)
    return page


@pytest.fixture
def page(web_context, server, user_lang):
    """A page of the admin working in English (the README's screenshots)."""
    user_lang('en_US')
    page = new_page(web_context, server)
    yield page
    page.close()


@pytest.fixture
def hebrew_page(web_context, server, user_lang):
    """A page of the admin working in Hebrew."""
    user_lang('he_IL')
    page = new_page(web_context, server)
    yield page
    page.close()


@pytest.fixture
def stages(admin):
    return dict((name, xmlid(admin, 'impact_crm.stage_' + name))
                for name in ('potential', 'quote', 'order', 'won', 'lost'))


@pytest.fixture
def opportunity(admin, stages):
    """A fresh opportunity of the admin in Potential (the pipeline shows 'my' opportunities)."""
    name = 'Tower B, Haifa: facade glazing %s' % uuid.uuid4().hex[:6]
    partner = admin('res.partner', 'create', {'name': 'Carmel Towers Ltd', 'is_company': True})
    lead_id = admin('crm.lead', 'create', {
        'name': name, 'type': 'opportunity', 'partner_id': partner, 'planned_revenue': 240000,
        'user_id': admin.uid, 'stage_id': stages['potential']})
    yield {'id': lead_id, 'name': name, 'partner_id': partner}
    admin('crm.lead', 'write', [lead_id], {'active': False})


def test_drag_opportunity_from_potential_to_quote(page, server, admin, stages, opportunity):
    open_pipeline(page, server)
    assert card(page, opportunity['name']).count() == 1
    assert column(page, stages['potential']).locator('.o_kanban_record', has_text=opportunity['name']).count() == 1
    drag_card(page, opportunity['name'], stages['quote'])
    column(page, stages['quote']).locator('.o_kanban_record', has_text=opportunity['name']).wait_for()
    lead = admin('crm.lead', 'read', [opportunity['id']], ['stage_id', 'probability'])[0]
    assert lead['stage_id'][0] == stages['quote']
    assert lead['probability'] == 20.0
    screenshot(page, 'flow_pipeline_after_drag', docs=False)


def test_opportunity_form(page, server, admin, opportunity):
    open_form(page, server, opportunity['name'])
    assert opportunity['name'] in page.inner_text('.o_form_view .oe_title')
    # impact_crm's field in Odoo's form
    assert page.locator('.o_form_view .o_field_widget[name=stage_group_id]').count() == 1
    screenshot(page, 'flow_opportunity_form', docs=False)


def test_pipeline_in_hebrew_reads_right_to_left(hebrew_page, server, admin, stages, opportunity):
    page = hebrew_page
    open_pipeline(page, server)
    assert page.get_attribute('html', 'dir') == 'rtl'
    assert 'o_rtl' in page.get_attribute('body', 'class').split()
    assert page.evaluate("getComputedStyle(document.querySelector('.o_kanban_view')).direction") == 'rtl'
    quote = admin('crm.stage', 'read', [stages['quote']], ['name'], context={'lang': 'he_IL'})[0]['name']
    assert quote == 'הצעה'
    assert column(page, stages['quote']).locator('.o_column_title').inner_text().strip() == quote
    # right to left: the first stage (Potential) is the right-most column
    assert column(page, stages['potential']).bounding_box()['x'] > column(page, stages['quote']).bounding_box()['x']
    screenshot(page, 'flow_pipeline_hebrew', docs=False)


def test_opportunity_form_in_hebrew(hebrew_page, server, admin, opportunity):
    page = hebrew_page
    open_form(page, server, opportunity['name'])
    assert page.get_attribute('html', 'dir') == 'rtl'
    label = admin('ir.model.fields', 'search_read', [('model', '=', 'crm.lead'), ('name', '=', 'stage_group_id')],
                  ['field_description'], context={'lang': 'he_IL'})[0]['field_description']
    assert label == 'קבוצת שלבים'
    assert page.locator('.o_form_view label', has_text=label).count() == 1
    # the title's right edge is at the sheet's right edge: the form reads right to left
    sheet = page.locator('.o_form_sheet').bounding_box()
    title = page.locator('.oe_title h1').bounding_box()
    assert abs((sheet['x'] + sheet['width']) - (title['x'] + title['width'])) < 40
    screenshot(page, 'flow_opportunity_form_hebrew', docs=False)


def test_english_reads_left_to_right(page, server, stages):
    open_pipeline(page, server)
    assert page.get_attribute('html', 'dir') != 'rtl'
    assert 'o_rtl' not in page.get_attribute('body', 'class').split()
    assert column(page, stages['potential']).bounding_box()['x'] < column(page, stages['quote']).bounding_box()['x']


# ---------------------------------------------------------------------------------------------
# The flows of the merged features, as a rep, a manager and an accountant go through them
# ---------------------------------------------------------------------------------------------

def form_field(page, name):
    return page.locator('.o_form_view .o_field_widget[name=%s]' % name).first


def click_button(page, label):
    """A visible button of the form's header (Odoo 11 does not render the buttons' names), by its label."""
    page.locator('.o_form_view .o_form_statusbar button:visible', has_text=label).first.click()
    wait_idle(page)


def select_many2one(page, scope, name, text, option=None):
    """Type into a many2one and pick the matching line of its drop-down, as a user does."""
    field = page.locator('%s .o_field_widget[name=%s] input' % (scope, name)).first
    field.click()
    field.fill(text)
    choice = page.locator('.ui-autocomplete:visible li a', has_text=option or text).first
    choice.wait_for()
    page.wait_for_timeout(500)  # the drop-down refreshes once the typing pauses: click in the settled list
    page.locator('.ui-autocomplete:visible li a', has_text=option or text).first.click()
    page.wait_for_function("() => !Array.from(document.querySelectorAll('.ui-autocomplete'))"
                           ".some(el => el.offsetParent !== null)")
    wait_idle(page)


def test_drag_to_quote_creates_the_prepare_the_quote_task(page, server, admin, stages, opportunity):
    open_pipeline(page, server)
    drag_card(page, opportunity['name'], stages['quote'])
    activities = admin('mail.activity', 'search_read',
                       [('res_model', '=', 'crm.lead'), ('res_id', '=', opportunity['id'])], ['summary', 'user_id'])
    assert [a['summary'] for a in activities] == ['Prepare the quote']
    assert activities[0]['user_id'][0] == admin.uid   # the deal's salesperson
    # the rep sees it in the deal's chatter, under the planned activities
    card(page, opportunity['name']).first.click()
    page.wait_for_selector('.o_form_view .o_form_sheet')
    wait_idle(page)
    task = page.locator('.o_mail_activity', has_text='Prepare the quote').first
    task.scroll_into_view_if_needed()
    screenshot(page, 'prepare_the_quote_task')


def test_probability_override_survives_the_next_move(page, server, admin, stages, opportunity):
    open_form(page, server, opportunity['name'])
    page.click('.o_form_button_edit')
    probability = page.locator('.o_form_view .o_field_widget[name=probability]').first
    probability.fill('35')
    page.click('.o_form_button_save')
    wait_idle(page)
    lead = admin('crm.lead', 'read', [opportunity['id']], ['probability', 'probability_is_manual'])[0]
    assert (lead['probability'], lead['probability_is_manual']) == (35.0, True)
    # back to the pipeline: a move keeps the rep's probability
    open_pipeline(page, server)
    drag_card(page, opportunity['name'], stages['quote'])
    lead = admin('crm.lead', 'read', [opportunity['id']], ['stage_id', 'probability', 'probability_is_manual'])[0]
    assert lead['stage_id'][0] == stages['quote']
    assert (lead['probability'], lead['probability_is_manual']) == (35.0, True)


@pytest.fixture
def lead(admin):
    """A fresh lead (not yet an opportunity) of the admin, with a company and contact name."""
    name = 'Netanya marina kiosk: glass canopy %s' % uuid.uuid4().hex[:6]
    lead_id = admin('crm.lead', 'create', {
        'name': name, 'type': 'lead', 'partner_name': 'Marina Kiosk %s' % name[-6:],
        'contact_name': 'Moshe Azran', 'phone': '+972 9 555 3199', 'user_id': admin.uid})
    yield {'id': lead_id, 'name': name}
    admin('crm.lead', 'write', [lead_id], {'active': False})


def open_record(page, server, model, record_id, action):
    page.goto(server + '/web#id=%d&model=%s&view_type=form&action=%s' % (record_id, model, action))
    page.wait_for_selector('.o_form_view .o_form_sheet', timeout=TIMEOUT)
    wait_idle(page)


def add_order_line(page, product, quantity):
    page.locator('.o_field_widget[name=order_line] .o_field_x2many_list_row_add a').first.click()
    select_many2one(page, '.o_field_widget[name=order_line] .o_selected_row', 'product_id', product)
    quantity_input = page.locator('.o_field_widget[name=order_line] .o_selected_row '
                                  '.o_field_widget[name=product_uom_qty]').first
    quantity_input.fill(str(quantity))


def test_quotation_from_a_lead_revision_and_fiscal_number(page, server, admin, lead):
    """A rep opens a quotation from a lead (the lead becomes an opportunity), revises it, and the
    confirmed order gets its fiscal number."""
    leads_action = xmlid(admin, 'crm.crm_lead_all_leads')
    open_record(page, server, 'crm.lead', lead['id'], leads_action)
    click_button(page, 'New Quotation')
    page.wait_for_selector('.o_form_view .o_field_widget[name=order_line]')
    add_order_line(page, 'Facade', 120)
    page.click('.o_form_button_save')
    wait_idle(page)
    converted = admin('crm.lead', 'read', [lead['id']], ['type', 'partner_id', 'order_ids'])[0]
    assert converted['type'] == 'opportunity' and converted['partner_id']
    assert len(converted['order_ids']) == 1
    order = admin('sale.order', 'read', converted['order_ids'], ['name', 'quote_number', 'opportunity_id'])[0]
    assert order['quote_number'].endswith('-1')
    screenshot(page, 'flow_quotation_from_lead', docs=False)
    # a new revision: -2, the first stays as a read-only record
    click_button(page, 'New Revision')
    orders = admin('sale.order', 'search_read', [('opportunity_id', '=', lead['id'])],
                   ['quote_number', 'is_latest_revision'], order='id')
    assert [(o['quote_number'][-2:], o['is_latest_revision']) for o in orders] == [('-1', False), ('-2', True)]
    page.locator('.o_form_view .oe_button_box button', has_text='Revisions').first.click()
    page.wait_for_selector('.o_list_view')
    wait_idle(page)
    assert page.locator('.o_list_view .o_data_row').count() == 2
    screenshot(page, 'flow_revision_list', docs=False)
    # confirm the latest revision: the order gets the next gapless fiscal number
    page.locator('.o_list_view .o_data_row', has_text=orders[1]['quote_number']).first.click()
    page.wait_for_selector('.o_form_view .o_form_sheet')
    wait_idle(page)
    click_button(page, 'Confirm Sale')
    confirmed = admin('sale.order', 'read', [orders[1]['id']], ['state', 'fiscal_number', 'name'])[0]
    assert confirmed['state'] == 'sale' and confirmed['fiscal_number']
    shown = page.locator('.o_form_view .o_field_widget[name=fiscal_number]').first.inner_text()
    assert shown.strip() == confirmed['fiscal_number']
    screenshot(page, 'order_fiscal_number')


def test_mark_lost_through_the_flow(page, server, admin, stages, opportunity):
    reason = admin('crm.lost.reason', 'search_read', [], ['name'], limit=1, order='sequence, id')[0]
    competitor = admin('res.partner', 'create', {'name': 'Glassline Systems %s' % opportunity['name'][-6:],
                                                 'is_company': True, 'is_competitor': True})
    open_form(page, server, opportunity['name'])
    page.locator('.o_form_statusbar button', has_text='Mark Lost').first.click()
    page.wait_for_selector('.modal .o_field_widget[name=lost_reason_id]')
    select_many2one(page, '.modal', 'lost_reason_id', reason['name'][:8], reason['name'])
    select_many2one(page, '.modal', 'competitor_id', 'Glassline', 'Glassline Systems %s' % opportunity['name'][-6:])
    page.locator('.modal .o_field_widget[name=competitor_price]').first.fill('199000')
    page.locator('.modal .o_field_widget[name=note]').first.fill('Their delivery was 6 weeks shorter.')
    screenshot(page, 'lost_wizard')
    page.locator('.modal-footer .btn-primary').first.click()
    page.wait_for_selector('.modal', state='detached')
    lost = admin('crm.lead', 'read', [opportunity['id']],
                 ['active', 'stage_id', 'lost_reason', 'lost_competitor_id', 'lost_competitor_price', 'lost_stage_id'],
                 context={'active_test': False})[0]
    assert lost['active'] is False
    assert lost['lost_reason'][0] == reason['id']
    assert lost['lost_competitor_id'][0] == competitor
    assert lost['lost_competitor_price'] == 199000.0
    assert lost['lost_stage_id'][0] == stages['potential']


def sheet_values(sheet):
    """The cells of an openpyxl sheet as displayed: the workbook's SUM formulas computed."""
    from openpyxl.utils import range_boundaries

    def value(cell):
        v = cell.value
        if isinstance(v, str) and v.startswith('=SUM(') and v.endswith(')'):
            total = 0.0
            for part in v[5:-1].split(','):
                min_col, min_row, max_col, max_row = range_boundaries(part)
                for row in sheet.iter_rows(min_row=min_row, max_row=max_row, min_col=min_col, max_col=max_col):
                    total += sum(value(c) or 0.0 for c in row if value(c) is not None)
            return total
        return v
    return [[value(cell) for cell in row] for row in sheet.iter_rows()]


def render_sheet(browser, sheet, name):
    """A PNG of a worksheet, rendered as an HTML table in Chromium (the way a spreadsheet shows it)."""
    import html
    rows = sheet_values(sheet)
    cells_of = list(sheet.iter_rows())
    rtl = bool(sheet.sheet_view.rightToLeft)
    body = []
    for r, row in enumerate(rows):
        cells = []
        for c, v in enumerate(row):
            cell = cells_of[r][c]
            style = []
            if cell.font is not None and cell.font.bold:
                style.append('font-weight: bold')
            fill = cell.fill.fgColor.rgb if cell.fill is not None and cell.fill.fill_type == 'solid' else None
            if isinstance(fill, str) and len(fill) == 8:
                style.append('background: #%s' % fill[2:])
            attrs = ' style="%s"' % '; '.join(style) if style else ''
            if isinstance(v, (int, float)):
                cells.append('<td class="n"%s>%s</td>' % (attrs, '{:,.0f}'.format(v)))
            else:
                cells.append('<td%s>%s</td>' % (attrs, html.escape(str(v or ''))))
        body.append('<tr><th>%d</th>%s</tr>' % (r + 1, ''.join(cells)))
    letters = ''.join('<th>%s</th>' % chr(65 + i) for i in range(max(len(row) for row in rows)))
    content = """<html dir="%s"><head><meta charset="utf-8"><style>
        body { font-family: 'DejaVu Sans', sans-serif; font-size: 13px; margin: 12px; }
        table { border-collapse: collapse; }
        td, th { border: 1px solid #d0d7de; padding: 3px 8px; white-space: nowrap; }
        th { background: #f0f2f5; color: #555; font-weight: normal; }
        td.n { text-align: right; direction: ltr; }
        caption { text-align: start; padding: 6px 0; color: #217346; font-weight: bold; }
        </style></head><body><table><caption>%s</caption><tr><th></th>%s</tr>%s</table></body></html>""" % (
        'rtl' if rtl else 'ltr', html.escape(sheet.title), letters, ''.join(body))
    page = browser.new_page(viewport={'width': 1200, 'height': 700})
    page.set_content(content)
    path = screenshot(page, name, full_page=True)
    page.close()
    return path


def open_workbook_wizard(page, server, admin):
    """CRM > Reporting > Forecast Workbook, by the menu (the same in every language)."""
    open_pipeline(page, server)
    page.locator('.o_sub_menu a[data-menu="%d"]' % xmlid(admin, 'impact_crm.crm_forecast_workbook_menu')).first.click()
    page.wait_for_selector('.modal .o_form_view')
    wait_idle(page)
    page.locator('.modal .modal-title').first.click()   # the first date field takes the focus: close its calendar
    page.wait_for_function("() => !Array.from(document.querySelectorAll('.bootstrap-datetimepicker-widget'))"
                           ".some(el => el.offsetParent !== null)")


def download_workbook(page):
    with page.expect_download() as download:
        page.locator('.modal-footer .btn-primary').first.click()
    assert download.value.suggested_filename.endswith('.xlsx')
    os.makedirs(SCRATCH, exist_ok=True)
    path = os.path.join(SCRATCH, 'forecast.xlsx')
    download.value.save_as(path)
    import openpyxl
    return openpyxl.load_workbook(path)


def test_forecast_workbook_in_hebrew_reads_right_to_left(hebrew_page, browser, server, admin):
    page = hebrew_page
    open_workbook_wizard(page, server, admin)
    assert page.evaluate("getComputedStyle(document.querySelector('.modal .o_form_view')).direction") == 'rtl'
    title = admin('ir.actions.act_window', 'read', [xmlid(admin, 'impact_crm.crm_forecast_workbook_action')],
                  ['name'], context={'lang': 'he_IL'})[0]['name']
    assert page.locator('.modal .modal-title').first.inner_text().strip() == title
    screenshot(page, 'workbook_wizard_hebrew')
    book = download_workbook(page)
    sheet = book.worksheets[0]
    assert sheet.sheet_view.rightToLeft
    assert sheet.cell(row=4, column=1).value == 'תקופה'   # "Period", in the user's language
    render_sheet(browser, sheet, 'workbook_summary_hebrew')


def test_forecast_workbook(page, browser, server, admin):
    """A manager downloads the forecast workbook from CRM > Reporting; it opens, and its figures are the
    forecast's."""
    open_workbook_wizard(page, server, admin)
    screenshot(page, 'workbook_wizard')
    book = download_workbook(page)
    assert len(book.sheetnames) >= 2
    summary = sheet_values(book.worksheets[0])
    # the figures are the forecast analysis' for the same period: its total row against a read_group. The
    # subtitle writes the period's dates as the manager's language writes dates (12/31/2027 in English)
    lang = admin('res.users', 'search_read', [('login', '=', 'admin')], ['lang'])[0]['lang'] or 'en_US'
    date_format = admin('res.lang', 'search_read', [('code', '=', lang)], ['date_format'])[0]['date_format']
    written = re.findall(r'\d{1,4}[./-]\d{1,2}[./-]\d{1,4}', summary[1][0])
    assert len(written) == 2, summary[1]
    period = [datetime.datetime.strptime(text, date_format).strftime('%Y-%m-%d') for text in written]
    assert period[0] < period[1], (summary[1], period)
    header = summary[3]
    total = [row for row in summary if row[0] == 'Total'][0]
    expected = admin('crm.forecast.report', 'read_group', [('date', '>=', period[0]), ('date', '<=', period[1]),
                                                           ('source', '=', 'opportunity')],
                     ['weighted_amount', 'amount'], [])[0]
    assert abs(total[header.index('Weighted: Total')] - expected['weighted_amount']) < 0.01
    assert abs(total[header.index('Unweighted: Total')] - expected['amount']) < 0.01
    render_sheet(browser, book.worksheets[0], 'workbook_summary')
    render_sheet(browser, book.worksheets[1], 'workbook_by_salesperson')


# ---------------------------------------------------------------------------------------------
# The demo company as its reps see it (the README's pictures): Yossi works in English, Noa in Hebrew
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def rep(browser, server, admin):
    """Log in as a sales rep of the demo data, in a language; the rep's language is restored after."""
    opened = []

    def log_in(user_login, lang):
        users = admin('res.users', 'search_read', [('login', '=', user_login)], ['lang'])
        if not users:
            pytest.skip('the demo data (users noa and yossi) is not loaded in this database')
        admin('res.users', 'write', [users[0]['id']], {'lang': lang})
        context = browser.new_context(viewport={'width': 1440, 'height': 900})
        opened.append((users[0]['id'], users[0]['lang'], context))
        context.route('**/longpolling/**', lambda route: route.abort())
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        login(page, server, user_login, user_login)
        return users[0]['id'], page
    yield log_in
    for user_id, lang, context in opened:
        context.close()
        admin('res.users', 'write', [user_id], {'lang': lang})


def assert_rep_pipeline(page, admin, user_id):
    """The kanban shows the rep's open and won deals, each in its stage's column."""
    deals = admin('crm.lead', 'search_read', [('user_id', '=', user_id), ('type', '=', 'opportunity')],
                  ['name', 'stage_id'])
    assert deals
    for deal in deals:
        column_cards = column(page, deal['stage_id'][0]).locator('.o_kanban_record', has_text=deal['name'])
        folded = 'o_column_folded' in (column(page, deal['stage_id'][0]).get_attribute('class') or '')
        assert folded or column_cards.count() == 1, deal['name']


def test_demo_pipeline_and_opportunity_of_a_rep(rep, admin, server):
    user_id, page = rep('yossi', 'en_US')
    open_pipeline(page, server)
    assert_rep_pipeline(page, admin, user_id)
    screenshot(page, 'pipeline')
    deal = admin('ir.model.data', 'xmlid_to_res_id', 'impact_crm.lead_ayalon_offices', True)
    name = admin('crm.lead', 'read', [deal], ['name'])[0]['name']
    card(page, name).first.click()
    page.wait_for_selector('.o_form_view .o_form_sheet')
    wait_idle(page)
    page.locator('.o_form_view .o_notebook a', has_text='People').first.click()
    people = admin('crm.lead.contact', 'search_count', [('lead_id', '=', deal)])
    assert page.locator('.o_form_view .o_notebook .tab-pane.active .o_data_row').count() == people
    page.set_viewport_size({'width': 1440, 'height': 1300})   # the whole form, with its people
    screenshot(page, 'opportunity_form')
    page.set_viewport_size({'width': 1440, 'height': 900})
    # its quotation, in three revisions: the list shows them all, the earlier ones greyed
    page.locator('.o_form_view .oe_button_box button', has_text='Quotation').first.click()
    page.wait_for_selector('.o_list_view .o_data_row')
    wait_idle(page)
    revisions = admin('sale.order', 'search_count', [('opportunity_id', '=', deal)])
    assert page.locator('.o_list_view .o_data_row').count() == revisions == 3
    screenshot(page, 'revision_list')


def test_demo_pipeline_in_hebrew(rep, admin, server):
    user_id, page = rep('noa', 'he_IL')
    open_pipeline(page, server)
    assert page.get_attribute('html', 'dir') == 'rtl'
    assert_rep_pipeline(page, admin, user_id)
    screenshot(page, 'pipeline_hebrew')
    deal = admin('ir.model.data', 'xmlid_to_res_id', 'impact_crm.lead_tower_b_haifa', True)
    name = admin('crm.lead', 'read', [deal], ['name'])[0]['name']
    card(page, name).first.click()
    page.wait_for_selector('.o_form_view .o_form_sheet')
    wait_idle(page)
    page.locator('.o_form_view .o_notebook a[data-toggle=tab]').nth(1).click()
    page.set_viewport_size({'width': 1440, 'height': 1300})
    screenshot(page, 'opportunity_form_hebrew')
