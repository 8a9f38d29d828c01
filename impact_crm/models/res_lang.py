from odoo import api, models

from ..sql_rules import is_rtl_code


class ResLang(models.Model):
    _inherit = 'res.lang'

    @api.model
    def _impact_fix_direction(self):
        """Hebrew (and the other right-to-left languages) read right to left in the web client."""
        langs = self.with_context(active_test=False).search([('direction', '=', 'ltr')])
        langs.filtered(lambda lang: is_rtl_code(lang.code)).write({'direction': 'rtl'})

    @api.model
    def load_lang(self, lang, lang_name=None):
        res = super(ResLang, self).load_lang(lang, lang_name=lang_name)
        self._impact_fix_direction()
        return res
