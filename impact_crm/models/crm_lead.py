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

    @api.depends('planned_revenue', 'probability')
    def _compute_weighted_revenue(self):
        for lead in self:
            lead.weighted_revenue = (lead.planned_revenue or 0.0) * (lead.probability or 0.0) / 100.0

    @api.model
    def create(self, vals):
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


class CrmLeadPeople(models.Model):
    """Issue 5: the people of a deal with their roles, done activities, automation rules on stage change."""
    _inherit = 'crm.lead'

    contact_ids = fields.One2many('crm.lead.contact', 'lead_id', string='People', copy=True)
    activity_log_ids = fields.One2many('crm.activity.log', 'lead_id', string='Done Activities')

    @api.multi
    def _stage_changed(self, old_stages):
        res = super(CrmLeadPeople, self)._stage_changed(old_stages)
        self.env['crm.stage.rule']._fire_stage_rules(self, old_stages)
        return res

    @api.multi
    def action_log_activity_done(self):
        """Open the wizard that records a call/meeting that already happened."""
        self.ensure_one()
        action = self.env.ref('impact_crm.crm_activity_log_wizard_action').read()[0]
        action['context'] = {'default_lead_id': self.id}
        return action
