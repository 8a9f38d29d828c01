"""The add-on's screens as a Hebrew-speaking rep meets them, in a real headless Chromium: every word is
Hebrew (names, codes, numbers and units aside), the pipeline shows its stage groups as bands in both
directions, losing by drag opens the lost dialog, the People tab lists people, and the right-to-left
layout keeps amounts, percentages and phone numbers readable.

Screenshots go to .local/screenshots/ (and, with IMPACT_SCREENSHOTS=1, to docs/screenshots/).
"""
import re
import uuid

import pytest
import test_browser_flows
from test_browser_flows import card, column, open_pipeline, screenshot, wait_idle, xmlid

# the browser flows' fixtures (their logged-in browser context, English and Hebrew pages, demo reps, stages)
for _fixture in ('web_context', 'user_lang', 'page', 'hebrew_page', 'rep', 'stages', 'opportunity'):
    globals()[_fixture] = getattr(test_browser_flows, _fixture)

# Words a Hebrew screen may show in Latin letters: product and app names, currency codes, Odoo's short
# number suffix (1,250k), and the "NaN" font size of Odoo's text editor with nothing selected (in every
# language). Everything else in English is a missing translation.
ALLOWED = {'CRM', 'Odoo', 'USD', 'ILS', 'EUR', 'k', 'NaN'}
TYPED = 'Tow'   # what the walk types into the search box
ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
URL_OR_EMAIL = re.compile(r"\S+@\S+|(?:https?://)?(?:[\w-]+\.)+[a-z]{2,}\S*")

VISIBLE_TEXTS = """() => {
    // the text the user sees: visible text nodes, placeholders and button titles; the chatter's
    // messages are left out (they are the record's history, written in the language of their author)
    const out = [];
    const where = el => {
        const path = [];
        for (let e = el; e && e !== document.body && path.length < 3; e = e.parentElement) {
            path.unshift(e.tagName.toLowerCase() + (e.classList.length ? '.' + Array.from(e.classList).join('.') : ''));
        }
        return path.join(' > ');
    };
    const visible = el => {
        if (!el || el.closest('script, style, .o_thread_message[data-message-id]')) { return false; }
        const rect = el.getBoundingClientRect();
        if (!rect.width || !rect.height) { return false; }
        const style = getComputedStyle(el);
        return style.visibility !== 'hidden' && style.display !== 'none' && parseFloat(style.opacity) !== 0;
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
        if (node.textContent.trim() && visible(node.parentElement)) {
            out.push([node.textContent.trim(), where(node.parentElement)]);
        }
    }
    document.querySelectorAll('input[placeholder], textarea[placeholder]').forEach(el => {
        if (visible(el) && el.placeholder.trim()) { out.push([el.placeholder.trim(), where(el)]); }
    });
    return out;
}"""


@pytest.fixture(scope='module')
def data_texts(admin):
    """The texts of the records the screens show (deal, company, people and user names, e-mails,
    activity summaries ...): names, not words to translate. Longest first, to be cut out whole."""
    texts = set()
    reads = [
        ('crm.lead', ['name', 'partner_name', 'contact_name', 'email_from', 'phone', 'mobile', 'next_step',
                      'street', 'city', 'function', 'website', 'description'],
         {'active_test': False}),
        ('res.partner', ['name', 'display_name', 'email', 'phone', 'mobile', 'street', 'city', 'function',
                         'website', 'ref', 'comment'], {'active_test': False}),
        ('res.users', ['name', 'login'], {'active_test': False}),
        ('res.company', ['name', 'email', 'phone', 'website'], {}),
        ('crm.team', ['name'], {'lang': 'he_IL'}),
        ('crm.lead.tag', ['name'], {'lang': 'he_IL'}),
        ('crm.region', ['name'], {'lang': 'he_IL'}),
        ('mail.activity', ['summary', 'note'], {}),
        ('crm.activity.log', ['summary'], {}),
        ('sale.order', ['name', 'quote_number', 'client_order_ref'], {}),
        ('sale.order.line', ['name'], {}),
        ('crm.lead.instalment', ['name'], {}),
        ('res.country.state', ['name', 'code'], {}),
        ('product.product', ['name', 'default_code', 'display_name'], {'lang': 'he_IL'}),
        ('utm.source', ['name'], {}), ('utm.medium', ['name'], {}), ('utm.campaign', ['name'], {}),
    ]
    for model, fnames, context in reads:
        fields = admin(model, 'fields_get', [], attributes=['type'])
        fnames = [f for f in set(fnames) if f in fields]
        for row in admin(model, 'search_read', [], fnames, context=context):
            for fname in fnames:
                value = row[fname]
                if isinstance(value, str) and value.strip():
                    texts.update(part.strip() for part in value.splitlines() if part.strip())
    texts.add(TYPED)
    return sorted(texts, key=len, reverse=True)


