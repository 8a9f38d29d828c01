# Copyright 2026 impact_crm authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Databases installed with 11.0.1.0.0 lost Odoo's default stages: that version deleted crm.stage_lead1..4
(records and external ids) and moved their deals to its own stages. Without these external ids, the next
'-u crm' or '-u all' would create New, Qualified, Proposition and Won again, at the front of the pipeline and
in no stage group. The add-on's stages of the same place in the pipeline take crm's external ids, as the
install adopts them today (hooks.py): noupdate, so that crm's data never resets what the company edited."""
import logging

from odoo.addons.impact_crm.hooks import ODOO_DEFAULT_STAGES

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version:
        return
    for odoo_xmlid, _odoo_name, ours_xmlid, _probability, _sequence in ODOO_DEFAULT_STAGES:
        module, name = odoo_xmlid.split('.')
        cr.execute("SELECT 1 FROM ir_model_data WHERE module = %s AND name = %s", (module, name))
        if cr.fetchone():
            continue    # crm's stage is still there (or already adopted): it stays what it is
        ours_module, ours_name = ours_xmlid.split('.')
        cr.execute("""SELECT s.id FROM ir_model_data d JOIN crm_stage s ON s.id = d.res_id
                       WHERE d.module = %s AND d.name = %s AND d.model = 'crm.stage'""", (ours_module, ours_name))
        row = cr.fetchone()
        if not row:
            continue    # the company deleted the add-on's stage: crm's comes back at its next upgrade
        cr.execute("""INSERT INTO ir_model_data (module, name, model, res_id, noupdate, date_init, date_update)
                      VALUES (%s, %s, 'crm.stage', %s, true, now() at time zone 'UTC', now() at time zone 'UTC')""",
                   (module, name, row[0]))
        _logger.info("the stage %s is now also Odoo's %s", ours_xmlid, odoo_xmlid)
