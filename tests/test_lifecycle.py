"""Lifecycle of the add-on on databases with data: install onto existing deals, upgrade, uninstall, reinstall.

Each step runs the real Odoo commands (tools/lifecycle.sh, in the Python 3.7 venv) on databases of its own,
copied from the template database with Odoo's crm/sale and their demo data; the checks read the databases
with SQL and drive the ORM through an Odoo shell.
"""
import json
import os

import pytest
from support import db as support_db
from support.db import connect, lifecycle, template
from support.db import copy_db as copy

E2E_DB = os.environ.get('IMPACT_DB', 'impact_crm_test_e2e')
PREFIX = (E2E_DB[:-len('_e2e')] if E2E_DB.endswith('_e2e') else E2E_DB) + '_lc'

# models whose shipped records are technical: the module may update them on every upgrade
TECHNICAL_MODELS = (
    'ir.ui.view', 'ir.ui.menu', 'ir.actions.act_window', 'ir.actions.act_window.view', 'ir.actions.server',
    'ir.actions.report', 'ir.actions.client', 'ir.actions.act_url', 'ir.model', 'ir.model.fields',
    'ir.model.constraint', 'ir.model.relation', 'ir.model.access', 'ir.rule', 'res.groups',
    'ir.module.category', 'ir.translation', 'ir.ui.view.custom', 'ir.model.fields.selection',
)


def odoo_shell(db, script):
    """Run ``script`` in an Odoo shell on ``db``; it reports by calling ``result(value)``."""
    prelude = 'import json\ndef result(value):\n    print("RESULT " + json.dumps(value))\n'
    out = lifecycle('shell', db, stdin=prelude + script)
    results = [json.loads(line[len('RESULT '):]) for line in out.splitlines() if line.startswith('RESULT ')]
    assert results, 'the shell script reported nothing:\n%s' % out[-3000:]
    return results[-1]


def sql(db, query, params=None):
    return support_db.sql(query, params, db=db)


def column_exists(db, table, column):
    return bool(sql(db, """SELECT 1 FROM information_schema.columns WHERE table_name = %s
                             AND column_name = %s""", (table, column)))


def xmlid_res(db, xmlid):
    module, name = xmlid.split('.')
    rows = sql(db, "SELECT res_id FROM ir_model_data WHERE module = %s AND name = %s", (module, name))
    return rows[0][0] if rows else None


LEAD_COLUMNS = ('name', 'type', 'partner_id', 'planned_revenue', 'probability', 'active', 'user_id', 'team_id',
                'date_deadline', 'description', 'email_from', 'company_id')
ORDER_COLUMNS = ('name', 'state', 'partner_id', 'amount_total', 'opportunity_id', 'date_order', 'company_id')


def snapshot(db):
    return {
        'leads': dict((row[0], row[1:]) for row in sql(
            db, 'SELECT id, %s FROM crm_lead ORDER BY id' % ', '.join(LEAD_COLUMNS))),
        'lead_stages': dict(sql(db, 'SELECT id, stage_id FROM crm_lead')),
        'orders': dict((row[0], row[1:]) for row in sql(
            db, 'SELECT id, %s FROM sale_order ORDER BY id' % ', '.join(ORDER_COLUMNS))),
        'order_lines': sql(db, 'SELECT id, order_id, product_id, product_uom_qty, price_unit '
                               'FROM sale_order_line ORDER BY id'),
        'partners': sql(db, 'SELECT id, name FROM res_partner ORDER BY id'),
        'messages': sql(db, 'SELECT count(*) FROM mail_message')[0][0],
    }


def own_models(db):
    """The models the module creates (not those it only extends)."""
    return [row[0] for row in sql(db, """
        SELECT m.model FROM ir_model m JOIN ir_model_data d ON d.model = 'ir.model' AND d.res_id = m.id
        GROUP BY m.model HAVING bool_and(d.module = 'impact_crm')""")]


def module_tables(db):
    """{model: table row count} for every model the module creates."""
    models = [model for model in own_models(db)
              if not sql(db, 'SELECT transient FROM ir_model WHERE model = %s', (model,))[0][0]]
    counts = {}
    for model in models:
        table = model.replace('.', '_')
        if sql(db, "SELECT 1 FROM pg_tables WHERE tablename = %s", (table,)):
            counts[model] = sql(db, 'SELECT count(*) FROM "%s"' % table)[0][0]
    return counts


