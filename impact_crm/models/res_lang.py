from odoo import api, models

# Odoo 11 installs every language left-to-right; these are written right to left.
RTL_LANGUAGE_PREFIXES = ('he', 'ar', 'fa', 'ur', 'yi')


class ResLang(models.Model):
    _inherit = 'res.lang'

    @api.model
    def _impact_fix_direction(self):
        """Hebrew (and the other right-to-left languages) read right to left in the web client."""
        langs = self.with_context(active_test=False).search([('direction', '=', 'ltr')])
        langs.filtered(lambda lang: lang.code.split('_')[0] in RTL_LANGUAGE_PREFIXES).write({'direction': 'rtl'})

    @api.model
    def load_lang(self, lang, lang_name=None):
        res = super(ResLang, self).load_lang(lang, lang_name=lang_name)
        self._impact_fix_direction()
        return res
