"""The load's numbers: latency percentiles per operation and overall, throughput, errors by kind, and the ratios
of impact_crm to plain Odoo measured in the same run."""
import collections
import math


def percentile(values, pct):
    if not values:
        return float('nan')
    values = sorted(values)
    index = min(len(values) - 1, max(0, int(round(pct / 100.0 * len(values) + 0.5)) - 1))
    return values[index]


def ms(seconds):
    return float('nan') if math.isnan(seconds) else 1000.0 * seconds


def summary(sample, clients, think, alone):
    """A dict of the run's numbers (what --json writes)."""
    every = [x for values in sample.operations.values() for x in values]
    by_kind = collections.Counter()
    for (_op, kind), n in sample.errors.items():
        by_kind[kind] += n
    wall = sample.wall or float('nan')
    return {
        'clients': clients, 'think_s': think, 'seconds': round(sample.wall, 1),
        'requests': len(sample.requests), 'requests_per_s': round(len(sample.requests) / wall, 2),
        'request_p50_ms': round(ms(percentile(sample.requests, 50))),
        'request_p95_ms': round(ms(percentile(sample.requests, 95))),
        'request_p99_ms': round(ms(percentile(sample.requests, 99))),
        'operations': len(every), 'ops_per_s': round(len(every) / wall, 2),
        'p50_ms': round(ms(percentile(every, 50))), 'p95_ms': round(ms(percentile(every, 95))),
        'p99_ms': round(ms(percentile(every, 99))), 'errors': dict(by_kind),
        'per_operation': dict((name, {
            'count': len(values), 'per_s': round(len(values) / wall, 2),
            'p50_ms': round(ms(percentile(values, 50))), 'p95_ms': round(ms(percentile(values, 95))),
            'p99_ms': round(ms(percentile(values, 99))),
            'errors': sum(n for (op, _kind), n in sample.errors.items() if op == name),
            'alone_p50_ms': round(ms(percentile(alone.get(name, []), 50)))})
            for name, values in sample.operations.items()),
    }


def show_load(title, sample, numbers):
    print('\n== %s: %d clients (think time %.1f s on average), %.1f s' % (
        title, numbers['clients'], numbers['think_s'], sample.wall))
    print('requests: %d, %.1f requests/s, latency p50 %.0f ms, p95 %.0f ms, p99 %.0f ms' % (
        numbers['requests'], numbers['requests_per_s'], numbers['request_p50_ms'], numbers['request_p95_ms'],
        numbers['request_p99_ms']))
    print('operations (one or more requests each): %d, %.1f operations/s' % (
        numbers['operations'], numbers['ops_per_s']))
    print('%-20s %7s %8s %8s %8s %8s %12s %10s' % ('operation', 'count', 'p50 ms', 'p95 ms', 'p99 ms', 'errors',
                                                   'alone p50', 'p50 ratio'))
    for name in sorted(numbers['per_operation']):
        op = numbers['per_operation'][name]
        print('%-20s %7d %8.0f %8.0f %8.0f %8d %12.0f %10.1f' % (
            name, op['count'], op['p50_ms'], op['p95_ms'], op['p99_ms'], op['errors'], op['alone_p50_ms'],
            op['p50_ms'] / op['alone_p50_ms'] if op['alone_p50_ms'] else float('nan')))
    print('%-20s %7d %8.0f %8.0f %8.0f %8d' % ('all', numbers['operations'], numbers['p50_ms'], numbers['p95_ms'],
                                               numbers['p99_ms'], sum(numbers['errors'].values())))
    print('errors by kind: %s' % (numbers['errors'] or 'none'))
    for kind, text in sample.examples.items():
        print('  e.g. %s: %s' % (kind, text.replace('\n', ' ')))


def ratio(a, b):
    return a / b if b else float('nan')


def compare(plain, impact, p95_goal=1.3, throughput_goal=0.8):
    """Print impact_crm against plain Odoo (same mix, same run); returns (ratios dict, goals met)."""
    print('\n== impact_crm / plain Odoo, same mix, same run')
    print('%-20s %9s %9s %7s %9s %9s %7s' % ('operation', 'p95 plain', 'p95 imp.', 'ratio', 'ops/s pl.',
                                             'ops/s im.', 'ratio'))
    for name in sorted(set(plain['per_operation']) & set(impact['per_operation'])):
        a, b = plain['per_operation'][name], impact['per_operation'][name]
        print('%-20s %9.0f %9.0f %7.2f %9.2f %9.2f %7.2f' % (
            name, a['p95_ms'], b['p95_ms'], ratio(b['p95_ms'], a['p95_ms']), a['per_s'], b['per_s'],
            ratio(b['per_s'], a['per_s'])))
    ratios = {
        'p95': ratio(impact['p95_ms'], plain['p95_ms']),
        'request_p95': ratio(impact['request_p95_ms'], plain['request_p95_ms']),
        'throughput': ratio(impact['ops_per_s'], plain['ops_per_s']),
        'request_throughput': ratio(impact['requests_per_s'], plain['requests_per_s']),
    }
    print('%-20s %9.0f %9.0f %7.2f %9.2f %9.2f %7.2f' % (
        'all operations', plain['p95_ms'], impact['p95_ms'], ratios['p95'], plain['ops_per_s'],
        impact['ops_per_s'], ratios['throughput']))
    print('%-20s %9.0f %9.0f %7.2f %9.2f %9.2f %7.2f' % (
        'all requests', plain['request_p95_ms'], impact['request_p95_ms'], ratios['request_p95'],
        plain['requests_per_s'], impact['requests_per_s'], ratios['request_throughput']))
    met = ratios['p95'] <= p95_goal and ratios['throughput'] >= throughput_goal
    print('goal: operation p95 within %.1fx (%.2fx), throughput at least %.1fx (%.2fx): %s' % (
        p95_goal, ratios['p95'], throughput_goal, ratios['throughput'], 'met' if met else 'NOT MET'))
    return ratios, met