# Odoo's models whose table is not named after the model (a scheduled action is also a server action)
TABLES = {'ir.actions.server': 'ir_act_server', 'ir.actions.act_window': 'ir_act_window',
          'ir.actions.report': 'ir_act_report_xml', 'ir.actions.client': 'ir_act_client',
          'ir.actions.act_url': 'ir_act_url'}


def noupdate_rows(db):
    """Every column of every record the module ships as noupdate data (the records users edit)."""
    rows = {}
    for model, res_id, name in sql(db, """SELECT model, res_id, name FROM ir_model_data
                                         WHERE module = 'impact_crm' AND noupdate ORDER BY id"""):
        table = TABLES.get(model, model.replace('.', '_'))
        found = sql(db, 'SELECT * FROM "%s" WHERE id = %%s' % table, (res_id,))
        columns = [c[0] for c in sql(db, """SELECT column_name FROM information_schema.columns
                                           WHERE table_name = %s ORDER BY ordinal_position""", (table,))]
        if found:
            record = dict(zip(columns, found[0]))
            for volatile in ('write_date', 'write_uid', 'create_date', 'create_uid'):
                record.pop(volatile, None)
            rows[name] = repr(sorted(record.items()))
    return rows


PREEXISTING = r'''
team = env.ref('sales_team.team_sales_department')
Stage = env['crm.stage']
# a company's own stages, one per team, one at 100 %, and an Odoo default stage the company renamed
site = Stage.create({'name': 'Site visit', 'probability': 50, 'team_id': team.id, 'sequence': 5})
signed = Stage.create({'name': 'Signed', 'probability': 100, 'sequence': 60})
env.ref('crm.stage_lead3').with_context(lang='en_US').write({'name': 'Offer sent'})
partner = env['res.partner'].create({'name': 'Pre-existing Builders Ltd'})
product = env['product.product'].create({'name': 'Curtain wall m2', 'list_price': 420.0, 'type': 'service'})
leads = env['crm.lead']
for name, stage, revenue in [('Tower A', site, 120000), ('Mall B', signed, 80000),
                             ('School C', env.ref('crm.stage_lead3'), 45000),
                             ('Clinic D', env.ref('crm.stage_lead2'), 30000)]:
    leads |= env['crm.lead'].create({'name': name, 'type': 'opportunity', 'partner_id': partner.id,
                                     'stage_id': stage.id, 'planned_revenue': revenue, 'team_id': team.id})
quote = env['sale.order'].create({'partner_id': partner.id, 'opportunity_id': leads[0].id, 'order_line': [
    (0, 0, {'product_id': product.id, 'product_uom_qty': 10})]})
order = env['sale.order'].create({'partner_id': partner.id, 'opportunity_id': leads[1].id, 'order_line': [
    (0, 0, {'product_id': product.id, 'product_uom_qty': 20})]})
order.action_confirm()
env.cr.commit()
result({'site': site.id, 'signed': signed.id, 'quote': quote.name, 'order': order.name})
'''


@pytest.fixture(scope='module')
def databases():
    made = []
    yield made
    if not os.environ.get('IMPACT_KEEP_LIFECYCLE_DBS'):
        for db in made:
            lifecycle('drop', db)


@pytest.fixture(scope='module')
def preexisting(databases):
    """A database with Odoo's crm/sale, their demo deals and quotations, and some of a company's own."""
    base = template()
    db = copy(base, PREFIX + '_pre')
    databases.append(db)
    info = odoo_shell(db, PREEXISTING)
    info['odoo_stages'] = dict((xmlid, xmlid_res(db, xmlid)) for xmlid in (
        'crm.stage_lead1', 'crm.stage_lead2', 'crm.stage_lead3', 'crm.stage_lead4'))
    info['snapshot'] = snapshot(db)
    return db, info


@pytest.fixture(scope='module')
def installed(preexisting, databases):
    pre_db, info = preexisting
    db = copy(pre_db, PREFIX + '_inst')
    databases.append(db)
    lifecycle('install', db)
    return db, info


