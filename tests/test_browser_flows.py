"""The product as a sales team meets it, in a real headless Chromium against the server 'make run' starts:
log in, work the pipeline kanban, and read it in Hebrew, right to left.

Screenshots go to .local/screenshots/; with IMPACT_SCREENSHOTS=1 they also replace the ones of
docs/screenshots/ that the README shows (so that routine test runs leave the tree clean).
"""
import functools
import os
import shutil
import uuid

import pytest
from conftest import RPC

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, 'docs', 'screenshots')
SCRATCH = os.path.join(ROOT, '.local', 'screenshots')
TIMEOUT = 60000


def screenshot(page, name, **kwargs):
    """Save a PNG of the page as .local/screenshots/<name>.png, and as docs/screenshots/<name>.png
    when IMPACT_SCREENSHOTS=1. Returns the path of the fresh PNG."""
    wait_idle(page)
    os.makedirs(SCRATCH, exist_ok=True)
    path = os.path.join(SCRATCH, name + '.png')
    page.screenshot(path=path, **kwargs)
    if os.environ.get('IMPACT_SCREENSHOTS') == '1':
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
    """Mark Odoo's onboarding tours done for the user, so that their tips do not cover the screenshots."""
    consumed = page.evaluate("""() => {
        const services = odoo.__DEBUG__.services;
        const names = Object.keys(services['web_tour.tour'].tours);
        return services['web.rpc'].query({model: 'web_tour.tour', method: 'consume', args: [names]})
            .then(() => names.length);
    }""")
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
    screenshot(page, 'pipeline')


def test_opportunity_form(page, server, admin, opportunity):
    open_form(page, server, opportunity['name'])
    assert opportunity['name'] in page.inner_text('.o_form_view .oe_title')
    # impact_crm's field in Odoo's form
    assert page.locator('.o_form_view .o_field_widget[name=stage_group_id]').count() == 1
    screenshot(page, 'opportunity_form')


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
    screenshot(page, 'pipeline_hebrew')


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
    screenshot(page, 'opportunity_form_hebrew')


def test_english_reads_left_to_right(page, server, stages):
    open_pipeline(page, server)
    assert page.get_attribute('html', 'dir') != 'rtl'
    assert 'o_rtl' not in page.get_attribute('body', 'class').split()
    assert column(page, stages['potential']).bounding_box()['x'] < column(page, stages['quote']).bounding_box()['x']
