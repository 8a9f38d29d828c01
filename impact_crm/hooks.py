"""Install hook: place the stages a database already has into stage groups."""
import logging

from odoo import SUPERUSER_ID, api

_logger = logging.getLogger(__name__)

# Odoo's crm ships these stages; when still as shipped, their deals move to the
# equivalent impact_crm stage and the Odoo stage is removed (one pipeline, not two).
ODOO_DEFAULT_STAGES = [
    ('crm.stage_lead1', 'New', 'impact_crm.stage_potential'),
    ('crm.stage_lead2', 'Qualified', 'impact_crm.stage_quote'),
    ('crm.stage_lead3', 'Proposition', 'impact_crm.stage_order'),
    ('crm.stage_lead4', 'Won', 'impact_crm.stage_won'),
]


def post_init_hook(cr, registry):
    env = api.Environment(cr, SUPERUSER_ID, {})
    Stage = env['crm.stage']
    for odoo_xmlid, odoo_name, ours_xmlid in ODOO_DEFAULT_STAGES:
        stage = env.ref(odoo_xmlid, raise_if_not_found=False)
        ours = env.ref(ours_xmlid)
        if stage and stage.with_context(lang='en_US').name == odoo_name and not stage.team_id:
            leads = env['crm.lead'].with_context(active_test=False).search([('stage_id', '=', stage.id)])
            # direct SQL: moving existing deals is not a stage change made by a user
            if leads:
                cr.execute("UPDATE crm_lead SET stage_id = %s WHERE id IN %s", (ours.id, tuple(leads.ids)))
            stage.unlink()
            _logger.info("Odoo's default stage %s replaced by %s", odoo_name, ours.name)
    # every other pre-existing stage: by its probability
    groups = {
        'open': env.ref('impact_crm.stage_group_open'),
        'execution': env.ref('impact_crm.stage_group_execution'),
    }
    ours = env['ir.model.data'].search([('module', '=', 'impact_crm'), ('model', '=', 'crm.stage')]).mapped('res_id')
    for stage in Stage.search([('id', 'not in', ours)]):
        stage.group_id = groups['execution'] if stage.probability >= 100 else groups['open']
    env['crm.lead'].invalidate_cache()
    leads = env['crm.lead'].with_context(active_test=False).search([])
    for fname in ('stage_group_id', 'stage_group_kind'):
        env.add_todo(leads._fields[fname], leads)
    leads.recompute()
    # stage history (issue 3): every existing lead starts with its current stage
    env['crm.lead.stage.history']._init_from_leads()
    # forecast change log: the deals made before the install, from the stage history
    env['crm.lead.forecast.change']._backfill()
    _backfill_lost_deals(cr)
    _impact_number_existing_orders(env)
    env['res.lang']._impact_fix_direction()


def _backfill_lost_deals(cr):
    """Deals lost before the install (archived at probability 0 by Odoo's lost button) enter the loss
    analysis: lost on their closing date, for their expected revenue, at the stage they are in."""
    cr.execute("""
        UPDATE crm_lead l
           SET lost_date = l.date_closed::date,
               lost_amount = COALESCE(l.planned_revenue, 0.0),
               lost_stage_id = l.stage_id,
               lost_stage_group_id = s.group_id
          FROM crm_stage s
         WHERE s.id = l.stage_id AND l.active IS NOT TRUE AND l.probability = 0
           AND l.date_closed IS NOT NULL AND l.lost_date IS NULL AND l.type = 'opportunity'
    """)
    _logger.info("%s deals lost before the install entered the loss analysis", cr.rowcount)