def stage_group_kinds(db):
    return dict(sql(db, """SELECT s.id, g.kind FROM crm_stage s LEFT JOIN crm_stage_group g ON g.id = s.group_id"""))


def test_install_onto_existing_deals_and_quotations(installed):
    db, info = installed
    before = info['snapshot']
    after = snapshot(db)
    # every deal, quotation, order and order line is still there with its data and its number
    assert after['leads'] == before['leads']
    assert after['orders'] == before['orders']
    assert after['order_lines'] == before['order_lines']
    assert set(dict(after['partners'])) == set(dict(before['partners']))
    # Odoo's untouched default stages become the shipped ones (same records, crm's external ids still valid):
    # no deal moves, nothing is deleted; the one the company renamed stays its own, next to the shipped one
    odoo = info['odoo_stages']
    adopted = {'crm.stage_lead1': ('impact_crm.stage_potential', 'Potential'),
               'crm.stage_lead2': ('impact_crm.stage_quote', 'Quote'),
               'crm.stage_lead4': ('impact_crm.stage_won', 'Won')}
    assert after['lead_stages'] == before['lead_stages']
    names = dict(sql(db, 'SELECT id, name FROM crm_stage'))
    for odoo_xmlid, (ours_xmlid, name) in adopted.items():
        assert xmlid_res(db, odoo_xmlid) == odoo[odoo_xmlid] == xmlid_res(db, ours_xmlid), odoo_xmlid
        assert names[odoo[odoo_xmlid]] == name
    assert xmlid_res(db, 'crm.stage_lead3') == odoo['crm.stage_lead3']
    assert names[odoo['crm.stage_lead3']] == 'Offer sent'
    assert xmlid_res(db, 'impact_crm.stage_order') not in odoo.values()
    assert sorted(names.values()).count('Won') == 1
    # the first stage keeps Odoo's sequence convention (new leads land in the stage numbered 1)
    assert sql(db, 'SELECT sequence FROM crm_stage WHERE id = %s', (odoo['crm.stage_lead1'],))[0][0] == 1
    # every stage is in a group: by probability for the stages the module does not know
    kinds = stage_group_kinds(db)
    assert None not in kinds.values()
    assert kinds[info['site']] == 'open'
    assert kinds[info['signed']] == 'execution'
    assert kinds[odoo['crm.stage_lead3']] == 'open'
    # and every deal knows its stage's group
    assert sql(db, """SELECT count(*) FROM crm_lead l JOIN crm_stage s ON s.id = l.stage_id
                      WHERE l.stage_group_id IS DISTINCT FROM s.group_id
                         OR l.stage_group_kind IS DISTINCT FROM s.group_kind""")[0][0] == 0
    assert sql(db, 'SELECT count(*) FROM crm_lead WHERE stage_id IS NULL')[0][0] == \
        sum(1 for stage in before['lead_stages'].values() if stage is None)
    # quotations and orders keep their numbers: revision 1 of their own name; confirmed ones keep it as their
    # fiscal number (when the add-on numbers revisions and orders)
    assert column_exists(db, 'sale_order', 'revision') and column_exists(db, 'sale_order', 'fiscal_number')
    assert sql(db, """SELECT count(*) FROM sale_order WHERE revision IS DISTINCT FROM 1
                      OR quote_base_number IS DISTINCT FROM name""")[0][0] == 0
    confirmed = [oid for oid, row in before['orders'].items() if row[ORDER_COLUMNS.index('state')] in (
        'sale', 'done')]
    assert confirmed
    assert dict(sql(db, 'SELECT id, fiscal_number FROM sale_order WHERE id IN %s', (tuple(confirmed),))) == \
        dict((oid, before['orders'][oid][0]) for oid in confirmed)
    assert sql(db, """SELECT count(*) FROM sale_order WHERE fiscal_number IS NOT NULL
                      AND state NOT IN ('sale', 'done')""")[0][0] == 0


# The stored fields the add-on adds to tables that already hold data, which the install fills by SQL
# (hooks.PRECOMPUTED_COLUMNS, post_init_hook): each must hold what the ORM's computation gives.
STORED_AT_INSTALL = {
    'crm.lead': ['weighted_revenue', 'stage_group_id', 'stage_group_kind', 'forecast_category', 'amount_ordered',
                 'amount_invoiced', 'amount_paid', 'amount_outstanding', 'lost_criterion_id'],
    'sale.order': ['quote_number'],
    'crm.stage': ['group_kind', 'group_sequence'],
}

