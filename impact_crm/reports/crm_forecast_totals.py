"""Every total of the forecast workbook in ONE query over a forecast report (crm.forecast.report, or
crm.forecast.asof.report for the forecast as of a past moment): a GROUPING SETS query ((dimension, period)
for each dimension) built on the ORM's own query for the domain, with the current user's access rights and
record rules applied exactly as read_group applies them (no sudo). Separate read_group calls would scan the
report once per sheet."""
from odoo import fields

from ..models.crm_lead import SPREAD_SQL

PERIOD_UNITS = ('month', 'quarter', 'year')


def forecast_totals(Report, domain, groupby_fields, granularity, delivery_range=None):
    """Sum the amount and weighted amount of the rows of ``Report`` matching ``domain``, per period and
    member of each field of ``groupby_fields``.

    :param granularity: the period: 'month', 'quarter' or 'year'
    :param delivery_range: (first day, last day): date each row by the months its deal delivers in (the
        deal's revenue spread, shares of 1; rows of deals without a spread keep their date) and keep the
        dates of that range; None: the rows' own date (the domain filters it)
    :return: {field: ({(member, period start): {'amount': x, 'weighted_amount': y}}, {member: label})}
    """
    if granularity not in PERIOD_UNITS:
        # only the whitelisted units ever reach the SQL text
        raise ValueError(granularity)
    Report.check_access_rights('read')
    query = Report._where_calc(domain)
    Report._apply_ir_rules(query, 'read')
    from_clause, where_clause, params = query.get_sql()
    table = '"%s"' % Report._table
    columns = ['%s."%s"' % (table, name) for name in groupby_fields]
    date, share = '%s."date"' % table, '1.0'
    if delivery_range:
        # each row's amount split over the months its deal delivers (shares of 1), the period on those
        from_clause += ' LEFT JOIN (%s) spread ON spread.lead_id = %s."lead_id"' % (SPREAD_SQL, table)
        date, share = 'COALESCE(spread.date, %s."date")' % table, 'COALESCE(spread.share, 1.0)'
        where_clause = ' AND '.join((['(%s)' % where_clause] if where_clause else []) +
                                    ['%s BETWEEN %%s AND %%s' % date])
        params = list(params) + list(delivery_range)
    # grouped by the expression the report's period statistics describe (crm.forecast.report), read as a date
    period = "date_trunc('%s', %s)" % (granularity, date)
    sql = """
        SELECT {groupings}, {columns}, {period}::date AS period,
               SUM({table}."amount" * {share}), SUM({table}."weighted_amount" * {share})
        FROM {from_clause} {where}
        GROUP BY GROUPING SETS ({sets})
    """.format(
        groupings=', '.join('GROUPING(%s)' % column for column in columns),
        columns=', '.join(columns), period=period, table=table, from_clause=from_clause, share=share,
        where=('WHERE %s' % where_clause) if where_clause else '',
        sets=', '.join('(%s, %s)' % (column, period) for column in columns))
    if getattr(Report, '_history_parameters', ()):
        Report._apply_history_parameters()   # the 'as of' moment of the history view
    else:
        Report._prepare_aggregate()
    Report.env.cr.execute(sql, params)
    n = len(groupby_fields)
    result = dict((name, {}) for name in groupby_fields)
    starts = {}   # Odoo's cursor returns dates as strings: each period parsed once
    for row in Report.env.cr.fetchall():
        index = list(row[:n]).index(0)   # the one column this grouping set groups by
        member = row[n + index] if row[n + index] is not None else False
        start = row[2 * n]
        if isinstance(start, str):
            if start not in starts:
                starts[start] = fields.Date.from_string(start)
            start = starts[start]
        result[groupby_fields[index]][(member, start)] = {
            'amount': float(row[2 * n + 1] or 0.0), 'weighted_amount': float(row[2 * n + 2] or 0.0)}
    labels = {}
    for name in groupby_fields:
        field = Report._fields[name]
        ids = [member for member, _start in result[name] if member]
        if field.type == 'many2one':
            labels[name] = dict(Report.env[field.comodel_name].browse(list(set(ids))).name_get())
        elif field.type == 'selection':
            labels[name] = dict(field._description_selection(Report.env))
        else:
            labels[name] = {}
    return dict((name, (result[name], labels[name])) for name in groupby_fields)
