import math

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import AccessError

from ..sql_rules import group_won_sql

Z95 = 1.96  # the normal quantile of a two-sided 95% interval


def wilson_interval(won, count, z=Z95):
    """The Wilson score interval of a proportion won/count (right also for small counts and 0 or 100%)."""
    if not count:
        return 0.0, 0.0
    p = float(won) / count
    denominator = 1 + z * z / count
    center = (p + z * z / (2 * count)) / denominator
    half = z * math.sqrt(p * (1 - p) / count + z * z / (4 * count * count)) / denominator
    return max(0.0, center - half), min(1.0, center + half)


class CrmForecastCalibration(models.TransientModel):
    """Are the stage probabilities right? For every open stage: the closed deals that passed through it
    (from the forecast change log), the share of them won with its 95% interval, next to the configured
    probability; the Brier score of the configured probabilities over those deals; and a manager's action
    applying chosen suggested probabilities to the stages and, through 'Apply to open deals', to their
    deals."""
    _name = 'crm.forecast.calibration'
    _description = 'Stage Probability Calibration'

    team_id = fields.Many2one('crm.team', string='Sales Channel', help="Leave empty for every deal.")
    line_ids = fields.One2many('crm.forecast.calibration.line', 'wizard_id', string='Stages')
    closed_count = fields.Integer(string='Closed Deals', readonly=True)
    brier_score = fields.Float(string='Brier Score', digits=(16, 4), readonly=True,
                               help="Mean of (configured probability - outcome)^2 over every closed deal and "
                                    "open stage it passed through (outcome 1 won, 0 lost): 0 is perfect, 0.25 is "
                                    "what always saying 50% scores.")

    @api.model
    def _check_manager(self):
        if not self.env.user.has_group('sales_team.group_sale_manager'):
            raise AccessError(_("Only sales managers may review and change the stage probabilities."))

    @api.model
    def _stage_outcomes(self, team_id=None):
        """{stage id: (closed deals that passed through it, of which won)} for the open stages. Won: an
        active deal in an execution or closed (not lost) stage; lost: in a lost stage, or archived at 0%."""
        companies = tuple(self.env.user.company_ids.ids) or (0,)
        self.env.cr.execute("""
            SELECT s.id, COUNT(o.id), COALESCE(SUM(o.won), 0)
              FROM crm_stage s
              JOIN crm_stage_group sg ON sg.id = s.group_id AND sg.kind = 'open'
              LEFT JOIN (SELECT DISTINCT c.lead_id, c.stage_id FROM crm_lead_forecast_change c
                          WHERE c.stage_id IS NOT NULL) p ON p.stage_id = s.id
              LEFT JOIN (SELECT l.id,
                                CASE WHEN st.is_lost OR (NOT l.active AND COALESCE(l.probability, 0) = 0) THEN 0
                                     WHEN l.active AND {won} THEN 1 END AS won
                           FROM crm_lead l
                           JOIN crm_stage st ON st.id = l.stage_id
                           JOIN crm_stage_group g ON g.id = st.group_id
                          WHERE l.type = 'opportunity' AND (l.company_id IS NULL OR l.company_id IN %s)
                            AND (%s IS NULL OR l.team_id = %s)) o ON o.id = p.lead_id AND o.won IS NOT NULL
             GROUP BY s.id
        """.format(won=group_won_sql('g')), (companies, team_id, team_id))
        return dict((stage_id, (count, won)) for stage_id, count, won in self.env.cr.fetchall())

    @api.multi
    def _compute_lines(self):
        self._check_manager()
        for wizard in self:
            outcomes = self._stage_outcomes(wizard.team_id.id or None)
            stages = self.env['crm.stage'].browse(list(outcomes)).sorted(lambda s: (s.sequence, s.id))
            lines = []
            squared, closed = 0.0, 0
            for stage in stages:
                count, won = outcomes[stage.id]
                low, high = wilson_interval(won, count)
                q = stage.probability / 100.0
                if count:
                    squared += won * (1 - q) ** 2 + (count - won) * q ** 2
                    closed += count
                observed = 100.0 * won / count if count else 0.0
                lines.append((0, 0, {
                    'stage_id': stage.id, 'deal_count': count, 'won_count': won, 'lost_count': count - won,
                    'observed': observed, 'interval_low': 100.0 * low, 'interval_high': 100.0 * high,
                    'configured': stage.probability,
                    'suggested': round(observed) if count else stage.probability,
                    'brier_score': (won * (1 - q) ** 2 + (count - won) * q ** 2) / count if count else 0.0,
                }))
            wizard.line_ids.unlink()
            wizard.write({'line_ids': lines, 'closed_count': closed,
                          'brier_score': squared / closed if closed else 0.0})

    @api.model
    def action_open(self):
        wizard = self.create({})
        wizard._compute_lines()
        return wizard._action_reopen()

    @api.multi
    def _action_reopen(self):
        self.ensure_one()
        return {'type': 'ir.actions.act_window', 'name': _('Stage Probability Calibration'), 'res_model': self._name,
                'res_id': self.id, 'view_mode': 'form', 'target': 'current'}

    @api.multi
    def action_refresh(self):
        self._compute_lines()
        return self._action_reopen()

    @api.multi
    def action_apply(self):
        """The chosen lines' suggested probabilities become their stages' probabilities, then reach the
        stages' open deals that no rep has overridden (the stage's 'Apply to open deals')."""
        self._check_manager()
        for line in self.mapped('line_ids').filtered('apply'):
            line.stage_id.write({'probability': line.suggested})
            line.stage_id.action_apply_probability()
        self._compute_lines()
        return self._action_reopen()