RECOMPUTE = r'''
checks = %r
differences = {}
counts = {}
for model, names in sorted(checks.items()):
    records = env[model].with_context(active_test=False).search([])
    counts[model] = len(records)
    query = 'SELECT id, %%s FROM %%s ORDER BY id' %% (', '.join('"%%s"' %% n for n in names), records._table)
    env.cr.execute(query)
    stored = env.cr.fetchall()
    for name in names:
        env.add_todo(records._fields[name], records)
    records.recompute()
    env.cr.execute(query)
    computed = env.cr.fetchall()
    differences[model] = [[str(value) for value in row] for row, other in zip(stored, computed) if row != other][:5]
forecast = env['crm.forecast.report']
env.cr.execute('SELECT count(*) FROM crm_quota_deal_month')
deal_months = env.cr.fetchone()[0]
result({'differences': differences, 'counts': counts, 'stale_forecast_rows': forecast._stale_rows(),
        'forecast_rows': forecast.search_count([]), 'deal_months': deal_months,
        'stale_deal_months': env['crm.quota']._stale_deal_months()})
env.cr.rollback()
'''


def test_install_fills_stored_fields_as_the_orm_computes_them(installed):
    # set by SQL at install (set-based, for large databases): the same values as the ORM's computation
    db = installed[0]
    checked = odoo_shell(db, RECOMPUTE % STORED_AT_INSTALL)
    assert checked['differences'] == dict((model, []) for model in STORED_AT_INSTALL)
    assert min(checked['counts'].values()) > 0
    kinds = dict(sql(db, 'SELECT forecast_category, count(*) FROM crm_lead GROUP BY 1'))
    assert {'omitted', 'closed', 'pipeline'} <= set(kinds) and None not in kinds
    # the forecast's rows are built once, at the end, from all of it
    assert checked['forecast_rows'] > 0 and checked['stale_forecast_rows'] == 0
    # so are the deals' monthly sums of the quotas' attainment
    assert checked['deal_months'] > 0 and checked['stale_deal_months'] == 0
    # fields with a constant default: every existing record has it
    assert sql(db, "SELECT count(*) FROM crm_lead WHERE revenue_spread IS DISTINCT FROM 'end'")[0][0] == 0
    assert sql(db, "SELECT count(*) FROM sale_order WHERE is_latest_revision IS NOT TRUE")[0][0] == 0
    assert sql(db, "SELECT count(*) FILTER (WHERE sla_unit IS DISTINCT FROM 'hours') FROM mail_activity")[0][0] == 0
    assert sql(db, "SELECT count(*) FROM mail_activity")[0][0] > 0
    # and no column keeps the default used to add it
    assert sql(db, """SELECT count(*) FROM information_schema.columns WHERE column_default IS NOT NULL
                      AND (table_name, column_name) IN (('crm_lead', 'revenue_spread'), ('sale_order', 'revision'),
                          ('sale_order', 'is_latest_revision'), ('mail_activity', 'sla_unit'))""")[0][0] == 0


USER_EDITS = r'''
Stage = env['crm.stage'].with_context(lang='en_US')
Stage.browse(env.ref('impact_crm.stage_quote').id).write({'name': 'Tender submitted'})
Stage.browse(env.ref('impact_crm.stage_order').id).write({'probability': 55})
# Odoo's New, adopted as the first stage: the company renumbers it and changes its probability
Stage.browse(env.ref('crm.stage_lead1').id).write({'sequence': 5, 'probability': 15})
Group = env['crm.stage.group'].with_context(lang='en_US')
Group.browse(env.ref('impact_crm.stage_group_open').id).write({'name': 'Negotiation', 'fold': True})
on_hold = env.ref('impact_crm.stage_on_hold')
assert not env['crm.lead'].with_context(active_test=False).search_count([('stage_id', '=', on_hold.id)])
deleted = on_hold.id
on_hold.unlink()
# a stage of its own in the execution group
Stage.create({'name': 'Installation', 'probability': 100, 'sequence': 75,
              'group_id': env.ref('impact_crm.stage_group_execution').id})
# rules: one reworded and due later, one switched off
Rule = env['crm.stage.rule'].with_context(lang='en_US')
Rule.browse(env.ref('impact_crm.stage_rule_prepare_quote').id).write({'summary': 'Price the tender', 'due_days': 3})
env.ref('impact_crm.stage_rule_quote_sent_follow_up').write({'active': False})
# numbering: the quotation numbers get a prefix, the fiscal numbers another one, Odoo's order sequence too
env.ref('impact_crm.seq_sale_quotation_impact').write({'prefix': 'Q-', 'padding': 5})
env.ref('impact_crm.seq_sale_order_fiscal').write({'prefix': 'INV/%(year)s/'})
env.ref('sale.seq_sale_order').write({'prefix': 'ORD'})
lead = env['crm.lead'].create({'name': 'Bridge E', 'type': 'opportunity', 'planned_revenue': 99000,
                               'stage_id': env.ref('impact_crm.stage_quote').id})
env.cr.commit()
result({'deleted_stage': deleted, 'lead': lead.id})
'''


