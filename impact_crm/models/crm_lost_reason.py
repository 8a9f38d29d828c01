from odoo import _, api, fields, models
from odoo.exceptions import UserError


class CrmLostReason(models.Model):
    _inherit = 'crm.lost.reason'
    _order = 'criterion_sequence, sequence, name, id'

    criterion_id = fields.Many2one('crm.lost.criterion', string='Criterion', ondelete='restrict', index=True,
                                   help="The category this reason is analysed under.")
    criterion_sequence = fields.Integer(related='criterion_id.sequence', store=True, readonly=True)
    sequence = fields.Integer(default=10)

    @api.multi
    def unlink(self):
        # crm.lead.lost_reason is ondelete='set null': deleting a reason would empty it on the deals lost for it
        # behind the lost flow's back (a lost deal keeps its reason while its company requires one, and the loss
        # analysis would count them under no reason). Read by SQL: every deal counts, archived ones (as lost deals
        # are) and those of companies the user cannot see included.
        if self.ids and not self._impact_uninstalling():
            self.env.cr.execute("SELECT lost_reason, count(*) FROM crm_lead WHERE lost_reason IN %s "
                                "GROUP BY lost_reason", (tuple(self.ids),))
            counts = dict(self.env.cr.fetchall())
            for reason in self:
                if counts.get(reason.id) == 1:
                    # a sentence of its own for one deal: a translation words the singular its own way
                    raise UserError(_(
                        "The loss reason \"%(reason)s\" is the reason of 1 deal (perhaps a lost one): archive it "
                        "instead, so that it is no longer offered while that deal keeps it.")
                        % {'reason': reason.name})
                if counts.get(reason.id):
                    raise UserError(_(
                        "The loss reason \"%(reason)s\" is the reason of %(count)s deal(s), lost ones included: "
                        "archive it instead, so that it is no longer offered while those deals keep it.")
                        % {'reason': reason.name, 'count': counts[reason.id]})
        return super(CrmLostReason, self).unlink()

    @api.model
    def _impact_uninstalling(self):
        """The add-on's own reasons go with it at its uninstallation (its promises go too): not a context key,
        which a client could send."""
        self.env.cr.execute("SELECT state FROM ir_module_module WHERE name = 'impact_crm'")
        row = self.env.cr.fetchone()
        return bool(row) and row[0] == 'to remove'


class CrmLostReasonInputGuard(models.Model):
    _name = 'crm.lost.reason'
    _inherit = ['impact.input.guard', 'crm.lost.reason']
