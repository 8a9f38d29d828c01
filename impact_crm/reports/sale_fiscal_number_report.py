"""Accountants' fiscal numbering list: every fiscal number in order, with its order and a gap/duplicate check."""
from odoo import fields, models, tools


class SaleFiscalNumberReport(models.Model):
    _name = 'sale.fiscal.number.report'
    _description = 'Fiscal Numbering of Orders'
    _auto = False
    _order = 'company_id, is_legacy, number, fiscal_number'
    _rec_name = 'fiscal_number'

    fiscal_number = fields.Char(string='Fiscal Number', readonly=True)
    number = fields.Integer(string='Sequential Number', readonly=True)
    company_id = fields.Many2one('res.company', string='Company', readonly=True)
    date = fields.Datetime(string='Assigned On', readonly=True)
    is_legacy = fields.Boolean(string='Before Installation', readonly=True)
    order_id = fields.Many2one('sale.order', string='Order (latest revision)', readonly=True)
    quote_number = fields.Char(string='Quote Revision', readonly=True)
    partner_id = fields.Many2one('res.partner', string='Customer', readonly=True)
    confirmation_date = fields.Datetime(string='Confirmation Date', readonly=True)
    amount_untaxed = fields.Float(string='Untaxed Amount', readonly=True)
    amount_total = fields.Float(string='Total', readonly=True)
    currency_id = fields.Many2one('res.currency', string='Currency', readonly=True)
    state = fields.Selection([
        ('draft', 'Quotation'), ('sent', 'Quotation Sent'), ('sale', 'Sales Order'),
        ('done', 'Locked'), ('cancel', 'Cancelled')], string='Status', readonly=True)
    gap_before = fields.Integer(string='Missing Before', readonly=True, group_operator='sum',
                                help="How many numbers are missing between the previous number and this one.")
    is_duplicate = fields.Boolean(string='Duplicate', readonly=True)
    has_issue = fields.Boolean(string='Numbering Issue', readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute("""
            CREATE OR REPLACE VIEW sale_fiscal_number_report AS (
                WITH ledger AS (
                    SELECT l.*,
                           CASE WHEN l.number IS NULL THEN 0
                                ELSE COALESCE(l.number - 1 - lag(l.number) OVER (
                                     PARTITION BY l.sequence_id ORDER BY l.number), 0) END AS gap_before,
                           count(*) OVER (PARTITION BY l.company_id, l.name) AS same_name
                      FROM sale_fiscal_number l
                )
                SELECT l.id, l.name AS fiscal_number, l.number, l.company_id, l.date, l.is_legacy,
                       o.id AS order_id, o.quote_number, o.partner_id, o.confirmation_date,
                       o.amount_untaxed, o.amount_total, o.currency_id, o.state,
                       l.gap_before,
                       (l.same_name > 1 OR COALESCE(o.chains, 0) > 1) AS is_duplicate,
                       (l.gap_before > 0 OR l.same_name > 1 OR COALESCE(o.chains, 0) > 1 OR o.id IS NULL)
                           AS has_issue
                  FROM ledger l
                  LEFT JOIN LATERAL (
                      SELECT so.*, pl.currency_id, count(*) OVER () AS chains
                        FROM sale_order so
                        LEFT JOIN product_pricelist pl ON pl.id = so.pricelist_id
                       WHERE so.company_id = l.company_id AND so.fiscal_number = l.name AND so.is_latest_revision
                       ORDER BY so.id DESC LIMIT 1
                  ) o ON TRUE
            )""")
