"""Install and uninstall hooks: the add-on joins a database that already has a pipeline, deals and orders."""
import logging
import re

from psycopg2 import sql

from odoo import SUPERUSER_ID, _, api
from odoo.exceptions import UserError

from .models.sale_order import REVISION_SEPARATOR
from .sql_rules import company_day_sql

_logger = logging.getLogger(__name__)

# Odoo's crm ships these stages. When one is still as shipped (its English name, no sales team), the
# add-on's stage of the same place in the pipeline *is* that record: a second external id points to it and
# the add-on's data gives it its name, probability and group. Its deals stay where they are, crm's external
# id stays valid (crm's tests, other add-ons' data, '-u crm' find it), and nothing is created twice.
# (crm's xml id, crm's name, the add-on's xml id, crm's probability, crm's sequence)
ODOO_DEFAULT_STAGES = [
    ('crm.stage_lead1', 'New', 'impact_crm.stage_potential', 10, 1),
    ('crm.stage_lead2', 'Qualified', 'impact_crm.stage_quote', 30, 2),
    ('crm.stage_lead3', 'Proposition', 'impact_crm.stage_order', 70, 3),
    ('crm.stage_lead4', 'Won', 'impact_crm.stage_won', 100, 70),
]

# OCA add-ons that number quotations and their revisions their own way, on the same fields and at the same
# moments as the add-on (sale.order's name on create/copy/confirm): the two numberings cannot both hold.
CONFLICTING_MODULES = ('sale_order_revision', 'sale_quotation_number')


def conflict_message(env, names):
    context = env.context  # noqa: F841 (the user's language, read by _())
    return _("Impact CRM numbers quotations, their revisions and confirmed orders itself; it cannot be "
             "installed together with %s, which number them differently. Uninstall one of the two first.") % (
        ', '.join(sorted(names)))


def pre_init_hook(cr):
    cr.execute("SELECT name FROM ir_module_module WHERE name IN %s AND state IN ('installed', 'to install', "
               "'to upgrade')", (CONFLICTING_MODULES,))
    conflicts = [row[0] for row in cr.fetchall()]
    if conflicts:
        raise UserError(conflict_message(api.Environment(cr, SUPERUSER_ID, {}), conflicts))
    _adopt_odoo_default_stages(cr)
    _precompute_columns(cr)


def _adopt_odoo_default_stages(cr):
    for odoo_xmlid, odoo_name, ours_xmlid, _probability, _sequence in ODOO_DEFAULT_STAGES:
        module, name = odoo_xmlid.split('.')
        cr.execute("""SELECT s.id FROM ir_model_data d JOIN crm_stage s ON s.id = d.res_id
                       WHERE d.module = %s AND d.name = %s AND d.model = 'crm.stage'
                         AND s.name = %s AND s.team_id IS NULL""", (module, name, odoo_name))
        row = cr.fetchone()
        if not row:
            continue   # changed by the company: it stays one of its own stages, the add-on adds its own
        ours_module, ours_name = ours_xmlid.split('.')
        cr.execute("""INSERT INTO ir_model_data (module, name, model, res_id, noupdate, date_init, date_update)
                      VALUES (%s, %s, 'crm.stage', %s, true, now() at time zone 'UTC', now() at time zone 'UTC')""",
                   (ours_module, ours_name, row[0]))
        # its name in other languages becomes the add-on's (loaded right after the data)
        cr.execute("""DELETE FROM ir_translation WHERE type = 'model' AND name = 'crm.stage,name'
                       AND res_id = %s""", (row[0],))
        _logger.info("Odoo's default stage %s becomes the stage %s", odoo_name, ours_xmlid)