def english_words(page, data_texts):
    """{English word: the visible text it is in} on the page, names and allowed words aside."""
    found = {}
    for text, element in page.evaluate(VISIBLE_TEXTS):
        rest = URL_OR_EMAIL.sub(' ', text)
        for data in data_texts:
            if data in rest:   # a whole name, not the letters of a word ("O" in "Odoo")
                rest = re.sub(r'(?<![A-Za-z])%s(?![A-Za-z])' % re.escape(data), ' ', rest)
        for word in ENGLISH_WORD.findall(rest):
            if word not in ALLOWED:
                found.setdefault(word, '%s (in %s)' % (text[:80], element))
    return found


class Walk(object):
    """Collects the English words met on each screen of a walk through the flows."""

    def __init__(self, page, data_texts):
        self.page = page
        self.data_texts = data_texts
        self.found = {}

    def check(self, screen):
        wait_idle(self.page)
        for word, text in english_words(self.page, self.data_texts).items():
            self.found.setdefault('%s: %s' % (screen, text), set()).add(word)

    def report(self):
        return '\n'.join('  %s -> %s' % (where, ', '.join(sorted(words)))
                         for where, words in sorted(self.found.items()))


def open_dropdown(page, selector):
    page.locator(selector).first.click()
    page.wait_for_timeout(200)


def close_dialog(page):
    page.locator('.modal-footer .btn:not(.btn-primary)').last.click()
    page.wait_for_selector('.modal', state='detached')
    wait_idle(page)


