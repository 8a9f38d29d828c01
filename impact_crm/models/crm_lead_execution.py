"""Execution and collection on the opportunity: what was ordered, invoiced, paid and is still due,
the automatic move to Done, and the flag on deals whose orders were cancelled after winning."""
from odoo import _, api, fields, models

from ..sql_rules import (LEAD_INVOICE_SQL, COUNTED_ORDER_WHERE, is_counted_order, is_won,
                         order_company_amount_sql)


class CrmLead(models.Model):
    _inherit = 'crm.lead'

    amount_ordered = fields.Monetary(
        string='Ordered', compute='_compute_execution_amounts', store=True, currency_field='company_currency',
        help="Total of the confirmed orders (latest revision only), in the company currency.")
    amount_invoiced = fields.Monetary(
        string='Invoiced', compute='_compute_execution_amounts', store=True, currency_field='company_currency',
        help="Validated customer invoices of the deal's orders minus their credit notes, in the company currency.")
    amount_paid = fields.Monetary(
        string='Paid', compute='_compute_execution_amounts', store=True, currency_field='company_currency',
        help="Part of the invoiced amount that is paid (credit notes count against it).")
    amount_outstanding = fields.Monetary(
        string='Outstanding', compute='_compute_execution_amounts', store=True, currency_field='company_currency',
        help="Invoiced and not paid yet.")
    execution_invoice_count = fields.Integer(string='Invoices', compute='_compute_execution_invoice_count')
    execution_order_count = fields.Integer(string='Confirmed Orders', compute='_compute_execution_invoice_count')
    orders_cancelled_after_win = fields.Boolean(
        string='Orders Cancelled After Winning', readonly=True, copy=False, track_visibility='onchange',
        help="An order of this won deal was cancelled: check the deal and move it yourself; "
             "it is never moved automatically while this flag is set.")

    @api.depends('order_ids.state', 'order_ids.is_latest_revision', 'order_ids.amount_total',
                 'order_ids.order_line.invoice_lines.invoice_id.state',
                 'order_ids.order_line.invoice_lines.invoice_id.amount_total_company_signed',
                 'order_ids.order_line.invoice_lines.invoice_id.residual_company_signed',
                 'order_ids.order_line.invoice_lines.invoice_id.refund_invoice_ids.state',
                 'order_ids.order_line.invoice_lines.invoice_id.refund_invoice_ids.amount_total_company_signed',
                 'order_ids.order_line.invoice_lines.invoice_id.refund_invoice_ids.residual_company_signed')
    def _compute_execution_amounts(self):
        ids = tuple(lead.id for lead in self if isinstance(lead.id, int))
        ordered, invoiced = {}, {}
        if ids:
            self.env.cr.execute("""
                SELECT so.opportunity_id, SUM({amount})
                  FROM sale_order so
                  JOIN product_pricelist pl ON pl.id = so.pricelist_id
                  JOIN res_company rc ON rc.id = so.company_id
                 WHERE so.opportunity_id IN %s AND {where}
                 GROUP BY so.opportunity_id""".format(amount=order_company_amount_sql(), where=COUNTED_ORDER_WHERE),
                                (ids,))
            ordered = dict(self.env.cr.fetchall())
            self.env.cr.execute("""
                SELECT li.lead_id, SUM(inv.amount_total_company_signed), SUM(inv.residual_company_signed)
                  FROM ({lead_invoice}) li
                  JOIN account_invoice inv ON inv.id = li.invoice_id
                 WHERE li.lead_id IN %s AND inv.type IN ('out_invoice', 'out_refund')
                   AND inv.state IN ('open', 'paid')
                 GROUP BY li.lead_id""".format(lead_invoice=LEAD_INVOICE_SQL), (ids,))
            invoiced = dict((row[0], row[1:]) for row in self.env.cr.fetchall())
        for lead in self:
            total, residual = invoiced.get(lead.id, (0.0, 0.0))
            lead.amount_ordered = ordered.get(lead.id, 0.0)
            lead.amount_invoiced = total
            lead.amount_paid = total - residual
            lead.amount_outstanding = residual

    @api.model
    def _init_execution_amounts(self):
        """_compute_execution_amounts for every deal with orders or invoices, in two statements (install on a
        large database: the others hold zero)."""
        cr = self.env.cr
        cr.execute("""
            UPDATE crm_lead l SET amount_ordered = o.amount FROM (
                SELECT so.opportunity_id, SUM({amount}) AS amount
                  FROM sale_order so
                  JOIN product_pricelist pl ON pl.id = so.pricelist_id
                  JOIN res_company rc ON rc.id = so.company_id
                 WHERE so.opportunity_id IS NOT NULL AND {where}
                 GROUP BY so.opportunity_id) o
             WHERE o.opportunity_id = l.id""".format(amount=order_company_amount_sql(), where=COUNTED_ORDER_WHERE))
        cr.execute("""
            UPDATE crm_lead l SET amount_invoiced = i.total, amount_paid = i.total - i.residual,
                                  amount_outstanding = i.residual FROM (
                SELECT li.lead_id, SUM(inv.amount_total_company_signed) AS total,
                       SUM(inv.residual_company_signed) AS residual
                  FROM ({lead_invoice}) li
                  JOIN account_invoice inv ON inv.id = li.invoice_id
                 WHERE inv.type IN ('out_invoice', 'out_refund') AND inv.state IN ('open', 'paid')
                 GROUP BY li.lead_id) i
             WHERE i.lead_id = l.id""".format(lead_invoice=LEAD_INVOICE_SQL))
        self.invalidate_cache()

    @api.multi
    def _execution_orders(self):
        """The confirmed orders that count (latest revision, state sale/done)."""
        return self.mapped('order_ids').filtered(is_counted_order)

    @api.multi
    def _execution_invoices(self):
        return self.mapped('order_ids.invoice_ids').filtered(
            lambda i: i.type in ('out_invoice', 'out_refund') and i.state in ('open', 'paid'))

    @api.multi
    def _compute_execution_invoice_count(self):
        for lead in self:
            lead.execution_invoice_count = len(lead._execution_invoices())
            lead.execution_order_count = len(lead._execution_orders())

    @api.multi
    def action_view_execution_orders(self):
        self.ensure_one()
        action = self.env.ref('sale.action_orders').read()[0]
        action['domain'] = [('id', 'in', self._execution_orders().ids)]
        action['context'] = {'default_opportunity_id': self.id, 'default_partner_id': self.partner_id.id}
        return action

    @api.multi
    def action_view_execution_invoices(self):
        self.ensure_one()
        action = self.env.ref('account.action_invoice_tree1').read()[0]
        action['domain'] = [('id', 'in', self.mapped('order_ids.invoice_ids').ids)]
        action['context'] = {'create': False}
        return action

    @api.multi
    def action_clear_orders_cancelled(self):
        self.write({'orders_cancelled_after_win': False})
        return True

    # -- automatic move to Done ------------------------------------------------------------------

    @api.multi
    def _is_fully_executed(self):
        """True when the deal's counted orders are all fully invoiced and every invoice of its
        orders is validated and paid (none left in draft or open)."""
        self.ensure_one()
        orders = self._execution_orders()
        if not orders or any(o.invoice_status not in ('invoiced', 'upselling') for o in orders):
            return False
        # invoice states, not the stored amounts: those may still wait for their recomputation here
        invoices = self.mapped('order_ids.invoice_ids').filtered(lambda i: i.state != 'cancel')
        return bool(invoices) and all(i.state == 'paid' for i in invoices)

    @api.multi
    def _check_auto_done(self):
        """Move the deals of an Execution stage that are fully invoiced and paid to the Done stage,
        when their company enables it. Written through ``write`` so that the stage history,
        ``_stage_changed`` and automated actions see the move like any other."""
        done_stage = self.env.ref('impact_crm.stage_done', raise_if_not_found=False)
        if not done_stage:
            return self.browse()
        leads = self.sudo().filtered(
            lambda lead: lead.active and lead.stage_group_kind == 'execution' and lead.stage_id != done_stage
            and not lead.orders_cancelled_after_win
            and (lead.company_id or self.env.user.company_id).crm_auto_done)
        to_done = leads.filtered(lambda lead: lead._is_fully_executed())
        if to_done:
            to_done.write({'stage_id': done_stage.id})
        return to_done

    @api.multi
    def _flag_orders_cancelled(self, orders):
        """Flag won deals whose confirmed ``orders`` were just cancelled and give their rep a to-do."""
        won = self.sudo().filtered(lambda lead: is_won(lead, active=False))
        if not won:
            return won
        won.write({'orders_cancelled_after_win': True})
        activity_type = self.env.ref('mail.mail_activity_data_todo', raise_if_not_found=False)
        model = self.env['ir.model'].sudo()._get('crm.lead')
        for lead in won:
            names = ', '.join(orders.filtered(lambda o: o.opportunity_id == lead).mapped('name'))
            summary = _('Orders cancelled after winning: %s') % names
            lead.message_post(body=summary)
            self.env['mail.activity'].sudo().create({
                'res_model_id': model.id,
                'res_id': lead.id,
                'activity_type_id': activity_type.id if activity_type else False,
                'summary': summary,
                'note': _('This won deal is not moved automatically: check it and move it yourself.'),
                'user_id': (lead.user_id or self.env.user).id,
            })
        return won

    @api.multi
    def action_view_customer_history(self):
        self.ensure_one()
        if not self.partner_id:
            return False
        return self.partner_id.action_view_customer_history()
