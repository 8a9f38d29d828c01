import datetime
import hashlib
import logging

import babel.dates

from odoo import _, api, fields, models, tools
from odoo.exceptions import AccessError
from odoo.osv import expression
from odoo.osv.query import Query
from odoo.tools import DEFAULT_SERVER_DATE_FORMAT

from ..models.crm_stage import FORECAST_CATEGORIES
from ..sql_rules import ORDER_DATE, company_day_sql, company_rate_factor_sql, count_differing_rows, status_sql

_logger = logging.getLogger(__name__)

SOURCES = [('opportunity', 'Opportunities'), ('order', 'Quotations / Orders')]

# SQL type of a stored column, by field type
COLUMN_TYPES = {'many2one': 'integer', 'selection': 'varchar', 'char': 'varchar', 'date': 'date',
                'float': 'numeric', 'monetary': 'numeric', 'integer': 'integer', 'boolean': 'boolean'}

# Above this many deals a refresh locks the whole table instead of one advisory lock per deal
# (PostgreSQL's lock table holds a few thousand locks per transaction).
BULK_REFRESH = 2000

# advisory lock namespace of the per-deal refresh locks ('fcst')
LOCK_CLASS = 0x66637374


# The forecast's rows summed per month (see CrmForecastReport._month_function), a table per source: the
# columns a workbook groups, filters or applies the record rules by, the first day of the month as ``date``,
# the sums and the number of rows. The opportunities' sums have the B-tree indexes of a sales user's rows (see
# init). Every order's confirmation appends to the orders' sums: their indexes are block range (BRIN) ones,
# which an append to pages not yet summarized does not touch (a B-tree gets an entry per row, all of the same
# salesperson's in the same page); the rebuild and the compaction write the sums a sales channel and each of
# its salespeople side by side (MONTH_ORDER) and summarize them again (see _summarize_order_months), so that
# a sales user's totals read the few pages holding his rows instead of the whole table
MONTH_TABLE = 'crm_forecast_month'
ORDER_MONTH_TABLE = 'crm_forecast_order_month'
MONTH_TABLES = (('opportunity', MONTH_TABLE), ('order', ORDER_MONTH_TABLE))
MONTH_KEYS = ('source', 'company_id', 'user_id', 'team_id', 'region_id', 'categ_id', 'stage_group_id', 'status',
              'forecast_category')

# pages per block range of the orders' sums' BRIN indexes: a salesperson's sums fill a few pages
ORDER_MONTH_BRIN_PAGES = 4
ORDER_MONTH_BRIN_COLUMNS = ('user_id', 'team_id')

# the order the sums are written in when summed whole (rebuild, compaction): a sales channel's and each of its
# salespeople's sums side by side on disk, as the rows are (see _rebuild); by the output's positions (the
# summing queries group by an expression of the date)
MONTH_ORDER = ' ORDER BY %s, %d' % (
    ', '.join(str(MONTH_KEYS.index(key) + 1) for key in ('source', 'team_id', 'user_id')), len(MONTH_KEYS) + 1)

# advisory lock (namespace LOCK_CLASS) taken by the compaction of the monthly sums: one at a time
MONTH_COMPACT_LOCK = -1

# the periods a pivot or the workbook groups the rows' date by
PIVOT_PERIODS = ('day', 'week', 'month', 'quarter', 'year')

# rows of the largest table a pivot's many2one grouping may target for its groups to be ordered one by one
FEW_MEMBERS = 2000

# rows a read of the forecast must be expected to return (PostgreSQL's estimate) to be worth parallel workers.
# Starting them costs 5-10 ms on a small machine, more than they save on a sales rep's read of his own deals
# (20,000 rows of 600,000); and PostgreSQL prices the pages of such a read as if they were scattered over the
# whole table (a bitmap scan's cost ignores that a salesperson's rows lie side by side), so with the cheaper
# workers a manager's reads need it would start them for the rep's too
PARALLEL_MIN_ROWS = 50000


def period_sql(unit, column):
    """SQL of the first day of the ``unit`` (one of PIVOT_PERIODS, never user input) holding date ``column``.
    Odoo's read_group truncates a date as it is, which PostgreSQL casts to a timestamp with time zone: a time
    zone look-up per row, costlier outside UTC. A date has no time zone: truncated as a plain timestamp it
    stays the same day, and the group's value is read back as a date."""
    assert unit in PIVOT_PERIODS, unit
    return "date_trunc('%s', (%s)::timestamp)::date" % (unit, column)


def period_start(text, _memo={}):
    """The datetime of a period's first day read as text ('2026-04-01'), as Odoo's read_group parses a
    date. Remembered: a pivot reads the same few periods over and over."""
    if text not in _memo:
        if len(_memo) > 10000:
            _memo.clear()
        _memo[text] = datetime.datetime.strptime(text, DEFAULT_SERVER_DATE_FORMAT)
    return _memo[text]


def period_bounds(value, spec, interval, display_format, locale, _memo={}):
    """(first day, first day of the next period, label) of the period starting at ``value`` (a date
    grouping's value in read_group: ``spec`` its 'field:unit', ``interval`` its length), as Odoo's
    read_group formats it. Remembered: a pivot asks for the same few periods over and over."""
    key = (value, spec, display_format, locale)
    if key not in _memo:
        if len(_memo) > 10000:
            _memo.clear()
        _memo[key] = (value.strftime(DEFAULT_SERVER_DATE_FORMAT),
                      (value + interval).strftime(DEFAULT_SERVER_DATE_FORMAT),
                      babel.dates.format_date(value, format=display_format, locale=locale))
    return _memo[key]