# Stored computed fields the add-on adds to tables that already hold data. Created here, before the
# ORM sees them, so that the ORM does not compute them record by record on a large database (minutes and
# gigabytes for a hundred thousand deals): they are filled with one statement each (here, or in
# post_init_hook once what they are computed from exists). Fields with a constant default too: the ORM would
# fill them with one UPDATE rewriting the whole table each; a constant is PostgreSQL's column default while
# the column is added (no rewrite), then dropped (the ORM gives the default to new records).
# {table: [(column, SQL type, value: a constant, an SQL expression, or None)]}
PRECOMPUTED_COLUMNS = {
    'crm_lead': [
        # same float arithmetic as _compute_weighted_revenue, stored as the ORM stores a monetary field
        ('weighted_revenue', 'numeric', None),        # below, rounded to the company's currency
        ('stage_group_id', 'integer', None),          # post_init_hook, once stages have groups
        ('stage_group_kind', 'varchar', None),
        ('lost_criterion_id', 'integer', None),       # reasons get no criterion at install
        # zero (a default: no rewrite of the table), then post_init_hook for deals with orders
        ('amount_ordered', 'numeric', '0'),
        ('amount_invoiced', 'numeric', '0'),
        ('amount_paid', 'numeric', '0'),
        ('amount_outstanding', 'numeric', '0'),
        ('forecast_category', 'varchar', None),       # post_init_hook, once stages have groups
        ('revenue_spread', 'varchar', "'end'"),       # the field's default
    ],
    'sale_order': [
        ('quote_number', 'varchar', None),            # post_init_hook, with the revision numbers
        ('revision', 'integer', '0'),                 # the fields' defaults
        ('is_latest_revision', 'boolean', 'true'),
    ],
    'mail_activity': [
        ('sla_unit', 'varchar', "'hours'"),
    ],
}

CONSTANT = re.compile(r"^('[a-z_]*'|[0-9]+|true|false)$")


def _precompute_columns(cr):
    for table, columns in PRECOMPUTED_COLUMNS.items():
        constants = [column for column, _type, value in columns if value and CONSTANT.match(value)]
        cr.execute('ALTER TABLE %s %s' % (table, ', '.join(
            'ADD COLUMN IF NOT EXISTS "%s" %s%s' % (column, sql_type, ' DEFAULT %s' % value if column in constants
                                                    else '')
            for column, sql_type, value in columns)))
        if constants:
            cr.execute('ALTER TABLE %s %s' % (table, ', '.join(
                'ALTER COLUMN "%s" DROP DEFAULT' % column for column in constants)))
        values = [(column, value) for column, _type, value in columns if value and column not in constants]
        if values:
            cr.execute('UPDATE %s SET %s' % (table, ', '.join('"%s" = %s' % item for item in values)))
    cr.execute('UPDATE crm_lead SET weighted_revenue = %s' % currency_round_sql(
        'COALESCE(crm_lead.planned_revenue, 0)::float8 * COALESCE(crm_lead.probability, 0)::float8 / 100.0',
        'crm_lead.company_id'))


def currency_round_sql(value, company):
    """SQL giving what the ORM stores for the float ``value`` in a monetary field of a record of ``company``:
    Odoo's float_round to the company currency's rounding (the same float8 operations: half away from zero
    after its epsilon), as a numeric of the currency's decimal places; the value as it is without a company."""
    return """COALESCE((
        SELECT CASE WHEN w.n = 0 THEN 0 ELSE round(((sign(w.n2) * floor(abs(w.n2) + 0.5)) * w.rnd)::numeric, w.dp) END
          FROM (SELECT n, rnd, dp,
                       CASE WHEN n = 0 THEN 0
                            ELSE n + sign(n) * power(2::float8, ln(abs(n)) / ln(2::float8) - 53) END AS n2
                  FROM (SELECT ({value}) / cur.rounding::float8 AS n, cur.rounding::float8 AS rnd,
                               CASE WHEN cur.rounding < 1 THEN ceil(log(1 / cur.rounding::float8))::integer
                                    ELSE 0 END AS dp
                          FROM res_company rc JOIN res_currency cur ON cur.id = rc.currency_id
                         WHERE rc.id = {company} AND cur.rounding > 0) a) w), ({value}))""".format(
        value=value, company=company)