def configuration(db):
    # everything a company configures in the pipeline, as stored
    return {
        'stages': sql(db, 'SELECT id, name, probability, group_id, sequence, fold, team_id, on_change, is_lost '
                          'FROM crm_stage ORDER BY id'),
        'groups': sql(db, 'SELECT id, name, fold, kind, sequence, color FROM crm_stage_group ORDER BY id'),
        'rules': sql(db, 'SELECT * FROM crm_stage_rule ORDER BY id'),
        'sequences': sql(db, "SELECT id, name, code, prefix, suffix, padding, number_next, implementation, active "
                             "FROM ir_sequence WHERE code LIKE 'sale.%%' ORDER BY id"),
        'stage_translations': sql(db, "SELECT res_id, lang, value FROM ir_translation WHERE type = 'model' "
                                      "AND name IN ('crm.stage,name', 'crm.stage.group,name') ORDER BY 1, 2"),
        'xmlids': sql(db, "SELECT module, name, res_id FROM ir_model_data WHERE model IN "
                          "('crm.stage', 'crm.stage.group', 'crm.stage.rule', 'ir.sequence') ORDER BY 1, 2"),
    }


@pytest.fixture(scope='module')
def edited(installed, databases):
    db = copy(installed[0], PREFIX + '_upg')
    databases.append(db)
    edits = odoo_shell(db, USER_EDITS)
    state = {'snapshot': snapshot(db), 'tables': module_tables(db), 'config': noupdate_rows(db),
             'configuration': configuration(db)}
    return db, edits, state


# -u impact_crm: the add-on's own upgrade; -u crm / -u sale: Odoo's modules under it; -u all: every Odoo upgrade.
# They run one after the other on the same database, each checked against the edits as the user left them.
@pytest.mark.parametrize('modules', ['impact_crm', 'crm', 'sale', 'all'])
def test_upgrade_keeps_records_and_user_edited_configuration(edited, modules):
    db, edits, before = edited

    lifecycle('upgrade', db, modules)

    after = snapshot(db)
    assert after == before['snapshot']
    assert module_tables(db) == before['tables']
    assert noupdate_rows(db) == before['config']
    config = configuration(db)
    for key, value in before['configuration'].items():
        assert config[key] == value, key
    names = dict(sql(db, 'SELECT id, name FROM crm_stage'))
    assert names[xmlid_res(db, 'impact_crm.stage_quote')] == 'Tender submitted'
    assert dict(sql(db, 'SELECT id, probability FROM crm_stage'))[xmlid_res(db, 'impact_crm.stage_order')] == 55
    assert sql(db, 'SELECT sequence, probability FROM crm_stage WHERE id = %s',
               (xmlid_res(db, 'crm.stage_lead1'),)) == [(5, 15)]
    assert dict(sql(db, 'SELECT id, name FROM crm_stage_group'))[
        xmlid_res(db, 'impact_crm.stage_group_open')] == 'Negotiation'
    # a stage the company deleted does not come back, nor do Odoo's default stages
    assert 'On hold' not in names.values()
    assert edits['deleted_stage'] not in names
    assert not set(names.values()) & {'New', 'Qualified'}
    assert sql(db, 'SELECT count(*) FROM crm_stage WHERE group_id IS NULL')[0][0] == 0
    assert edits['lead'] in after['leads']


