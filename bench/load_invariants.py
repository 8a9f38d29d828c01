"""What must hold after the load, checked with SQL on the impact_crm database: each check is
(name, ok, detail)."""
import os
import subprocess

import _testkit  # noqa: F401
from support.db import connect, sql

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def check_invariants(db):
    results = []
    conn = connect(db)
    try:
        with conn.cursor() as cr:
            cr.execute("""SELECT count(*) FROM crm_lead l JOIN crm_stage s ON s.id = l.stage_id
                          WHERE l.stage_group_id IS DISTINCT FROM s.group_id""")
            results.append(('every deal has its stage\'s group', cr.fetchone()[0] == 0, ''))
            cr.execute("SELECT count(*) FROM crm_lead WHERE stage_id IS NULL AND type = 'opportunity'")
            results.append(('no opportunity without a stage', cr.fetchone()[0] == 0, ''))
            cr.execute("""SELECT count(*) FROM mail_activity a LEFT JOIN crm_lead l ON l.id = a.res_id
                          WHERE a.res_model = 'crm.lead' AND l.id IS NULL""")
            results.append(('no activity of a missing deal', cr.fetchone()[0] == 0, ''))
            cr.execute("""SELECT count(*) FROM mail_message m LEFT JOIN crm_lead l ON l.id = m.res_id
                          WHERE m.model = 'crm.lead' AND l.id IS NULL""")
            results.append(('no message of a missing deal', cr.fetchone()[0] == 0, ''))
            cr.execute("""SELECT count(*) FROM sale_order o LEFT JOIN sale_order_line l ON l.order_id = o.id
                          WHERE o.name LIKE 'SO%%' AND o.state = 'sale' AND l.id IS NULL""")
            results.append(('no confirmed order without lines', cr.fetchone()[0] == 0, ''))
            cr.execute("""SELECT count(*) FROM sale_order WHERE state = 'sale' AND confirmation_date IS NULL""")
            results.append(('every confirmed order has its confirmation date', cr.fetchone()[0] == 0, ''))
            cr.execute("""SELECT name, count(*) FROM sale_order GROUP BY name HAVING count(*) > 1""")
            dups = cr.fetchall()
            results.append(('order names are unique', not dups, str(dups[:5])))
            results.extend(check_fiscal_numbers(cr))
            results.extend(check_stage_history(cr))
    finally:
        conn.close()
    results.extend(check_forecast(db))
    return results


def check_forecast(db):
    """The stored forecast rows equal a fresh computation of them (concurrent writes of the same deals and
    their orders keep them in step): the add-on's own comparison, run by an Odoo of this checkout in a
    process of the add-on's virtualenv (the out-of-process benchmarks run in one without Odoo)."""
    code = ("import bench_writes; odoo = bench_writes.odoo_in_process()\n"
            "with odoo.api.Environment.manage(), odoo.registry(%r).cursor() as cr:\n"
            "    print(odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})['crm.forecast.report']._stale_rows())\n"
            % db)
    output = subprocess.check_output([os.path.join(ROOT, '.venv', 'bin', 'python'), '-c', code],
                                     cwd=os.path.join(ROOT, 'bench'), universal_newlines=True)
    stale = int(output.split()[-1])
    return [('the stored forecast rows equal a fresh computation', stale == 0,
             '%d rows differ' % stale if stale else '')]


