from odoo import api, models


class AccountInvoice(models.Model):
    _inherit = 'account.invoice'

    @api.multi
    def write(self, vals):
        res = super(AccountInvoice, self).write(vals)
        if vals.get('state') == 'paid':
            invoices = self.sudo()
            invoices |= invoices.mapped('refund_invoice_id')
            leads = invoices.mapped('invoice_line_ids.sale_line_ids.order_id.opportunity_id')
            if leads:
                leads._check_auto_done()
        return res