def test_every_word_is_hebrew_on_the_main_flows(rep, admin, server, data_texts):
    """Noa works in Hebrew: the pipeline and its controls, the list, pivot and graph, a deal's form
    with its tabs, chatter and dialogs (schedule an activity, mark lost, add a person) show no English
    word that is not a name, code, number or unit."""
    user_id, page = rep('noa', 'he_IL')
    page.set_default_timeout(15000)
    walk = Walk(page, data_texts)
    open_pipeline(page, server)
    walk.check('pipeline')
    page.locator('.o_searchview_more').first.click()
    for index in range(page.locator('.o_search_options .o_dropdown').count()):
        page.locator('.o_search_options .o_dropdown > button').nth(index).click()
        walk.check('search options %d' % index)
        page.keyboard.press('Escape')
    page.locator('.o_searchview_input').first.type(TYPED)
    walk.check('search autocompletion')
    page.locator('.o_searchview_input').first.fill('')
    page.keyboard.press('Escape')
    for view in ('list', 'pivot', 'graph'):
        page.locator('.o_cp_switch_buttons .o_cp_switch_%s' % view).first.click()
        page.wait_for_selector('.o_content .%s' % {'list': 'o_list_view', 'pivot': 'o_pivot', 'graph': 'o_graph'}[view])
        walk.check(view)
        if view == 'list':
            page.locator('.o_list_view .o_data_row .o_list_record_selector input').first.check(force=True)
            page.locator('.o_cp_sidebar .o_dropdown_toggler_btn').last.click()
            walk.check('list action menu')
            page.keyboard.press('Escape')
        else:
            page.locator('.o_cp_buttons .dropdown-toggle').first.click()
            walk.check('%s measures' % view)
            page.keyboard.press('Escape')
    page.locator('.o_cp_switch_buttons .o_cp_switch_kanban').first.click()
    page.wait_for_selector('.o_kanban_view .o_kanban_record')
    deal = xmlid(admin, 'impact_crm.lead_tower_b_haifa')
    name = admin('crm.lead', 'read', [deal], ['name'])[0]['name']
    card(page, name).first.click()
    page.wait_for_selector('.o_form_view .o_form_sheet')
    walk.check('deal form')
    tabs = page.locator('.o_form_view .o_notebook a[data-toggle=tab]:visible')
    for index in range(tabs.count()):
        tabs.nth(index).click()
        walk.check('deal form tab %d' % index)
    for button in ('o_chatter_button_new_message', 'o_chatter_button_log_note'):
        page.locator('.%s' % button).first.click()
        walk.check(button)
    page.locator('.o_chatter_button_schedule_activity').first.click()
    page.wait_for_selector('.modal .o_form_view')
    walk.check('schedule activity dialog')
    close_dialog(page)
    page.locator('.o_form_statusbar button:visible', has_text='סימון כהפסד').first.click()   # Mark Lost
    page.wait_for_selector('.modal .o_form_view')
    walk.check('lost dialog')
    close_dialog(page)
    page.locator('.o_form_button_edit').first.click()
    walk.check('deal form, editing')
    page.locator('.o_form_view .o_notebook a[data-toggle=tab]', has_text='אנשים').first.click()   # People
    page.locator('.o_form_view .tab-pane.active .o_field_x2many_list_row_add a').first.click()
    page.wait_for_selector('.modal .o_form_view')
    walk.check('add a person dialog')
    close_dialog(page)
    page.locator('.o_form_button_cancel').first.click()
    wait_idle(page)
    page.locator('.o_form_view .oe_button_box button:visible', has_text='הצעות מחיר').first.click()   # Quotations
    page.wait_for_selector('.o_list_view')
    walk.check('quotations of the deal')
    page.locator('.o_list_view .o_data_row').first.click()
    page.wait_for_selector('.o_form_view .o_form_sheet')
    walk.check('quotation form')
    assert not walk.found, 'English words on the Hebrew screens (translate them in impact_crm/i18n_odoo/he.po ' \
        'or impact_crm/i18n/he.po):\n' + walk.report()


# ---------------------------------------------------------------------------------------------
# The pipeline's stage groups, in both directions
# ---------------------------------------------------------------------------------------------
def band(page, group_id):
    return page.locator('.o_impact_band[data-band-id="%d"]' % group_id)


def amount(text):
    """The number of an amount as shown ("$ 1,250,000" -> 1250000.0)."""
    return float(re.sub(r'[^0-9.\-]', '', text.replace(',', '')) or 0)


def my_pipeline_totals(admin, group_id):
    """What the pipeline's default filter (My Pipeline: my opportunities) sums up in a stage group."""
    rows = admin('crm.lead', 'read_group', [('type', '=', 'opportunity'), ('user_id', '=', admin.uid),
                                            ('stage_id.group_id', '=', group_id)],
                 ['planned_revenue', 'weighted_revenue'], [])
    return rows[0]['planned_revenue'] or 0.0, rows[0]['weighted_revenue'] or 0.0


def check_bands(page, admin, stages):
    groups = dict((stage['id'], stage['group_id'][0]) for stage in admin(
        'crm.stage', 'read', list(stages.values()), ['group_id']))
    for stage_id, group_id in groups.items():
        assert band(page, group_id).locator('.o_kanban_group[data-id="%d"]' % stage_id).count() == 1
    open_group = groups[stages['potential']]
    expected, weighted = my_pipeline_totals(admin, open_group)
    header = band(page, open_group).locator('.o_impact_band_header')
    assert amount(header.locator('.o_impact_band_expected').inner_text()) == round(expected)
    assert amount(header.locator('.o_impact_band_weighted').inner_text()) == round(weighted)
    return groups


