import logging

from odoo import api, models, tools
from odoo.modules import get_module_resource

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
        return res

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
