import logging

from odoo import api, models, tools
from odoo.modules import get_module_resource
from odoo.tools.translate import PoFile

from ..hooks import ODOO_DEFAULT_STAGES

_logger = logging.getLogger(__name__)

# Hebrew of Odoo's own strings shown on impact_crm's screens, which Odoo 11's Hebrew leaves empty
# (tools/i18n_odoo_terms.py keeps the file's references to Odoo's views, fields and code in step)
ODOO_TERMS_FOLDER = 'i18n_odoo'


class IrTranslation(models.Model):
    _inherit = 'ir.translation'

    @api.model_cr_context
    def load_module_terms(self, modules, langs):
        """After Odoo loads translation files (install, upgrade, Settings > Translations > Load a
        Translation, with or without "overwrite"), load impact_crm's Hebrew of Odoo's strings over
        them: Odoo's files hold these strings with an empty translation, and a later reload of Odoo's
        translations must not bring the English back. Loaded last and with overwrite, so that they
        also replace the few Odoo translations reviewed for the add-on's vocabulary."""
        res = super(IrTranslation, self).load_module_terms(modules, langs)
        self._impact_load_odoo_terms(langs)
        self._impact_fix_adopted_stage_names(langs)
        if 'impact_crm' in modules:
            self._impact_fill_field_labels(langs)
        return res

    @api.model
    def _impact_fill_field_labels(self, langs):
        """Translate the labels and help of the add-on's fields that the file's references missed.

        Odoo names a field's external id after its model and name (field_crm_lead_lost_note), and two fields
        can get the same one (crm.lead's lost_note and crm.lead.lost's note): the second gets the database id
        as a suffix, which differs from one database to the next, so the .po file's reference to it finds
        nothing on most databases. The label's text is what is translated: take its translation from the file."""
        for lang in langs or []:
            terms = {}
            for code in (lang.split('_')[0], tools.get_iso_codes(lang)):
                path = get_module_resource('impact_crm', 'i18n', code + '.po')
                if path:
                    with tools.file_open(path, mode='rb') as buf:
                        terms.update((src, value) for _t, _n, _r, src, value, _c in PoFile(buf) if value)
            if not terms:
                continue
            self._cr.execute("""
                SELECT f.id, kind.name, kind.src
                  FROM ir_model_data d
                  JOIN ir_model_fields f ON f.id = d.res_id
                 CROSS JOIN LATERAL (VALUES ('ir.model.fields,field_description', f.field_description),
                                            ('ir.model.fields,help', f.help)) kind (name, src)
                 WHERE d.module = 'impact_crm' AND d.model = 'ir.model.fields' AND kind.src <> ''
                   AND NOT EXISTS (SELECT 1 FROM ir_translation t
                                    WHERE t.type = 'model' AND t.name = kind.name AND t.res_id = f.id
                                      AND t.lang = %s AND t.value <> '')""", (lang,))
            missing = [(res_id, name, src, terms[src]) for res_id, name, src in self._cr.fetchall() if src in terms]
            if missing:
                # empty translations of these labels replaced, all of them in two statements
                columns = [list(column) for column in zip(*missing)]
                self._cr.execute("""
                    DELETE FROM ir_translation t
                     USING unnest(%s::int[], %s::varchar[]) m (res_id, name)
                     WHERE t.type = 'model' AND t.name = m.name AND t.res_id = m.res_id AND t.lang = %s""",
                                 (columns[0], columns[1], lang))
                self._cr.execute("""
                    INSERT INTO ir_translation (lang, type, name, res_id, src, value, module, state)
                    SELECT %s, 'model', m.name, m.res_id, m.src, m.value, 'impact_crm', 'translated'
                      FROM unnest(%s::int[], %s::varchar[], %s::text[], %s::text[]) m (res_id, name, src, value)""",
                                 [lang] + columns)
                _logger.info("impact_crm: %d field labels in %s translated by their text", len(missing), lang)
                self.clear_caches()
        return True

    @api.model
    def _impact_fix_adopted_stage_names(self, langs):
        """Give the stages the add-on took over from crm (hooks.ODOO_DEFAULT_STAGES: crm's "New" is the add-on's
        "Potential") the add-on's translation of their name.

        crm's .po file still translates such a stage by crm's English name (crm.stage_lead1: "New" -> "חדש"). When
        a language is loaded after the add-on's installation (Settings > Translations > Load a Translation), or
        Odoo's translations are loaded again, crm's file is loaded before the add-on's: its translation takes the
        stage and the add-on's one, for the same record, is skipped, so that the Potential stage reads "חדש" (New)
        in Hebrew. (The installation itself deletes crm's translations of the stages it takes over, in
        pre_init_hook.) crm's translations of crm's names are deleted here and the add-on's loaded instead."""
        langs = [lang for lang in langs or [] if lang != 'en_US']
        if not langs:
            return False
        stale = set()
        for odoo_xmlid, odoo_name, ours_xmlid, _probability, _sequence in ODOO_DEFAULT_STAGES:
            theirs_module, theirs_name = odoo_xmlid.split('.')
            ours_module, ours_name = ours_xmlid.split('.')
            self._cr.execute("""
                DELETE FROM ir_translation t
                 USING ir_model_data theirs, ir_model_data ours, crm_stage s
                 WHERE theirs.module = %s AND theirs.name = %s AND theirs.model = 'crm.stage'
                   AND ours.module = %s AND ours.name = %s AND ours.model = 'crm.stage'
                   AND ours.res_id = theirs.res_id AND s.id = ours.res_id AND s.name <> %s
                   AND t.type = 'model' AND t.name = 'crm.stage,name' AND t.res_id = s.id
                   AND t.lang IN %s AND t.src = %s AND t.module = %s
             RETURNING t.lang""", (theirs_module, theirs_name, ours_module, ours_name, odoo_name, tuple(langs),
                                   odoo_name, theirs_module))
            stale.update(row[0] for row in self._cr.fetchall())
        if stale:
            # the add-on's translations, now that nothing holds their place (the others are already there)
            super(IrTranslation, self).load_module_terms(['impact_crm'], sorted(stale))
            self.clear_caches()
        return bool(stale)

    @api.model
    def _impact_load_odoo_terms(self, langs):
        for lang in langs or []:
            for code in (tools.get_iso_codes(lang), lang.split('_')[0]):
                path = get_module_resource('impact_crm', ODOO_TERMS_FOLDER, code + '.po')
                if path:
                    _logger.info("impact_crm: loading Odoo's strings in %s (%s)", lang, path)
                    tools.trans_load(self._cr, path, lang, verbose=False, module_name='impact_crm',
                                     context=dict(self._context, overwrite=True))
                    break
        return True