def test_pipeline_shows_its_stage_groups_left_to_right(page, server, admin, stages, opportunity):
    open_pipeline(page, server)
    groups = check_bands(page, admin, stages)
    open_group, execution = groups[stages['potential']], groups[stages['won']]
    names = admin('crm.stage.group', 'read', [open_group], ['name'])[0]['name']
    assert band(page, open_group).locator('.o_impact_band_name').inner_text().strip() == names
    # left to right: the Open band, then Execution to its right; the band spans its columns
    open_box, execution_box = band(page, open_group).bounding_box(), band(page, execution).bounding_box()
    assert open_box['x'] + open_box['width'] <= execution_box['x'] + 1
    first = column(page, stages['potential']).bounding_box()
    assert open_box['x'] <= first['x'] and first['x'] + first['width'] <= open_box['x'] + open_box['width']
    screenshot(page, 'pipeline_bands')
    # a move updates the totals of both groups
    before = amount(band(page, execution).locator('.o_impact_band_expected').inner_text())
    drag_to(page, opportunity['name'], stages['won'], saved=True)
    page.wait_for_function("""([selector, before]) => {
        const el = document.querySelector(selector);
        return el && parseFloat(el.textContent.replace(/[^0-9.]/g, '')) !== before; }""",
                           arg=['.o_impact_band[data-band-id="%d"] .o_impact_band_expected' % execution, before])
    expected, _weighted = my_pipeline_totals(admin, execution)
    assert amount(band(page, execution).locator('.o_impact_band_expected').inner_text()) == round(expected)


def test_folding_a_group_folds_its_stages(page, server, admin, stages):
    open_pipeline(page, server)
    group = admin('crm.stage', 'read', [stages['won']], ['group_id'])[0]['group_id'][0]
    columns = band(page, group).locator('.o_kanban_group')
    count = columns.count()
    assert count >= 2 and band(page, group).locator('.o_kanban_group.o_column_folded').count() < count
    band(page, group).locator('.o_impact_band_header').click()
    page.wait_for_function("([selector, n]) => document.querySelectorAll(selector).length === n",
                           arg=['.o_impact_band[data-band-id="%d"] .o_kanban_group.o_column_folded' % group, count])
    assert 'o_impact_band_folded' in band(page, group).get_attribute('class')
    screenshot(page, 'pipeline_band_folded', docs=False)
    band(page, group).locator('.o_impact_band_header').click()
    page.wait_for_function("selector => !document.querySelector(selector)",
                           arg='.o_impact_band[data-band-id="%d"] .o_kanban_group.o_column_folded' % group)
    assert 'o_impact_band_folded' not in band(page, group).get_attribute('class')


def test_pipeline_shows_its_stage_groups_right_to_left(hebrew_page, server, admin, stages):
    page = hebrew_page
    open_pipeline(page, server)
    groups = check_bands(page, admin, stages)
    open_box = band(page, groups[stages['potential']]).bounding_box()
    execution_box = band(page, groups[stages['won']]).bounding_box()
    assert execution_box['x'] + execution_box['width'] <= open_box['x'] + 1   # Open is on the right
    # the totals read left to right inside the Hebrew header: "$ 1,234" with the symbol on the left
    assert_reads_in_order(page, '.o_impact_band[data-band-id="%d"] .o_impact_band_expected'
                          % groups[stages['potential']], '$', '0')
    label = band(page, groups[stages['potential']]).locator('.o_impact_band_label').first.inner_text()
    assert label.strip() == 'צפוי'   # "Expected"
    screenshot(page, 'pipeline_bands_hebrew')