def _impact_number_existing_orders(env):
    """Orders made before installation keep their names: revision 1 with the name as quote number, and
    confirmed ones keep their name as fiscal number (recorded in the ledger as 'before installation')."""
    cr = env.cr
    # names are not unique in Odoo: a repeated name gets a '.2', '.3' ... suffix on its quote number
    # only (the name itself is never changed), so that (quote number, revision, company) stays unique
    cr.execute("""
        WITH ranked AS (
            SELECT id, name, row_number() OVER (PARTITION BY name, company_id ORDER BY id) AS rank
              FROM sale_order WHERE quote_base_number IS NULL)
        UPDATE sale_order so
           SET quote_base_number = CASE WHEN r.rank = 1 THEN r.name ELSE r.name || '.' || r.rank END,
               revision = 1, is_latest_revision = true
          FROM ranked r WHERE r.id = so.id
     RETURNING so.id, r.rank""")
    repeated = [row[0] for row in cr.fetchall() if row[1] > 1]
    if repeated:
        _logger.warning("orders %s share their name with an earlier order: their quote number got a suffix",
                        repeated)
    cr.execute("""UPDATE sale_order SET fiscal_number = name
                   WHERE fiscal_number IS NULL AND (state IN ('sale', 'done') OR confirmation_date IS NOT NULL)""")
    # orders confirmed while the module was installing (demo data) already have their ledger entry
    cr.execute("""SELECT id FROM sale_order so WHERE fiscal_number IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM sale_fiscal_number f WHERE f.order_id = so.id) ORDER BY id""")
    orders = env['sale.order'].browse([row[0] for row in cr.fetchall()])
    env['sale.order'].invalidate_cache()
    Ledger = env['sale.fiscal.number']
    for order in orders:
        Ledger._register_legacy(order)
    all_orders = env['sale.order'].with_context(active_test=False).search([])
    env.add_todo(all_orders._fields['quote_number'], all_orders)
    all_orders.recompute()
    _logger.info("%d existing orders got revision 1, %d kept their name as fiscal number",
                 len(all_orders), len(orders))


# Uninstall: the module's stages are deleted with its data. Their deals go back to Odoo's own
# default stages (recreated from crm's data file when missing), so that no opportunity is left
# without a stage and a later reinstall maps them again (post_init_hook above).
UNINSTALL_STAGE_MAP = [
    ('impact_crm.stage_potential', 'crm.stage_lead1'),
    ('impact_crm.stage_quote', 'crm.stage_lead2'),
    ('impact_crm.stage_order', 'crm.stage_lead3'),
    ('impact_crm.stage_won', 'crm.stage_lead4'),
    ('impact_crm.stage_in_progress', 'crm.stage_lead4'),
    ('impact_crm.stage_on_hold', 'crm.stage_lead4'),
    ('impact_crm.stage_done', 'crm.stage_lead4'),
    # lost deals are archived with probability 0 in Odoo; their stage only keeps them visible
    ('impact_crm.stage_lost', 'crm.stage_lead1'),
]


def uninstall_hook(cr, registry):
    from odoo.tools import convert_file
    env = api.Environment(cr, SUPERUSER_ID, {})
    if any(not env.ref(odoo_xmlid, raise_if_not_found=False) for _ours, odoo_xmlid in UNINSTALL_STAGE_MAP):
        # only the missing records are created: the file is noupdate
        convert_file(cr, 'crm', 'data/crm_stage_data.xml', {}, mode='update', noupdate=True, kind='data')
    for ours_xmlid, odoo_xmlid in UNINSTALL_STAGE_MAP:
        ours = env.ref(ours_xmlid, raise_if_not_found=False)
        if ours:
            cr.execute("UPDATE crm_lead SET stage_id = %s WHERE stage_id = %s", (env.ref(odoo_xmlid).id, ours.id))
    # the groups go with the module: let them be deleted even when stages of users still point to them
    cr.execute("UPDATE crm_stage SET group_id = NULL")
    _drop_foreign_keys_of_removed_tables(cr)
    _logger.info("impact_crm uninstalled: deals of its stages moved to Odoo's default stages")


def _drop_foreign_keys_of_removed_tables(cr):
    """Uninstall deletes the module's records first and drops its tables and columns last: foreign keys of
    what is about to be dropped (the module's tables, and columns of other tables pointing into them, such as
    a loss reason's criterion) would refuse those deletions. They go first."""
    cr.execute("""
        SELECT replace(m.model, '.', '_') FROM ir_model m
          JOIN ir_model_data d ON d.model = 'ir.model' AND d.res_id = m.id
         GROUP BY m.model HAVING bool_and(d.module = 'impact_crm')""")
    tables = [row[0] for row in cr.fetchall()]
    if not tables:
        return
    cr.execute("""
        SELECT c.conrelid::regclass::text, c.conname FROM pg_constraint c
         WHERE c.contype = 'f' AND (c.conrelid::regclass::text IN %s OR c.confrelid::regclass::text IN %s)""",
               (tuple(tables), tuple(tables)))
    for table, constraint in cr.fetchall():
        cr.execute('ALTER TABLE %s DROP CONSTRAINT "%s"' % (table, constraint))
