"""Mass lost: the lost flow (reason check, loss recorded per deal, Lost stage, one tracked chatter message per
deal) against what Odoo's stock lost wizard does (write the reason, tracked, then probability 0 / active False)
on the same number of deals.

Run in an Odoo shell on a test database (everything is rolled back):
    source tools/lib.sh; odoo shell -d impact_crm_test < bench/bench_lost.py   # the database of make test
"""
import time

N = 100


def make_deals(env, tag):
    stage = env.ref('impact_crm.stage_quote')
    Lead = env['crm.lead']
    return Lead.browse([Lead.create({'name': '%s %s' % (tag, i), 'type': 'opportunity', 'stage_id': stage.id,
                                     'planned_revenue': 1000.0 + i}).id for i in range(N)])


def run(env):
    reason = env.ref('impact_crm.lost_reason_price_above_budget')
    base_deals = make_deals(env, 'baseline')
    flow_deals = make_deals(env, 'flow')
    env['crm.lead'].invalidate_cache()
    start = time.time()
    # Odoo's stock wizard: write the reason, then action_set_lost (the context flag skips our guards)
    from odoo.addons.impact_crm.models.crm_lead import LOST_FLOW
    stock = base_deals.with_context(impact_lost_flow=LOST_FLOW)
    stock.write({'lost_reason': reason.id})
    stock.write({'probability': 0, 'active': False})
    baseline = time.time() - start
    env['crm.lead'].invalidate_cache()
    start = time.time()
    wizard = env['crm.lead.lost'].with_context(active_model='crm.lead', active_ids=flow_deals.ids).create({
        'lead_ids': [(6, 0, flow_deals.ids)], 'lost_reason_id': reason.id})
    wizard.action_lost_reason_apply()
    flow = time.time() - start
    assert not any(flow_deals.mapped('active'))
    print('mass lost of %d deals: Odoo stock wizard %.3fs, lost flow %.3fs, ratio %.2fx'
          % (N, baseline, flow, flow / baseline))


try:
    run(env)  # noqa: F821 (the Odoo shell provides env)
finally:
    env.cr.rollback()  # noqa: F821
