#!/usr/bin/env python
"""The load mix's operations one call at a time, as a sales rep: impact_crm versus plain Odoo, same run.

    .venv/bin/python bench/bench_rep_calls.py [--rounds 3] [--calls 20] [--reuse] [--keep] [--statements OP]
                                              [--plain-db bench_rep_plain] [--impact-db bench_rep_impact]

``load.py``'s clients are sales users (record rules apply), ``bench_lone_call.py`` calls as the administrator
(no rules). Here a sales user (group "own documents only") runs, each call in its own transaction with a fresh
environment (an empty ORM cache), rolled back: the pipeline read ("My Pipeline": its list and its read_group by
stage), a stage change to another stage (a rule-free one on the add-on's side), the creation of an opportunity,
an activity created and marked done, a quotation of one line on one of the rep's deals, and that quotation
confirmed (numbered). Prints per operation the best of the rounds: wall time, Python CPU of this process, CPU of
its PostgreSQL backend, the statements sent, and the ratios. ``--statements OP`` lists the statements of the last
call of OP on each side. Not part of ``make test``.
"""
import argparse
import os
import random
import sys
import time

os.environ['TZ'] = 'UTC'
time.tzset()

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_lone_call import StatementLog, alternating_rounds, lone_calls  # noqa: E402
from bench_writes import add_database_pair_arguments, database_pair, odoo_in_process  # noqa: E402


def prepare(odoo, dbname, impact):
    """The rep, 15 deals of his, the stages, customers and a product the calls draw from (committed once)."""
    with odoo.api.Environment.manage(), odoo.registry(dbname).cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        user = env['res.users'].search([('login', '=', 'bench_rep_calls')])
        if not user:
            user = env['res.users'].with_context(no_reset_password=True).create({
                'name': 'Bench Rep', 'login': 'bench_rep_calls', 'email': 'bench_rep_calls@example.com',
                'groups_id': [(6, 0, [env.ref('sales_team.group_sale_salesman').id])]})
        domain = [('is_lost', '=', False), ('rule_ids', '=', False)] if impact else []
        stages = env['crm.stage'].search(domain).ids
        deals = env['crm.lead'].search([('user_id', '=', user.id), ('type', '=', 'opportunity')], order='id')
        while len(deals) < 15:
            deals |= env['crm.lead'].create({
                'name': 'Bench rep deal %d' % len(deals), 'type': 'opportunity', 'user_id': user.id,
                'planned_revenue': 10000, 'stage_id': random.choice(stages)})
        product = env['product.product'].search([('name', '=', 'Bench glazing m2')], limit=1) or \
            env['product.product'].create({'name': 'Bench glazing m2', 'list_price': 250, 'type': 'service'})
        cr.commit()
        return {'uid': user.id, 'stages': stages, 'deals': deals.ids, 'product': product.id,
                'partners': env['res.partner'].search([('customer', '=', True)], limit=30).ids,
                'activity_type': env['mail.activity.type'].search([], limit=1).id,
                'lead_model': env['ir.model']._get('crm.lead').id}


def operations(ctx):
    """[(name, function(env))], the load mix's operations (bench/load_mix.py) written for one environment."""
    def read_pipeline(env):
        domain = [('type', '=', 'opportunity'), ('user_id', '=', env.uid)]
        env['crm.lead'].search_read(domain, ['name', 'partner_id', 'stage_id', 'planned_revenue', 'probability',
                                             'user_id', 'activity_ids'], limit=80, order='stage_id, id desc')
        env['crm.lead'].read_group(domain, ['planned_revenue', 'stage_id'], ['stage_id'], lazy=True)

    def change_stage(env):
        lead = env['crm.lead'].browse(random.choice(ctx['deals']))
        before = lead.read(['stage_id'])[0]['stage_id']
        env.cache.invalidate()   # the write is a call of its own
        lead.write({'stage_id': random.choice([stage for stage in ctx['stages'] if stage != before[0]])})

    def create_lead(env):
        env['crm.lead'].create({'name': 'Bench rep lead', 'type': 'opportunity', 'user_id': env.uid,
                                'planned_revenue': 5000, 'partner_id': random.choice(ctx['partners']),
                                'stage_id': random.choice(ctx['stages'])})

    def log_activity(env):
        activity = env['mail.activity'].create({
            'res_model_id': ctx['lead_model'], 'res_id': random.choice(ctx['deals']),
            'activity_type_id': ctx['activity_type'], 'summary': 'Call the site manager', 'user_id': env.uid})
        env.cache.invalidate()
        activity.action_done()

    def create_quotation(env):
        return env['sale.order'].create({
            'partner_id': random.choice(ctx['partners']), 'opportunity_id': random.choice(ctx['deals']),
            'order_line': [(0, 0, {'product_id': ctx['product'], 'product_uom_qty': random.randint(1, 50)})]})

    def quote_and_confirm(env):
        order = create_quotation(env)
        env.cache.invalidate()
        order.action_confirm()

    return [('read_pipeline', read_pipeline), ('change_stage', change_stage), ('create_lead', create_lead),
            ('log_activity', log_activity), ('create_quotation', create_quotation),
            ('quote_and_confirm', quote_and_confirm)]


def run_round(odoo, dbname, ctx, calls, log, keep):
    """``lone_calls`` of every operation ``calls`` times as the rep: ({name: (wall s, statements, CPU s, Python
    CPU s)} summed over the calls, {name: statements of its last call} for ``keep``)."""
    return lone_calls(odoo, dbname, operations(ctx) * calls, log, keep=keep, uid=ctx['uid'])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--calls', type=int, default=20)
    add_database_pair_arguments(parser, 'rep')
    parser.add_argument('--statements', metavar='OP', help="list the statements of one call of OP on each side")
    args = parser.parse_args()
    if not args.reuse:
        database_pair(args.plain_db, args.impact_db)
    odoo = odoo_in_process()
    log = StatementLog(odoo)
    best, setup = alternating_rounds(
        odoo, args, lambda dbname: prepare(odoo, dbname, dbname == args.impact_db),
        lambda dbname, ctx, last: run_round(odoo, dbname, ctx, args.calls, log, args.statements if last else None))
    load = os.getloadavg()
    print('\n%s, %d cores, load average %.1f %.1f %.1f, best of %d rounds of %d calls, as a sales rep' % (
        time.strftime('%Y-%m-%d'), os.cpu_count(), load[0], load[1], load[2], args.rounds, args.calls))
    print('%-18s %15s %15s %15s %7s %13s %7s' % ('ms per call', 'wall pl./imp.', 'Python pl./imp.',
                                                 'PG pl./imp.', 'CPU', 'SQL pl./imp.', 'wall'))
    calls = float(args.calls)
    for name, _operation in operations(setup[args.plain_db]):
        plain, impact = best[(args.plain_db, name)], best[(args.impact_db, name)]
        print('%-18s %7.1f %7.1f %7.1f %7.1f %7.1f %7.1f %6.2fx %6.1f %6.1f %6.2fx' % (
            name, plain[0] * 1000 / calls, impact[0] * 1000 / calls, plain[3] * 1000 / calls,
            impact[3] * 1000 / calls, (plain[2] - plain[3]) * 1000 / calls, (impact[2] - impact[3]) * 1000 / calls,
            impact[2] / (plain[2] or 1.0), plain[1] / calls, impact[1] / calls, impact[0] / plain[0]))
    print('CPU: Odoo (this process) + its PostgreSQL backend; the ratios impact_crm / plain Odoo')


if __name__ == '__main__':
    main()
