import logging

from odoo import api, fields, models

from .crm_lead import TRACKED_FIELDS

_logger = logging.getLogger(__name__)

# column of crm_lead -> column of crm_lead_forecast_change (the deal's type is lead_type here)
# (and active is lead_active: a field named 'active' would hide the archiving rows from every search)
COLUMNS = [(name, {'type': 'lead_type', 'active': 'lead_active'}.get(name, name)) for name in TRACKED_FIELDS]


class CrmLeadForecastChange(models.Model):
    """The state of a deal's forecast-relevant fields from ``date`` on, one row per change.

    Each row holds the whole forecast-relevant state after the change (not only the changed field), so
    that the forecast as of any moment is the latest row of each deal at or before it: storage grows with
    the number of changes, not with deals x days. Written by ``crm.lead`` create/write with one
    INSERT ... SELECT per call whatever the path (form, kanban, mass edit, import, RPC); rows from before
    the install are rebuilt from the stage history and marked as back-filled."""
    _name = 'crm.lead.forecast.change'
    _description = 'Forecast Change'
    _order = 'date desc, id desc'
    _rec_name = 'lead_id'

    lead_id = fields.Many2one('crm.lead', string='Opportunity', required=True, readonly=True,
                              ondelete='cascade', index=True)
    date = fields.Datetime(string='Date', required=True, readonly=True, index=True,
                           help="From this moment on the deal stood as this row says.")
    changed_by_id = fields.Many2one('res.users', string='Changed By', readonly=True, ondelete='set null')
    changed_fields = fields.Char(string='Changed Field Names', readonly=True,
                                 help="Technical names of the fields that changed (empty: the deal's first row).")
    changed_fields_label = fields.Char(string='Changed Fields', compute='_compute_changed_fields_label',
                                       help="The fields of the deal that changed, as the user reads them (empty: "
                                            "the deal's first row).")
    is_backfill = fields.Boolean(string='Back-filled', readonly=True,
                                 help="Rebuilt at installation from the stage history: the stage, probability, "
                                      "expected revenue, salesperson and team are those of the stage change; "
                                      "the other fields are the deal's values at installation.")
    note = fields.Char(string='Reason', readonly=True, help="Why the end date was pushed, when asked for.")
    lead_type = fields.Selection([('lead', 'Lead'), ('opportunity', 'Opportunity')], string='Type', readonly=True)
    stage_id = fields.Many2one('crm.stage', string='Stage', readonly=True, ondelete='set null')
    probability = fields.Float(string='Probability (%)', readonly=True, group_operator='avg')
    planned_revenue = fields.Float(string='Expected Revenue', readonly=True)
    date_end = fields.Date(string='End Date', readonly=True)
    date_deadline = fields.Date(string='Expected Closing', readonly=True)
    user_id = fields.Many2one('res.users', string='Salesperson', readonly=True, ondelete='set null')
    team_id = fields.Many2one('crm.team', string='Sales Channel', readonly=True, ondelete='set null')
    region_id = fields.Many2one('crm.region', string='Sales Region', readonly=True, ondelete='set null')
    company_id = fields.Many2one('res.company', string='Company', readonly=True, ondelete='set null')
    lead_active = fields.Boolean(string='Active', readonly=True,
                                 help="Archived deals (Odoo archives lost deals) are out of the forecast.")

    @api.model_cr
    def init(self):
        self.env.cr.execute("""CREATE INDEX IF NOT EXISTS crm_lead_forecast_change_lead_date_idx
                               ON crm_lead_forecast_change (lead_id, date DESC, id DESC)""")
        # an upgrade of a database where the add-on was installed before this log existed: rebuild it
        # from the stage history (on a fresh install the post-init hook does it, after the stage history)
        self.env.cr.execute("SELECT 1 FROM crm_lead_stage_history LIMIT 1")
        if self.env.cr.fetchone():
            self.env.cr.execute("SELECT 1 FROM crm_lead_forecast_change LIMIT 1")
            if not self.env.cr.fetchone():
                self._backfill()

    @api.depends('changed_fields')
    def _compute_changed_fields_label(self):
        # the log keeps technical names (cheap to write in SQL); people read the deal's field labels in their
        # own language
        lead_fields = self.env['crm.lead']._fields
        labels = {}
        for change in self:
            names = [name for name in (change.changed_fields or '').split(',') if name]
            for name in names:
                if name not in labels:
                    field = lead_fields.get(name) or self._fields.get(name)
                    labels[name] = field._description_string(self.env) if field else name
            change.changed_fields_label = ', '.join(labels[name] for name in names)

    @api.model
    def _record(self, lead_ids, date=None, backfill=False, note=None):
        """One INSERT ... SELECT: a row for every deal of ``lead_ids`` whose forecast-relevant state differs
        from its latest row (or that has none yet). Unchanged deals get nothing, so nested writes and
        writes of untracked fields cost one indexed look-up per deal and no row."""
        if not lead_ids:
            return
        date = date or fields.Datetime.now()
        changed = ', '.join("CASE WHEN p.id IS NOT NULL AND l.%s IS DISTINCT FROM p.%s THEN '%s' END"
                            % (src, dst, src) for src, dst in COLUMNS)
        # a back-filled deal without stage history stands as it is since its creation
        first_date = "COALESCE(l.create_date, %(date)s::timestamp)" if backfill else "%(date)s::timestamp"
        self.env.cr.execute("""
            INSERT INTO crm_lead_forecast_change
                (create_uid, write_uid, create_date, write_date, lead_id, date, changed_by_id,
                 changed_fields, is_backfill, note, {dst})
            SELECT %(uid)s, %(uid)s, %(date)s, %(date)s, l.id,
                   CASE WHEN p.id IS NULL THEN {first_date} ELSE %(date)s::timestamp END, %(uid)s,
                   NULLIF(array_to_string(ARRAY[{changed}], ','), ''), %(backfill)s, %(note)s, {src}
              FROM crm_lead l
              LEFT JOIN LATERAL (SELECT * FROM crm_lead_forecast_change c WHERE c.lead_id = l.id
                                  ORDER BY c.date DESC, c.id DESC LIMIT 1) p ON TRUE
             WHERE l.id IN %(ids)s
               AND (p.id IS NULL OR ({src}) IS DISTINCT FROM ({prev}))
        """.format(dst=', '.join(dst for _src, dst in COLUMNS),
                   src=', '.join('l.%s' % src for src, _dst in COLUMNS),
                   prev=', '.join('p.%s' % dst for _src, dst in COLUMNS),
                   changed=changed, first_date=first_date),
            {'uid': self.env.uid, 'date': date, 'backfill': backfill, 'note': note, 'ids': tuple(lead_ids)})

    @api.model
    def _update_slippage(self, lead_ids):
        """The slippage figures of the deals, from their whole log (one UPDATE): the first committed date
        (the first end date, else expected closing, ever set), the times it moved to a later month, and the
        days of every move to a later date, added up (moves back earlier are not subtracted)."""
        if not lead_ids:
            return
        self.env.cr.execute("""
            UPDATE crm_lead l
               SET forecast_date_first = s.first_date, push_count = s.pushes, slip_days = s.days
              FROM (SELECT lead_id,
                           (array_agg(fdate ORDER BY date, id) FILTER (WHERE fdate IS NOT NULL))[1] AS first_date,
                           COUNT(*) FILTER (WHERE date_trunc('month', fdate) > date_trunc('month', prev)) AS pushes,
                           COALESCE(SUM(fdate - prev) FILTER (WHERE fdate > prev), 0) AS days
                      FROM (SELECT lead_id, date, id, COALESCE(date_end, date_deadline) AS fdate,
                                   LAG(COALESCE(date_end, date_deadline)) OVER (
                                       PARTITION BY lead_id ORDER BY date, id) AS prev
                              FROM crm_lead_forecast_change WHERE lead_id IN %s) moves
                     GROUP BY lead_id) s
             WHERE s.lead_id = l.id
               AND (l.forecast_date_first, l.push_count, l.slip_days)
                   IS DISTINCT FROM (s.first_date, s.pushes::integer, s.days::integer)
        """, (tuple(lead_ids),))
        self.env['crm.lead'].browse(lead_ids).invalidate_cache(['forecast_date_first', 'push_count', 'slip_days'])

    @api.model
    def _backfill(self):
        """Deals without any row (made before the install): one back-filled row per stage change of the
        stage history (stage, probability, expected revenue, salesperson, team and company of the time; the
        other fields as the deal has them now, the deal active until its last change), then a row of the
        deal as it stands now where it differs from the last one. Set-based: two statements."""
        cr = self.env.cr
        cr.execute("""
            SELECT l.id FROM crm_lead l
             WHERE NOT EXISTS (SELECT 1 FROM crm_lead_forecast_change c WHERE c.lead_id = l.id)
        """)
        lead_ids = [row[0] for row in cr.fetchall()]
        if not lead_ids:
            return
        cr.execute("""
            INSERT INTO crm_lead_forecast_change
                (create_uid, write_uid, create_date, write_date, lead_id, date, changed_by_id, is_backfill,
                 lead_type, stage_id, probability, planned_revenue, date_end, date_deadline, user_id, team_id,
                 region_id, company_id, lead_active)
            SELECT %(uid)s, %(uid)s, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', h.lead_id, h.date,
                   h.user_id, TRUE, COALESCE(h.lead_type, l.type), h.stage_to_id, h.probability,
                   h.planned_revenue, l.date_end, l.date_deadline, h.salesperson_id, h.team_id, l.region_id,
                   COALESCE(h.company_id, l.company_id),
                   CASE WHEN h.id = last.id THEN l.active ELSE TRUE END
              FROM crm_lead_stage_history h
              JOIN crm_lead l ON l.id = h.lead_id
              JOIN LATERAL (SELECT h2.id FROM crm_lead_stage_history h2 WHERE h2.lead_id = h.lead_id
                             ORDER BY h2.date DESC, h2.id DESC LIMIT 1) last ON TRUE
             WHERE h.lead_id IN %(ids)s
        """, {'uid': self.env.uid, 'ids': tuple(lead_ids)})
        _logger.info("forecast change log: %s rows back-filled from the stage history", cr.rowcount)
        self._record(lead_ids, backfill=True)
        self._update_slippage(lead_ids)

    @api.model
    def _demo_history(self):
        """Demo data: a year of history before the demo deals' current state, so that every report has
        something to tell: each deal entered a year ago in Potential at 80% of its revenue with an end date
        four months earlier, moved to Quote (90%, three months earlier) nine months ago, then to its open stage
        or Order (closed deals) six months ago with its date pushed, and a third of them were pushed again three
        months ago. One INSERT ... SELECT, staggered by deal."""
        cr = self.env.cr
        stage = dict((name, self.env.ref('impact_crm.stage_' + name)) for name in ('potential', 'quote', 'order'))
        cr.execute("""
            SELECT l.id FROM crm_lead l
              JOIN ir_model_data d ON d.model = 'crm.lead' AND d.res_id = l.id AND d.module = 'impact_crm'
             WHERE l.type = 'opportunity'
        """)
        lead_ids = [row[0] for row in cr.fetchall()]
        if not lead_ids:
            return
        cr.execute("""
            INSERT INTO crm_lead_forecast_change
                (create_uid, write_uid, create_date, write_date, lead_id, date, changed_by_id, changed_fields,
                 is_backfill, lead_type, stage_id, probability, planned_revenue, date_end, date_deadline, user_id,
                 team_id, region_id, company_id, lead_active)
            SELECT %(uid)s, %(uid)s, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', f.lead_id,
                   (now() AT TIME ZONE 'UTC') - make_interval(days => s.days_ago + (f.lead_id * 7) %% 40),
                   f.user_id, NULL, FALSE, 'opportunity', st.id, st.probability,
                   ROUND((COALESCE(f.planned_revenue, 0) * s.revenue_factor)::numeric, -2),
                   CASE WHEN s.step = 4 AND f.lead_id %% 3 != 0 THEN COALESCE(f.date_end, f.date_deadline)
                        ELSE COALESCE(f.date_end, f.date_deadline) - s.shift END,
                   f.date_deadline, f.user_id, f.team_id, f.region_id, f.company_id, TRUE
              FROM (SELECT DISTINCT ON (c.lead_id) c.*, g.kind
                      FROM crm_lead_forecast_change c
                      JOIN crm_stage cs ON cs.id = c.stage_id
                      JOIN crm_stage_group g ON g.id = cs.group_id
                     WHERE c.lead_id IN %(ids)s
                     ORDER BY c.lead_id, c.date DESC, c.id DESC) f
             CROSS JOIN (VALUES (1, 360, 0.8, 120), (2, 270, 0.9, 90), (3, 180, 1.0, 45),
                                (4, 90, 1.0, 30)) s(step, days_ago, revenue_factor, shift)
              JOIN crm_stage st ON st.id = CASE WHEN s.step = 1 THEN %(potential)s
                                                WHEN s.step = 2 THEN %(quote)s
                                                WHEN f.kind = 'open' AND f.stage_id != %(potential)s THEN f.stage_id
                                                WHEN f.kind = 'open' THEN %(quote)s
                                                ELSE %(order)s END
             WHERE COALESCE(f.date_end, f.date_deadline) IS NOT NULL
        """, {'uid': self.env.uid, 'ids': tuple(lead_ids), 'potential': stage['potential'].id,
              'quote': stage['quote'].id, 'order': stage['order'].id})
        # what each row changed (the rows made at install now follow a history too)
        cr.execute("""
            UPDATE crm_lead_forecast_change c SET changed_fields = x.changed
              FROM (SELECT id, NULLIF(array_to_string(ARRAY[{changed}], ','), '') AS changed, prev_id
                      FROM (SELECT id, changed_fields, {columns}, {previous},
                                   LAG(id) OVER w AS prev_id
                              FROM crm_lead_forecast_change WHERE lead_id IN %s
                            WINDOW w AS (PARTITION BY lead_id ORDER BY date, id)) r
                     WHERE r.changed_fields IS NULL AND r.prev_id IS NOT NULL) x
             WHERE x.id = c.id
        """.format(columns=', '.join(dst for _src, dst in COLUMNS),
                   previous=', '.join('LAG(%s) OVER w AS prev_%s' % (dst, dst) for _src, dst in COLUMNS),
                   changed=', '.join("CASE WHEN %s IS DISTINCT FROM prev_%s THEN '%s' END" % (dst, dst, src)
                                     for src, dst in COLUMNS)), (tuple(lead_ids),))
        self._update_slippage(lead_ids)
        return True