# ---------------------------------------------------------------------------------------------
# Losing by drag
# ---------------------------------------------------------------------------------------------
def drag_to(page, name, stage_id, saved=False):
    """Drag a card into a stage's column with real mouse moves (jQuery UI sortable); with saved, wait
    for the web client to save the move."""
    # wide enough for the card and the target column to be on the screen together
    page.set_viewport_size({'width': 2400, 'height': 900})
    wait_idle(page)
    source = card(page, name).first
    target = column(page, stage_id)
    box = source.bounding_box()
    tbox = target.bounding_box()
    assert box['x'] >= 0 and tbox['x'] + tbox['width'] <= 2400, (box, tbox)
    x0, y0 = box['x'] + box['width'] / 2, box['y'] + min(box['height'] / 2, 20)
    x1, y1 = tbox['x'] + tbox['width'] / 2, tbox['y'] + 80

    def move():
        page.mouse.move(x0, y0)
        page.mouse.down()
        page.mouse.move(x0 + 5, y0 + 5, steps=5)
        page.mouse.move(x1, y1, steps=25)
        page.mouse.move(x1, y1 + 10, steps=5)
        page.mouse.up()
    if saved:
        with page.expect_response(lambda response: '/web/dataset/call_kw/crm.lead/write' in response.url):
            move()
    else:
        move()
    page.set_viewport_size({'width': 1440, 'height': 900})


def test_losing_by_drag_opens_the_lost_dialog_and_cancel_puts_the_card_back(
        page, server, admin, stages, opportunity):
    open_pipeline(page, server)
    drag_to(page, opportunity['name'], stages['lost'])
    page.wait_for_selector('.modal .o_field_widget[name=lost_reason_id]')
    assert page.locator('.modal .o_field_widget[name=competitor_id]').count() == 1
    assert page.locator('.modal .o_field_widget[name=note]').count() == 1
    screenshot(page, 'lost_dialog_on_drag')
    page.locator('.modal-footer .btn:not(.btn-primary)').last.click()   # Cancel
    page.wait_for_selector('.modal', state='detached')
    column(page, stages['potential']).locator('.o_kanban_record', has_text=opportunity['name']).wait_for()
    lead = admin('crm.lead', 'read', [opportunity['id']], ['stage_id', 'active', 'lost_reason'])[0]
    assert (lead['stage_id'][0], lead['active'], lead['lost_reason']) == (stages['potential'], True, False)


def test_losing_by_drag_with_a_reason_loses_the_deal(page, server, admin, stages, opportunity):
    reason = admin('crm.lost.reason', 'search_read', [], ['name'], limit=1, order='sequence, id')[0]
    open_pipeline(page, server)
    drag_to(page, opportunity['name'], stages['lost'])
    page.wait_for_selector('.modal .o_field_widget[name=lost_reason_id]')
    field = page.locator('.modal .o_field_widget[name=lost_reason_id] input').first
    field.click()
    field.fill(reason['name'][:8])
    page.wait_for_timeout(500)
    page.locator('.ui-autocomplete:visible li a', has_text=reason['name']).first.click()
    page.locator('.modal .o_field_widget[name=note]').first.fill('Dragged to Lost')
    page.locator('.modal-footer .btn-primary').first.click()
    page.wait_for_selector('.modal', state='detached')
    card(page, opportunity['name']).first.wait_for(state='detached')   # reloaded: a lost deal is archived
    lead = admin('crm.lead', 'read', [opportunity['id']],
                 ['active', 'lost_reason', 'lost_stage_id', 'lost_note', 'stage_id'], context={'active_test': False})[0]
    assert lead['active'] is False and lead['lost_reason'][0] == reason['id']
    assert lead['lost_stage_id'][0] == stages['potential'] and lead['stage_id'][0] == stages['lost']
    assert lead['lost_note'] == 'Dragged to Lost'