ODOO_STAGE_XMLIDS = {'crm.stage_lead1': 'impact_crm.stage_potential', 'crm.stage_lead2': 'impact_crm.stage_quote',
                     'crm.stage_lead3': 'impact_crm.stage_order', 'crm.stage_lead4': 'impact_crm.stage_won'}


def test_upgrade_from_previous_version_keeps_odoo_stages_away(installed, databases):
    """A database installed with 11.0.1.0.0, which deleted Odoo's default stages and their external ids:
    upgrading the add-on gives crm's external ids to the add-on's stages, so that '-u crm' recreates nothing."""
    db = copy(installed[0], PREFIX + '_mig')
    databases.append(db)
    edits = odoo_shell(db, USER_EDITS)
    # the previous version's state: crm's default stages and their external ids gone, its version installed
    conn = connect(db)
    try:
        with conn, conn.cursor() as cr:
            cr.execute("DELETE FROM ir_model_data WHERE module = 'crm' AND name IN %s",
                       (tuple(name.split('.')[1] for name in ODOO_STAGE_XMLIDS),))
            cr.execute("UPDATE ir_module_module SET latest_version = '11.0.1.0.0' WHERE name = 'impact_crm'")
    finally:
        conn.close()
    assert not any(xmlid_res(db, xmlid) for xmlid in ODOO_STAGE_XMLIDS)
    before = configuration(db)
    records = snapshot(db)

    lifecycle('upgrade', db, 'impact_crm')

    assert sql(db, "SELECT latest_version FROM ir_module_module WHERE name = 'impact_crm'")[0][0] == '11.0.1.2.0'
    for odoo_xmlid, ours_xmlid in ODOO_STAGE_XMLIDS.items():
        assert xmlid_res(db, odoo_xmlid) == xmlid_res(db, ours_xmlid) is not None, odoo_xmlid
        # noupdate, as at install: crm's data file never resets the company's names and probabilities
        assert sql(db, "SELECT noupdate FROM ir_model_data WHERE module = 'crm' AND name = %s",
                   (odoo_xmlid.split('.')[1],)) == [(True,)]

    lifecycle('upgrade', db, 'crm')

    after = configuration(db)
    for key, value in before.items():
        if key != 'xmlids':
            assert after[key] == value, key
    # the external ids are the previous ones plus crm's four, on the add-on's stages
    added = set(after['xmlids']) - set(before['xmlids'])
    assert added == set(('crm', odoo_xmlid.split('.')[1], xmlid_res(db, ours_xmlid))
                        for odoo_xmlid, ours_xmlid in ODOO_STAGE_XMLIDS.items())
    assert set(before['xmlids']) <= set(after['xmlids'])
    assert snapshot(db) == records
    names = dict(sql(db, 'SELECT id, name FROM crm_stage'))
    assert not set(names.values()) & {'New', 'Qualified', 'Proposition'}
    assert list(names.values()).count('Won') == 1
    assert names[xmlid_res(db, 'crm.stage_lead2')] == 'Tender submitted'
    assert sql(db, 'SELECT probability FROM crm_stage WHERE id = %s', (xmlid_res(db, 'crm.stage_lead3'),)) == [(55,)]
    assert sql(db, 'SELECT sequence, probability FROM crm_stage WHERE id = %s',
               (xmlid_res(db, 'crm.stage_lead1'),)) == [(5, 15)]
    assert edits['deleted_stage'] not in names
    assert sql(db, 'SELECT count(*) FROM crm_stage WHERE group_id IS NULL')[0][0] == 0


def test_shipped_configuration_is_noupdate(installed):
    """Records of models users edit (stages, groups, rules, sequences, templates...) are shipped noupdate,
    so that an upgrade never resets them."""
    db = installed[0]
    updatable = sql(db, """SELECT model, name FROM ir_model_data
                           WHERE module = 'impact_crm' AND NOT noupdate AND model NOT IN %s ORDER BY model, name""",
                    (TECHNICAL_MODELS,))
    assert updatable == []