def post_init_hook(cr, registry):
    env = api.Environment(cr, SUPERUSER_ID, {})
    # the forecast's rows are recomputed once at the end, not at every statement below
    cr.execute("SET LOCAL impact_crm.forecast_deferred = 'on'")
    Stage = env['crm.stage']
    # every other pre-existing stage: by its probability
    groups = {
        'open': env.ref('impact_crm.stage_group_open'),
        'execution': env.ref('impact_crm.stage_group_execution'),
    }
    ours = env['ir.model.data'].search([('module', '=', 'impact_crm'), ('model', '=', 'crm.stage')]).mapped('res_id')
    # by SQL, then the deals' stored stage group in one statement: through the ORM every deal of these
    # stages would be recomputed one by one
    others = Stage.search([('id', 'not in', ours)])
    if others:
        cr.execute("UPDATE crm_stage SET group_id = CASE WHEN probability >= 100 THEN %s ELSE %s END WHERE id IN %s",
                   (groups['execution'].id, groups['open'].id, tuple(others.ids)))
        # group_kind and group_sequence as their computation gives them (through the ORM, their change
        # would recompute the deals of these stages one by one: the deals get theirs below)
        cr.execute("""UPDATE crm_stage s SET group_kind = g.kind, group_sequence = g.sequence
                        FROM crm_stage_group g WHERE g.id = s.group_id AND s.id IN %s""", (tuple(others.ids),))
        others.invalidate_cache()
    _init_stage_columns(cr)
    env['crm.lead'].invalidate_cache()
    env['crm.lead']._init_execution_amounts()
    # stage history: every existing lead starts with its current stage
    env['crm.lead.stage.history']._init_from_leads()
    # forecast change log: the deals made before the install, from the stage history
    env['crm.lead.forecast.change']._backfill()
    _backfill_lost_deals(cr)
    _impact_number_existing_orders(env)
    env['res.lang']._impact_fix_direction()
    cr.execute("SET LOCAL impact_crm.forecast_deferred = 'off'")
    env['crm.forecast.report']._install_triggers()
    env['crm.forecast.report']._rebuild()
    # the deals' monthly sums of the quotas' attainment, from the back-filled columns
    env['crm.quota']._setup_deal_months()


def _init_stage_columns(cr):
    """The deals' columns that follow their stage, in one statement (one rewrite of the table): the stage
    group and its kind (related fields), and the forecast category as _compute_forecast_category gives it
    (lost deals Omitted, won ones Closed, the others their stage's category: no rep has chosen one yet)."""
    cr.execute("""
        UPDATE crm_lead l SET stage_group_id = c.group_id, stage_group_kind = c.kind, forecast_category = c.category
          FROM (SELECT l2.id, s.group_id, g.kind, CASE
                    WHEN COALESCE(s.is_lost, FALSE) OR (NOT COALESCE(l2.active, FALSE)
                                                        AND COALESCE(l2.probability, 0) = 0) THEN 'omitted'
                    WHEN g.kind IN ('execution', 'closed') THEN 'closed'
                    ELSE COALESCE(NULLIF(l2.forecast_category_manual, ''), NULLIF(s.forecast_category, ''),
                                  'pipeline') END AS category
                  FROM crm_lead l2
                  LEFT JOIN crm_stage s ON s.id = l2.stage_id
                  LEFT JOIN crm_stage_group g ON g.id = s.group_id) c
         WHERE c.id = l.id
           AND (l.stage_group_id, l.stage_group_kind, l.forecast_category)
               IS DISTINCT FROM (c.group_id, c.kind, c.category)""")


def _backfill_lost_deals(cr):
    """Deals lost before the install (archived at probability 0 by Odoo's lost button) enter the loss
    analysis: lost on their closing date, for their expected revenue, at the stage they are in."""
    cr.execute("""
        UPDATE crm_lead l
           SET lost_date = %s,
               lost_amount = COALESCE(l.planned_revenue, 0.0),
               lost_stage_id = l.stage_id,
               lost_stage_group_id = s.group_id
          FROM crm_stage s
         WHERE s.id = l.stage_id AND l.active IS NOT TRUE AND l.probability = 0
           AND l.date_closed IS NOT NULL AND l.lost_date IS NULL AND l.type = 'opportunity'
    """ % company_day_sql('l.date_closed', company='l.company_id'))
    _logger.info("%s deals lost before the install entered the loss analysis", cr.rowcount)


