from odoo import fields, models, tools


class CrmActivitySlaReport(models.Model):
    """Done or cancelled (crm.activity.log) and open (mail.activity) activities of opportunities, on the deal or
    on its quotations and orders, with their SLA status, for "on time vs late per rep and per activity type"."""
    _name = 'crm.activity.sla.report'
    _description = 'Activities On Time vs Late'
    _auto = False
    _rec_name = 'summary'

    summary = fields.Char(readonly=True)
    user_id = fields.Many2one('res.users', string='Responsible', readonly=True)
    activity_type_id = fields.Many2one('mail.activity.type', string='Activity Type', readonly=True)
    lead_id = fields.Many2one('crm.lead', string='Opportunity', readonly=True)
    date_deadline = fields.Date(string='Planned Date', readonly=True)
    sla_deadline = fields.Datetime(string='SLA Deadline', readonly=True)
    state = fields.Selection([('open', 'Open'), ('done', 'Done'), ('cancelled', 'Cancelled')], string='State',
                             readonly=True)
    sla_status = fields.Selection([('none', 'No Time Standard'), ('on_time', 'On Time'), ('late', 'Late')],
                                  string='SLA', readonly=True)
    nbr = fields.Integer(string='# Activities', readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute("""
            CREATE VIEW crm_activity_sla_report AS (
                SELECT l.id * 2 AS id, l.summary, l.user_id, l.activity_type_id, l.lead_id,
                       l.date_planned AS date_deadline, l.sla_deadline, l.state, l.sla_status, 1 AS nbr
                  FROM crm_activity_log l
                 WHERE l.lead_id IS NOT NULL
                UNION ALL
                SELECT a.id * 2 + 1, a.summary, a.user_id, a.activity_type_id,
                       CASE WHEN a.res_model = 'crm.lead' THEN a.res_id ELSE so.opportunity_id END,
                       a.date_deadline, a.sla_deadline, 'open',
                       CASE WHEN a.sla_deadline IS NULL THEN 'none'
                            WHEN a.sla_deadline < (now() AT TIME ZONE 'UTC') THEN 'late'
                            ELSE 'on_time' END, 1
                  FROM mail_activity a
                  LEFT JOIN sale_order so ON a.res_model = 'sale.order' AND so.id = a.res_id
                 WHERE a.res_model = 'crm.lead' OR so.opportunity_id IS NOT NULL
            )""")
