from odoo import api, fields, models


def check_deals_readable(env, values):
    """Raise AccessError unless the current user may read the deals named by ``values`` (ids, records, or
    False); a value that is no id is left to the dialog's own checks.

    The dialogs naming one deal by its id (a line of the lost flow, *Log Call/Meeting*) are transient models:
    Odoo 11 checks no access right and no record rule on them (anyone logged in creates them, a portal customer
    too) and reads a many2one's name and a related field as superuser. A dialog made on any deal's id thus showed
    that deal's name, expected revenue and stage to whoever made it. A dialog is made on a deal its user may read,
    whatever the path (the dialog, RPC, an import)."""
    ids = []
    for value in values:
        if isinstance(value, models.BaseModel):
            ids.extend(value.ids)
        elif value and not isinstance(value, bool):
            try:
                ids.append(int(value))
            except (TypeError, ValueError):
                continue
    if not ids:
        return
    leads = env['crm.lead'].browse(ids).exists()
    leads.check_access_rights('read')
    leads.check_access_rule('read')


class CrmLeadLostLine(models.TransientModel):
    """One deal of a mass lost, when each deal gets its own reason."""
    _name = 'crm.lead.lost.line'
    _description = 'Lost Deal (per deal reason)'

    wizard_id = fields.Many2one('crm.lead.lost', required=True, ondelete='cascade')
    lead_id = fields.Many2one('crm.lead', string='Deal', required=True, ondelete='cascade')
    planned_revenue = fields.Float(related='lead_id.planned_revenue', readonly=True, string='Expected Revenue')
    stage_id = fields.Many2one(related='lead_id.stage_id', readonly=True, string='Stage')
    lost_reason_id = fields.Many2one('crm.lost.reason', string='Lost Reason')

    @api.model
    def create(self, vals):
        check_deals_readable(self.env, [vals.get('lead_id')])
        return super(CrmLeadLostLine, self).create(vals)

    @api.multi
    def write(self, vals):
        if vals.get('lead_id'):
            check_deals_readable(self.env, [vals['lead_id']])
        return super(CrmLeadLostLine, self).write(vals)
