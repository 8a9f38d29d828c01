"""Customer history: what a returning customer bought from us and how our deals with it went.
Computed on the fly with grouped SQL over the commercial partner and all its contacts. And no chat
notification formatted for nobody (_notify_by_chat)."""
from odoo import _, api, fields, models
from odoo.tools.misc import formatLang

from ..sql_rules import (COUNTED_ORDER_DOMAIN, COUNTED_ORDER_WHERE, company_currency_factors, company_day_sql,
                         currency_factor_sql, lost_or_archived_sql, open_sql, order_company_amount_sql, won_sql)

TOP_N = 5


class ResPartner(models.Model):
    _inherit = 'res.partner'

    is_competitor = fields.Boolean(string='Is a Competitor', index=True,
                                   help="A company that bids against us; offered when a deal is lost.")

    history_currency_id = fields.Many2one('res.currency', compute='_compute_customer_history',
                                          string='History Currency')
    history_order_count = fields.Integer(string='Orders', compute='_compute_customer_history',
                                         help="Confirmed orders (latest revision) of the customer and its contacts.")
    history_last_order_date = fields.Date(string='Last Order', compute='_compute_customer_history')
    history_amount_ordered = fields.Monetary(string='Total Ordered', compute='_compute_customer_history',
                                             currency_field='history_currency_id')
    history_amount_paid = fields.Monetary(string='Total Paid', compute='_compute_customer_history',
                                          currency_field='history_currency_id',
                                          help="Paid part of the customer invoices, net of credit notes.")
    history_orders_per_year = fields.Text(string='Orders per Year', compute='_compute_customer_history')
    history_top_products = fields.Text(string='Most Bought Products', compute='_compute_customer_history')
    history_top_categories = fields.Text(string='Most Bought Categories', compute='_compute_customer_history')
    history_win_rate = fields.Float(string='Win Rate (%)', compute='_compute_customer_history', digits=(16, 1),
                                    help="Won deals / (won + lost deals).")
    history_avg_deal_size = fields.Monetary(string='Average Deal Size', compute='_compute_customer_history',
                                            currency_field='history_currency_id',
                                            help="Average ordered amount of the won deals (their expected revenue "
                                                 "when they have no confirmed order).")
    history_open_opportunity_count = fields.Integer(string='Open Opportunities',
                                                    compute='_compute_customer_history')

    def _history_query(self, query, commercial_ids, params=None):
        args = {'commercial_ids': commercial_ids}
        args.update(params or {})
        self.env.cr.execute(query, args)
        return self.env.cr.fetchall()

    @api.model
    def _history_visible_ids(self, model, domain):
        """Ids of ``model`` the current user may read (access rights, record rules, companies)."""
        Model = self.env[model].with_context(active_test=False)
        if not Model.check_access_rights('read', raise_exception=False):
            return []
        return Model.search(domain).ids

    @api.multi
    def _compute_customer_history(self):
        partners = self.filtered(lambda p: isinstance(p.id, int))
        commercial_ids = tuple(set(partners.mapped('commercial_partner_id').ids)) or (0,)
        # the history is made of the orders, deals and invoices the user may see; portal and public users
        # (who may read their own partner) see none of it
        internal = self.env.user.has_group('base.group_user')
        visible = {'order_ids': [], 'lead_ids': [], 'invoice_ids': []}
        if internal and partners:
            visible['order_ids'] = self._history_visible_ids('sale.order', [
                ('partner_id.commercial_partner_id', 'in', list(commercial_ids))] + COUNTED_ORDER_DOMAIN)
            visible['lead_ids'] = self._history_visible_ids('crm.lead', [
                ('partner_id.commercial_partner_id', 'in', list(commercial_ids)), ('type', '=', 'opportunity')])
            visible['invoice_ids'] = self._history_visible_ids('account.invoice', [
                ('partner_id.commercial_partner_id', 'in', list(commercial_ids)),
                ('type', 'in', ('out_invoice', 'out_refund')), ('state', 'in', ('open', 'paid'))])
        order_from = """
              FROM sale_order so
              JOIN res_partner sp ON sp.id = so.partner_id
              JOIN product_pricelist pl ON pl.id = so.pricelist_id
              JOIN res_company rc ON rc.id = so.company_id
             WHERE sp.commercial_partner_id IN %(commercial_ids)s AND {where}
               AND so.id = ANY(%(order_ids)s)""".format(where=COUNTED_ORDER_WHERE)
        # the amounts of the companies in another currency converted to the user's company's, shown here
        factors = company_currency_factors(self.env)
        order_factor = currency_factor_sql(factors, 'so.company_id')
        # the day of an order in its company's reporting time zone
        day = company_day_sql('COALESCE(so.confirmation_date, so.date_order)', tz='rc.forecast_tz')
        totals = dict((r[0], r[1:]) for r in self._history_query("""
            SELECT sp.commercial_partner_id, COUNT(*), MAX({day}),
                   SUM({amount} * {factor}) {order_from} GROUP BY sp.commercial_partner_id""".format(
            amount=order_company_amount_sql(), order_from=order_from, day=day, factor=order_factor),
            commercial_ids, visible))
        per_year = {}
        for cid, year, count in self._history_query("""
            SELECT sp.commercial_partner_id, date_part('year', {day})::int,
                   COUNT(*) {order_from} GROUP BY 1, 2 ORDER BY 1, 2 DESC""".format(order_from=order_from, day=day),
                                                    commercial_ids, visible):
            per_year.setdefault(cid, []).append(
                _('%s: 1 order') % year if count == 1 else _('%s: %s orders') % (year, count))
        tops = {}
        for key, label_sql, join in (
                ('products', 'pt.name', ''),
                ('categories', 'pc.complete_name', 'JOIN product_category pc ON pc.id = pt.categ_id')):
            rows = self._history_query("""
                SELECT commercial_partner_id, label, amount FROM (
                    SELECT sp.commercial_partner_id, {label} AS label, SUM({amount} * {factor}) AS amount,
                           ROW_NUMBER() OVER (PARTITION BY sp.commercial_partner_id
                                              ORDER BY SUM({amount} * {factor}) DESC, {label}) AS rank
                      FROM sale_order_line sol
                      JOIN sale_order so ON so.id = sol.order_id
                      JOIN product_product pp ON pp.id = sol.product_id
                      JOIN product_template pt ON pt.id = pp.product_tmpl_id
                      {join}
                      JOIN res_partner sp ON sp.id = so.partner_id
                      JOIN product_pricelist pl ON pl.id = so.pricelist_id
                      JOIN res_company rc ON rc.id = so.company_id
                     WHERE sp.commercial_partner_id IN %(commercial_ids)s AND {where}
                       AND so.id = ANY(%(order_ids)s)
                     GROUP BY 1, 2) ranked
                 WHERE rank <= %(top)s ORDER BY commercial_partner_id, rank""".format(
                label=label_sql, join=join, where=COUNTED_ORDER_WHERE, factor=order_factor,
                amount=order_company_amount_sql('sol.price_subtotal')), commercial_ids, dict(visible, top=TOP_N))
            for cid, label, amount in rows:
                tops.setdefault((key, cid), []).append((label, amount))
        paid = dict(self._history_query("""
            SELECT ip.commercial_partner_id,
                   SUM((inv.amount_total_company_signed - inv.residual_company_signed) * {factor})
              FROM account_invoice inv
              JOIN res_partner ip ON ip.id = inv.partner_id
             WHERE ip.commercial_partner_id IN %(commercial_ids)s AND inv.id = ANY(%(invoice_ids)s)
               AND inv.type IN ('out_invoice', 'out_refund') AND inv.state IN ('open', 'paid')
             GROUP BY 1""".format(factor=currency_factor_sql(factors, 'inv.company_id')), commercial_ids, visible))
        deals = dict((r[0], r[1:]) for r in self._history_query("""
            SELECT lp.commercial_partner_id,
                   COUNT(*) FILTER (WHERE {won}),
                   COUNT(*) FILTER (WHERE {lost}),
                   AVG(COALESCE(NULLIF(l.amount_ordered, 0), l.planned_revenue, 0) * {factor}) FILTER (WHERE {won}),
                   COUNT(*) FILTER (WHERE {open})
              FROM crm_lead l
              JOIN res_partner lp ON lp.id = l.partner_id
              LEFT JOIN crm_stage s ON s.id = l.stage_id
             WHERE lp.commercial_partner_id IN %(commercial_ids)s AND l.type = 'opportunity'
               AND l.id = ANY(%(lead_ids)s)
             GROUP BY 1""".format(won=won_sql(), lost=lost_or_archived_sql(), open=open_sql(),
                                  factor=currency_factor_sql(factors, 'l.company_id')),
            commercial_ids, visible))
        currency = self.env.user.company_id.currency_id
        for partner in self:
            cid = partner.commercial_partner_id.id
            count, last_date, ordered = totals.get(cid, (0, False, 0.0))
            won, lost, avg_size, open_count = deals.get(cid, (0, 0, 0.0, 0))
            partner.history_currency_id = currency
            partner.history_order_count = count
            partner.history_last_order_date = last_date
            partner.history_amount_ordered = ordered or 0.0
            partner.history_amount_paid = paid.get(cid) or 0.0
            partner.history_orders_per_year = '\n'.join(per_year.get(cid, []))
            # the amounts as the user's language writes money (1,200.00 $), not as Python prints a float
            partner.history_top_products = '\n'.join(
                '%s: %s' % (label, formatLang(self.env, amount, currency_obj=currency))
                for label, amount in tops.get(('products', cid), []))
            partner.history_top_categories = '\n'.join(
                '%s: %s' % (label, formatLang(self.env, amount, currency_obj=currency))
                for label, amount in tops.get(('categories', cid), []))
            partner.history_win_rate = 100.0 * won / (won + lost) if won + lost else 0.0
            partner.history_avg_deal_size = avg_size or 0.0
            partner.history_open_opportunity_count = open_count

    @api.multi
    def action_view_customer_history(self):
        self.ensure_one()
        return {
            'type': 'ir.actions.act_window',
            'name': _('Customer History'),
            'res_model': 'res.partner',
            'res_id': self.commercial_partner_id.id,
            'view_mode': 'form',
            'views': [(self.env.ref('impact_crm.res_partner_view_form_history').id, 'form')],
            'target': 'new',
        }
    lead_contact_ids = fields.One2many('crm.lead.contact', 'partner_id', string='Opportunity Roles')
    lead_contact_count = fields.Integer(compute='_compute_lead_contact_count', string='Opportunities',
                                        help="Opportunities this contact (or, for a company, its people) "
                                             "takes part in.")

    @api.model
    def _lead_contact_domain(self, partners):
        return ['|', ('partner_id', 'in', partners.ids), ('partner_company_id', 'in', partners.ids)]

    @api.multi
    def _compute_lead_contact_count(self):
        """The deals among the people the user may read (the record rules, as the list the button opens
        applies them), for all the partners in one query: a salesperson's own and unassigned deals, a
        manager's all."""
        partners = self.filtered(lambda partner: isinstance(partner.id, int))
        counts = {}
        people = self.env['crm.lead.contact']
        if partners and people.check_access_rights('read', raise_exception=False):
            query = people._where_calc(self._lead_contact_domain(partners))
            people._apply_ir_rules(query, 'read')
            from_clause, where_clause, params = query.get_sql()
            self.env.cr.execute("""
                SELECT p.id, count(DISTINCT c.lead_id)
                  FROM unnest(%%s) AS p(id)
                  JOIN (SELECT "crm_lead_contact".lead_id, "crm_lead_contact".partner_id,
                               "crm_lead_contact".partner_company_id
                          FROM %s
                         WHERE %s) AS c ON c.partner_id = p.id OR c.partner_company_id = p.id
              GROUP BY p.id""" % (from_clause, where_clause or 'TRUE'), [partners.ids] + params)
            counts = dict(self.env.cr.fetchall())
        for partner in self:
            partner.lead_contact_count = counts.get(partner.id, 0)

    @api.multi
    def action_view_lead_contacts(self):
        self.ensure_one()
        action = self.env.ref('impact_crm.crm_lead_contact_action').read()[0]
        action['domain'] = self._lead_contact_domain(self)
        action['context'] = {'search_default_groupby_lead': 1}
        return action

    @api.multi
    def _notify_by_chat(self, message):
        """Odoo formats the message for the chat (message_format: the message, its tracking values,
        partners, attachments read again) before looking at whom it sends it to, also when nobody is to be
        notified: a deal's tracking message posted by its only follower, a stage change by its salesperson.
        Nobody to notify: nothing to format, nothing to send."""
        if not self:
            return
        return super(ResPartner, self)._notify_by_chat(message)
