from odoo import fields, models


class CrmLeadLostLine(models.TransientModel):
    """One deal of a mass lost, when each deal gets its own reason."""
    _name = 'crm.lead.lost.line'
    _inherit = ['impact.deal.dialog']
    _description = 'Lost Deal (per deal reason)'

    wizard_id = fields.Many2one('crm.lead.lost', required=True, ondelete='cascade')
    lead_id = fields.Many2one('crm.lead', string='Deal', required=True, ondelete='cascade')
    planned_revenue = fields.Float(related='lead_id.planned_revenue', readonly=True, string='Expected Revenue')
    stage_id = fields.Many2one(related='lead_id.stage_id', readonly=True, string='Stage')
    lost_reason_id = fields.Many2one('crm.lost.reason', string='Lost Reason')
