"""Hebrew is complete: every string the module gives the user has a translation in he.po,
the template impact_crm.pot is the one Odoo generates from the code, and the translations
reach the database."""
import os
import re

import polib

from odoo.modules.module import get_module_path
from odoo.tests.common import SavepointCase
from odoo.tools.translate import trans_generate

HEBREW = re.compile(u'[\u0590-\u05ff]')
PLACEHOLDER = re.compile(r'%%|%(?:\([^)]+\))?[sdfr]|\{[a-z_0-9]*\}')
TAG = re.compile(r'<(/?[a-zA-Z][a-zA-Z0-9]*)')


class TestI18n(SavepointCase):

    @classmethod
    def setUpClass(cls):
        super(TestI18n, cls).setUpClass()
        i18n = os.path.join(get_module_path('impact_crm'), 'i18n')
        cls.po = polib.pofile(os.path.join(i18n, 'he.po'))
        cls.pot = polib.pofile(os.path.join(i18n, 'impact_crm.pot'))
        # (module, type, name, res_id, source, Hebrew value in the database, comments)
        cls.terms = trans_generate('he_IL', ['impact_crm'], cls.env.cr)

    def _report(self, title, items):
        return '%s (run `make pot`, then translate in impact_crm/i18n/he.po):\n%s' % (
            title, '\n'.join('  %r' % (item,) for item in sorted(items)))

    def test_code_has_strings(self):
        sources = set(term[4] for term in self.terms)
        # the shipped stages and a field label: the export sees data, fields and views
        self.assertIn('Potential', sources)
        self.assertIn('Stage Group', sources)

    def test_every_string_has_a_hebrew_translation(self):
        translated = dict((entry.msgid, entry.msgstr) for entry in self.po
                          if entry.msgstr.strip() and not entry.obsolete and 'fuzzy' not in entry.flags)
        missing = set(term[4] for term in self.terms) - set(translated)
        if missing:
            print(self._report('%d strings of impact_crm have no Hebrew translation' % len(missing), missing))
        self.assertFalse(missing, self._report('strings without a Hebrew translation', missing))

    def test_translations_are_hebrew_and_keep_placeholders_and_markup(self):
        bad = []
        for entry in self.po:
            if not entry.msgstr:
                continue
            words = re.search('[A-Za-z]', TAG.sub('', PLACEHOLDER.sub('', entry.msgid)))
            if words and not HEBREW.search(entry.msgstr):
                bad.append((entry.msgid, entry.msgstr, 'not Hebrew'))
            if sorted(PLACEHOLDER.findall(entry.msgid)) != sorted(PLACEHOLDER.findall(entry.msgstr)):
                bad.append((entry.msgid, entry.msgstr, 'placeholders differ'))
            if sorted(TAG.findall(entry.msgid)) != sorted(TAG.findall(entry.msgstr)):
                bad.append((entry.msgid, entry.msgstr, 'HTML tags differ'))
        self.assertFalse(bad, self._report('bad translations', bad))

    def test_template_is_generated_from_the_code(self):
        generated = set(term[4] for term in self.terms)
        in_pot = set(entry.msgid for entry in self.pot)
        self.assertFalse(generated - in_pot, self._report('strings missing from impact_crm.pot', generated - in_pot))
        self.assertFalse(in_pot - generated, self._report('strings impact_crm.pot has but the code no longer',
                                                          in_pot - generated))
        in_po = set(entry.msgid for entry in self.po if not entry.obsolete)
        self.assertFalse(in_po - in_pot, self._report('he.po has strings that are not in the template',
                                                      in_po - in_pot))

    def test_hebrew_reaches_the_database(self):
        """Installing the module loads he.po: every string shows in Hebrew (records that other modules
        also translate, such as Odoo's own models, may keep those modules' wording)."""
        lang = self.env['res.lang'].search([('code', '=', 'he_IL')])
        self.assertEqual(lang.direction, 'rtl', "Hebrew is installed (make run / make test load it) and reads RTL")
        untranslated = [(term[1], term[2], term[4]) for term in self.terms
                        if not term[5] and re.search('[A-Za-z]', PLACEHOLDER.sub('', term[4]))]
        self.assertFalse(untranslated, self._report('strings without Hebrew in the database', untranslated))
        expected = dict((entry.msgid, entry.msgstr) for entry in self.po if entry.msgstr)
        he = self.env['crm.stage'].with_context(lang='he_IL')
        self.assertEqual(he.browse(self.env.ref('impact_crm.stage_potential').id).name, expected['Potential'])
        self.assertEqual(self.env['ir.model.fields'].with_context(lang='he_IL').search(
            [('model', '=', 'crm.lead'), ('name', '=', 'stage_group_id')]).field_description, expected['Stage Group'])
        message = 'Every stage belongs to a stage group.'
        self.assertEqual(self.env['ir.translation']._get_source(None, ('code',), 'he_IL', message), expected[message])

    def test_labels_of_fields_with_a_numbered_external_id(self):
        """crm.lead's lost_note and the lost dialog's note would both be field_crm_lead_lost_note: the second
        gets its database id as a suffix, another number on every database. Its label is still translated."""
        field = self.env['ir.model.fields'].search([('model', '=', 'crm.lead.lost'), ('name', '=', 'note')])
        data = self.env['ir.model.data'].search([('model', '=', 'ir.model.fields'), ('res_id', '=', field.id)])
        self.assertEqual(data.module, 'impact_crm')
        # as on a database where the field got another id than on the one the .po file was made from
        data.write({'name': 'field_crm_lead_lost_note_%d' % (field.id + 100000)})
        self.env['ir.translation'].search([('name', '=', 'ir.model.fields,field_description'),
                                           ('res_id', '=', field.id)]).unlink()
        self.env['ir.translation'].load_module_terms(['impact_crm'], ['he_IL'])
        expected = dict((entry.msgid, entry.msgstr) for entry in self.po if entry.msgstr)
        self.assertEqual(field.with_context(lang='he_IL').field_description, expected[field.field_description])
