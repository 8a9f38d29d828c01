"""Collection: won deals with money still due, by customer, rep and age of the oldest unpaid invoice."""
from psycopg2.extensions import AsIs

from odoo import api, fields, models, tools

from ..sql_rules import LEAD_INVOICE_SQL, rate_sql, won_sql

AGE_BUCKETS = [('0_30', '0-30'), ('31_60', '31-60'), ('61_90', '61-90'), ('90_plus', '90+')]


def collection_query():
    """One row per won deal (stage group Execution or Closed, not Lost) with a positive outstanding
    amount. ``%(date)s`` is the reference date the ages are counted from."""
    return """
        WITH lead_due AS (
            SELECT li.lead_id,
                   SUM(inv.residual_company_signed) AS amount_outstanding,
                   MIN(inv.date_invoice) FILTER (
                       WHERE inv.type = 'out_invoice' AND inv.residual_company_signed > 0) AS date_oldest
              FROM ({lead_invoice}) li
              JOIN account_invoice inv ON inv.id = li.invoice_id
             WHERE inv.type IN ('out_invoice', 'out_refund') AND inv.state = 'open'
             GROUP BY li.lead_id
        ), aged AS (
            SELECT d.*, (%(date)s::date - COALESCE(d.date_oldest, %(date)s::date)) AS age_days
              FROM lead_due d
        )
        SELECT l.id AS id,
               l.id AS lead_id,
               COALESCE(p.commercial_partner_id, l.partner_id) AS partner_id,
               l.user_id AS user_id,
               l.team_id AS team_id,
               l.company_id AS company_id,
               a.amount_outstanding AS amount_outstanding,
               a.date_oldest AS date_oldest_unpaid,
               a.age_days AS age_days,
               CASE WHEN a.age_days <= 30 THEN '0_30'
                    WHEN a.age_days <= 60 THEN '31_60'
                    WHEN a.age_days <= 90 THEN '61_90'
                    ELSE '90_plus' END AS age_bucket
          FROM aged a
          JOIN crm_lead l ON l.id = a.lead_id
          JOIN crm_stage s ON s.id = l.stage_id
          LEFT JOIN res_partner p ON p.id = l.partner_id
         WHERE a.amount_outstanding > 0.005
           AND {won}
    """.format(lead_invoice=LEAD_INVOICE_SQL, won=won_sql(active=False))


class CrmCollectionReport(models.Model):
    _name = 'crm.collection.report'
    _inherit = 'crm.deal.report.mixin'
    _description = 'Collection of Won Deals'
    _auto = False
    _rec_name = 'lead_id'
    _order = 'age_days desc, amount_outstanding desc'

    lead_id = fields.Many2one('crm.lead', string='Opportunity', readonly=True)
    partner_id = fields.Many2one('res.partner', string='Customer', readonly=True)
    currency_id = fields.Many2one(related='company_id.currency_id', readonly=True)
    amount_outstanding = fields.Monetary(string='Outstanding', readonly=True, currency_field='currency_id')
    date_oldest_unpaid = fields.Date(string='Oldest Unpaid Invoice', readonly=True)
    age_days = fields.Integer(string='Age (days)', readonly=True, group_operator='max')
    age_bucket = fields.Selection(AGE_BUCKETS, string='Age', readonly=True)

    @api.model_cr
    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            "CREATE OR REPLACE VIEW {} AS ({})".format(self._table, collection_query()),
            {'date': AsIs('CURRENT_DATE')})

    @api.model
    def _by_customer(self, date=None, user_ids=None, team_ids=None):
        """The collection by customer and salesperson (the collection sheet of the forecast workbook).

        :param date: reference date of the ages (date or 'YYYY-MM-DD' string); today by default.
        :param user_ids: only the deals of these salespeople (list of ids); all when empty.
        :param team_ids: only the deals of these sales channels (list of ids); all when empty.
        :return: a list of dicts, one per (customer, salesperson) with outstanding money on won deals,
            largest total first::

                {'partner_id': int, 'partner_name': str, 'user_id': int or False, 'user_name': str,
                 'lead_count': int, 'amount_0_30': float, 'amount_31_60': float, 'amount_61_90': float,
                 'amount_90_plus': float, 'amount_total': float}

            Amounts are in the currency of the user's current company (a deal of a company with another
            currency converted at the reference date's rate); a deal's whole outstanding amount goes to the bucket
            of the age of its oldest unpaid invoice (days since the invoice date). Only the deals of the
            user's allowed companies are counted.
        """
        date = fields.Date.to_string(fields.Date.from_string(date)) if date else fields.Date.context_today(self)
        company_ids = tuple(self.env.user.company_ids.ids) or (self.env.user.company_id.id,)
        filters = ''
        if user_ids:
            filters += ' AND q.user_id IN %(user_ids)s'
        if team_ids:
            filters += ' AND q.team_id IN %(team_ids)s'
        sums = ', '.join("COALESCE(SUM(q.amount_outstanding) FILTER (WHERE q.age_bucket = '{0}'), 0.0) "
                         "AS amount_{0}".format(key) for key, _label in AGE_BUCKETS)
        # each deal's amount (in its company's currency) converted to the user's company currency, the one the
        # sheet shows, at the reference date with the user's company rates (nothing looked up in one currency)
        factor = """CASE WHEN qc.currency_id IS NULL OR qc.currency_id = %(currency_id)s THEN 1.0
                          ELSE {to_rate} / {from_rate} END""".format(
            to_rate=rate_sql('%(currency_id)s', '%(company_id)s', '%(date)s::date'),
            from_rate=rate_sql('qc.currency_id', '%(company_id)s', '%(date)s::date'))
        self.env.cr.execute("""
            SELECT q.partner_id, q.user_id, COUNT(*) AS lead_count, {sums},
                   SUM(q.amount_outstanding) AS amount_total
              FROM (SELECT q0.partner_id, q0.user_id, q0.team_id, q0.company_id, q0.age_bucket,
                           q0.amount_outstanding * {factor} AS amount_outstanding
                      FROM ({query}) q0
                      LEFT JOIN res_company qc ON qc.id = q0.company_id) q
             WHERE (q.company_id IN %(company_ids)s OR q.company_id IS NULL){filters}
             GROUP BY q.partner_id, q.user_id
             ORDER BY amount_total DESC, q.partner_id, q.user_id""".format(sums=sums, query=collection_query(),
                                                                           filters=filters, factor=factor),
                            {'date': date, 'company_ids': company_ids,
                             'company_id': self.env.user.company_id.id,
                             'currency_id': self.env.user.company_id.currency_id.id,
                             'user_ids': tuple(user_ids or ()), 'team_ids': tuple(team_ids or ())})
        rows = self.env.cr.dictfetchall()
        partners = dict(self.env['res.partner'].sudo().browse(
            [r['partner_id'] for r in rows if r['partner_id']]).name_get())
        users = dict(self.env['res.users'].sudo().browse([r['user_id'] for r in rows if r['user_id']]).name_get())
        for row in rows:
            row['partner_name'] = partners.get(row['partner_id'], '')
            row['user_name'] = users.get(row['user_id'], '')
            row['partner_id'] = row['partner_id'] or False
            row['user_id'] = row['user_id'] or False
        return rows
