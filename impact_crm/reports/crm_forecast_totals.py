"""Every total of the forecast workbook in ONE query over a forecast report (crm.forecast.report, or
crm.forecast.asof.report for the forecast as of a past moment): the totals per (dimension, period) of each
dimension, as a GROUPING SETS query gives them, summed from the rows grouped twice only (see _totals_sql),
built on the ORM's own query for the domain, with the current user's access rights and record rules applied
exactly as read_group applies them (no sudo). Separate read_group calls would scan the report once per
sheet."""
import re

from odoo import fields

from ..models.crm_lead import SPREAD_SQL
from ..sql_rules import company_currency_factors, currency_factor_sql
from .crm_forecast_report import MONTH_KEYS, MONTH_TABLES, period_sql

PERIOD_UNITS = ('month', 'quarter', 'year')


# the field whose members multiply the groups of the others (a deal's rows: one per category of its lines)
SPLIT_FIELD = 'categ_id'


def _on_months(Report, from_clause, where_clause, month_table):
    """The WHERE clause of the report's rows, read from the monthly sums ``month_table`` instead (the same
    columns), or None when the clause reads anything the sums do not keep: another column (a record rule
    on the deal, say), a join, another mention of the table."""
    table = '"%s"' % Report._table
    if Report._name != 'crm.forecast.report' or from_clause != table:
        return None
    qualified = re.compile(r'%s\."(\w+)"' % re.escape(table))
    if not set(qualified.findall(where_clause)) <= set(MONTH_KEYS + ('date',)):
        return None
    if Report._table in qualified.sub('', where_clause):
        return None
    if not Report._month_table_exists(month_table):   # the add-on's code ahead of its upgrade
        return None
    return qualified.sub(lambda match: '"%s"."%s"' % (month_table, match.group(1)), where_clause)


def _totals_sql(table, columns, groupby_fields, period, from_clause, where_clause, share, having=''):
    """The SQL of the totals: for each field of ``groupby_fields``, its sums per (member, period), marked
    by GROUPING() = 0 on its own column, as one GROUPING SETS query would give them.

    Hashing every row once per field cost most of the query (six hash tables over the manager's 305,000
    rows); the rows are summed instead per (member of every field but the product category, period) and
    per (category, period): two hash tables whose groups are few (about 3,000 and 1,000 for the manager),
    and each field's totals are summed from the first (numeric sums of sums: exactly the same totals)."""
    n = len(groupby_fields)
    aliases = ['c%d' % index for index in range(n)]
    split = groupby_fields.index(SPLIT_FIELD) if SPLIT_FIELD in groupby_fields and n > 1 else None
    fine = [index for index in range(n) if index != split]
    amount = '%s."amount"' % table if share == '1.0' else '%s."amount" * %s' % (table, share)
    weighted = '%s."weighted_amount"' % table if share == '1.0' else '%s."weighted_amount" * %s' % (table, share)
    if split is None:
        inner_group = 'GROUP BY %s' % ', '.join([columns[index] for index in fine] + [period])
        marker = '1'
    else:
        inner_group = 'GROUP BY GROUPING SETS ((%s), (%s, %s))' % (
            ', '.join([columns[index] for index in fine] + [period]), columns[split], period)
        marker = 'GROUPING(%s)' % columns[split]
    inner = """SELECT {marker} AS g, {columns}, {period} AS period, SUM({amount}) AS amount,
                      SUM({weighted}) AS weighted_amount
               FROM {from_clause} {where} {group}""".format(
        marker=marker, columns=', '.join('%s AS %s' % pair for pair in zip(columns, aliases)), period=period,
        amount=amount, weighted=weighted, from_clause=from_clause,
        where=('WHERE %s' % where_clause) if where_clause else '', group=inner_group + having)
    # the fields but the category, from the sums per member of all of them, each row marked by the index of
    # the one field its grouping set groups by (GROUPING() of the fields: a bit set for each field left out).
    # The numeric sums handed over as an array of floats (what the workbook writes), as float() of each would
    # round them: no Decimal per value, and psycopg2 parses a float array itself, where Odoo's cursor passes
    # each float column through a Python function
    fine_aliases = ', '.join(aliases[index] for index in fine)
    marks = ' '.join('WHEN %d THEN %d' % (((1 << len(fine)) - 1) ^ (1 << (len(fine) - 1 - position)), index)
                     for position, index in enumerate(fine))
    outer = """SELECT CASE GROUPING({fine_aliases}) {marks} END, {aliases}, period::date,
                      ARRAY[SUM(amount), SUM(weighted_amount)]::float8[]
               FROM sums WHERE g = 1 GROUP BY GROUPING SETS ({sets})""".format(
        fine_aliases=fine_aliases, marks=marks,
        aliases=', '.join('NULL' if index == split else aliases[index] for index in range(n)),
        sets=', '.join('(%s, period)' % aliases[index] for index in fine))
    if split is not None:
        outer += """
               UNION ALL
               SELECT {split}, {aliases}, period::date, ARRAY[amount, weighted_amount]::float8[]
                 FROM sums WHERE g = 0""".format(split=split, aliases=', '.join(aliases))
    return 'WITH sums AS (%s) %s' % (inner, outer)


