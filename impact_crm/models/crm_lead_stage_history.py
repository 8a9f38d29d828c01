from odoo import api, fields, models


class CrmLeadStageHistory(models.Model):
    """One record per stage change of a lead/opportunity, written by ``crm.lead._stage_changed``
    with one INSERT per create/write, whatever the path (form, kanban, import, RPC, mass edit)."""
    _name = 'crm.lead.stage.history'
    _description = 'Stage History'
    _order = 'date desc, id desc'
    _rec_name = 'stage_to_id'

    lead_id = fields.Many2one('crm.lead', string='Opportunity', required=True, readonly=True,
                              ondelete='cascade', index=True)
    lead_type = fields.Selection([('lead', 'Lead'), ('opportunity', 'Opportunity')], string='Type', readonly=True)
    stage_from_id = fields.Many2one('crm.stage', string='From Stage', readonly=True, ondelete='set null')
    stage_to_id = fields.Many2one('crm.stage', string='To Stage', readonly=True, ondelete='set null', index=True)
    group_from_id = fields.Many2one('crm.stage.group', string='From Group', readonly=True, ondelete='set null')
    group_to_id = fields.Many2one('crm.stage.group', string='To Group', readonly=True, ondelete='set null')
    user_id = fields.Many2one('res.users', string='Changed By', readonly=True, ondelete='set null')
    salesperson_id = fields.Many2one('res.users', string='Salesperson', readonly=True, ondelete='set null',
                                     help="The deal's salesperson at the time of the change.")
    team_id = fields.Many2one('crm.team', string='Sales Channel', readonly=True, ondelete='set null')
    company_id = fields.Many2one('res.company', string='Company', readonly=True, ondelete='set null')
    date = fields.Datetime(string='Date', readonly=True, required=True, index=True)
    probability = fields.Float(string='Probability', readonly=True, group_operator='avg')
    planned_revenue = fields.Float(string='Expected Revenue', readonly=True)
    duration_hours = fields.Float(string='Hours in Previous Stage', readonly=True, group_operator='avg',
                                  help="Time the deal spent in the 'From' stage.")
    duration_days = fields.Float(string='Days in Previous Stage', readonly=True, group_operator='avg',
                                 help="Time the deal spent in the 'From' stage.")

    @api.model_cr
    def init(self):
        self.env.cr.execute("""CREATE INDEX IF NOT EXISTS crm_lead_stage_history_lead_date_idx
                               ON crm_lead_stage_history (lead_id, date DESC, id DESC)""")

    @api.model
    def _record_stage_changes(self, leads, old_stages):
        """One INSERT ... SELECT for all ``leads`` (already in their new stage). The time spent in
        the previous stage runs from the lead's last history record (or its creation)."""
        if not leads:
            return
        ids = set(leads.ids)
        old = [(lead_id, stage.id or None) for lead_id, stage in old_stages.items() if lead_id in ids]
        self.env.cr.execute("""
            INSERT INTO crm_lead_stage_history
                (create_uid, write_uid, create_date, write_date, lead_id, lead_type, stage_from_id,
                 stage_to_id, group_from_id, group_to_id, user_id, salesperson_id, team_id, company_id,
                 date, probability, planned_revenue, duration_hours, duration_days)
            SELECT %(uid)s, %(uid)s, t.now, t.now, l.id, l.type, o.stage_id,
                   l.stage_id, sf.group_id, st.group_id, %(uid)s, l.user_id, l.team_id, l.company_id,
                   t.now, l.probability, l.planned_revenue,
                   CASE WHEN o.stage_id IS NULL THEN 0
                        ELSE EXTRACT(EPOCH FROM t.now - COALESCE(prev.date, l.create_date)) / 3600.0 END,
                   CASE WHEN o.stage_id IS NULL THEN 0
                        ELSE EXTRACT(EPOCH FROM t.now - COALESCE(prev.date, l.create_date)) / 86400.0 END
              FROM (VALUES %(old)s) AS o(lead_id, stage_id)
              JOIN crm_lead l ON l.id = o.lead_id
              CROSS JOIN (SELECT (now() AT TIME ZONE 'UTC') AS now) t
              LEFT JOIN crm_stage sf ON sf.id = o.stage_id
              LEFT JOIN crm_stage st ON st.id = l.stage_id
              LEFT JOIN LATERAL (SELECT h.date FROM crm_lead_stage_history h
                                  WHERE h.lead_id = l.id ORDER BY h.date DESC, h.id DESC LIMIT 1) prev ON TRUE
        """.replace('%(old)s', ', '.join(['(%s, %s::integer)'] * len(old))).replace(
            '%(uid)s', str(int(self.env.uid))), [v for pair in old for v in pair])
        leads.invalidate_cache(['stage_history_ids', 'stage_history_count'])

    @api.model
    def _init_from_leads(self):
        """Install: every existing lead gets its first record (current stage, since its last stage update)."""
        self.env.cr.execute("""
            INSERT INTO crm_lead_stage_history
                (create_uid, write_uid, create_date, write_date, lead_id, lead_type, stage_to_id, group_to_id,
                 user_id, salesperson_id, team_id, company_id, date, probability, planned_revenue,
                 duration_hours, duration_days)
            SELECT %s, %s, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', l.id, l.type, l.stage_id,
                   s.group_id, COALESCE(l.create_uid, %s), l.user_id, l.team_id, l.company_id,
                   COALESCE(l.date_last_stage_update, l.create_date, now() AT TIME ZONE 'UTC'),
                   l.probability, l.planned_revenue, 0, 0
              FROM crm_lead l
              JOIN crm_stage s ON s.id = l.stage_id
             WHERE NOT EXISTS (SELECT 1 FROM crm_lead_stage_history h WHERE h.lead_id = l.id)
        """, (self.env.uid, self.env.uid, self.env.uid))
