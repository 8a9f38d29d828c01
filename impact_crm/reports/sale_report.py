from odoo import models


class SaleReport(models.Model):
    _inherit = 'sale.report'

    def _from(self):
        """Sales analysis counts each quotation/order once: its latest revision."""
        from_str = super(SaleReport, self)._from()
        return from_str.replace('join sale_order s on (l.order_id=s.id)',
                                'join sale_order s on (l.order_id=s.id and s.is_latest_revision)', 1)
