from odoo import models


class SaleReport(models.Model):
    _inherit = 'sale.report'

    def _from(self):
        """Sales analysis counts each quotation/order once: its latest revision."""
        from_str = super(SaleReport, self)._from()
        return from_str.replace('join sale_order s on (l.order_id=s.id)',
                                'join sale_order s on (l.order_id=s.id and s.is_latest_revision)', 1)


class AllChannelsSalesReport(models.Model):
    _inherit = 'report.all.channels.sales'

    def _so(self):
        """All channels' sales count each quotation/order once too: its latest revision (the older revisions
        stay as they were, not cancelled)."""
        so_str = super(AllChannelsSalesReport, self)._so()
        return so_str.replace('JOIN sale_order so ON (sol.order_id = so.id)',
                              'JOIN sale_order so ON (sol.order_id = so.id AND so.is_latest_revision)', 1)