def check_fiscal_numbers(cr):
    """Fiscal numbers: one per confirmed order, unique, and consecutive per sequence (the ledger)."""
    results = []
    cr.execute("""SELECT sequence_id, count(*), min(number), max(number), count(DISTINCT number)
                  FROM sale_fiscal_number WHERE number IS NOT NULL GROUP BY sequence_id""")
    rows = cr.fetchall()
    bad = [row for row in rows if not (row[1] == row[4] == row[3] - row[2] + 1)]
    results.append(('fiscal numbers consecutive and unique per sequence (%s numbers)' % sum(r[1] for r in rows),
                    not bad, str(bad[:5])))
    cr.execute("""SELECT count(*) FROM sale_order o WHERE o.state IN ('sale', 'done') AND o.fiscal_number IS NULL
                  AND NOT EXISTS (SELECT 1 FROM sale_order n WHERE n.fiscal_number IS NOT NULL
                                  AND n.quote_base_number = o.quote_base_number)""")
    missing = cr.fetchone()[0]
    results.append(('every confirmed order has a fiscal number', missing == 0, '%d without' % missing))
    cr.execute("""SELECT fiscal_number, count(DISTINCT quote_base_number) FROM sale_order
                  WHERE fiscal_number IS NOT NULL GROUP BY fiscal_number
                  HAVING count(DISTINCT quote_base_number) > 1""")
    dups = cr.fetchall()
    results.append(('no fiscal number on two different orders', not dups, str(dups[:5])))
    cr.execute("""SELECT count(*) FROM sale_fiscal_number f LEFT JOIN sale_order o ON o.id = f.order_id
                  WHERE f.order_id IS NOT NULL AND o.id IS NULL""")
    results.append(('no fiscal number of a missing order', cr.fetchone()[0] == 0, ''))
    return results


def check_stage_history(cr):
    cr.execute("""SELECT count(*) FROM crm_lead l WHERE l.stage_id IS NOT NULL AND NOT EXISTS (
                  SELECT 1 FROM crm_lead_stage_history h WHERE h.lead_id = l.id)""")
    without = cr.fetchone()[0]
    # the last history record of every deal is the stage the deal is in
    cr.execute("""SELECT count(*) FROM crm_lead l JOIN LATERAL (
                      SELECT h.stage_to_id FROM crm_lead_stage_history h WHERE h.lead_id = l.id
                      ORDER BY h.date DESC, h.id DESC LIMIT 1) last ON true
                  WHERE last.stage_to_id IS DISTINCT FROM l.stage_id""")
    wrong = cr.fetchone()[0]
    # consecutive records chain: each one starts where the previous one ended
    cr.execute("""SELECT count(*) FROM (
                      SELECT stage_from_id, lag(stage_to_id) OVER (PARTITION BY lead_id ORDER BY date, id) AS prev,
                             row_number() OVER (PARTITION BY lead_id ORDER BY date, id) AS n
                      FROM crm_lead_stage_history) h
                  WHERE n > 1 AND stage_from_id IS DISTINCT FROM prev""")
    broken = cr.fetchone()[0]
    return [('every deal with a stage has a stage history', without == 0, '%d without' % without),
            ('the last history record of every deal is its stage', wrong == 0, '%d differ' % wrong),
            ('history records chain (from = previous to)', broken == 0, '%d breaks' % broken)]


def history_max_id(db):
    return sql('SELECT coalesce(max(id), 0) FROM crm_lead_stage_history', db=db)[0][0]


def history_count(db, lead):
    return sql('SELECT count(*) FROM crm_lead_stage_history WHERE lead_id = %s', (lead,), db=db)[0][0]


def stage_changes_recorded(db, ctx, since):
    """As many history records were added during the load (ids above ``since``), for the deals of the
    stage-change pool, as the clients made stage changes on them (writes that actually changed the stage,
    and creations)."""
    leads = tuple(lead for pool in ctx['leads'].values() for lead in pool)
    added = sql('SELECT count(*) FROM crm_lead_stage_history WHERE id > %s AND lead_id IN %s',
                (since, leads), db=db)[0][0]
    made = sum(1 for writes in ctx['stage_writes'].values() for _lead, _stage, changed in writes if changed)
    made += len(ctx['created_leads'])
    return [('one history record per stage change', added == made, '%d records for %d changes' % (added, made))]


def fiscal_state(db):
    """What a confirmation draws from: the number_next of the sequences of sale.order."""
    return sql("""SELECT s.id, s.number_next, coalesce(array_agg(r.number_next ORDER BY r.id), '{}')
                  FROM ir_sequence s LEFT JOIN ir_sequence_date_range r ON r.sequence_id = s.id
                  WHERE s.code LIKE 'sale.order%%' GROUP BY s.id ORDER BY s.id""", (), db=db)


def show(checks):
    for name, ok, detail in checks:
        print('%-8s %s%s' % ('ok' if ok else 'FAILED', name, (': ' + detail) if detail else ''))
    return checks