class CrmForecastCalibrationLine(models.TransientModel):
    _name = 'crm.forecast.calibration.line'
    _description = 'Stage Probability Calibration Line'
    _order = 'id'

    wizard_id = fields.Many2one('crm.forecast.calibration', required=True, ondelete='cascade')
    stage_id = fields.Many2one('crm.stage', string='Stage', required=True, readonly=True, ondelete='cascade')
    deal_count = fields.Integer(string='Closed Deals', readonly=True,
                                help="Closed (won or lost) deals that passed through this stage.")
    won_count = fields.Integer(string='Won', readonly=True)
    lost_count = fields.Integer(string='Lost', readonly=True)
    observed = fields.Float(string='Observed (%)', digits=(16, 1), readonly=True,
                            help="Won / (won + lost) of the deals that passed through the stage.")
    interval_low = fields.Float(string='95% Low (%)', digits=(16, 1), readonly=True)
    interval_high = fields.Float(string='95% High (%)', digits=(16, 1), readonly=True)
    configured = fields.Float(string='Configured (%)', digits=(16, 1), readonly=True)
    brier_score = fields.Float(string='Brier Score', digits=(16, 4), readonly=True)
    suggested = fields.Float(string='Suggested (%)', digits=(16, 0))
    apply = fields.Boolean(string='Apply')

    # A line names its calibration by id, which a client chooses: Odoo checks that the user may create the line
    # (a transient record, his own), never that the calibration it joins is his. The superuser's calibration
    # reads every line pointing at it (Odoo limits a transient model's records to their creator for everyone
    # else), so a rep's line with a value of his and Apply ticked, added to it, set that stage's probability
    # and its open deals' when the administrator applied his calibration. A line goes only into a calibration
    # of its own author.
    @api.model
    def create(self, vals):
        line = super(CrmForecastCalibrationLine, self).create(vals)
        line._check_own_wizard()
        return line

    @api.multi
    def write(self, vals):
        res = super(CrmForecastCalibrationLine, self).write(vals)
        if 'wizard_id' in vals:
            self._check_own_wizard()
        return res

    @api.multi
    def _check_own_wizard(self):
        if self.env.uid == SUPERUSER_ID:
            return
        for wizard in self.sudo().mapped('wizard_id'):
            if wizard.create_uid.id != self.env.uid:
                raise AccessError(_("A line of a stage probability calibration can only be added to a "
                                    "calibration you opened yourself."))


# --------------------------------------------------------------------------------------------------
# Input guard (impact_input_guard.py): the values sent to create/write are checked before anything else
# runs (an impossible date or a NaN would otherwise reach PostgreSQL as a raw error), so this class stays
# last in the file.
# --------------------------------------------------------------------------------------------------


class CrmForecastCalibrationLineInputGuard(models.TransientModel):
    _name = 'crm.forecast.calibration.line'
    _inherit = ['impact.input.guard', 'crm.forecast.calibration.line']
