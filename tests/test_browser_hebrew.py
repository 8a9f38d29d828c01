"""The add-on's screens as a Hebrew-speaking rep meets them, in a real headless Chromium: every word is
Hebrew (names, codes, numbers and units aside), the pipeline shows its stage groups as bands in both
directions, losing by drag opens the lost dialog, the People tab lists people, and the right-to-left
layout keeps amounts, percentages and phone numbers readable.

Screenshots go to .local/screenshots/ (and, with IMPACT_SCREENSHOTS=1, to docs/screenshots/).
"""
import re
import uuid

import pytest
from test_browser_flows import (  # noqa: F401 (fixtures)
    card, column, hebrew_page, open_pipeline, page, rep, screenshot, stages, user_lang, wait_idle, web_context,
    xmlid)

# Words a Hebrew screen may show in Latin letters: product and app names, currency codes, and
# Odoo's short number suffix (1,250k). Everything else in English is a missing translation.
ALLOWED = {'CRM', 'Odoo', 'USD', 'ILS', 'EUR', 'k'}
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
        ('sale.order', ['name', 'quote_number', 'client_order_ref'], {}),
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
    return sorted(texts, key=len, reverse=True)


def english_words(page, data_texts):
    """{English word: the visible text it is in} on the page, names and allowed words aside."""
    found = {}
    for text, element in page.evaluate(VISIBLE_TEXTS):
        rest = URL_OR_EMAIL.sub(' ', text)
        for data in data_texts:
            if data in rest:
                rest = rest.replace(data, ' ')
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
        return '\n'.join('  %s -> %s' % (where, ', '.join(sorted(words))) for where, words in sorted(self.found.items()))


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
    page.locator('.o_searchview_input').first.type('Tow')
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
