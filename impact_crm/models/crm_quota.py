"""Sales quotas per salesperson and/or sales channel (optionally per region and product category), per month
or quarter, with attainment on three bases and the coverage of what is left to reach by the open pipeline."""
from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

PERIOD_TYPES = [('month', 'Month'), ('quarter', 'Quarter')]

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
        if not self.date_start:
            return ''
        start = fields.Date.from_string(self.date_start)
        if self.period_type == 'quarter':
            return 'Q%d %d' % ((start.month - 1) // 3 + 1, start.year)
        return start.strftime('%m/%Y')

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
            if start.day != 1 or (quota.period_type == 'quarter' and start.month not in (1, 4, 7, 10)):
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

    @api.multi
    def _compute_attainment(self):
        """One set-based query for all the quotas at once (one row per quota), as superuser: a quota counts
        every deal of its salesperson/channel, whoever reads it.

        Attainment: the execution figures each deal already keeps (ordered, invoiced minus credit notes, paid)
        of the deals won in the period (by their closing date), Lost ones excluded. Coverage: the weighted
        revenue of the open deals dated in the period (end date, else expected closing, else creation, as the
        forecast dates them) over the quota still to reach on the ordered basis. With a product category,
        each deal counts for the share of that category in its quotations/orders."""
        ids = tuple(quota.id for quota in self if isinstance(quota.id, int))
        figures = {}
        if ids:
            # the quotas of a salesperson joined with their deals by salesperson, those of a whole channel by
            # channel: equality joins (no per-quota scan of every deal); the category share (a sub-query per
            # deal) only in the branches of the quotas that have a category
            branch = """
                SELECT q.id,
                       COALESCE(SUM(l.amount_ordered * {share}) FILTER (WHERE g.kind != 'open'), 0),
                       COALESCE(SUM(l.amount_invoiced * {share}) FILTER (WHERE g.kind != 'open'), 0),
                       COALESCE(SUM(l.amount_paid * {share}) FILTER (WHERE g.kind != 'open'), 0),
                       COALESCE(SUM(l.weighted_revenue * {share}) FILTER (WHERE g.kind = 'open'), 0)
                  FROM crm_quota q
                  JOIN crm_lead l ON {key}
                  JOIN crm_stage st ON st.id = l.stage_id
                  JOIN crm_stage_group g ON g.id = st.group_id
                  {categ_join}
                 WHERE q.id IN %s AND {which} AND {match} AND l.active AND NOT COALESCE(st.is_lost, FALSE)
                   AND CASE WHEN g.kind = 'open'
                            THEN COALESCE(l.forecast_category, '') != 'omitted'
                             AND COALESCE(l.date_end, l.date_deadline, l.create_date::date)
                                 BETWEEN q.date_start AND q.date_end
                            ELSE l.date_closed::date BETWEEN q.date_start AND q.date_end END
                 GROUP BY q.id"""
            categ_join = """
                  JOIN product_category qc ON qc.id = q.categ_id
                  LEFT JOIN LATERAL (
                        SELECT SUM(s.share) AS share FROM ({shares}) s
                         WHERE s.lead_id = l.id AND s.parent_left >= qc.parent_left AND s.parent_left < qc.parent_right
                  ) cs ON TRUE""".format(shares=CATEG_SHARE_SQL)
            branches = []
            for key, which in (('l.user_id = q.user_id', 'q.user_id IS NOT NULL'),
                               ('l.team_id = q.team_id', 'q.user_id IS NULL')):
                branches.append(branch.format(share='1.0', categ_join='', key=key, match=self._match_sql(),
                                              which=which + ' AND q.categ_id IS NULL'))
                branches.append(branch.format(share='COALESCE(cs.share, 0.0)', categ_join=categ_join, key=key,
                                              match=self._match_sql(), which=which + ' AND q.categ_id IS NOT NULL'))
            self.env.cr.execute(' UNION ALL '.join(branches), (ids,) * len(branches))
            figures = dict((row[0], [float(value) for value in row[1:]]) for row in self.env.cr.fetchall())
        for quota in self:
            ordered, invoiced, paid, pipeline = figures.get(quota.id, (0.0, 0.0, 0.0, 0.0))
            quota.amount_ordered, quota.amount_invoiced, quota.amount_paid = ordered, invoiced, paid
            ratio = (lambda value: 100.0 * value / quota.amount) if quota.amount else (lambda value: 0.0)
            quota.attainment_ordered = ratio(ordered)
            quota.attainment_invoiced = ratio(invoiced)
            quota.attainment_paid = ratio(paid)
            quota.amount_to_reach = max(quota.amount - ordered, 0.0)
            quota.pipeline_weighted = pipeline
            quota.coverage = pipeline / quota.amount_to_reach if quota.amount_to_reach else 0.0