CORE_CRM_AND_SALES = r'''
env = env(context={'lang': 'en_US'})
views = 0
for model in ('crm.lead', 'sale.order', 'sale.order.line', 'crm.stage', 'crm.team', 'res.partner'):
    # every view of the model, with the views inheriting from it: none may name a field that is gone
    for view in env['ir.ui.view'].search([('model', '=', model), ('inherit_id', '=', False),
                                          ('type', '!=', 'qweb')]):
        env[model].fields_view_get(view_id=view.id, view_type=view.type)
        views += 1
partner = env['res.partner'].create({'name': 'After Uninstall Ltd'})
lead = env['crm.lead'].create({'name': 'After uninstall: warehouse', 'type': 'lead', 'planned_revenue': 5000})
lead.convert_opportunity(partner.id)
stages = env['crm.stage'].search([])
lead.write({'stage_id': stages[-1].id, 'planned_revenue': 6000})
pipeline = env['crm.lead'].read_group([('type', '=', 'opportunity')], ['planned_revenue', 'stage_id'], ['stage_id'])
old = env['crm.lead'].search([('type', '=', 'opportunity')], limit=1)
old.write({'name': old.name + ' (edited)', 'stage_id': stages[0].id})
product = env['product.product'].search([('sale_ok', '=', True)], limit=1)
order = env['sale.order'].create({'partner_id': partner.id, 'opportunity_id': lead.id, 'order_line': [
    (0, 0, {'product_id': product.id, 'product_uom_qty': 3})]})
order.action_confirm()
quote = env['sale.order'].search([('state', '=', 'draft')], limit=1)
quote.write({'note': 'still editable'})
quote.action_confirm()
lead.action_set_won()
env.cr.commit()
result({'lead': lead.id, 'stage': lead.stage_id.name, 'probability': lead.probability, 'order': order.name,
        'order_state': order.state, 'quote_state': quote.state, 'pipeline_groups': len(pipeline),
        'stages': stages.mapped('name'), 'sale_number': lead.sale_number, 'views': views})
'''


CONFIRM_NEW_ORDER = r'''
partner = env['res.partner'].search([('customer', '=', True)], limit=1)
product = env['product.product'].search([('sale_ok', '=', True)], limit=1)
order = env['sale.order'].create({'partner_id': partner.id, 'order_line': [
    (0, 0, {'product_id': product.id, 'product_uom_qty': 2})]})
order.action_confirm()
entry = env['sale.fiscal.number'].search([('order_id', '=', order.id)])
issues = [issue['type'] for issue in env['sale.fiscal.number'].get_numbering_issues()]
env.cr.commit()
result({'order': order.id, 'fiscal_number': order.fiscal_number, 'number': entry.number, 'issues': issues})
'''


