from odoo import api, fields, models


class CrmTeam(models.Model):
    _inherit = 'crm.team'

    quota_amount = fields.Monetary(compute='_compute_quota', string='Quota this Quarter',
                                   currency_field='currency_id')
    quota_attainment = fields.Float(compute='_compute_quota', string='Quota Attainment (%)', digits=(16, 0))
    quota_coverage = fields.Float(compute='_compute_quota', string='Quota Coverage', digits=(16, 1))

    @api.multi
    def _current_quotas(self):
        """The channel-wide quotas (no salesperson, region or category) of the quarter of today, or of its
        months when the quarter has no quota of its own: {team id: crm.quota records}."""
        today = fields.Date.from_string(fields.Date.context_today(self))
        start = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
        # as the user: a rep sees a channel's quota only when they lead it
        quotas = self.env['crm.quota'].search([
            ('team_id', 'in', self.ids), ('user_id', '=', False), ('region_id', '=', False),
            ('categ_id', '=', False), ('date_start', '>=', fields.Date.to_string(start)),
            ('date_start', '<=', fields.Date.context_today(self))])
        result = {}
        for team in self:
            mine = quotas.filtered(lambda quota: quota.team_id == team)
            quarter = mine.filtered(lambda quota: quota.period_type == 'quarter')
            result[team.id] = quarter or mine
        return result

    @api.multi
    def _compute_quota(self):
        quotas = self._current_quotas()
        for team in self:
            current = quotas[team.id]
            amount = sum(current.mapped('amount'))
            ordered = sum(current.mapped('amount_ordered'))
            to_reach = sum(current.mapped('amount_to_reach'))
            team.quota_amount = amount
            team.quota_attainment = 100.0 * ordered / amount if amount else 0.0
            team.quota_coverage = sum(current.mapped('pipeline_weighted')) / to_reach if to_reach else 0.0

    @api.multi
    def action_view_quotas(self):
        self.ensure_one()
        action = self.env.ref('impact_crm.crm_quota_action').read()[0]
        action['domain'] = [('team_id', '=', self.id)]
        action['context'] = {'default_team_id': self.id, 'search_default_current': 1}
        return action
