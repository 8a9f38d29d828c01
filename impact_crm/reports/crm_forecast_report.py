from odoo import api, fields, models, tools

from ..models.crm_stage import FORECAST_CATEGORIES

SOURCES = [('opportunity', 'Opportunities'), ('order', 'Quotations / Orders')]


class CrmForecastReport(models.Model):
    """Sales forecast, one SQL view holding both sources as rows (pick one with the ``source`` filter).

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
    """
    _name = 'crm.forecast.report'
    _description = 'Sales Forecast Analysis'
    _auto = False
    _order = 'date desc, id'
    _rec_name = 'lead_id'

    source = fields.Selection(SOURCES, string='Source', readonly=True)
    lead_id = fields.Many2one('crm.lead', string='Opportunity', readonly=True)
    order_id = fields.Many2one('sale.order', string='Quotation / Order', readonly=True)
    partner_id = fields.Many2one('res.partner', string='Customer', readonly=True)
    user_id = fields.Many2one('res.users', string='Salesperson', readonly=True)
    team_id = fields.Many2one('crm.team', string='Sales Channel', readonly=True)
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
    company_id = fields.Many2one('res.company', string='Company', readonly=True)
    currency_id = fields.Many2one('res.currency', string='Currency', readonly=True)
    probability = fields.Float(string='Probability (%)', group_operator='avg', readonly=True)
    amount = fields.Monetary(string='Amount', readonly=True, currency_field='currency_id')
    weighted_amount = fields.Monetary(string='Weighted Amount', readonly=True, currency_field='currency_id')

    @api.model
    def _lines_query(self):
        """Lines of the latest revision of every quotation/order of an opportunity (cancelled ones excluded),
        untaxed, converted to the company currency at the order date with Odoo's rate lookup: the latest
        rate on or before the date, the company's own rates before the shared ones. Rates are joined as
        validity ranges (no per-row subquery), and only for orders in a foreign currency."""
        rates = """
            SELECT currency_id, company_id, rate, name AS date_start,
                   LEAD(name) OVER (PARTITION BY currency_id, company_id ORDER BY name) AS date_end
            FROM res_currency_rate
        """
        return """
            SELECT sol.id, o.id AS order_id, o.opportunity_id, o.state, o.company_id, o.date_order,
                   o.confirmation_date, pt.categ_id, sol.price_subtotal * o.factor AS amount
            FROM sale_order_line sol
            JOIN (
                SELECT so.id, so.opportunity_id, so.state, so.company_id, so.date_order, so.confirmation_date,
                       CASE WHEN pl.currency_id = comp.currency_id THEN 1.0
                       ELSE COALESCE(to_c.rate, to_g.rate, 1.0) / COALESCE(from_c.rate, from_g.rate, 1.0)
                       END AS factor
                FROM sale_order so
                JOIN product_pricelist pl ON pl.id = so.pricelist_id
                JOIN res_company comp ON comp.id = so.company_id
                LEFT JOIN (%(rates)s) from_c
                    ON from_c.currency_id = CASE WHEN pl.currency_id != comp.currency_id THEN pl.currency_id END
                   AND from_c.company_id = so.company_id
                   AND from_c.date_start <= so.date_order::date
                   AND (from_c.date_end IS NULL OR from_c.date_end > so.date_order::date)
                LEFT JOIN (%(rates)s) from_g
                    ON from_g.currency_id = CASE WHEN pl.currency_id != comp.currency_id THEN pl.currency_id END
                   AND from_g.company_id IS NULL
                   AND from_g.date_start <= so.date_order::date
                   AND (from_g.date_end IS NULL OR from_g.date_end > so.date_order::date)
                LEFT JOIN (%(rates)s) to_c
                    ON to_c.currency_id = CASE WHEN pl.currency_id != comp.currency_id THEN comp.currency_id END
                   AND to_c.company_id = so.company_id
                   AND to_c.date_start <= so.date_order::date
                   AND (to_c.date_end IS NULL OR to_c.date_end > so.date_order::date)
                LEFT JOIN (%(rates)s) to_g
                    ON to_g.currency_id = CASE WHEN pl.currency_id != comp.currency_id THEN comp.currency_id END
                   AND to_g.company_id IS NULL
                   AND to_g.date_start <= so.date_order::date
                   AND (to_g.date_end IS NULL OR to_g.date_end > so.date_order::date)
                WHERE so.opportunity_id IS NOT NULL
                  AND so.is_latest_revision
                  AND so.state != 'cancel'
            ) o ON o.id = sol.order_id
            LEFT JOIN product_product pp ON pp.id = sol.product_id
            LEFT JOIN product_template pt ON pt.id = pp.product_tmpl_id
        """ % {'rates': rates}

    @api.model
    def _query(self):
        # no CTE on purpose: PostgreSQL plans the view's branches with the statistics of the tables
        # (a materialized CTE would hide them and lead to nested loops on large pipelines)
        return """
            SELECT ((l.id::bigint * 1048576 + COALESCE(cs.categ_id, 0)) * 2 + 1) AS id,
                   'opportunity'::varchar AS source, l.id AS lead_id, NULL::integer AS order_id,
                   l.partner_id, l.user_id, l.team_id, l.region_id, cs.categ_id, l.stage_id,
                   st.group_id AS stage_group_id,
                   CASE WHEN g.kind = 'open' THEN 'open' ELSE 'won' END::varchar AS status,
                   NULL::varchar AS order_state, l.forecast_category,
                   COALESCE(l.date_end, l.date_deadline, l.create_date::date) AS date,
                   l.company_id, comp.currency_id, COALESCE(l.probability, 0)::numeric AS probability,
                   COALESCE(l.planned_revenue, 0)::numeric * COALESCE(cs.amount / cs.total, 1.0) AS amount,
                   COALESCE(l.planned_revenue, 0)::numeric * COALESCE(cs.amount / cs.total, 1.0)
                       * COALESCE(l.probability, 0)::numeric / 100.0 AS weighted_amount
            FROM crm_lead l
            JOIN crm_stage st ON st.id = l.stage_id
            JOIN crm_stage_group g ON g.id = st.group_id
            LEFT JOIN res_company comp ON comp.id = l.company_id
            LEFT JOIN (
                SELECT opportunity_id, categ_id, amount, SUM(amount) OVER (PARTITION BY opportunity_id) AS total
                FROM (SELECT opportunity_id, categ_id, SUM(amount) AS amount
                      FROM (%(lines)s) lines
                      GROUP BY opportunity_id, categ_id
                      HAVING SUM(amount) != 0) by_categ
            ) cs ON cs.opportunity_id = l.id AND cs.total != 0
            WHERE l.type = 'opportunity' AND l.active AND NOT COALESCE(st.is_lost, FALSE)
            UNION ALL
            SELECT (li.id::bigint * 2) AS id,
                   'order'::varchar AS source, l.id AS lead_id, li.order_id,
                   l.partner_id, l.user_id, l.team_id, l.region_id, li.categ_id, l.stage_id,
                   st.group_id AS stage_group_id,
                   CASE WHEN g.kind = 'open' THEN 'open' ELSE 'won' END::varchar AS status,
                   li.state AS order_state, l.forecast_category,
                   COALESCE(l.date_end, li.confirmation_date::date, li.date_order::date) AS date,
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
            WHERE l.type = 'opportunity' AND l.active AND NOT COALESCE(st.is_lost, FALSE)
        """ % {'lines': self._lines_query()}

    @api.model_cr
    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute("CREATE OR REPLACE VIEW %s AS (%s)" % (self._table, self._query()))
        # statistics for the forecast date of an opportunity, so that period filters are estimated right
        self.env.cr.execute("""
            CREATE INDEX IF NOT EXISTS crm_lead_forecast_date_index
            ON crm_lead ((COALESCE(date_end, date_deadline, create_date::date)))
        """)
