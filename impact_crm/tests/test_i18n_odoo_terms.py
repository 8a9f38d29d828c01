"""Hebrew for Odoo's own strings on the add-on's screens (impact_crm/i18n_odoo/he.po): loaded with the
add-on, and kept when Odoo's translations are loaded again (as Settings > Translations does)."""
import os
import re

import polib

from odoo.modules.module import get_module_path
from odoo.tests.common import SavepointCase

HEBREW = re.compile(u'[\u0590-\u05ff]')
PLACEHOLDER = re.compile(r'%%|%(?:\([^)]+\))?[sdfr]')
TAG = re.compile(r'<(/?[a-zA-Z][a-zA-Z0-9]*)')


class TestOdooTermsInHebrew(SavepointCase):

    @classmethod
    def setUpClass(cls):
        super(TestOdooTermsInHebrew, cls).setUpClass()
        cls.po = polib.pofile(os.path.join(get_module_path('impact_crm'), 'i18n_odoo', 'he.po'))
        if not cls.env['res.lang'].search([('code', '=', 'he_IL')]):
            cls.env['res.lang'].load_lang('he_IL')

    def _mark_lost_in_hebrew(self):
        # the crm form's "Mark Lost" button, as the web client gets it for a Hebrew user
        view = self.env.ref('crm.crm_case_form_view_oppor').with_context(lang='he_IL')
        return view.arch_db

    def test_file_is_complete_and_hebrew(self):
        bad = []
        for entry in self.po:
            if not entry.occurrences:
                bad.append((entry.msgid, 'no reference to where Odoo uses it'))
            if not HEBREW.search(entry.msgstr):
                bad.append((entry.msgid, 'not Hebrew'))
            if sorted(PLACEHOLDER.findall(entry.msgid)) != sorted(PLACEHOLDER.findall(entry.msgstr)):
                bad.append((entry.msgid, 'placeholders differ'))
            if sorted(TAG.findall(entry.msgid)) != sorted(TAG.findall(entry.msgstr)):
                bad.append((entry.msgid, 'HTML tags differ'))
        self.assertGreater(len(self.po), 20)
        self.assertFalse(bad, bad)

    def test_loaded_for_views_fields_and_code(self):
        self.assertIn(u'סימון כהפסד', self._mark_lost_in_hebrew())            # view: "Mark Lost"
        field = self.env['ir.model.fields'].with_context(lang='he_IL').search(
            [('model', '=', 'crm.lead'), ('name', '=', 'team_id')])
        self.assertEqual(field.field_description, u'ערוץ מכירות')              # field: "Sales Channel"
        web = self.env['ir.translation'].search([('lang', '=', 'he_IL'), ('src', '=', 'Schedule activity'),
                                                 ('comments', 'like', 'openerp-web')])
        self.assertEqual(set(web.mapped('value')), {u'תזמון פעילות'})          # web client: chatter button

    def test_reloading_odoo_translations_with_overwrite_keeps_them(self):
        # Odoo's crm file has "Mark Lost" with an empty translation and "Expected Revenue" with another
        # word: reloaded with overwrite (Settings > Translations > Load a Translation), then ours again
        self.env['ir.translation'].with_context(overwrite=True).load_module_terms(['crm', 'web', 'mail'], ['he_IL'])
        self.env['ir.translation'].clear_caches()
        self.assertIn(u'סימון כהפסד', self._mark_lost_in_hebrew())
        field = self.env['ir.model.fields'].with_context(lang='he_IL').search(
            [('model', '=', 'crm.lead'), ('name', '=', 'planned_revenue')])
        self.assertEqual(field.field_description, u'הכנסה צפויה')
