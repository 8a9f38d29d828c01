"""A good citizen of an existing Odoo: Odoo's own records stay valid, and the add-ons that number quotations
their own way are refused with a clear message."""
from odoo.exceptions import UserError
from odoo.tests.common import SavepointCase

from ..hooks import CONFLICTING_MODULES, ODOO_DEFAULT_STAGES


class TestCoexistence(SavepointCase):

    def test_odoo_default_stages_are_the_shipped_ones(self):
        # the test database got crm's stages untouched: each one is the add-on's stage of the same place,
        # reachable under both external ids, in a group, with crm's sequence numbers
        for odoo_xmlid, _odoo_name, ours_xmlid, _probability, sequence in ODOO_DEFAULT_STAGES:
            stage = self.env.ref(odoo_xmlid)
            self.assertEqual(stage, self.env.ref(ours_xmlid))
            self.assertEqual(stage.sequence, sequence)
            self.assertTrue(stage.group_id)
        self.assertEqual(self.env['crm.stage'].search([('name', '=', 'Won')]), self.env.ref('crm.stage_lead4'))

    def test_new_lead_lands_in_the_first_stage(self):
        lead = self.env['crm.lead'].create({'name': 'Warehouse roof', 'type': 'opportunity'})
        self.assertEqual(lead.stage_id, self.env.ref('crm.stage_lead1'))
        self.assertEqual(lead.stage_id.sequence, 1)

    def test_numbering_add_ons_are_refused(self):
        Module = self.env['ir.module.module']
        modules = Module.search([('name', 'in', CONFLICTING_MODULES)])
        self.assertEqual(sorted(modules.mapped('name')), sorted(CONFLICTING_MODULES),
                         "requirements-compat.txt puts them into the add-ons path")
        for module in modules:
            with self.assertRaises(UserError) as raised, self.env.cr.savepoint():
                module.button_install()
            self.assertIn(module.name, raised.exception.name)
            self.assertIn('Impact CRM numbers quotations', raised.exception.name)
            self.assertEqual(module.state, 'uninstalled')
        # in the administrator's language
        with self.assertRaises(UserError) as raised, self.env.cr.savepoint():
            modules[0].with_context(lang='he_IL').button_install()
        self.assertIn('לא ניתן להתקין', raised.exception.name)

    def test_other_add_ons_still_install(self):
        module = self.env['ir.module.module'].search([('name', '=', 'crm_phonecall')])
        if module.state != 'uninstalled':
            self.skipTest('crm_phonecall is already installed on this database')
        module.button_install()   # marks it (and its dependencies) to install; the test's rollback undoes it
        self.assertEqual(module.state, 'to install')
