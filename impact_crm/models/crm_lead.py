from odoo import api, fields, models


class CrmLead(models.Model):
    _inherit = 'crm.lead'

    stage_group_id = fields.Many2one(related='stage_id.group_id', store=True, readonly=True,
                                     string='Stage Group', index=True)
    stage_group_kind = fields.Selection(related='stage_id.group_id.kind', store=True, readonly=True,
                                        string='Stage Group Kind')
    date_start = fields.Date(string='Start Date', track_visibility='onchange',
                             help="Planned start of the project.")
    date_end = fields.Date(string='End Date', track_visibility='onchange',
                           help="Planned end of the project; the forecast dates the deal's revenue by it.")
    weighted_revenue = fields.Monetary(string='Weighted Revenue', compute='_compute_weighted_revenue', store=True,
                                       currency_field='company_currency',
                                       help="Expected revenue x probability / 100.")

    region_id = fields.Many2one('crm.region', string='Sales Region', index=True, track_visibility='onchange',
                                help="Defaulted from the customer's address; the forecast groups by it.")

    @api.onchange('partner_id')
    def _onchange_partner_id_region(self):
        if self.partner_id:
            region = self.env['crm.region']._find_for_partner(self.partner_id, self.company_id)
            if region:
                self.region_id = region

    @api.depends('planned_revenue', 'probability')
    def _compute_weighted_revenue(self):
        for lead in self:
            lead.weighted_revenue = (lead.planned_revenue or 0.0) * (lead.probability or 0.0) / 100.0

    @api.model
    def create(self, vals):
        if 'region_id' not in vals and vals.get('partner_id'):
            vals = dict(vals, region_id=self.env['crm.region']._find_for_partner(
                self.env['res.partner'].browse(vals['partner_id']),
                self.env['res.company'].browse(vals['company_id']) if vals.get('company_id') else None).id)
        lead = super(CrmLead, self).create(vals)
        if lead.stage_id:
            lead._stage_changed({lead.id: self.env['crm.stage']})
        return lead

    @api.multi
    def write(self, vals):
        if 'stage_id' not in vals:
            return super(CrmLead, self).write(vals)
        old_stages = dict((lead.id, lead.stage_id) for lead in self)
        res = super(CrmLead, self).write(vals)
        changed = self.filtered(lambda lead: lead.stage_id != old_stages[lead.id])
        if changed:
            changed._stage_changed(old_stages)
        return res

    @api.multi
    def _stage_changed(self, old_stages):
        """Called once for every create or write that puts ``self`` into a new stage,
        whatever the path (form, kanban, import, RPC, automated action, mass edit).

        :param old_stages: {lead id: the crm.stage it was in before (empty on create)}
        Extension point for the stage history, automation rules and the like.
        """
        return True
