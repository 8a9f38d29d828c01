"""Sales quotas per salesperson and/or sales channel (optionally per region and product category), per month
or quarter, with attainment on three bases and the coverage of what is left to reach by the open pipeline."""
from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.models import PREFETCH_MAX
from odoo.tools import float_round

from ..sql_rules import quarter_start

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
        # planner then reads their deals by index, a salesperson's quotas: a twentieth of the deals, where a
        # sub-query made it scan every deal)
        quotas = list((self._quota_columns() if quotas is None else quotas).values())
        user_ids = sorted(set(quota['user_id'] for quota in quotas if quota['user_id']))
        team_ids = sorted(set(quota['team_id'] for quota in quotas if quota['team_id']))
        kinds = set((bool(quota['user_id']), bool(quota['categ_id'])) for quota in quotas)
        branches = []
        # Without a category: the deals summed once per salesperson, channel, region, company and month (a
        # quota's period is whole months), then each month of a quota (quota_months) joined with its
        # salesperson's (or its channel's) sums of that month by equality: a few rows per quota, however many
        # deals there are. (The months of a quota as a range of dates compared each quota with every monthly
        # sum of its salesperson; as a series generated per quota, the planner joined the series after the
        # sums, one series per quota and monthly sum.)
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
                         AND COALESCE(l.date_end, l.date_deadline, l.create_date::date)
                             BETWEEN q.date_start AND q.date_end
                        ELSE l.date_closed::date BETWEEN q.date_start AND q.date_end END
             GROUP BY q.id"""
        for by_user, key, which in ((True, '{alias}.user_id = q.user_id', 'q.user_id IS NOT NULL'),
                                    (False, '{alias}.team_id = q.team_id', 'q.user_id IS NULL')):
            if (by_user, False) in kinds:
                branches.append(plain.format(key=key.format(alias='d'), which=which))
            if (by_user, True) in kinds:
                branches.append(shared.format(key=key.format(alias='l'), which=which, match=self._match_sql(),
                                              shares=CATEG_SHARE_SQL))
        # The deals summed first on their own columns: per salesperson, channel, region, company, stage and
        # month of the date their stage's kind counts (the closing date of a won deal, the end of an open one;
        # none for an open deal a rep omitted), each deal adding only the figures of its kind; then those few
        # thousand sums joined with the stages (Lost ones left out). PostgreSQL sums in its parallel workers only
        # below any join: joining every deal with its stage first made one process sum them all. The months are
        # left to the quotas' join (a filter on the computed month made the planner expect a few hundred deals,
        # sort them in one process and read the quotas by index once per monthly sum). Numeric sums of sums:
        # exactly the same figures.
        cr.execute("""
            WITH lead_sums AS (
                SELECT l.user_id, l.team_id, l.region_id, l.company_id, l.stage_id,
                       CASE WHEN l.stage_group_kind != 'open'
                            THEN date_trunc('month', l.date_closed::date::timestamp)::date
                            WHEN COALESCE(l.forecast_category, '') != 'omitted'
                            THEN date_trunc('month', COALESCE(l.date_end, l.date_deadline,
                                                              l.create_date::date)::timestamp)::date END AS month,
                       SUM(l.amount_ordered) FILTER (WHERE l.stage_group_kind != 'open') AS ordered,
                       SUM(l.amount_invoiced) FILTER (WHERE l.stage_group_kind != 'open') AS invoiced,
                       SUM(l.amount_paid) FILTER (WHERE l.stage_group_kind != 'open') AS paid,
                       SUM(l.weighted_revenue) FILTER (WHERE l.stage_group_kind = 'open') AS pipeline
                  -- only the deals of the quotas' salespeople and channels (by index for a salesperson's)
                  FROM crm_lead l
                 WHERE l.type = 'opportunity' AND l.active
                   AND (l.user_id = ANY(%(user_ids)s::integer[]) OR l.team_id = ANY(%(team_ids)s::integer[]))
                 GROUP BY 1, 2, 3, 4, 5, 6
            ), deal_months AS (
                SELECT s.user_id, s.team_id, s.region_id, s.company_id, s.month, SUM(s.ordered) AS ordered,
                       SUM(s.invoiced) AS invoiced, SUM(s.paid) AS paid, SUM(s.pipeline) AS pipeline
                  FROM lead_sums s
                  JOIN crm_stage st ON st.id = s.stage_id
                 WHERE NOT COALESCE(st.is_lost, FALSE)
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
             WHERE q.id IN %(ids)s""".format(figures=' UNION ALL '.join(branches) or
                                             'SELECT NULL::int AS id, 0 AS ordered, 0 AS invoiced, 0 AS paid, '
                                             '0 AS pipeline'),
                   {'ids': ids, 'user_ids': user_ids, 'team_ids': team_ids})
        return dict((row[0], [float(value or 0.0) for value in row[1:]]) for row in cr.fetchall())
