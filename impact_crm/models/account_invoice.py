from odoo import SUPERUSER_ID, _, api, models
from odoo.exceptions import AccessError

from .impact_input_guard import DERIVED_MODULES, is_derived

# A deal's invoiced, paid and outstanding amounts, its automatic Done and the quotas' attainment are read from its
# invoices' state, totals and residuals: what validating, paying and cancelling an invoice sets (with its journal
# entry, by billing users), never values a client writes. Odoo 11 lets a sales user create and edit invoices and
# stores whatever state or total a write sends (the views only show them read-only).

# what the invoice's state, its amounts in the company currency, its credit notes and its age are made of
BOOKED_FIELDS = ('state', 'move_id', 'type', 'partner_id', 'company_id', 'currency_id', 'journal_id', 'account_id',
                 'date_invoice', 'date', 'date_due', 'payment_term_id', 'refund_invoice_id', 'invoice_line_ids',
                 'tax_line_ids')
INVOICE_MODULES = DERIVED_MODULES + ('account',)


def is_biller(env):
    """The superuser (Odoo's own code run as such) and billing users: those who validate, pay and cancel."""
    return env.uid == SUPERUSER_ID or env.user.has_group('account.group_account_invoice')


def check_derived(records, vals):
    """Refuse the stored computed fields of Odoo's invoicing in ``vals`` (totals, residuals, a line's subtotal):
    Odoo's own recomputation does not go through write."""
    if records.env.uid == SUPERUSER_ID:
        return
    derived = sorted(name for name in vals if is_derived(records._fields.get(name), INVOICE_MODULES))
    if derived:
        # a function has no ``self``: _() reads the user's language and the cursor from these
        context, cr = records.env.context, records.env.cr  # noqa: F841
        raise AccessError(_("%s: computed from the invoice's lines and journal entry; it cannot be written.")
                          % ', '.join(records._fields[name].get_description(records.env)['string']
                                      for name in derived))


class AccountInvoice(models.Model):
    _inherit = 'account.invoice'

    @api.multi
    def _impact_check_state_vals(self, vals):
        """Only billing users validate, pay or cancel an invoice, or change one that is no longer a draft: a sales
        user's write neither gives a state past draft, nor changes the state or journal entry of a validated or
        cancelled invoice (a draft written 'open' has no journal entry, so nothing left to pay: Odoo counted it
        paid at once and the deal moved to Done), nor what its amounts in the company currency, its credit notes
        and its age are computed from (a currency or a date changes the conversion, a type its sign)."""
        if is_biller(self.env) or not any(name in vals for name in BOOKED_FIELDS):
            return
        if vals.get('move_id') or vals.get('state', 'draft') not in ('draft', 'cancel'):
            raise AccessError(_("Only billing users validate, pay or cancel invoices."))
        booked = self.sudo().filtered(lambda invoice: invoice.state != 'draft')
        if booked and ('state' in vals or 'move_id' in vals):
            raise AccessError(_("Only billing users validate, pay or cancel invoices."))
        if booked:
            raise AccessError(_("Only billing users change %s of an invoice that is no longer a draft.") % ', '.join(
                self._fields[name].get_description(self.env)['string'] for name in BOOKED_FIELDS if name in vals))

    @api.model
    def create(self, vals):
        # (computed values are computed again on create: Odoo's refunds copy them)
        self._impact_check_state_vals(vals)
        return super(AccountInvoice, self).create(vals)

    @api.multi
    def write(self, vals):
        check_derived(self, vals)
        if self:
            # (Odoo's recomputation writes 'paid' on the invoices it found paid, often none)
            self._impact_check_state_vals(vals)
        res = super(AccountInvoice, self).write(vals)
        if vals.get('state') == 'paid':
            invoices = self.sudo()
            invoices |= invoices.mapped('refund_invoice_id')
            leads = invoices.mapped('invoice_line_ids.sale_line_ids.order_id.opportunity_id')
            if leads:
                leads._check_auto_done()
        return res


class AccountInvoiceLine(models.Model):
    _inherit = 'account.invoice.line'

    @api.model
    def _impact_check_line_change(self, invoices):
        """The lines of a validated invoice (their quantities, prices and order lines, which the deal's figures
        and the orders' invoiced quantities read) change with the invoice, by billing users."""
        if not is_biller(self.env) and any(invoice.state != 'draft' for invoice in invoices.sudo()):
            raise AccessError(_("Only billing users change the lines of an invoice that is no longer a draft."))

    @api.model
    def create(self, vals):
        self._impact_check_line_change(self.env['account.invoice'].browse(vals.get('invoice_id')))
        return super(AccountInvoiceLine, self).create(vals)

    @api.multi
    def write(self, vals):
        check_derived(self, vals)
        invoices = self.sudo().mapped('invoice_id')
        if vals.get('invoice_id'):
            invoices |= self.env['account.invoice'].browse(vals['invoice_id'])
        self._impact_check_line_change(invoices)
        return super(AccountInvoiceLine, self).write(vals)

    @api.multi
    def unlink(self):
        self._impact_check_line_change(self.sudo().mapped('invoice_id'))
        return super(AccountInvoiceLine, self).unlink()
