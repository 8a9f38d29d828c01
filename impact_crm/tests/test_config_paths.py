"""Promises about the configuration a sales manager owns (stage probabilities, quotas, regions), tried
through Odoo's generic paths as a sales user: here, the stage probability calibration, which only managers
open and apply.

- a rep's line added (by id) to a manager's calibration, or moved into it, is refused: applied by the
  superuser (whose calibration reads every line pointing at it), it set the rep's probability on the stage and
  its open deals.
"""
from odoo.exceptions import AccessError

from .test_integrity_paths import IntegrityCase


class TestCalibrationLinesStayTheirAuthors(IntegrityCase):

    def setUp(self):
        super(TestCalibrationLinesStayTheirAuthors, self).setUp()
        self.stage = self.env.ref('crm.stage_lead2')
        self.probability = self.stage.probability
        self.deal = self.env['crm.lead'].create({'name': 'Audit Calibration', 'type': 'opportunity',
                                                 'user_id': self.rep.id, 'stage_id': self.stage.id})
        self.Lines = self.env['crm.forecast.calibration.line'].sudo(self.rep)

    def forged(self, wizard):
        return {'wizard_id': wizard.id, 'stage_id': self.stage.id, 'suggested': 95.0, 'apply': True}

    def test_a_rep_adds_no_line_to_the_superusers_calibration(self):
        """The administrator (Odoo 11's superuser) opens the calibration; a rep's line with Apply ticked,
        created on it or moved into it, is refused, and applying it leaves the stage and its deals alone."""
        wizard = self.env['crm.forecast.calibration'].browse(
            self.env['crm.forecast.calibration'].action_open()['res_id'])
        with self.assertRaises(AccessError), self.cr.savepoint():
            self.Lines.create(self.forged(wizard))
        own = self.env['crm.forecast.calibration'].sudo(self.rep).create({})
        line = self.Lines.create(dict(self.forged(wizard), wizard_id=own.id))
        with self.assertRaises(AccessError), self.cr.savepoint():
            line.write({'wizard_id': wizard.id})
        wizard.action_apply()
        self.assertEqual(self.stage.probability, self.probability)
        self.deal.invalidate_cache()
        self.assertEqual(self.deal.probability, self.probability)

    def test_a_rep_adds_no_line_to_a_managers_calibration(self):
        manager = self.user('integrity_config_manager', 'sales_team.group_sale_manager')
        wizard = self.env['crm.forecast.calibration'].browse(
            self.env['crm.forecast.calibration'].sudo(manager).action_open()['res_id'])
        with self.assertRaises(AccessError), self.cr.savepoint():
            self.Lines.create(self.forged(wizard))
        # the manager's own lines are his to tick and apply
        wizard.sudo(manager).line_ids.filtered(lambda line: line.stage_id == self.stage).write(
            {'suggested': 33.0, 'apply': True})
        wizard.sudo(manager).action_apply()
        self.assertEqual(self.stage.probability, 33.0)