class CrmForecastReport(models.Model):
    """Sales forecast, one table holding both sources as rows (pick one with the ``source`` filter).

    * source ``opportunity``: one row per open or won opportunity and product category. The expected revenue
      is split over the product categories of the opportunity's quotation/order lines (latest revisions,
      not cancelled) in proportion to their untaxed amounts; an opportunity without such lines has one row
      without category ("No category"). Weighted = amount x probability. Dated by the planned end date,
      else the expected closing date, else the creation date.
    * source ``order``: one row per line of the latest revision of each quotation/order of an opportunity
      (cancelled ones excluded): untaxed amount converted to the company currency at the order date,
      weighted by the opportunity's probability (confirmed orders at 100%). Dated by the opportunity's end
      date, else the order's confirmation date, else its order date.

    Lost and archived opportunities are left out. Record rules mirror crm.lead's (see
    security/crm_forecast_security.xml): sales users see their own deals and those of the teams they lead.

    The rows are stored, not recomputed at every query: a pivot at a hundred thousand deals reads a plain
    table. PostgreSQL triggers on every table the rows are computed from (deals, stages, stage groups,
    quotations/orders and their lines, products, pricelists, currency rates, companies) recompute the rows
    of the deals a statement touched, in the same transaction, whatever the path (ORM, SQL, imports).
    ``rebuild()`` recomputes every row (repair, or after a change of this query).

    To add a column copied from the deal: declare the field below and add it to ``_lead_columns``; the
    table gets the column at the next upgrade and is rebuilt then.
    """
    _name = 'crm.forecast.report'
    _inherit = 'crm.deal.report.mixin'
    _description = 'Sales Forecast Analysis'
    _auto = False
    _order = 'date desc, id'
    _rec_name = 'lead_id'

    source = fields.Selection(SOURCES, string='Source', readonly=True)
    lead_id = fields.Many2one('crm.lead', string='Opportunity', readonly=True)
    order_id = fields.Many2one('sale.order', string='Quotation / Order', readonly=True)
    partner_id = fields.Many2one('res.partner', string='Customer', readonly=True)
    region_id = fields.Many2one('crm.region', string='Sales Region', readonly=True)
    categ_id = fields.Many2one('product.category', string='Product Category', readonly=True)
    stage_id = fields.Many2one('crm.stage', string='Stage', readonly=True)
    stage_group_id = fields.Many2one('crm.stage.group', string='Stage Group', readonly=True)
    status = fields.Selection([('open', 'Open'), ('won', 'Won')], string='Status', readonly=True,
                              help="Open: the opportunity is in an open stage; won: in an execution or closed "
                                   "(not lost) stage.")
    forecast_category = fields.Selection(FORECAST_CATEGORIES, string='Forecast Category', readonly=True)
    order_state = fields.Selection([('draft', 'Quotation'), ('sent', 'Quotation Sent'), ('sale', 'Sales Order'),
                                    ('done', 'Locked')], string='Order Status', readonly=True)
    date = fields.Date(string='Forecast Date', readonly=True)
    currency_id = fields.Many2one('res.currency', string='Currency', readonly=True)
    probability = fields.Float(string='Probability (%)', group_operator='avg', readonly=True)
    amount = fields.Monetary(string='Amount', readonly=True, currency_field='currency_id')
    weighted_amount = fields.Monetary(string='Weighted Amount', readonly=True, currency_field='currency_id')

    # -- the rows ------------------------------------------------------------------------------

    @api.model
    def _lead_columns(self):
        """Columns copied from the deal as they are: {column of the report: column of crm_lead}."""
        return {'partner_id': 'partner_id', 'user_id': 'user_id', 'team_id': 'team_id',
                'region_id': 'region_id', 'stage_id': 'stage_id', 'forecast_category': 'forecast_category'}

    @api.model
    def _lead_watched_columns(self):
        """Columns of crm_lead whose change changes the deal's rows."""
        return sorted(set(self._lead_columns().values()) | {
            'type', 'active', 'company_id', 'probability', 'planned_revenue', 'date_end', 'date_deadline',
            'create_date'})

    @api.model
    def _filter(self, column, lead_filter, many):
        if not lead_filter:
            return ''
        # a large array is hashed in a semi-join; a few deals are looked up by index
        return ('AND %s IN (SELECT unnest(%s))' if many else 'AND %s = ANY(%s)') % (column, lead_filter)

    @api.model
    def _lines_query(self, lead_filter, many=False):
        """Lines of the latest revision of every quotation/order of an opportunity (cancelled ones excluded),
        untaxed, converted to the company currency at the order date with Odoo's rate lookup: the latest
        rate on or before the date, the company's own rates before the shared ones (looked up only for
        orders in a foreign currency)."""
        return """
            SELECT sol.id, o.id AS order_id, o.opportunity_id, o.state, o.company_id, o.date_order,
                   o.confirmation_date, pt.categ_id, sol.price_subtotal * o.factor AS amount
            FROM sale_order_line sol
            JOIN (
                SELECT so.id, so.opportunity_id, so.state, so.company_id, so.date_order, so.confirmation_date,
                       %(factor)s AS factor
                FROM sale_order so
                JOIN product_pricelist pl ON pl.id = so.pricelist_id
                JOIN res_company comp ON comp.id = so.company_id
                WHERE so.opportunity_id IS NOT NULL
                  AND so.is_latest_revision
                  AND so.state != 'cancel'
                  %(filter)s
            ) o ON o.id = sol.order_id
            LEFT JOIN product_product pp ON pp.id = sol.product_id
            LEFT JOIN product_template pt ON pt.id = pp.product_tmpl_id
        """ % {'factor': company_rate_factor_sql(ORDER_DATE, company='comp'),
               'filter': self._filter('so.opportunity_id', lead_filter, many)}

    @api.model
    def _query(self, lead_filter=None, many=False, lines=True):
        """The forecast rows, of every deal or of the deals in the SQL array expression ``lead_filter``
        (``many``: written for a large array). ``lines=False``: for deals known to have no quotation or order
        (the same rows, from a query that costs a tenth to plan, see _refresh_function)."""
        lead_columns = self._lead_columns()
        copied = ''.join('l.%s AS %s, ' % (lead_columns[name], name) for name in sorted(lead_columns))
        where = self._filter('l.id', lead_filter, many)
        created = company_day_sql('l.create_date', tz='comp.forecast_tz')
        opportunities = """
            SELECT ((l.id::bigint * 1048576 + COALESCE(cs.categ_id, 0)) * 2 + 1) AS id,
                   'opportunity'::varchar AS source, l.id AS lead_id, NULL::integer AS order_id,
                   %(copied)s cs.categ_id, st.group_id AS stage_group_id,
                   %(status)s AS status,
                   NULL::varchar AS order_state,
                   COALESCE(l.date_end, l.date_deadline, %(created)s) AS date,
                   l.company_id, comp.currency_id, COALESCE(l.probability, 0)::numeric AS probability,
                   COALESCE(l.planned_revenue, 0)::numeric * COALESCE(cs.amount / cs.total, 1.0) AS amount,
                   COALESCE(l.planned_revenue, 0)::numeric * COALESCE(cs.amount / cs.total, 1.0)
                       * COALESCE(l.probability, 0)::numeric / 100.0 AS weighted_amount
            FROM crm_lead l
            JOIN crm_stage st ON st.id = l.stage_id
            JOIN crm_stage_group g ON g.id = st.group_id
            LEFT JOIN res_company comp ON comp.id = l.company_id
            LEFT JOIN (%(categories)s) cs ON cs.opportunity_id = l.id AND cs.total != 0
            WHERE l.type = 'opportunity' AND l.active AND NOT COALESCE(st.is_lost, FALSE) %(where)s
        """
        orders = """
            SELECT (li.id::bigint * 2) AS id,
                   'order'::varchar AS source, l.id AS lead_id, li.order_id,
                   %(copied)s li.categ_id, st.group_id AS stage_group_id,
                   %(status)s AS status,
                   li.state AS order_state,
                   COALESCE(l.date_end, %(ordered)s) AS date,
                   li.company_id, comp.currency_id,
                   CASE WHEN li.state IN ('sale', 'done') THEN 100.0
                   ELSE COALESCE(l.probability, 0)::numeric END AS probability,
                   li.amount,
                   li.amount * CASE WHEN li.state IN ('sale', 'done') THEN 100.0
                               ELSE COALESCE(l.probability, 0)::numeric END / 100.0 AS weighted_amount
            FROM (%(lines)s) li
            JOIN crm_lead l ON l.id = li.opportunity_id
            JOIN crm_stage st ON st.id = l.stage_id
            JOIN crm_stage_group g ON g.id = st.group_id
            JOIN res_company comp ON comp.id = li.company_id
            WHERE l.type = 'opportunity' AND l.active AND NOT COALESCE(st.is_lost, FALSE) %(where)s
        """
        if not lines:
            # no line: every deal has its one row without category, and no row per order line
            categories = ("SELECT NULL::integer AS opportunity_id, NULL::integer AS categ_id, NULL::numeric AS amount, "
                          "NULL::numeric AS total WHERE FALSE")
            return opportunities % {'copied': copied, 'where': where, 'status': status_sql('g'), 'created': created,
                                    'categories': categories}
        categories = """
            SELECT opportunity_id, categ_id, amount, SUM(amount) OVER (PARTITION BY opportunity_id) AS total
            FROM (SELECT opportunity_id, categ_id, SUM(amount) AS amount
                  FROM (%s) lines
                  GROUP BY opportunity_id, categ_id
                  HAVING SUM(amount) != 0) by_categ""" % self._lines_query(lead_filter, many)
        return (opportunities + " UNION ALL " + orders) % {
            'lines': self._lines_query(lead_filter, many), 'copied': copied, 'where': where,
            'status': status_sql('g'), 'categories': categories, 'created': created,
            'ordered': company_day_sql('COALESCE(li.confirmation_date, li.date_order)', tz='comp.forecast_tz')}

    @api.model
    def _columns(self):
        """The stored columns in table order: [(name, SQL type)]."""
        return [(name, 'bigint' if name == 'id' else COLUMN_TYPES[field.type])
                for name, field in sorted(self._fields.items())
                if field.store and (name == 'id' or name not in models.MAGIC_COLUMNS)]

    @api.model
    def _insert_sql(self, lead_filter=None, many=False, lines=True):
        names = ', '.join(name for name, _type in self._columns())
        return "INSERT INTO %s (%s) SELECT %s FROM (%s) rows" % (
            self._table, names, names, self._query(lead_filter, many, lines))

    # -- reading -------------------------------------------------------------------------------

    @api.model
    @tools.ormcache('table')
    def _month_table_exists(self, table):
        """Whether the monthly sums' ``table`` is there (it is not while the add-on's code is ahead of its
        upgrade), asked once per registry rather than at each read: the upgrade that creates it loads a new
        registry."""
        return tools.table_exists(self.env.cr, table)

    @api.model
    def _prepare_aggregate(self, from_clause, where_clause, params):
        """Before an aggregate over the rows of ``from_clause`` matching ``where_clause``: no JIT (compiling
        the query would cost more than running it), the memory to group in RAM (the default spills the sort of
        a pivot to disk), and, when PostgreSQL expects PARALLEL_MIN_ROWS rows or more, a parallel scan and
        sort (the default costs keep a pivot grouped by date, which sorts every row behind Odoo's join to the
        salespeople's names, on one core); fewer rows are read by one process. For the rest of the
        transaction only: a read."""
        cr = self.env.cr
        # one process set in the round trip of the estimate (which workers do not change); the workers given
        # back to a large read only
        cr.execute("SET LOCAL jit = off; SET LOCAL work_mem = '64MB'; SET LOCAL max_parallel_workers_per_gather = 0;"
                   " EXPLAIN (FORMAT JSON) SELECT 1 FROM %s%s"
                   % (from_clause, (' WHERE %s' % where_clause) if where_clause else ''), params)
        if cr.fetchone()[0][0]['Plan']['Plan Rows'] >= PARALLEL_MIN_ROWS:
            cr.execute("SET LOCAL max_parallel_workers_per_gather TO DEFAULT; "
                       "SET LOCAL parallel_setup_cost = 100; SET LOCAL parallel_tuple_cost = 0.01")

    def _read_group_prepare(self, orderby, aggregated_fields, annotated_groupbys, query):
        """Groups ordered by a many2one grouping (a pivot's salesperson, channel, stage...) in the order of
        the target model, as Odoo orders them, without joining the target to every row: Odoo joins the
        target (res_users, then res_partner for the name) to every row of the report and groups by its
        ordering columns too, which makes PostgreSQL sort every row before grouping. Here each ordering
        column is a subquery on the target evaluated once per group (the same columns, directions and
        NULLs, so the same order); the other parts of the order are Odoo's. Only when the groups are few
        (see _groups_are_few): a subquery per group costs more than Odoo's join for tens of thousands of
        groups (a pivot per deal)."""
        # the domain and the record rules are in the query by now, its joins for the order not yet
        self._prepare_aggregate(*query.get_sql())
        groupby_terms = [gb['qualified_field'] for gb in annotated_groupbys]
        if not orderby or not self._groups_are_few(annotated_groupbys):
            return super(CrmForecastReport, self)._read_group_prepare(orderby, aggregated_fields,
                                                                      annotated_groupbys, query)
        self._check_qorder(orderby)
        grouped = dict((gb[key], gb) for gb in annotated_groupbys for key in ('field', 'groupby'))
        orderby_terms = []
        for order_part in orderby.split(','):
            order_split = order_part.split()
            gb = grouped.get(order_split[0]) if order_split else None
            if gb and gb['type'] == 'many2one' and not self._fields[gb['field']].inherited:
                orderby_terms.extend(self._many2one_group_order(gb, order_split))
                continue
            more_groupby, more_order = super(CrmForecastReport, self)._read_group_prepare(
                order_part, aggregated_fields, annotated_groupbys, query)
            groupby_terms += [term for term in more_groupby if term not in groupby_terms]
            orderby_terms += more_order
        return groupby_terms, orderby_terms

    def _groups_are_few(self, annotated_groupbys):
        """True when a read_group has few groups for certain: every many2one grouped by targets a small
        table (PostgreSQL's estimate of its rows; never analysed counts as small) and no period is shorter
        than a month."""
        tables = set()
        for gb in annotated_groupbys:
            if gb['type'] in ('date', 'datetime') and gb['groupby'].partition(':')[2] in ('day', 'week'):
                return False
            if gb['type'] == 'many2one':
                tables.add(self.env[self._fields[gb['field']].comodel_name]._table)
        if tables:
            self.env.cr.execute("SELECT COALESCE(MAX(reltuples), 0) FROM pg_class WHERE relkind = 'r' "
                                "AND relname IN %s", (tuple(tables),))
            return self.env.cr.fetchone()[0] <= FEW_MEMBERS
        return True

    def _many2one_group_order(self, gb, order_split):
        """ORDER BY terms of a many2one grouping (``order_split``: 'field' ['asc'|'desc']): the target
        model's order (Odoo's _generate_order_by_inner, with its joins), each column read by a subquery on
        the group's id."""
        field = self._fields[gb['field']]
        target = self.env[field.comodel_name]
        target_order = target._order
        if not models.regex_order.match(target_order):
            target_order = target._rec_name   # as Odoo does when the target's _order is complex
        alias = '%s__order' % target._table
        query = Query(['"%s" as "%s"' % (target._table, alias)])
        reverse = len(order_split) > 1 and order_split[1].upper() == 'DESC'
        seen = {(self._name, field.comodel_name, field.name)}
        elements = target._generate_order_by_inner(alias, target_order, query, reverse, seen)
        from_clause, where_clause, params = query.get_sql()
        terms = []
        for element in elements:
            expr, direction = element.strip(), ''
            head, _space, last = expr.rpartition(' ')
            if last.upper() in ('ASC', 'DESC'):
                expr, direction = head.strip(), last.upper()
            conditions = ['"%s"."id" = %s' % (alias, gb['qualified_field'])] + ([where_clause] if where_clause else [])
            term = '(SELECT %s FROM %s WHERE %s) %s' % (expr, from_clause, ' AND '.join(conditions), direction)
            if params:
                # a translated name of the target is ordered through Odoo's sub-select on ir_translation, whose
                # parameters (the term, the context's language: set by every client, en_US included) cannot
                # follow read_group's own (those of its WHERE clause): quoted into the term by the driver, and
                # its '%' doubled for read_group's statement, which is executed with parameters
                term = self.env.cr.mogrify(term, params).decode('utf-8').replace('%', '%%')
            terms.append(term)
        return terms

    @api.model
    def _read_group_process_groupby(self, gb, query):
        """A date grouping truncates the date without a time zone (see period_sql)."""
        result = super(CrmForecastReport, self)._read_group_process_groupby(gb, query)
        if result['type'] == 'date':
            unit = result['groupby'].partition(':')[2] or 'month'
            head = "date_trunc('%s', " % unit
            # Odoo's expression: date_trunc('<unit>', <the column, joined if inherited>)
            assert result['qualified_field'].startswith(head), result['qualified_field']
            result['qualified_field'] = period_sql(unit, result['qualified_field'][len(head):-1])
        return result

    @api.model
    def _read_group_prepare_data(self, key, value, groupby_dict):
        """A period's first day, which Odoo's cursor reads as text, parsed once per read_group rather than
        once per group."""
        gb = groupby_dict.get(key)
        if gb and gb['type'] == 'date' and isinstance(value, str):
            return period_start(value)
        return super(CrmForecastReport, self)._read_group_prepare_data(key, value, groupby_dict)

    @api.model
    def _read_group_format_result(self, data, annotated_groupbys, groupby, domain):
        """A pivot by period has one group per period and member of the other grouping (30 categories x 12
        quarters: 360 groups): each period's range and label are formatted once (period_bounds), not once
        per group; Odoo formats the other groupings."""
        dated = [gb for gb in annotated_groupbys if gb['type'] == 'date' and data[gb['groupby']]]
        if not dated:
            return super(CrmForecastReport, self)._read_group_format_result(data, annotated_groupbys, groupby,
                                                                            domain)
        locale = self._context.get('lang') or 'en_US'
        sections = []
        for gb in dated:
            start, end, label = period_bounds(data[gb['groupby']], gb['groupby'], gb['interval'],
                                              gb['display_format'], locale)
            data[gb['groupby']] = ('%s/%s' % (start, end), label)
            sections.append(['&', (gb['field'], '>=', start), (gb['field'], '<', end)])
        rest = [gb for gb in annotated_groupbys if gb not in dated]
        result = super(CrmForecastReport, self)._read_group_format_result(
            data, rest, groupby, expression.AND(sections + [domain]))
        # what is left to group by (a lazy read_group's subgroups) counts every grouping of this one
        result.pop('__context', None)
        if len(groupby) > len(annotated_groupbys):
            result['__context'] = {'group_by': groupby[len(annotated_groupbys):]}
        return result

    # -- maintenance ---------------------------------------------------------------------------

    @api.model
    def _refresh_function(self):
        """refresh(lead_ids): recompute the rows of these deals. Concurrent refreshes of the same deal are
        serialised by an advisory lock per deal; a refresh of many deals, or of more than a few thousand
        deals over the statements of one transaction, locks the table against other writers (readers are
        never blocked).

        A few deals (every write of the ORM) use a plan prepared once per connection (planning this query
        costs more than running it for a deal); many deals (imports, a stage moved to another group) a plan
        made for their number. No JIT: compiling the query takes seconds, running it milliseconds.

        Odoo's connection pool resets a connection (DISCARD ALL) before every request, which drops the plans
        prepared by the previous one: each RPC call plans the query again, a few milliseconds. Deals without
        any quotation (new leads, early stages) take a query without the quotation lines, which costs a
        tenth of that to plan and gives the same rows."""
        return """
            CREATE OR REPLACE FUNCTION crm_forecast_report_refresh(lead_ids integer[]) RETURNS void
            SET plan_cache_mode = force_generic_plan SET jit = off
            AS $body$
            DECLARE
                locked integer;
            BEGIN
                IF lead_ids IS NULL OR cardinality(lead_ids) = 0 THEN
                    RETURN;
                END IF;
                SELECT array_agg(DISTINCT i ORDER BY i) INTO lead_ids FROM unnest(lead_ids) i WHERE i IS NOT NULL;
                IF lead_ids IS NULL THEN
                    RETURN;
                END IF;
                -- deals locked one by one so far in this transaction: many statements of a few deals each
                -- (the ORM writes a recomputation in batches) would fill PostgreSQL's lock table
                locked := COALESCE(NULLIF(current_setting('impact_crm.forecast_locked_deals', true), ''), '0')::integer
                          + cardinality(lead_ids);
                IF cardinality(lead_ids) > %(bulk)s THEN
                    LOCK TABLE %(table)s IN EXCLUSIVE MODE;
                    DELETE FROM %(table)s WHERE lead_id IN (SELECT unnest(lead_ids));
                    EXECUTE $many$ %(insert_many)s $many$ USING lead_ids;
                ELSE
                    IF locked > %(bulk)s THEN
                        LOCK TABLE %(table)s IN EXCLUSIVE MODE;
                    ELSE
                        PERFORM set_config('impact_crm.forecast_locked_deals', locked::text, true);
                        PERFORM pg_advisory_xact_lock(%(lock)s, i) FROM unnest(lead_ids) i;
                    END IF;
                    DELETE FROM %(table)s WHERE lead_id = ANY(lead_ids);
                    IF EXISTS (SELECT 1 FROM sale_order WHERE opportunity_id = ANY(lead_ids)) THEN
                        %(insert_few)s;
                    ELSE
                        %(insert_no_lines)s;
                    END IF;
                END IF;
            END
            $body$ LANGUAGE plpgsql
        """ % {'bulk': BULK_REFRESH, 'table': self._table, 'lock': LOCK_CLASS,
               'insert_few': self._insert_sql('lead_ids', many=False),
               'insert_no_lines': self._insert_sql('lead_ids', many=False, lines=False),
               'insert_many': self._insert_sql('$1', many=True)}

    @staticmethod
    def _changed_sql(columns, new='n', old='o'):
        """SQL condition: one of ``columns`` differs between the row versions ``new`` and ``old``."""
        return '(%s) IS DISTINCT FROM (%s)' % (
            ', '.join('%s.%s' % (new, c) for c in columns), ', '.join('%s.%s' % (old, c) for c in columns))

    @api.model
    def _triggers(self):
        """[(table, the columns whose change on an update counts, None when every update counts, SQL selecting
        the deals from the changed rows ``c``)]"""
        orders_of = """SELECT so.opportunity_id FROM sale_order so WHERE so.opportunity_id IS NOT NULL AND %s"""
        foreign = """SELECT so.opportunity_id FROM sale_order so
                       JOIN product_pricelist pl ON pl.id = so.pricelist_id
                       JOIN res_company comp ON comp.id = so.company_id
                      WHERE so.opportunity_id IS NOT NULL AND pl.currency_id != comp.currency_id
                        AND (pl.currency_id IN (SELECT currency_id FROM changed c)
                             OR comp.currency_id IN (SELECT currency_id FROM changed c))"""
        return [
            ('crm_lead', self._lead_watched_columns(), "SELECT id FROM changed c"),
            ('sale_order', ['opportunity_id', 'state', 'is_latest_revision', 'pricelist_id', 'company_id',
                            'date_order', 'confirmation_date'],
             "SELECT opportunity_id FROM changed c"),
            ('sale_order_line', ['order_id', 'product_id', 'price_subtotal'],
             orders_of % "so.id IN (SELECT order_id FROM changed c)"),
            ('res_currency_rate', None, foreign),
            ('crm_stage', ['group_id', 'is_lost'],
             "SELECT l.id FROM crm_lead l WHERE l.stage_id IN (SELECT id FROM changed c)"),
            ('crm_stage_group', ['kind'],
             """SELECT l.id FROM crm_lead l JOIN crm_stage st ON st.id = l.stage_id
                 WHERE st.group_id IN (SELECT id FROM changed c)"""),
            ('product_template', ['categ_id'],
             orders_of % """so.id IN (SELECT sol.order_id FROM sale_order_line sol
                                        JOIN product_product pp ON pp.id = sol.product_id
                                       WHERE pp.product_tmpl_id IN (SELECT id FROM changed c))"""),
            ('product_product', ['product_tmpl_id'],
             orders_of % "so.id IN (SELECT order_id FROM sale_order_line WHERE product_id IN "
                         "(SELECT id FROM changed c))"),
            ('product_pricelist', ['currency_id'],
             orders_of % "so.pricelist_id IN (SELECT id FROM changed c)"),
            ('res_company', ['currency_id'],
             "SELECT l.id FROM crm_lead l WHERE l.company_id IN (SELECT id FROM changed c) UNION ALL "
             + orders_of % "so.company_id IN (SELECT id FROM changed c)"),
        ]

    @api.model
    def _in_place_updates(self):
        """{table: (condition on an updated row, ``n`` new and ``o`` old, under which its forecast rows are
        updated in place instead of recomputed; the UPDATE doing it for the rows whose ids are in
        ``moved_ids``)}.

        Updating in place costs one UPDATE of the rows, instead of recomputing every row of the deal (a query
        that PostgreSQL plans again in every request, since Odoo resets each pooled connection with DISCARD
        ALL). The values are those of ``_query``'s rows:

        - a deal changing stage, probability, salesperson and the like (see below) changes the columns its
          rows copy from it, their status, probability and weighted amount.

        An order's move between states is updated in place by a row-level trigger instead
        (``_order_in_place_sql``). Every other change of an order or a deal goes through the refresh."""
        # A deal's own change that keeps its rows and their amounts and dates (another stage of a group
        # that is not lost, probability, salesperson, team, region, customer, forecast category: a stage
        # change, a reassignment) is written into its rows as they are; a change of what decides whether
        # the deal has rows (type, active, a lost stage or one without a group), of its amount or of its
        # dates recomputes them.
        lead_columns = self._lead_columns()
        lead_same = [c for c in self._lead_watched_columns()
                     if c not in lead_columns.values() and c != 'probability']
        lead_probability = ("CASE WHEN r.order_state IN ('sale', 'done') THEN 100.0 "
                            "ELSE COALESCE(l.probability, 0)::numeric END")
        return {
            'crm_lead': (
                """NOT (%s)
                   AND (n.stage_id IS NOT DISTINCT FROM o.stage_id
                        OR (SELECT count(*) FROM crm_stage s
                             WHERE s.id IN (n.stage_id, o.stage_id) AND s.group_id IS NOT NULL
                               AND NOT COALESCE(s.is_lost, FALSE)) = 2)""" % self._changed_sql(lead_same),
                """UPDATE %(table)s r
                      SET %(copied)s, stage_group_id = st.group_id, status = %(status)s,
                          probability = %(probability)s, weighted_amount = r.amount * %(probability)s / 100.0
                     FROM crm_lead l
                     JOIN crm_stage st ON st.id = l.stage_id
                     JOIN crm_stage_group g ON g.id = st.group_id
                    WHERE l.id = ANY(moved_ids) AND r.lead_id = l.id""" % {
                    'table': self._table, 'probability': lead_probability, 'status': status_sql('g'),
                    'copied': ', '.join('%s = l.%s' % (name, lead_columns[name]) for name in sorted(lead_columns))}),
        }

    @api.model
    def _order_in_place_sql(self, new='n', old='o'):
        """SQL condition on an updated order (row versions ``new`` and ``old``) whose forecast rows are updated
        in place by the row-level trigger ``sale_order_forecast_in_place`` (``_order_in_place_function``),
        not recomputed: an order moving between states other than cancelled (its confirmation, above all),
        with or without a new confirmation date, changes only its own lines' rows, and only their state,
        probability, weighted amount and date. Written with columns only (no query), for the triggers' WHEN."""
        same = ['opportunity_id', 'is_latest_revision', 'pricelist_id', 'company_id', 'date_order']
        return "(NOT (%s) AND COALESCE(%s.state <> 'cancel' AND %s.state <> 'cancel', FALSE))" % (
            self._changed_sql(same, new, old), new, old)

    @api.model
    def _order_in_place_function(self):
        """Row-level trigger function: the rows of the order ``NEW`` updated in place (see
        ``_order_in_place_sql``), the values ``_query`` gives them. One UPDATE of the order's rows and its deal,
        from the row itself: PostgreSQL plans it again in every request (Odoo resets each pooled connection
        with DISCARD ALL): about half of what the comparison of the statement's rows and an UPDATE joining the
        orders cost in the statement-level trigger (0.4 against 0.9 ms per confirmation's UPDATE of the state)."""
        probability = ("CASE WHEN NEW.state IN ('sale', 'done') THEN 100.0 "
                       "ELSE COALESCE(l.probability, 0)::numeric END")
        return """
            CREATE OR REPLACE FUNCTION sale_order_forecast_in_place() RETURNS trigger AS $body$
            BEGIN
                IF current_setting('impact_crm.forecast_deferred', true) = 'on' THEN
                    RETURN NULL;    -- a set-based change followed by a rebuild (install)
                END IF;
                UPDATE %(table)s r
                   SET order_state = NEW.state, probability = %(probability)s,
                       weighted_amount = r.amount * %(probability)s / 100.0,
                       date = COALESCE(l.date_end, %(ordered)s)
                  FROM crm_lead l
                 WHERE l.id = NEW.opportunity_id AND r.lead_id = NEW.opportunity_id AND r.source = 'order'
                   AND r.order_id = NEW.id;
                RETURN NULL;
            END
            $body$ LANGUAGE plpgsql
        """ % {'table': self._table, 'probability': probability,
               'ordered': company_day_sql('COALESCE(NEW.confirmation_date, NEW.date_order)', company='NEW.company_id')}

    @api.model
    def _trigger_function(self, table, condition, deals):
        """Statement-level trigger function of ``table``: one refresh per statement, for the deals of the
        rows it inserted, deleted or changed (see ``_in_place_updates`` for the changes written in place).

        An update whose rows change nothing the forecast reads costs one test of a setting: the row-level
        gate (``_gate_function``) turns it on for a row whose watched columns changed, and only then are the
        statement's rows compared. Odoo's own writes (write dates, invoice status, quantities to invoice ...)
        are most of the updates of orders, lines and deals, and PostgreSQL would plan that comparison again
        in every request (Odoo resets each pooled connection with DISCARD ALL)."""
        if condition:
            # then the rows that changed what the forecast reads, in one pass over the statement's rows
            in_place, update = self._in_place_updates().get(table, ('FALSE', ''))
            updated = """
                    IF current_setting('%(flag)s', true) IS DISTINCT FROM 'on' THEN
                        RETURN NULL;    -- no row changed what the forecast reads
                    END IF;
                    PERFORM set_config('%(flag)s', 'off', true);
                    SELECT array_agg(n.id) FILTER (WHERE COALESCE(%(in_place)s, FALSE)),
                           array_agg(n.id) FILTER (WHERE NOT COALESCE(%(in_place)s, FALSE))
                      INTO moved_ids, changed_ids
                      FROM new_rows n JOIN old_rows o ON o.id = n.id
                     WHERE %(condition)s;
                    IF moved_ids IS NOT NULL THEN
                        %(update)s;
                    END IF;
                    IF changed_ids IS NOT NULL THEN
                        WITH changed AS (SELECT * FROM new_rows WHERE id IN (SELECT unnest(changed_ids))
                                         UNION ALL
                                         SELECT * FROM old_rows WHERE id IN (SELECT unnest(changed_ids)))
                        SELECT array_agg(d) INTO deal_ids FROM (%(deals)s) q(d);
                    END IF;""" % {'in_place': in_place, 'condition': condition, 'update': update or 'NULL',
                                  'deals': deals, 'flag': self._gate_flag(table)}
        else:
            updated = """
                    WITH changed AS (SELECT * FROM new_rows UNION ALL SELECT * FROM old_rows)
                    SELECT array_agg(d) INTO deal_ids FROM (%s) q(d);""" % deals
        return """
            CREATE OR REPLACE FUNCTION %(name)s() RETURNS trigger AS $body$
            DECLARE
                deal_ids integer[];
                moved_ids integer[];
                changed_ids integer[];
            BEGIN
                IF current_setting('impact_crm.forecast_deferred', true) = 'on' THEN
                    RETURN NULL;    -- a set-based change followed by a rebuild (install)
                END IF;
                IF TG_OP = 'INSERT' THEN
                    WITH changed AS (SELECT * FROM new_rows) SELECT array_agg(d) INTO deal_ids FROM (%(deals)s) q(d);
                ELSIF TG_OP = 'DELETE' THEN
                    WITH changed AS (SELECT * FROM old_rows) SELECT array_agg(d) INTO deal_ids FROM (%(deals)s) q(d);
                ELSE%(updated)s
                END IF;
                IF deal_ids IS NOT NULL THEN
                    PERFORM crm_forecast_report_refresh(deal_ids);
                END IF;
                RETURN NULL;
            END
            $body$ LANGUAGE plpgsql
        """ % {'name': '%s_forecast_refresh' % table, 'deals': deals, 'updated': updated}

    @api.model
    def _gate_flag(self, table):
        """The transaction's setting that tells the statement-level trigger of ``table`` that a row changed."""
        return 'impact_crm.forecast_changed_%s' % table

    @api.model
    def _gate_function(self):
        """Row-level gate of the update triggers: a trigger fires it only for a row whose watched columns
        changed (its WHEN clause, evaluated by PostgreSQL without any query), and it turns the table's
        setting on (``_gate_flag``) for the statement-level trigger that follows at the end of the statement.
        A setting left on (a statement whose refresh was deferred) only makes the next statement compare its
        rows as it would without the gate."""
        return """
            CREATE OR REPLACE FUNCTION crm_forecast_report_gate() RETURNS trigger AS $body$
            BEGIN
                PERFORM set_config('impact_crm.forecast_changed_' || TG_TABLE_NAME, 'on', true);
                RETURN NULL;
            END
            $body$ LANGUAGE plpgsql
        """

    @api.model
    def _install_triggers(self):
        cr = self.env.cr
        cr.execute(self._refresh_function())
        cr.execute(self._gate_function())
        cr.execute(self._order_in_place_function())
        for table, columns, deals in self._triggers():
            function = '%s_forecast_refresh' % table
            condition = columns and self._changed_sql(columns)
            gate = columns and self._changed_sql(columns, 'NEW', 'OLD')
            if table == 'sale_order':
                # the rows of an order moving between states are updated in place by its own row trigger: the
                # gate and the statement's comparison leave them out
                condition = '%s AND NOT %s' % (condition, self._order_in_place_sql())
                gate = '%s AND NOT %s' % (gate, self._order_in_place_sql('NEW', 'OLD'))
            cr.execute(self._trigger_function(table, condition, deals))
            for event, referencing in (('insert', 'NEW TABLE AS new_rows'), ('delete', 'OLD TABLE AS old_rows'),
                                       ('update', 'NEW TABLE AS new_rows OLD TABLE AS old_rows')):
                trigger = '%s_forecast_%s' % (table, event)
                cr.execute('DROP TRIGGER IF EXISTS %s ON %s' % (trigger, table))
                cr.execute("""CREATE TRIGGER %s AFTER %s ON %s REFERENCING %s
                              FOR EACH STATEMENT EXECUTE FUNCTION %s()""" % (
                    trigger, event.upper(), table, referencing, function))
            cr.execute('DROP TRIGGER IF EXISTS %s_forecast_gate ON %s' % (table, table))
            if columns:
                cr.execute("""CREATE TRIGGER %s_forecast_gate AFTER UPDATE ON %s FOR EACH ROW
                              WHEN (%s) EXECUTE FUNCTION crm_forecast_report_gate()""" % (table, table, gate))
            if table == 'sale_order':
                cr.execute('DROP TRIGGER IF EXISTS sale_order_forecast_in_place ON sale_order')
                cr.execute("""CREATE TRIGGER sale_order_forecast_in_place AFTER UPDATE ON sale_order FOR EACH ROW
                              WHEN (%s AND %s) EXECUTE FUNCTION sale_order_forecast_in_place()""" % (
                    self._changed_sql(columns, 'NEW', 'OLD'), self._order_in_place_sql('NEW', 'OLD')))

    @api.model
    def _drop_triggers(self):
        """Uninstall: the tables the triggers sit on stay, the forecast table goes."""
        cr = self.env.cr
        for table, _columns, _deals in self._triggers():
            for event in ('insert', 'delete', 'update', 'gate', 'in_place'):
                cr.execute('DROP TRIGGER IF EXISTS %s_forecast_%s ON %s' % (table, event, table))
            cr.execute('DROP FUNCTION IF EXISTS %s_forecast_refresh()' % table)
        cr.execute('DROP FUNCTION IF EXISTS sale_order_forecast_in_place()')
        cr.execute('DROP FUNCTION IF EXISTS crm_forecast_report_refresh(integer[])')
        cr.execute('DROP FUNCTION IF EXISTS crm_forecast_report_gate()')
        for _kind, table in MONTH_TABLES:
            cr.execute('DROP TABLE IF EXISTS %s' % table)
        cr.execute('DROP FUNCTION IF EXISTS crm_forecast_report_month() CASCADE')

    @api.model
    def _definition_hash(self):
        text = self._insert_sql() + self._month_function() + ''.join(
            '%s%s%s' % (table, columns and self._changed_sql(columns), deals)
            for table, columns, deals in self._triggers())
        return hashlib.sha1(text.encode('utf-8')).hexdigest()

    @api.model
    def _create_period_statistics(self):
        """Statistics on the periods a pivot groups by (PostgreSQL 14 and later): without them the planner
        takes every row for its own period, expects as many groups as rows and sorts them all instead of
        hashing a few hundred groups. ANALYZE (the rebuild, autovacuum) fills them."""
        cr = self.env.cr
        cr.execute("SHOW server_version_num")
        if int(cr.fetchone()[0]) < 140000:
            return
        cr.execute("SELECT stxname FROM pg_statistic_ext WHERE stxrelid = %s::regclass", (self._table,))
        existing = set(name for name, in cr.fetchall())
        for unit in PIVOT_PERIODS:
            # those of the expression Odoo's read_group groups by, before period_sql
            if '%s_%s_stat' % (self._table, unit) in existing:
                cr.execute("DROP STATISTICS %s_%s_stat" % (self._table, unit))
        missing = [unit for unit in PIVOT_PERIODS if '%s_%s_period_stat' % (self._table, unit) not in existing]
        for unit in missing:
            cr.execute('CREATE STATISTICS %s_%s_period_stat ON (%s) FROM %s'
                       % (self._table, unit, period_sql(unit, '"date"'), self._table))
        if missing:
            cr.execute("ANALYZE %s" % self._table)

    @api.model
    def _rebuild(self):
        """Recompute every row in one statement (set-based: seconds for a hundred thousand deals), then the
        monthly sums from them."""
        cr = self.env.cr
        cr.execute('LOCK TABLE %s IN EXCLUSIVE MODE' % self._table)
        cr.execute('SET LOCAL jit = off')
        # the monthly sums are summed again from the new rows below, not through their trigger twice over
        cr.execute("SET LOCAL impact_crm.forecast_month_deferred = 'on'")
        cr.execute('DELETE FROM %s' % self._table)
        # the rows of a sales channel and of each of its salespeople side by side on disk: a sales user's
        # pivot (record rules: own deals, led channels) reads a few pages, not a row in every page
        cr.execute(self._insert_sql() + ' ORDER BY source, team_id, user_id, date')
        count = cr.rowcount
        cr.execute("SET LOCAL impact_crm.forecast_month_deferred = 'off'")
        cr.execute('ANALYZE %s' % self._table)
        self._rebuild_months()
        cr.execute("COMMENT ON TABLE %s IS %%s" % self._table, (self._definition_hash(),))
        _logger.info("forecast rebuilt: %d rows", count)
        return count

    @api.model
    def _month_select(self, source, sign='', kind='opportunity'):
        """SQL: the rows of the source ``kind`` ('opportunity', 'order') of the relation ``source`` summed per
        MONTH_KEYS and month, as the monthly sums' columns (``sign``: '-' to take them away)."""
        keys = ', '.join(MONTH_KEYS)
        return """SELECT {keys}, date_trunc('month', date::timestamp)::date, {sign}SUM(amount),
                         {sign}SUM(weighted_amount), {sign}count(*)
                    FROM {source} WHERE source = '{kind}'
                   GROUP BY {keys}, date_trunc('month', date::timestamp)""".format(
            keys=keys, sign=sign, source=source, kind=kind)

    @api.model
    def _month_insert(self, table=MONTH_TABLE):
        return 'INSERT INTO %s (%s, date, amount, weighted_amount, n) ' % (table, ', '.join(MONTH_KEYS))

    @api.model
    def _month_function(self):
        """Trigger function of the forecast table: what a statement inserted or deleted (statement-level), or
        what an update changed in a row (row-level), summed per month and added to (or taken from) the
        monthly sums, in the same transaction. Only the differences are appended (no row of the sums is
        updated, so concurrent writers never wait for each other); ``_compact_months`` sums them up now and
        then. An update is summed row by row (WHEN: only a row whose summed columns changed): a stage
        change updates a few rows in place (see ``_in_place_updates``), which a row trigger sums without the
        transition tables' comparison. Each source into its own table (MONTH_TABLES): a row keeps its source
        (it is part of its id); a statement's rows of both sources in one statement, the orders' sums
        appended by a data-modifying WITH."""
        old = ', '.join('OLD.%s' % key for key in MONTH_KEYS)
        new = ', '.join('NEW.%s' % key for key in MONTH_KEYS)
        values = """VALUES (%(old)s, date_trunc('month', OLD.date::timestamp)::date, -OLD.amount,
                            -OLD.weighted_amount, -1),
                           (%(new)s, date_trunc('month', NEW.date::timestamp)::date, NEW.amount,
                            NEW.weighted_amount, 1)""" % {'old': old, 'new': new}

        def both(relation, sign=''):
            return 'WITH orders AS (%s %s) %s %s' % (
                self._month_insert(ORDER_MONTH_TABLE), self._month_select(relation, sign, 'order'),
                self._month_insert(), self._month_select(relation, sign))
        return """
            CREATE OR REPLACE FUNCTION crm_forecast_report_month() RETURNS trigger AS $body$
            BEGIN
                IF current_setting('impact_crm.forecast_month_deferred', true) = 'on' THEN
                    RETURN NULL;    -- a rebuild, which sums the months again afterwards
                END IF;
                IF TG_LEVEL = 'ROW' THEN
                    IF NEW.source = 'opportunity' THEN
                        %(insert)s %(values)s;
                    ELSE
                        %(insert_orders)s %(values)s;
                    END IF;
                ELSIF TG_OP = 'INSERT' THEN
                    %(inserted)s;
                ELSE
                    %(deleted)s;
                END IF;
                RETURN NULL;
            END
            $body$ LANGUAGE plpgsql
        """ % {'insert': self._month_insert(), 'insert_orders': self._month_insert(ORDER_MONTH_TABLE),
               'values': values, 'inserted': both('new_rows'), 'deleted': both('old_rows', sign='-')}

    @api.model
    def _create_months(self):
        """The monthly sums' tables, the opportunities' indexes (a sales user's rows: see init) and the
        triggers keeping them. Returns whether a table is new (its sums then still to be summed from the
        rows)."""
        cr = self.env.cr
        new_table = not all(tools.table_exists(cr, table) for _kind, table in MONTH_TABLES)
        types = dict(self._columns())
        columns = ['"%s" %s' % (name, types[name]) for name in MONTH_KEYS] + [
            'date date', 'amount numeric', 'weighted_amount numeric', 'n integer']
        for _kind, table in MONTH_TABLES:
            cr.execute('CREATE TABLE IF NOT EXISTS %s (n integer)' % table)
            for column in columns:   # a column added to MONTH_KEYS reaches the table at the upgrade (rebuilt)
                cr.execute('ALTER TABLE %s ADD COLUMN IF NOT EXISTS %s' % (table, column))
        for column in ('user_id', 'team_id'):
            cr.execute('CREATE INDEX IF NOT EXISTS %s_%s_source_index ON %s (%s, source)'
                       % (MONTH_TABLE, column, MONTH_TABLE, column))
        for column in ORDER_MONTH_BRIN_COLUMNS:
            cr.execute('CREATE INDEX IF NOT EXISTS %s_%s_brin ON %s USING brin (%s) WITH (pages_per_range = %d)'
                       % (ORDER_MONTH_TABLE, column, ORDER_MONTH_TABLE, column, ORDER_MONTH_BRIN_PAGES))
        cr.execute(self._month_function())
        watched = ', '.join(MONTH_KEYS + ('date', 'amount', 'weighted_amount'))
        for event, level in (('insert', 'REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT'),
                             ('delete', 'REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT'),
                             ('update', 'FOR EACH ROW WHEN ((OLD.%s) IS DISTINCT FROM (NEW.%s))' % (
                                 ', OLD.'.join(watched.split(', ')), ', NEW.'.join(watched.split(', '))))):
            trigger = '%s_month_%s' % (self._table, event)
            cr.execute('DROP TRIGGER IF EXISTS %s ON %s' % (trigger, self._table))
            cr.execute('CREATE TRIGGER %s AFTER %s ON %s %s EXECUTE FUNCTION crm_forecast_report_month()' % (
                trigger, event.upper(), self._table, level))
        return new_table

    @api.model
    def _rebuild_months(self):
        """The monthly sums summed again from the rows (after a rebuild of the rows)."""
        cr = self.env.cr
        cr.execute('LOCK TABLE %s IN EXCLUSIVE MODE' % ', '.join(table for _kind, table in MONTH_TABLES))
        for kind, table in MONTH_TABLES:
            cr.execute('DELETE FROM %s' % table)
            cr.execute(self._month_insert(table) + self._month_select(self._table, kind=kind) + MONTH_ORDER)
            cr.execute('ANALYZE %s' % table)
        self._summarize_order_months()

    @api.model
    def _compact_months(self):
        """The differences the writes appended to the monthly sums, summed into one row per month and members
        (scheduled action, hourly): the workbook then reads a few rows per month however many writes there
        were. Writers wait for it (a fraction of a second); a second compaction at the same time skips."""
        cr = self.env.cr
        cr.execute('SELECT pg_try_advisory_xact_lock(%s, %s)', (LOCK_CLASS, MONTH_COMPACT_LOCK))
        if not cr.fetchone()[0]:
            return False
        cr.execute('LOCK TABLE %s IN EXCLUSIVE MODE' % ', '.join(table for _kind, table in MONTH_TABLES))
        for _kind, table in MONTH_TABLES:
            cr.execute('WITH gone AS (DELETE FROM %s RETURNING *) %s %s %s' % (
                table, self._month_insert(table), self._month_summed('gone'), MONTH_ORDER))
        self._summarize_order_months()
        return True

    @api.model
    def _summarize_order_months(self):
        """The block ranges of the orders' sums' BRIN indexes summarized again from what their pages hold now,
        after the sums were written anew (the rows just deleted count until the vacuum removes them). A range
        otherwise keeps its summary, only ever widened by the rows added to it: the sums written anew fill
        the pages the sums before them left with other salespeople's rows, and pages added since the last
        summary are in no summary at all (a read scans them whole)."""
        cr = self.env.cr
        for column in ORDER_MONTH_BRIN_COLUMNS:
            index = '%s_%s_brin' % (ORDER_MONTH_TABLE, column)
            cr.execute("""SELECT count(brin_desummarize_range(%s::regclass, block))
                            FROM generate_series(0, pg_relation_size(%s::regclass)
                                                    / current_setting('block_size')::int, %s) block""",
                       (index, ORDER_MONTH_TABLE, ORDER_MONTH_BRIN_PAGES))
            cr.execute('SELECT brin_summarize_new_values(%s::regclass)', (index,))

    @api.model
    def _month_summed(self, source):
        """SQL: the rows of the monthly sums in the relation ``source`` summed into one per month and members,
        those of no row left out."""
        keys = ', '.join(MONTH_KEYS)
        return """SELECT {keys}, date, SUM(amount), SUM(weighted_amount), SUM(n) FROM {source}
                   GROUP BY {keys}, date HAVING SUM(n) != 0""".format(keys=keys, source=source)

    @api.model
    def _stale_months(self):
        """Number of groups differing between the monthly sums and the rows summed now (0 when in step)."""
        return sum(count_differing_rows(self.env.cr, self._month_summed(table),
                                        self._month_select(self._table, kind=kind))
                   for kind, table in MONTH_TABLES)

    @api.model
    def rebuild(self):
        """Repair: recompute every stored row from the deals and their quotations/orders, and the deals'
        monthly sums the quotas' attainment reads. Sales managers (server action in CRM > Configuration), or
        from a shell: ``env['crm.forecast.report'].rebuild(); env.cr.commit()``."""
        if not self.env.user.has_group('sales_team.group_sale_manager'):
            raise AccessError(_("Only sales managers may rebuild the forecast."))
        self.check_access_rights('read')
        count = self.sudo()._rebuild()
        self.env['crm.quota'].sudo()._rebuild_deal_months()
        return count

    @api.model
    def _stale_rows(self):
        """Number of rows differing between the table and a fresh computation (0 when in step)."""
        names = ', '.join(name for name, _type in self._columns())
        return count_differing_rows(self.env.cr, 'SELECT %s FROM %s' % (names, self._table),
                                    'SELECT %s FROM (%s) a' % (names, self._query()))

    @api.model_cr
    def init(self):
        cr = self.env.cr
        if tools.table_kind(cr, self._table) == 'v':
            # the forecast used to be a view computed at every query
            tools.drop_view_if_exists(cr, self._table)
        cr.execute("DROP INDEX IF EXISTS crm_lead_forecast_date_index")
        cr.execute("CREATE TABLE IF NOT EXISTS %s (id bigint PRIMARY KEY)" % self._table)
        for name, sql_type in self._columns():
            cr.execute('ALTER TABLE %s ADD COLUMN IF NOT EXISTS "%s" %s' % (self._table, name, sql_type))
        # the deal (refresh)
        cr.execute('CREATE INDEX IF NOT EXISTS %s_lead_id_index ON %s (lead_id)' % (self._table, self._table))
        # the columns of the sales users' record rule (own deals, unassigned ones, teams they lead) with the
        # source every reading picks: a rep's pivot reads the rows of one source, not of both
        for column in ('user_id', 'team_id'):
            cr.execute('DROP INDEX IF EXISTS %s_%s_index' % (self._table, column))
            cr.execute('CREATE INDEX IF NOT EXISTS %s_%s_source_index ON %s (%s, source)'
                       % (self._table, column, self._table, column))
        self._create_period_statistics()
        months_missing = self._create_months()
        # the refresh of a deal looks its orders and their lines up, and the rate of foreign-currency orders
        cr.execute("CREATE INDEX IF NOT EXISTS sale_order_opportunity_id_index ON sale_order (opportunity_id)")
        cr.execute("""CREATE INDEX IF NOT EXISTS res_currency_rate_forecast_index
                      ON res_currency_rate (currency_id, company_id, name)""")
        # At install the rows are built once, at the end of post_init_hook, after the back-fills, and the
        # triggers are put in place there: here, before the add-on's data, they would refresh every deal of a
        # stage the data moves into its group (minutes per stage on a large database) into rows thrown away.
        installing = self.env['crm.stage']._impact_installing()
        if not installing:
            self._install_triggers()
        cr.execute("SELECT obj_description(%s::regclass, 'pg_class')", (self._table,))
        stale = cr.fetchone()[0] != self._definition_hash() or months_missing
        if stale and not installing:
            self._rebuild()