# ---------------------------------------------------------------------------------------------
# The People tab
# ---------------------------------------------------------------------------------------------
def test_people_tab_lists_people_and_adds_a_new_one_in_a_dialog(page, server, admin, opportunity):
    role = admin('crm.lead.role', 'search_read', [], ['name'], limit=1)[0]
    suffix = opportunity['name'][-6:]
    page.goto(server + '/web#id=%d&model=crm.lead&view_type=form&action=%d' % (
        opportunity['id'], xmlid(admin, 'crm.crm_lead_opportunities')))
    page.wait_for_selector('.o_form_view .o_form_sheet')
    wait_idle(page)
    page.locator('.o_form_view .o_notebook a[data-toggle=tab]', has_text='People').first.click()
    people = page.locator('.o_form_view .o_field_widget[name=contact_ids]')
    headers = [h.strip() for h in people.locator('thead th').all_inner_texts() if h.strip()]
    assert headers == ['Contact', 'Company', 'Roles', 'Primary Contact', 'Email', 'Phone'], headers
    page.click('.o_form_button_edit')
    people.locator('.o_field_x2many_list_row_add a').first.click()
    dialog = page.locator('.modal')
    dialog.locator('.o_field_widget[name=new_name]').wait_for()
    dialog.locator('.o_field_widget[name=new_name]').fill('Yael Golan %s' % suffix)
    dialog.locator('.o_field_widget[name=new_company_name]').fill('Golan Engineering %s' % suffix)
    dialog.locator('.o_field_widget[name=new_email]').fill('yael.%s@golan.example' % suffix)
    dialog.locator('.o_field_widget[name=new_phone]').fill('+972 3 555 0177')
    tags = dialog.locator('.o_field_widget[name=role_ids] input').first
    tags.click()
    tags.fill(role['name'][:4])
    page.wait_for_timeout(500)
    page.locator('.ui-autocomplete:visible li a', has_text=role['name']).first.click()
    screenshot(page, 'people_add_dialog')
    dialog.locator('.modal-footer .btn-primary').first.click()
    page.wait_for_selector('.modal', state='detached')
    page.click('.o_form_button_save')
    wait_idle(page)
    contact = admin('crm.lead.contact', 'search_read', [('lead_id', '=', opportunity['id'])],
                    ['partner_id', 'partner_company_id', 'email', 'phone', 'role_ids'])
    assert len(contact) == 1
    contact = contact[0]
    assert contact['partner_id'][1].endswith('Yael Golan %s' % suffix)
    assert contact['partner_company_id'][1] == 'Golan Engineering %s' % suffix
    assert (contact['email'], contact['phone'], contact['role_ids']) == (
        'yael.%s@golan.example' % suffix, '+972 3 555 0177', [role['id']])
    row = people.locator('.o_data_row').first
    assert 'Yael Golan %s' % suffix in row.inner_text()
    admin('crm.lead.contact', 'unlink', [contact['id']])


# ---------------------------------------------------------------------------------------------
# Right to left without glitches
# ---------------------------------------------------------------------------------------------
TEXT_X = """(root, [first, last]) => {
    // the left edge of two pieces of an element's text, as laid out on the screen
    const x = piece => {
        const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
        let node;
        while ((node = walker.nextNode())) {
            const at = node.textContent.indexOf(piece);
            if (at >= 0) {
                const range = document.createRange();
                range.setStart(node, at);
                range.setEnd(node, at + piece.length);
                return range.getBoundingClientRect().left;
            }
        }
        return null;
    };
    return [x(first), x(last)];
}"""


def assert_reads_in_order(page, selector, left, right):
    """``left`` is shown to the left of ``right`` inside the element."""
    element = page.locator(selector).first
    element.wait_for()
    xs = element.evaluate(TEXT_X, [left, right])
    assert xs and None not in xs, (selector, left, right, xs)
    assert xs[0] < xs[1], '%r should be left of %r in %s (x: %s)' % (left, right, selector, xs)