def _impact_number_existing_orders(env):
    """Orders made before installation keep their names: revision 1 with the name as quote number, and
    confirmed ones keep their name as fiscal number (recorded in the ledger as 'before installation')."""
    cr = env.cr
    # a reinstallation: the quotations' revisions kept by the uninstallation come back first
    restored = _restore_revisions(env)
    if restored:
        _logger.info("%d quotation revisions kept at uninstallation restored", restored)
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
    # a reinstallation: the ledger kept by the uninstallation comes back with the orders' numbers
    restored = env['sale.fiscal.number']._restore_kept_ledger()
    if restored:
        _logger.info("%d fiscal numbers of the ledger kept at uninstallation restored", restored)
    cr.execute("""UPDATE sale_order SET fiscal_number = name
                   WHERE fiscal_number IS NULL AND (state IN ('sale', 'done') OR confirmation_date IS NOT NULL)""")
    # orders confirmed while the module was installing (demo data) already have their ledger entry
    cr.execute("""SELECT id FROM sale_order so WHERE fiscal_number IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM sale_fiscal_number f WHERE f.order_id = so.id)
                   AND NOT EXISTS (SELECT 1 FROM sale_fiscal_number f
                                    WHERE f.company_id = so.company_id AND f.name = so.fiscal_number)
                 ORDER BY id""")
    orders = env['sale.order'].browse([row[0] for row in cr.fetchall()])
    env['sale.order'].invalidate_cache()
    env['sale.fiscal.number']._register_legacy_orders(orders.ids)
    # quote numbers in one statement (same text as _compute_quote_number)
    cr.execute("""UPDATE sale_order SET quote_number = CASE WHEN quote_base_number IS NOT NULL
                         THEN quote_base_number || %s || revision END""", (REVISION_SEPARATOR,))
    _logger.info("%d existing orders got revision 1, %d kept their name as fiscal number",
                 cr.rowcount, len(orders))
    # from now on the database itself refuses a confirmed order without a fiscal number
    env['sale.order']._impact_add_fiscal_check()


# Uninstall keeps the quotations' revision numbering as a plain table (not a model: Odoo does not drop it), as it
# keeps the fiscal ledger: its columns go with the module, and a reinstallation would otherwise take every
# revision for a quotation of its own (1001-2's quote number 1001-2-1, a new revision of it 1001-2-2, every
# earlier revision the latest again and counted in the forecast) and number new quotations from 1001 again, the
# names of the quotations already there.
KEPT_REVISIONS = 'impact_crm_revisions_kept'


def _keep_revisions(cr):
    cr.execute('DROP TABLE IF EXISTS "%s"' % KEPT_REVISIONS)
    cr.execute("""CREATE TABLE "%s" AS
                  SELECT id AS order_id, company_id, quote_base_number, revision, previous_revision_id, revised_date
                    FROM sale_order WHERE quote_base_number IS NOT NULL""" % KEPT_REVISIONS)


def _restore_revisions(env):
    """The revisions kept by the uninstallation back on the orders still there (before the orders without
    a quote number get theirs), the latest of each quotation marked again, and the quotations' numbering
    after the highest number restored. Returns the number of orders restored."""
    cr = env.cr
    cr.execute("SELECT to_regclass(%s)", [KEPT_REVISIONS])
    if not cr.fetchone()[0]:
        return 0
    cr.execute("""UPDATE sale_order so
                     SET quote_base_number = k.quote_base_number, revision = k.revision,
                         revised_date = k.revised_date,
                         previous_revision_id = (SELECT p.id FROM sale_order p WHERE p.id = k.previous_revision_id)
                    FROM "%s" k
                   WHERE k.order_id = so.id AND k.company_id = so.company_id AND so.quote_base_number IS NULL"""
               % KEPT_REVISIONS)
    restored = cr.rowcount
    # the latest revision of each quotation (one deleted while the add-on was away leaves the one before it)
    cr.execute("""UPDATE sale_order so SET is_latest_revision = NOT EXISTS (
                         SELECT 1 FROM sale_order later WHERE later.quote_base_number = so.quote_base_number
                            AND later.company_id = so.company_id AND later.revision > so.revision)
                   WHERE so.id IN (SELECT order_id FROM "%s")""" % KEPT_REVISIONS)
    cr.execute("""SELECT company_id, max(quote_base_number::numeric) FROM "%s"
                   WHERE quote_base_number ~ '^[0-9]{1,18}$' GROUP BY company_id""" % KEPT_REVISIONS)
    for company_id, highest in cr.fetchall():
        sequence = env['sale.order']._impact_quotation_sequence(env['res.company'].browse(company_id))
        if sequence.number_next_actual <= highest:
            sequence.write({'number_next': int(highest) + 1})
    cr.execute('DROP TABLE "%s"' % KEPT_REVISIONS)
    env['sale.order'].invalidate_cache()
    return restored


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