def forecast_totals(Report, domain, groupby_fields, granularity, delivery_range=None, months=False):
    """Sum the amount and weighted amount of the rows of ``Report`` matching ``domain``, per period and
    member of each field of ``groupby_fields``.

    :param granularity: the period: 'month', 'quarter' or 'year'
    :param delivery_range: (first day, last day): date each row by the months its deal delivers in (the
        deal's revenue spread, shares of 1; rows of deals without a spread keep their date) and keep the
        dates of that range; None: the rows' own date (the domain filters it)
    :param months: the domain's dates are whole months (from a first day to a last day): the totals of a
        source (a domain on it) may be read from the monthly sums of its rows (MONTH_TABLES, a few rows per
        month and members instead of a row per deal, category or order line), when the domain and the
        user's record rules read only columns the sums keep; the same totals either way
    :return: {field: ({(member, period start): {'amount': x, 'weighted_amount': y}}, {member: label})}, the
        amounts in the currency of the user's company (sql_rules.company_currency_factors)
    """
    if granularity not in PERIOD_UNITS:
        # only the whitelisted units ever reach the SQL text
        raise ValueError(granularity)
    Report.check_access_rights('read')
    query = Report._where_calc(domain)
    Report._apply_ir_rules(query, 'read')
    from_clause, where_clause, params = query.get_sql()
    table = '"%s"' % Report._table
    having = ''
    month_where = month_table = None
    if months and not delivery_range:
        month_table = next((name for kind, name in MONTH_TABLES if ('source', '=', kind) in domain), None)
    if month_table:
        month_where = _on_months(Report, from_clause, where_clause, month_table)
    if month_where is not None:
        table = from_clause = '"%s"' % month_table
        where_clause = month_where
        # a member and month whose rows were all taken away since the last compaction sums to nothing
        having = ' HAVING SUM(%s."n") > 0' % table
    columns = ['%s."%s"' % (table, name) for name in groupby_fields]
    date, share = '%s."date"' % table, '1.0'
    if delivery_range:
        # each row's amount split over the months its deal delivers (shares of 1), the period on those
        from_clause += ' LEFT JOIN (%s) spread ON spread.lead_id = %s."lead_id"' % (SPREAD_SQL, table)
        date, share = 'COALESCE(spread.date, %s."date")' % table, 'COALESCE(spread.share, 1.0)'
        where_clause = ' AND '.join((['(%s)' % where_clause] if where_clause else []) +
                                    ['%s BETWEEN %%s AND %%s' % date])
        params = list(params) + list(delivery_range)
    factors = company_currency_factors(Report.env)
    if factors:
        # rows of companies in another currency, converted to the one the workbook shows
        share = '%s * %s' % (share, currency_factor_sql(factors, '%s."company_id"' % table))
    # grouped by the expression the report's period statistics describe (period_sql); the monthly sums' date
    # is already its month's first day
    if month_where is not None and granularity == 'month':
        period = date
    else:
        period = period_sql(granularity, date)
    sql = _totals_sql(table, columns, groupby_fields, period, from_clause, where_clause, share, having)
    if getattr(Report, '_history_parameters', ()):
        Report._apply_history_parameters()   # the 'as of' moment of the history view
    else:
        Report._prepare_aggregate(from_clause, where_clause, params)
    Report.env.cr.execute(sql, params)
    n = len(groupby_fields)
    result = dict((name, {}) for name in groupby_fields)
    starts = {}   # Odoo's cursor returns dates as strings: each period parsed once
    by_index = [result[name] for name in groupby_fields]
    for row in Report.env.cr.fetchall():
        index = row[0]   # the one field this grouping set groups by
        member = row[1 + index]
        start = row[1 + n]
        if isinstance(start, str):
            if start not in starts:
                starts[start] = fields.Date.from_string(start)
            start = starts[start]
        amount, weighted_amount = row[2 + n]
        by_index[index][(member if member is not None else False, start)] = {
            'amount': amount or 0.0, 'weighted_amount': weighted_amount or 0.0}
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