@pytest.fixture
def rtl_deal(admin, stages):
    """A deal of the admin at $ 1,250,000.00 and 20 %, whose customer's phone is +972 4 555 0100."""
    suffix = uuid.uuid4().hex[:6]
    partner = admin('res.partner', 'create', {
        'name': 'Dana Levi %s' % suffix, 'phone': '+972 4 555 0100', 'email': 'dana.%s@carmel.example' % suffix})
    lead_id = admin('crm.lead', 'create', {
        'name': 'RTL tower %s' % suffix, 'type': 'opportunity', 'partner_id': partner, 'user_id': admin.uid,
        'planned_revenue': 1250000, 'probability': 20, 'phone': '+972 4 555 0100', 'stage_id': stages['quote']})
    admin('crm.lead.contact', 'create', {'lead_id': lead_id, 'partner_id': partner})
    yield {'id': lead_id, 'name': 'RTL tower %s' % suffix}
    admin('crm.lead', 'write', [lead_id], {'active': False})


def test_right_to_left_keeps_numbers_readable(hebrew_page, server, admin, stages, rtl_deal):
    page = hebrew_page
    open_pipeline(page, server)
    # the kanban card: the amount keeps its symbol on the left of its digits
    card_selector = '.o_kanban_group[data-id="%d"] .o_kanban_record:has-text("%s") .o_kanban_record_subtitle' % (
        stages['quote'], rtl_deal['name'])
    assert_reads_in_order(page, card_selector, '$', '1,250,000.00')
    card(page, rtl_deal['name']).first.click()
    page.wait_for_selector('.o_form_view .o_form_sheet')
    wait_idle(page)
    # the title: "$ 1,250,000.00 at 20 %" reads right to left as amount, "at", probability; the
    # probability reads "20 %" (it showed "% 20"), the amount "$ 1,250,000.00"
    title = '.o_form_view .oe_title h2'
    assert_reads_in_order(page, title, '20', '%')
    assert_reads_in_order(page, title, '$', '1,250,000.00')
    assert_reads_in_order(page, title, 'בסיכוי', '1,250,000.00')   # "at" on the left of the amount
    assert_reads_in_order(page, title, '20', 'בסיכוי')
    # phone numbers keep their groups in order (they showed "0100 555 4 +972")
    assert_reads_in_order(page, '.o_form_view .o_field_widget[name=phone]', '+972', '0100')
    page.locator('.o_form_view .o_notebook a[data-toggle=tab]', has_text='אנשים').first.click()   # People
    assert_reads_in_order(page, '.o_field_widget[name=contact_ids] .o_data_row .o_field_phone', '+972', '0100')
    screenshot(page, 'opportunity_form_rtl', docs=False)
    # a dialog: its buttons start from the right, in reading order; the close button on the left
    page.locator('.o_form_statusbar button:visible', has_text='סימון כהפסד').first.click()   # Mark Lost
    page.wait_for_selector('.modal .o_field_widget[name=lost_reason_id]')
    primary = page.locator('.modal-footer .btn-primary').first.bounding_box()
    cancel = page.locator('.modal-footer .btn:not(.btn-primary)').last.bounding_box()
    footer = page.locator('.modal-footer').first.bounding_box()
    assert primary['x'] > cancel['x'] and primary['x'] + primary['width'] > footer['x'] + footer['width'] / 2
    close = page.locator('.modal-header .close').first.bounding_box()
    header = page.locator('.modal-header').first.bounding_box()
    assert close['x'] + close['width'] < header['x'] + header['width'] / 2
    screenshot(page, 'lost_dialog_hebrew')
    page.locator('.modal-footer .btn:not(.btn-primary)').last.click()
    page.wait_for_selector('.modal', state='detached')
    # the list: amounts and phone numbers read left to right, aligned like the Hebrew text
    page.goto(server + '/web#model=crm.lead&view_type=list&action=%d' % xmlid(admin, 'crm.crm_lead_opportunities'))
    page.wait_for_selector('.o_list_view .o_data_row')
    wait_idle(page)
    row = '.o_list_view .o_data_row:has-text("%s")' % rtl_deal['name']
    assert_reads_in_order(page, row + ' td.o_list_number', '1,250,000', '.00')
    screenshot(page, 'pipeline_list_hebrew', docs=False)