# The add-on's stages that may be Odoo's adopted ones, as data/crm_stage_data.xml ships them
# (xml id, name, probability, sequence): uninstall gives back crm's values only where these are unchanged.
SHIPPED_STAGES = [
    ('impact_crm.stage_potential', 'Potential', 10, 1),
    ('impact_crm.stage_quote', 'Quote', 20, 2),
    ('impact_crm.stage_order', 'Order', 40, 3),
    ('impact_crm.stage_won', 'Won', 100, 70),
]


def uninstall_hook(cr, registry):
    from odoo.tools import convert_file
    env = api.Environment(cr, SUPERUSER_ID, {})
    _return_adopted_stages(env)
    if any(not env.ref(odoo_xmlid, raise_if_not_found=False) for _ours, odoo_xmlid in UNINSTALL_STAGE_MAP):
        # only the missing records are created: the file is noupdate
        convert_file(cr, 'crm', 'data/crm_stage_data.xml', {}, mode='update', noupdate=True, kind='data')
    for ours_xmlid, odoo_xmlid in UNINSTALL_STAGE_MAP:
        ours = env.ref(ours_xmlid, raise_if_not_found=False)
        if ours:
            cr.execute("UPDATE crm_lead SET stage_id = %s WHERE stage_id = %s", (env.ref(odoo_xmlid).id, ours.id))
    # the groups go with the module: let them be deleted even when stages of users still point to them
    cr.execute("UPDATE crm_stage SET group_id = NULL")
    # the forecast's triggers sit on tables that stay (deals, orders...): they go before the forecast table
    env['crm.forecast.report']._drop_triggers()
    env['crm.quota']._drop_deal_months()
    # the revenue spread's month generator is the add-on's own database function; the add-on's forecast by
    # delivery period, a view that goes with the module anyway, is built on it
    cr.execute("DROP FUNCTION IF EXISTS impact_crm_month_starts(date, date) CASCADE")
    _drop_foreign_keys_of_removed_tables(cr)
    # the fiscal ledger is kept (README, "Fiscal numbers"): a reinstallation continues after its last number
    env['sale.fiscal.number']._keep_ledger()
    _keep_revisions(cr)
    _logger.info("impact_crm uninstalled: deals of its stages moved to Odoo's default stages")


def _return_adopted_stages(env):
    """Odoo's default stages the add-on adopted stay (crm's external id keeps them): they get crm's name,
    probability and sequence back where they still have the add-on's, and crm's translations of the name."""
    Stage = env['crm.stage'].with_context(lang='en_US')
    shipped = dict((stage[0], stage) for stage in SHIPPED_STAGES)
    returned = Stage.browse()
    for odoo_xmlid, odoo_name, ours_xmlid, probability, sequence in ODOO_DEFAULT_STAGES:
        stage = env.ref(odoo_xmlid, raise_if_not_found=False)
        if not stage or stage != env.ref(ours_xmlid, raise_if_not_found=False):
            continue
        stage = Stage.browse(stage.id)
        _xmlid, our_name, our_probability, our_sequence = shipped[ours_xmlid]
        values = {}
        if stage.name == our_name:
            values['name'] = odoo_name
        if stage.probability == our_probability:
            values['probability'] = probability
        if stage.sequence == our_sequence:
            values['sequence'] = sequence
        # direct SQL: the add-on's constraints and tracking are on their way out
        for fname, value in values.items():
            env.cr.execute(sql.SQL('UPDATE crm_stage SET {} = %s WHERE id = %s').format(sql.Identifier(fname)),
                           (value, stage.id))
        if 'name' in values:
            env.cr.execute("""DELETE FROM ir_translation WHERE type = 'model' AND name = 'crm.stage,name'
                               AND res_id = %s""", (stage.id,))
        returned |= stage
    if returned:
        langs = [lang.code for lang in env['res.lang'].search([('translatable', '=', True)])]
        env['ir.translation'].load_module_terms(['crm'], langs)
        env['crm.stage'].invalidate_cache()


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
        # names from PostgreSQL's catalog, quoted as identifiers
        cr.execute(sql.SQL('ALTER TABLE {} DROP CONSTRAINT {}').format(
            sql.SQL(table), sql.Identifier(constraint)))
