from odoo import api, models


class ImpactDealDialog(models.AbstractModel):
    """A dialog naming one deal by its ``lead_id`` (a line of the lost flow, *Log Call/Meeting*) is made only on a
    deal its user may read, whatever the path (the dialog, RPC, an import).

    Dialogs are transient models: Odoo 11 checks no access right and no record rule on them (anyone logged in
    creates them, a portal customer too) and reads a many2one's name and a related field as superuser. A dialog
    made on any deal's id thus showed that deal's name, expected revenue and stage to whoever made it."""
    _name = 'impact.deal.dialog'
    _description = 'Dialog on a Deal'

    @api.model
    def _check_deal_readable(self, lead):
        """Raise AccessError unless the current user may read ``lead`` (an id or a record; False, or a value that
        is no id, is left to the field's own checks)."""
        if isinstance(lead, models.BaseModel):
            ids = lead.ids
        else:
            try:
                ids = [int(lead)] if lead and not isinstance(lead, bool) else []
            except (TypeError, ValueError):
                ids = []
        if ids:
            leads = self.env['crm.lead'].browse(ids).exists()
            leads.check_access_rights('read')
            leads.check_access_rule('read')

    @api.model
    def create(self, vals):
        self._check_deal_readable(vals.get('lead_id'))
        return super(ImpactDealDialog, self).create(vals)

    @api.multi
    def write(self, vals):
        self._check_deal_readable(vals.get('lead_id'))
        return super(ImpactDealDialog, self).write(vals)
