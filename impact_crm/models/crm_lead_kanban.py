"""What the pipeline kanban needs beyond Odoo's columns: the stage groups its stages belong to, with
the totals of each group (static/src/js/pipeline_kanban.js draws them as bands above the columns)."""
from odoo import api, models


class CrmLead(models.Model):
    _inherit = 'crm.lead'

    @api.model
    def impact_stage_group_bands(self, domain=None, stage_ids=None):
        """The stage groups of the kanban's columns, in the kanban's order, with the expected and
        weighted revenue of the deals of ``domain`` in each (one read_group, the user's record rules
        apply), and the stages a card may not be dropped into (Lost: the lost dialog asks why).

        :returns: {'bands': [{'id', 'name', 'kind', 'fold', 'color', 'stage_ids', 'count', 'expected',
            'weighted'}], 'lost_stage_ids': [...], 'currency_id': the company currency}
        """
        Stage = self.env['crm.stage']
        stages = Stage.browse(stage_ids) if stage_ids else Stage.search([])
        stages = stages.exists()
        totals = {}
        if stages:
            for row in self.read_group(list(domain or []) + [('stage_id', 'in', stages.ids)],
                                       ['stage_id', 'planned_revenue', 'weighted_revenue'], ['stage_id']):
                totals[row['stage_id'][0]] = row
        bands = []
        by_group = {}
        for stage in stages.sorted(lambda s: (s.group_id.sequence, s.group_id.id, s.sequence, s.id)):
            group = stage.group_id
            band = by_group.get(group.id)
            if band is None:
                band = by_group[group.id] = {
                    'id': group.id, 'name': group.name or '', 'kind': group.kind or False, 'fold': group.fold,
                    'color': group.color, 'stage_ids': [], 'count': 0, 'expected': 0.0, 'weighted': 0.0}
                bands.append(band)
            band['stage_ids'].append(stage.id)
            row = totals.get(stage.id)
            if row:
                band['count'] += row['stage_id_count']
                band['expected'] += row['planned_revenue'] or 0.0
                band['weighted'] += row['weighted_revenue'] or 0.0
        return {
            'bands': bands,
            'lost_stage_ids': stages.filtered('is_lost').ids,
            'currency_id': self.env.user.company_id.currency_id.id,
        }
