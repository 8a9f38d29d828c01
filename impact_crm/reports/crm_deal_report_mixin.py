from odoo import fields, models


class CrmDealReportMixin(models.AbstractModel):
    """The dimensions every report over deals carries, copied from the deal: its salesperson, sales channel
    and company (the columns the record rules of the reports filter on). A report declares its own
    ``lead_id`` (labelled Opportunity or Deal) and the rest of its columns."""
    _name = 'crm.deal.report.mixin'
    _description = 'Deal Report Dimensions'

    user_id = fields.Many2one('res.users', string='Salesperson', readonly=True)
    team_id = fields.Many2one('crm.team', string='Sales Channel', readonly=True)
    company_id = fields.Many2one('res.company', string='Company', readonly=True)
