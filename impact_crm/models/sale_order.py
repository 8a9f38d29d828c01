from odoo import api, fields, models


class SaleOrder(models.Model):
    _inherit = 'sale.order'

    is_latest_revision = fields.Boolean(string='Latest Revision', default=True, readonly=True, index=True,
                                        help="Only the latest revision of a quotation counts, can be sent, "
                                             "edited or confirmed.")


class SaleOrderSentFollowUp(models.Model):
    """Issue 5: a quotation becoming 'sent' (sent by email with mark_so_as_sent, or printed) fires the
    'quotation sent' automation rules on its opportunity."""
    _inherit = 'sale.order'

    @api.multi
    def write(self, vals):
        if vals.get('state') != 'sent':
            return super(SaleOrderSentFollowUp, self).write(vals)
        newly_sent = self.filtered(lambda order: order.state != 'sent')
        res = super(SaleOrderSentFollowUp, self).write(vals)
        self.env['crm.stage.rule']._fire_quotation_sent_rules(newly_sent.mapped('opportunity_id'))
        return res
