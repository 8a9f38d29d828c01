"""Sales quotas per salesperson and/or sales channel (optionally per region and product category), per month
or quarter, with attainment on three bases and the coverage of what is left to reach by the open pipeline."""
import hashlib
import logging

from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.models import PREFETCH_MAX
from odoo.tools import float_round

from ..sql_rules import company_day_sql, count_differing_rows, quarter_start

_logger = logging.getLogger(__name__)

PERIOD_TYPES = [('month', 'Month'), ('quarter', 'Quarter')]
# the quotas' own columns the attainment and the workbook read (crm.quota._quota_columns)
QUOTA_COLUMNS = ('user_id', 'team_id', 'region_id', 'categ_id', 'period_type', 'date_start', 'amount')


def period_label(period_type, date_start, _memo={}):
    """'Q1 2033' or '02/2033' (remembered: a thousand quotas share a few dozen periods)."""
    if not date_start:
        return ''
    key = (period_type, date_start)
    if key not in _memo:
        start = fields.Date.from_string(date_start)
        if period_type == 'quarter':
            _memo[key] = 'Q%d %d' % ((start.month - 1) // 3 + 1, start.year)
        else:
            _memo[key] = start.strftime('%m/%Y')
    return _memo[key]


# Share of a product category (and its subcategories) in each deal: the untaxed lines of the latest revision of
# the deal's quotations/orders (not cancelled), as the forecast splits a deal by category. Parameter: the
# quota's category, joined as qc.
CATEG_SHARE_SQL = """
    SELECT so.opportunity_id AS lead_id, pc.parent_left,
           SUM(sol.price_subtotal) / NULLIF(SUM(SUM(sol.price_subtotal)) OVER (PARTITION BY so.opportunity_id), 0)
               AS share
      FROM sale_order_line sol
      JOIN sale_order so ON so.id = sol.order_id
      LEFT JOIN product_product pp ON pp.id = sol.product_id
      LEFT JOIN product_template pt ON pt.id = pp.product_tmpl_id
      LEFT JOIN product_category pc ON pc.id = pt.categ_id
     WHERE so.opportunity_id IS NOT NULL AND so.is_latest_revision AND so.state != 'cancel'
     GROUP BY so.opportunity_id, pc.parent_left
"""


# The deals' execution figures summed per salesperson, channel, region, company, stage and month, kept in step
# by triggers on crm_lead (CrmQuota._deal_month_function): the attainment of quotas without a category reads a
# few thousand sums, not every deal of their salespeople (a manager's thousand quotas: all the deals). The month
# is the one the deal's stage kind counts it in: the closing date's of a won (execution or closed) deal, the
# end's of an open one (else expected closing, else creation), none for an open deal a rep omitted. The stage
# stays a member: whether it is a Lost one is read with the sums, so a stage marked Lost later needs no rebuild.
DEAL_MONTH_TABLE = 'crm_quota_deal_month'
DEAL_MONTH_KEYS = ('user_id', 'team_id', 'region_id', 'company_id', 'stage_id')
DEAL_MONTH_SUMS = ('ordered', 'invoiced', 'paid', 'pipeline')
# the deal's columns the sums depend on (an update changing none of them appends nothing)
DEAL_MONTH_WATCHED = DEAL_MONTH_KEYS + (
    'type', 'active', 'stage_group_kind', 'date_closed', 'forecast_category', 'date_end', 'date_deadline',
    'create_date', 'amount_ordered', 'amount_invoiced', 'amount_paid', 'weighted_revenue')
# advisory lock taken by the compaction of the sums: one at a time
DEAL_MONTH_COMPACT_LOCK = (0x71756f74, 1)


def deal_month_month(deal):
    """SQL: the first day of the month deal ``deal`` (an alias, or NEW/OLD in a row trigger) counts in, or NULL."""
    return """CASE WHEN {d}.stage_group_kind != 'open'
                   THEN date_trunc('month', {closed}::timestamp)::date
                   WHEN COALESCE({d}.forecast_category, '') != 'omitted'
                   THEN date_trunc('month', COALESCE({d}.date_end, {d}.date_deadline,
                                                     {created})::timestamp)::date END""".format(
        d=deal, closed=company_day_sql('%s.date_closed' % deal, company='%s.company_id' % deal),
        created=company_day_sql('%s.create_date' % deal, company='%s.company_id' % deal))


def deal_month_counted(deal):
    """SQL: whether deal ``deal`` counts in the sums at all."""
    return "{d}.type = 'opportunity' AND {d}.active".format(d=deal)


def deal_month_values(deal, month, sign=''):
    """SQL: the sums' columns of deal ``deal`` in month ``month`` (an expression), ``sign`` '-' to take it away."""
    return """{d}.user_id, {d}.team_id, {d}.region_id, {d}.company_id, {d}.stage_id, {month},
              {sign}CASE WHEN {d}.stage_group_kind != 'open' THEN {d}.amount_ordered END,
              {sign}CASE WHEN {d}.stage_group_kind != 'open' THEN {d}.amount_invoiced END,
              {sign}CASE WHEN {d}.stage_group_kind != 'open' THEN {d}.amount_paid END,
              {sign}CASE WHEN {d}.stage_group_kind = 'open' THEN {d}.weighted_revenue END,
              {sign}1""".format(d=deal, month=month, sign=sign)


def deal_month_rows(deal, source, sign=''):
    """SQL: the sums' row of each deal ``deal`` (the alias of a table's rows in ``source``), ``sign`` '-' to
    take them away; deals counting in no month give none."""
    return """SELECT {values}
                FROM {source} CROSS JOIN LATERAL (SELECT {month} AS month) m
               WHERE {counted} AND m.month IS NOT NULL""".format(
        values=deal_month_values(deal, 'm.month', sign), source=source, month=deal_month_month(deal),
        counted=deal_month_counted(deal))


def deal_month_summed(rows):
    """SQL: the sums' rows of the relation ``rows`` (the table, or deal_month_relation) summed per members and
    month, those summing to no deal left out."""
    keys = ', '.join(DEAL_MONTH_KEYS)
    # no deal's figure (NULL) and figures summing to nothing alike as 0: the same sums however often a deal
    # changed since the last compaction
    return """SELECT {keys}, month, COALESCE(SUM(ordered), 0), COALESCE(SUM(invoiced), 0), COALESCE(SUM(paid), 0),
                     COALESCE(SUM(pipeline), 0), SUM(n)
                FROM {rows} GROUP BY {keys}, month HAVING SUM(n) != 0""".format(keys=keys, rows=rows)


def deal_month_relation(rows):
    """SQL: the query ``rows`` (deal_month_rows) as a relation with the sums' column names."""
    return '(%s) s (%s, month, %s, n)' % (rows, ', '.join(DEAL_MONTH_KEYS), ', '.join(DEAL_MONTH_SUMS))


DEAL_MONTH_INSERT = 'INSERT INTO %s (%s, month, %s, n) ' % (
    DEAL_MONTH_TABLE, ', '.join(DEAL_MONTH_KEYS), ', '.join(DEAL_MONTH_SUMS))


class CrmQuota(models.Model):
    _name = 'crm.quota'
    _description = 'Sales Quota'
    _order = 'date_start desc, team_id, user_id, id'

    name = fields.Char(compute='_compute_name', string='Quota')
    user_id = fields.Many2one('res.users', string='Salesperson', index=True, ondelete='cascade',
                              help="Leave empty for a quota of the whole sales channel.")
    team_id = fields.Many2one('crm.team', string='Sales Channel', index=True, ondelete='cascade',
                              help="With a salesperson: only their deals in this channel.")
    region_id = fields.Many2one('crm.region', string='Sales Region', ondelete='restrict',
                                help="Optional: only the deals of this region.")
    categ_id = fields.Many2one('product.category', string='Product Category', ondelete='restrict',
                               help="Optional: only the part of the deals in this category (and its subcategories), "
                                    "by the lines of their quotations and orders.")
    period_type = fields.Selection(PERIOD_TYPES, string='Period', required=True, default='quarter')
    date_start = fields.Date(string='Period Start', required=True,
                             help="The first day of the month or quarter.")
    date_end = fields.Date(string='Period End', compute='_compute_date_end', store=True)
    amount = fields.Monetary(string='Quota', required=True, currency_field='currency_id')
    company_id = fields.Many2one('res.company', string='Company', required=True, index=True,
                                 default=lambda self: self.env.user.company_id)
    # stored: the monetary figures of a thousand quotas would otherwise compute it per record
    currency_id = fields.Many2one(related='company_id.currency_id', readonly=True, store=True, string='Currency')

    amount_ordered = fields.Monetary(compute='_compute_attainment', string='Ordered', currency_field='currency_id',
                                     help="Confirmed orders of the deals won in the period.")
    amount_invoiced = fields.Monetary(compute='_compute_attainment', string='Invoiced', currency_field='currency_id',
                                      help="Invoiced minus credit notes, for the deals won in the period.")
    amount_paid = fields.Monetary(compute='_compute_attainment', string='Paid', currency_field='currency_id',
                                  help="Paid part of the invoices of the deals won in the period.")
    attainment_ordered = fields.Float(compute='_compute_attainment', string='Attainment: Ordered (%)')
    attainment_invoiced = fields.Float(compute='_compute_attainment', string='Attainment: Invoiced (%)')
    attainment_paid = fields.Float(compute='_compute_attainment', string='Attainment: Paid (%)')
    amount_to_reach = fields.Monetary(compute='_compute_attainment', string='Still to Reach',
                                      currency_field='currency_id', help="Quota minus ordered, at least 0.")
    pipeline_weighted = fields.Monetary(compute='_compute_attainment', string='Weighted Open Pipeline',
                                        currency_field='currency_id',
                                        help="Weighted revenue of the open deals dated in the period (Omitted "
                                             "ones left out).")
    coverage = fields.Float(compute='_compute_attainment', string='Coverage',
                            help="Weighted open pipeline / what is still to reach (0 once the quota is reached).")

    @api.depends('user_id', 'team_id', 'region_id', 'categ_id', 'period_type', 'date_start')
    def _compute_name(self):
        for quota in self:
            parts = [name for name in (quota.user_id.name, quota.team_id.name, quota.region_id.name,
                                       quota.categ_id.name) if name]
            parts.append(quota._period_label())
            quota.name = ', '.join(parts)

    @api.multi
    def _period_label(self):
        self.ensure_one()
        return period_label(self.period_type, self.date_start)

    @api.multi
    def _sheet_rows(self):
        """The quotas as the workbook lists them, in their order: [(salesperson, channel, region, category,
        period, amount, ordered, invoiced, paid, ordered %, invoiced %, paid %, weighted open pipeline, still
        to reach, coverage)], the figures those of the fields (_attainment_values on one set-based query)
        without reading a thousand quotas field by field."""
        if not self:
            return []
        links = ('user_id', 'team_id', 'region_id', 'categ_id')
        # the user found these quotas through their record rules
        self.check_access_rights('read')
        by_id = self._quota_columns()
        figures = self._attainment_rows(by_id)
        records = [by_id[quota_id] for quota_id in self.ids]
        names = {}
        for link in links:
            linked = self.env[self._fields[link].comodel_name].browse(
                set(record[link] for record in records if record[link]))
            names[link] = dict((linked_record.id, linked_record.name) for linked_record in linked)
        rows = []
        for record in records:
            amount, rounding, ordered, invoiced, paid, pipeline = figures.get(
                record['id'], (record['amount'], 0.0, 0.0, 0.0, 0.0, 0.0))
            (ordered, invoiced, paid, attainment_ordered, attainment_invoiced, attainment_paid, to_reach,
             pipeline, coverage) = self._attainment_values(amount, rounding, ordered, invoiced, paid, pipeline)
            rows.append(tuple(names[link].get(record[link]) or '' for link in links) + (
                period_label(record['period_type'], record['date_start']), float(record['amount'] or 0.0),
                ordered, invoiced, paid, attainment_ordered, attainment_invoiced, attainment_paid, pipeline,
                to_reach, coverage))
        return rows

    @api.depends('period_type', 'date_start')
    def _compute_date_end(self):
        for quota in self:
            if quota.date_start:
                months = 3 if quota.period_type == 'quarter' else 1
                quota.date_end = fields.Date.to_string(
                    fields.Date.from_string(quota.date_start) + relativedelta(months=months, days=-1))

    @api.constrains('user_id', 'team_id', 'amount', 'period_type', 'date_start')
    def _check_quota(self):
        for quota in self:
            if not quota.user_id and not quota.team_id:
                raise ValidationError(_("A quota is for a salesperson or a sales channel: give it one."))
            if quota.amount < 0:
                raise ValidationError(_("A quota cannot be negative (%s).") % quota.amount)
            start = fields.Date.from_string(quota.date_start)
            if start.day != 1 or (quota.period_type == 'quarter' and quarter_start(start) != start):
                raise ValidationError(
                    _("The period of a quota starts on the first day of a month, or of a quarter "
                      "(January, April, July, October): %s does not.") % quota.date_start)
            twins = self.search_count([
                ('id', '!=', quota.id), ('user_id', '=', quota.user_id.id), ('team_id', '=', quota.team_id.id),
                ('region_id', '=', quota.region_id.id), ('categ_id', '=', quota.categ_id.id),
                ('period_type', '=', quota.period_type), ('date_start', '=', quota.date_start),
                ('company_id', '=', quota.company_id.id)])
            if twins:
                raise ValidationError(_("There is already a quota for %s.") % quota.name)

    @api.model
    def _match_sql(self):
        """Conditions joining a quota q to a deal l (its salesperson, channel, region and company)."""
        return """(q.user_id IS NULL OR l.user_id = q.user_id)
              AND (q.team_id IS NULL OR l.team_id = q.team_id)
              AND (q.region_id IS NULL OR l.region_id = q.region_id)
              AND (l.company_id IS NULL OR l.company_id = q.company_id)
              AND l.type = 'opportunity'"""

    def _in_cache_without(self, field, limit=PREFETCH_MAX):
        # the ORM computes a field for a thousand records at a time: the attainment of all the quotas read
        # together (a longer list, an export) comes from one query, not one per thousand (each joins the deals)
        if field.compute == '_compute_attainment':
            limit = 0
        return super(CrmQuota, self)._in_cache_without(field, limit=limit)

    @api.multi
    def _compute_attainment(self):
        """Every figure of all the quotas at once: one set-based query (one row per quota, with its amount and
        currency rounding), then only arithmetic per quota, its results put straight in the cache (no field
        assignment per quota and field, whose bookkeeping cost more than the query at a thousand quotas).

        Attainment: the execution figures each deal already keeps (ordered, invoiced minus credit notes, paid)
        of the deals won in the period (by their closing date), Lost ones excluded. Coverage: the weighted
        revenue of the open deals dated in the period (end date, else expected closing, else creation, as the
        forecast dates them) over the quota still to reach on the ordered basis. With a product category,
        each deal counts for the share of that category in its quotations/orders."""
        names = ('amount_ordered', 'amount_invoiced', 'amount_paid', 'attainment_ordered', 'attainment_invoiced',
                 'attainment_paid', 'amount_to_reach', 'pipeline_weighted', 'coverage')
        targets = [self._fields[name] for name in names]
        stored = self.filtered(lambda quota: isinstance(quota.id, int))
        rows = stored._attainment_rows() if stored else {}
        cache = self.env.cache
        for quota in self:
            if quota.id in rows:
                amount, rounding, ordered, invoiced, paid, pipeline = rows[quota.id]
                for field, value in zip(targets, self._attainment_values(amount, rounding, ordered, invoiced,
                                                                         paid, pipeline)):
                    cache.set(quota, field, value)
            else:
                # a quota being edited (not saved yet) counts no deal
                quota.update(dict(zip(names, self._attainment_values(
                    quota.amount, quota.currency_id.rounding, 0.0, 0.0, 0.0, 0.0))))

    @api.model
    def _attainment_values(self, amount, rounding, ordered, invoiced, paid, pipeline):
        """The nine figures of a quota, in the order of the fields, as they are cached (the amounts rounded to
        the currency, the percentages and the coverage from the unrounded sums as well)."""
        money = (lambda value: float_round(value, precision_rounding=rounding)) if rounding else float
        amount = money(amount)
        ratio = (lambda value: 100.0 * value / amount) if amount else (lambda value: 0.0)
        to_reach = money(max(amount - ordered, 0.0))
        return (money(ordered), money(invoiced), money(paid), ratio(ordered), ratio(invoiced), ratio(paid),
                to_reach, money(pipeline), pipeline / to_reach if to_reach else 0.0)

    @api.multi
    def _quota_columns(self):
        """{quota id: {'id', 'user_id', 'team_id', 'region_id', 'categ_id', 'period_type', 'date_start',
        'amount'}}: the quotas' own columns in one statement (the ORM's read converts them value by value)."""
        self.env.cr.execute("SELECT id, %s FROM crm_quota WHERE id IN %%s" % ', '.join(QUOTA_COLUMNS),
                            (tuple(self.ids),))
        return dict((row[0], dict(zip(('id',) + QUOTA_COLUMNS, row))) for row in self.env.cr.fetchall())

    @api.multi
    def _attainment_rows(self, quotas=None):
        """{quota id: (amount, currency rounding, ordered, invoiced, paid, weighted open pipeline)} of the
        quotas, read as superuser: a quota counts every deal of its salesperson/channel, whoever reads it.
        ``quotas``: their _quota_columns when the caller has them already."""
        cr = self.env.cr
        ids = tuple(self.ids)
        # from the quotas' columns: which kinds of quota there are (by salesperson or channel, with or without
        # a category: one branch of the query each), and their salespeople and channels as values (the
        # category branch reads their deals by index, a salesperson's quotas: a twentieth of the deals, where a
        # sub-query made it scan every deal)
        quotas = list((self._quota_columns() if quotas is None else quotas).values())
        user_ids = sorted(set(quota['user_id'] for quota in quotas if quota['user_id']))
        team_ids = sorted(set(quota['team_id'] for quota in quotas if quota['team_id']))
        kinds = set((bool(quota['user_id']), bool(quota['categ_id'])) for quota in quotas)
        branches = []
        # Without a category: the deals' monthly sums per salesperson, channel, region, company and month
        # (deal_months below; a quota's period is whole months), then each month of a quota (quota_months)
        # joined with its salesperson's (or its channel's) sums of that month by equality: a few rows per
        # quota, however many deals there are. (The months of a quota as a range of dates compared each quota
        # with every monthly sum of its salesperson; as a series generated per quota, the planner joined the
        # series after the sums, one series per quota and monthly sum.)
        plain = """
            SELECT q.id, SUM(d.ordered) AS ordered, SUM(d.invoiced) AS invoiced, SUM(d.paid) AS paid,
                   SUM(d.pipeline) AS pipeline
              FROM quota_months q
              JOIN deal_months d ON {key} AND d.month = q.month
             WHERE {which}
               AND (q.user_id IS NULL OR d.user_id = q.user_id)
               AND (q.team_id IS NULL OR d.team_id = q.team_id)
               AND (q.region_id IS NULL OR d.region_id = q.region_id)
               AND (d.company_id IS NULL OR d.company_id = q.company_id)
             GROUP BY q.id"""
        # With a category: each deal counts for the share of the category in it (a sub-query per deal), only
        # for the quotas that have one, the quotas of a salesperson joined with their deals by salesperson,
        # those of a whole channel by channel (equality joins).
        shared = """
            SELECT q.id,
                   SUM(l.amount_ordered * COALESCE(cs.share, 0.0)) FILTER (WHERE g.kind != 'open') AS ordered,
                   SUM(l.amount_invoiced * COALESCE(cs.share, 0.0)) FILTER (WHERE g.kind != 'open') AS invoiced,
                   SUM(l.amount_paid * COALESCE(cs.share, 0.0)) FILTER (WHERE g.kind != 'open') AS paid,
                   SUM(l.weighted_revenue * COALESCE(cs.share, 0.0)) FILTER (WHERE g.kind = 'open') AS pipeline
              FROM crm_quota q
              JOIN crm_lead l ON {key}
              JOIN crm_stage st ON st.id = l.stage_id
              JOIN crm_stage_group g ON g.id = st.group_id
              JOIN product_category qc ON qc.id = q.categ_id
              LEFT JOIN LATERAL (
                    SELECT SUM(s.share) AS share FROM ({shares}) s
                     WHERE s.lead_id = l.id AND s.parent_left >= qc.parent_left AND s.parent_left < qc.parent_right
              ) cs ON TRUE
             WHERE q.id IN %(ids)s AND {which} AND q.categ_id IS NOT NULL AND {match} AND l.active
               AND NOT COALESCE(st.is_lost, FALSE)
               AND CASE WHEN g.kind = 'open'
                        THEN COALESCE(l.forecast_category, '') != 'omitted'
                         AND COALESCE(l.date_end, l.date_deadline, {created})
                             BETWEEN q.date_start AND q.date_end
                        ELSE {closed} BETWEEN q.date_start AND q.date_end END
             GROUP BY q.id"""
        created = company_day_sql('l.create_date', company='l.company_id')
        closed = company_day_sql('l.date_closed', company='l.company_id')
        for by_user, key, which in ((True, '{alias}.user_id = q.user_id', 'q.user_id IS NOT NULL'),
                                    (False, '{alias}.team_id = q.team_id', 'q.user_id IS NULL')):
            if (by_user, False) in kinds:
                branches.append(plain.format(key=key.format(alias='d'), which=which))
            if (by_user, True) in kinds:
                branches.append(shared.format(key=key.format(alias='l'), which=which, match=self._match_sql(),
                                              shares=CATEG_SHARE_SQL, created=created, closed=closed))
        # The deals' monthly sums (DEAL_MONTH_TABLE, kept by triggers) of the quotas' salespeople and channels,
        # the Lost stages left out, summed again per salesperson, channel, region, company and month (the
        # differences appended since the last compaction with them). Numeric sums of sums: exactly the figures
        # of the deals summed one by one.
        cr.execute("""
            WITH deal_months AS (
                SELECT s.user_id, s.team_id, s.region_id, s.company_id, s.month, SUM(s.ordered) AS ordered,
                       SUM(s.invoiced) AS invoiced, SUM(s.paid) AS paid, SUM(s.pipeline) AS pipeline
                  FROM {sums} s
                  JOIN crm_stage st ON st.id = s.stage_id
                 WHERE NOT COALESCE(st.is_lost, FALSE)
                   AND (s.user_id = ANY(%(user_ids)s::integer[]) OR s.team_id = ANY(%(team_ids)s::integer[]))
                 GROUP BY 1, 2, 3, 4, 5
            ), quota_months AS (
                -- the months of the quotas without a category: one for a month's quota, three for a quarter's
                -- (computed once: OFFSET 0 keeps the planner from inlining them into each branch, as
                -- MATERIALIZED would, which PostgreSQL 11 does not know)
                SELECT q.id, q.user_id, q.team_id, q.region_id, q.company_id,
                       (q.date_start + o.n * INTERVAL '1 month')::date AS month
                  FROM crm_quota q
                  JOIN (VALUES (0), (1), (2)) AS o (n) ON o.n < CASE WHEN q.period_type = 'quarter' THEN 3 ELSE 1 END
                 WHERE q.id IN %(ids)s AND q.categ_id IS NULL
                OFFSET 0
            )
            SELECT q.id, q.amount, c.rounding, f.ordered, f.invoiced, f.paid, f.pipeline
              FROM crm_quota q
              LEFT JOIN res_currency c ON c.id = q.currency_id
              LEFT JOIN ({figures}) f ON f.id = q.id
             WHERE q.id IN %(ids)s""".format(sums=DEAL_MONTH_TABLE, figures=' UNION ALL '.join(branches) or
                                             'SELECT NULL::int AS id, 0 AS ordered, 0 AS invoiced, 0 AS paid, '
                                             '0 AS pipeline'),
                   {'ids': ids, 'user_ids': user_ids, 'team_ids': team_ids})
        return dict((row[0], [float(value or 0.0) for value in row[1:]]) for row in cr.fetchall())

    # -- the deals' monthly sums (DEAL_MONTH_TABLE) ------------------------------------------------

    @api.model_cr
    def init(self):
        # at install post_init_hook sets the sums up, once the back-fills have given the deals the columns the
        # sums read (a trigger in place before them would sum every back-filled deal one by one)
        if not self.env['crm.stage']._impact_installing():
            self._setup_deal_months()

    @api.model
    def _setup_deal_months(self):
        """The sums' table, the triggers keeping it, and its sums from the deals when the table is new or was
        summed by another definition (its comment: the definition's hash)."""
        cr = self.env.cr
        cr.execute("""CREATE TABLE IF NOT EXISTS %s (%s integer, month date, %s numeric, n integer)""" % (
            DEAL_MONTH_TABLE, ' integer, '.join(DEAL_MONTH_KEYS), ' numeric, '.join(DEAL_MONTH_SUMS)))
        cr.execute(self._deal_month_function())
        changed = '(%s) IS DISTINCT FROM (%s)' % tuple(
            ', '.join('%s.%s' % (row, column) for column in DEAL_MONTH_WATCHED) for row in ('OLD', 'NEW'))
        for event, level in (('insert', 'REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT'),
                             ('delete', 'REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT'),
                             ('update', 'FOR EACH ROW WHEN (%s)' % changed)):
            trigger = 'crm_lead_quota_month_%s' % event
            cr.execute('DROP TRIGGER IF EXISTS %s ON crm_lead' % trigger)
            cr.execute('CREATE TRIGGER %s AFTER %s ON crm_lead %s EXECUTE FUNCTION crm_quota_deal_month()' % (
                trigger, event.upper(), level))
        cr.execute("SELECT obj_description(%s::regclass, 'pg_class')", (DEAL_MONTH_TABLE,))
        if cr.fetchone()[0] != self._deal_month_hash():
            self._rebuild_deal_months()

    @api.model
    def _drop_deal_months(self):
        """Uninstall: the triggers go from the deals' table, which stays (they read columns that go with the
        add-on), and the sums with them."""
        cr = self.env.cr
        for event in ('insert', 'delete', 'update'):
            cr.execute('DROP TRIGGER IF EXISTS crm_lead_quota_month_%s ON crm_lead' % event)
        cr.execute('DROP FUNCTION IF EXISTS crm_quota_deal_month()')
        cr.execute('DROP TABLE IF EXISTS %s' % DEAL_MONTH_TABLE)

    @api.model
    def _deal_month_function(self):
        """Trigger function on crm_lead: the sums' rows of what a statement inserted or deleted (statement
        level), or of what an update changed in a deal (row level: its old row taken away, its new one added),
        appended to the sums in the same transaction. Only the differences are appended, no row of the sums is
        updated and the table has no index: concurrent writers never wait for each other or contend on a page.
        ``_compact_deal_months`` sums them up every hour."""
        # A row's figures by plain statements (an INSERT ... VALUES each): Odoo's pooled connections are reset
        # with DISCARD ALL, so the trigger's statements are planned again at every request: both rows as one
        # INSERT ... SELECT took 0.35-0.44 ms of a stage change's UPDATE, these 0.26-0.35 ms (EXPLAIN ANALYZE,
        # medians of 120 in three interleaved runs).
        row = """
                    IF {counted} THEN
                        deal_month := {month};
                        IF deal_month IS NOT NULL THEN
                            {insert} VALUES ({values});
                        END IF;
                    END IF;"""
        return """
            CREATE OR REPLACE FUNCTION crm_quota_deal_month() RETURNS trigger AS $body$
            DECLARE
                deal_month date;    -- not "month": the sums' column
            BEGIN
                IF TG_LEVEL = 'ROW' THEN%(old)s%(new)s
                ELSIF TG_OP = 'INSERT' THEN
                    %(insert)s %(inserted)s;
                ELSE
                    %(insert)s %(deleted)s;
                END IF;
                RETURN NULL;
            END
            $body$ LANGUAGE plpgsql
        """ % {'insert': DEAL_MONTH_INSERT,
               'old': row.format(counted=deal_month_counted('OLD'), month=deal_month_month('OLD'),
                                 insert=DEAL_MONTH_INSERT, values=deal_month_values('OLD', 'deal_month', sign='-')),
               'new': row.format(counted=deal_month_counted('NEW'), month=deal_month_month('NEW'),
                                 insert=DEAL_MONTH_INSERT, values=deal_month_values('NEW', 'deal_month')),
               'inserted': deal_month_summed(deal_month_relation(deal_month_rows('l', 'new_rows l'))),
               'deleted': deal_month_summed(deal_month_relation(deal_month_rows('l', 'old_rows l', sign='-')))}

    @api.model
    def _deal_month_hash(self):
        text = self._deal_month_function() + deal_month_rows('l', 'crm_lead l') + ' '.join(DEAL_MONTH_WATCHED)
        return hashlib.sha1(text.encode('utf-8')).hexdigest()

    @api.model
    def _rebuild_deal_months(self):
        """The sums summed again from every deal (setup, repair)."""
        cr = self.env.cr
        cr.execute('LOCK TABLE %s IN EXCLUSIVE MODE' % DEAL_MONTH_TABLE)
        cr.execute('DELETE FROM %s' % DEAL_MONTH_TABLE)
        cr.execute(DEAL_MONTH_INSERT + deal_month_summed(deal_month_relation(deal_month_rows('l', 'crm_lead l'))))
        count = cr.rowcount
        cr.execute('ANALYZE %s' % DEAL_MONTH_TABLE)
        cr.execute("COMMENT ON TABLE %s IS %%s" % DEAL_MONTH_TABLE, (self._deal_month_hash(),))
        _logger.info("quotas: the deals summed into %d monthly sums", count)
        return count

    @api.model
    def _compact_deal_months(self):
        """The differences the writes appended to the sums, summed into one row per month and members
        (scheduled action, hourly). Writers wait for it (a fraction of a second); a second compaction at the
        same time skips."""
        cr = self.env.cr
        cr.execute('SELECT pg_try_advisory_xact_lock(%s, %s)', DEAL_MONTH_COMPACT_LOCK)
        if not cr.fetchone()[0]:
            return False
        cr.execute('LOCK TABLE %s IN EXCLUSIVE MODE' % DEAL_MONTH_TABLE)
        cr.execute('WITH gone AS (DELETE FROM %s RETURNING *) %s %s' % (
            DEAL_MONTH_TABLE, DEAL_MONTH_INSERT, deal_month_summed('gone')))
        return True

    @api.model
    def _stale_deal_months(self):
        """Number of sums differing between the table and the deals summed now (0 when in step)."""
        return count_differing_rows(self.env.cr, deal_month_summed(DEAL_MONTH_TABLE),
                                    deal_month_summed(deal_month_relation(deal_month_rows('l', 'crm_lead l'))))


class CrmQuotaInputGuard(models.Model):
    _name = 'crm.quota'
    _inherit = ['impact.input.guard', 'crm.quota']