def test_uninstall_keeps_crm_and_sales_working_and_reinstall(installed, databases):
    db = copy(installed[0], PREFIX + '_uninst')
    databases.append(db)
    # a fiscal number given before the uninstallation is never given again after a reinstallation
    numbered = odoo_shell(db, CONFIRM_NEW_ORDER)
    assert numbered['fiscal_number'] and numbered['number'] == 1
    before = snapshot(db)
    models = own_models(db)
    fields = sql(db, """SELECT f.model, f.name FROM ir_model_fields f JOIN ir_model_data d
                        ON d.model = 'ir.model.fields' AND d.res_id = f.id
                        WHERE d.module = 'impact_crm' AND f.store""")
    menus = [row[0] for row in sql(db, "SELECT res_id FROM ir_model_data WHERE module = 'impact_crm' "
                                       "AND model = 'ir.ui.menu'")]
    assert 'crm.stage.group' in models and menus

    lifecycle('uninstall', db)

    assert sql(db, "SELECT state FROM ir_module_module WHERE name = 'impact_crm'")[0][0] == 'uninstalled'
    # the module's models, tables, columns, menus and external ids are gone
    assert sql(db, "SELECT count(*) FROM ir_model_data WHERE module = 'impact_crm'")[0][0] == 0
    assert sql(db, 'SELECT model FROM ir_model WHERE model IN %s', (tuple(models),)) == []
    for model in models:
        assert not sql(db, 'SELECT 1 FROM pg_tables WHERE tablename = %s', (model.replace('.', '_'),)), model
    for model, name in fields:
        assert not sql(db, """SELECT 1 FROM information_schema.columns WHERE table_name = %s
                              AND column_name = %s""", (model.replace('.', '_'), name)), (model, name)
    assert sql(db, 'SELECT id FROM ir_ui_menu WHERE id IN %s', (tuple(menus),)) == []
    # so are its own database objects: the triggers on the tables that stay (a deal created afterwards would run
    # them on columns gone with the module) and the tables of sums
    assert sql(db, """SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal
                      AND (tgname LIKE '%forecast%' OR tgname LIKE '%quota%')""") == []
    assert sql(db, """SELECT to_regclass('crm_quota_deal_month'), to_regclass('crm_forecast_month'),
                             to_regclass('crm_forecast_order_month')""") == [(None, None, None)]
    # every deal, quotation and order is still there; no deal lost its stage
    after = snapshot(db)
    assert after['leads'] == before['leads']
    assert after['orders'] == before['orders']
    assert after['order_lines'] == before['order_lines']
    assert sql(db, 'SELECT count(*) FROM crm_lead WHERE stage_id IS NULL')[0][0] == 0
    # core CRM and sales work: views load, deals and quotations are created, edited, confirmed, won
    core = odoo_shell(db, CORE_CRM_AND_SALES)
    assert core['order_state'] == 'sale' and core['quote_state'] == 'sale'
    assert core['probability'] == 100 and core['sale_number'] == 1
    assert core['pipeline_groups'] >= 1 and core['views'] > 10
    assert {'New', 'Qualified', 'Won'} <= set(core['stages'])

    lifecycle('install', db)

    assert sql(db, "SELECT state FROM ir_module_module WHERE name = 'impact_crm'")[0][0] == 'installed'
    kinds = stage_group_kinds(db)
    assert None not in kinds.values()
    # Odoo's default stages, given back by the uninstall, are adopted again
    assert xmlid_res(db, 'crm.stage_lead1') == xmlid_res(db, 'impact_crm.stage_potential')
    assert sql(db, 'SELECT count(*) FROM crm_lead WHERE stage_id IS NULL')[0][0] == 0
    assert sql(db, """SELECT count(*) FROM crm_lead l JOIN crm_stage s ON s.id = l.stage_id
                      WHERE l.stage_group_id IS DISTINCT FROM s.group_id""")[0][0] == 0
    reinstalled = snapshot(db)
    assert set(reinstalled['leads']) >= set(before['leads'])
    assert set(reinstalled['orders']) >= set(before['orders'])
    # the ledger was kept: the order has its fiscal number back, the ledger its entry, the numbering continues
    assert sql(db, "SELECT to_regclass('impact_crm_fiscal_ledger_kept')")[0][0] is None
    assert sql(db, 'SELECT fiscal_number FROM sale_order WHERE id = %s', (numbered['order'],))[0][0] == \
        numbered['fiscal_number']
    assert sql(db, 'SELECT number, order_id FROM sale_fiscal_number WHERE name = %s',
               (numbered['fiscal_number'],)) == [(1, numbered['order'])]
    again = odoo_shell(db, CONFIRM_NEW_ORDER)
    assert again['number'] > numbered['number'] and again['fiscal_number'] != numbered['fiscal_number']
    assert 'duplicate' not in again['issues'] and 'unnumbered' not in again['issues']


def test_install_refused_next_to_a_numbering_add_on(databases):
    """sale_order_revision numbers quotation revisions its own way: installing impact_crm next to it stops
    with a message saying why, and leaves the database as it was."""
    base = template()
    db = copy(base, PREFIX + '_rev')
    databases.append(db)
    lifecycle('install', db, 'sale_order_revision')
    stages = sql(db, 'SELECT id, name, sequence FROM crm_stage ORDER BY id')

    with pytest.raises(AssertionError) as failed:
        lifecycle('install', db)

    assert 'cannot be installed together with sale_order_revision' in str(failed.value)
    assert sql(db, "SELECT state FROM ir_module_module WHERE name = 'impact_crm'")[0][0] != 'installed'
    assert not sql(db, "SELECT 1 FROM pg_tables WHERE tablename = 'crm_stage_group'")
    assert sql(db, 'SELECT id, name, sequence FROM crm_stage ORDER BY id') == stages
    assert sql(db, "SELECT count(*) FROM ir_model_data WHERE module = 'impact_crm'")[0][0] == 0
