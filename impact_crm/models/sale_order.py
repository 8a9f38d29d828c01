from odoo import _, api, fields, models


class SaleOrder(models.Model):
    _inherit = 'sale.order'

    is_latest_revision = fields.Boolean(string='Latest Revision', default=True, readonly=True, index=True,
                                        help="Only the latest revision of a quotation counts, can be sent, "
                                             "edited or confirmed.")


class SaleOrderOpportunity(models.Model):
    """Issue 3: no deal escapes tracking. A quotation created without an opportunity gets one
    (company setting ``res.company.quotation_creates_opportunity``, on by default)."""
    _inherit = 'sale.order'

    @api.model
    def create(self, vals):
        order = super(SaleOrderOpportunity, self).create(vals)
        if not order.opportunity_id and not self.env.context.get('impact_no_auto_opportunity'):
            order._create_opportunity_from_quotation()
        return order

    @api.multi
    def _create_opportunity_from_quotation(self):
        for order in self.filtered(lambda o: o.company_id.quotation_creates_opportunity and o.partner_id):
            stage = self.env.ref('impact_crm.stage_quote', raise_if_not_found=False)
            if not stage:
                stage = self.env['crm.stage'].search([('group_kind', '=', 'open')], limit=1)
            order.opportunity_id = self.env['crm.lead'].create({
                'name': _("%s - %s") % (order.name, order.partner_id.display_name),
                'type': 'opportunity',
                'partner_id': order.partner_id.id,
                'user_id': order.user_id.id,
                'team_id': order.team_id.id,
                'company_id': order.company_id.id,
                'stage_id': stage.id,
                'planned_revenue': order.amount_untaxed,
            }).id
