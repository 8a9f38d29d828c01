"""Forecast categories of the deals: the stage gives the default, a rep may override it on a deal
(the choice survives stage changes until reset, with who and when), won deals are Closed and lost
ones Omitted whatever anyone chose."""
from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..internal_flags import has_flag, with_flags
from .crm_stage import FORECAST_CATEGORIES
from ..sql_rules import WON_STAGE_KINDS, stage_is_won

# the rep's override and its who/when are recorded by setting forecast_category, never written by a
# client (import, RPC, mass edit), so that nobody can attribute a forecast call to someone else
OVERRIDE_FIELDS = ('forecast_category_manual', 'forecast_category_manual_uid', 'forecast_category_manual_date')


class CrmLead(models.Model):
    _inherit = 'crm.lead'

    forecast_category = fields.Selection(
        FORECAST_CATEGORIES, string='Forecast Category', compute='_compute_forecast_category', store=True,
        readonly=False, index=True, track_visibility='onchange',
        help="Where the deal stands in the forecast call. Follows the stage unless a rep sets another one, "
             "which then stays through stage changes until reset. Won deals are Closed, lost ones Omitted.")
    forecast_category_manual = fields.Selection(
        FORECAST_CATEGORIES, string='Forecast Category Set by Rep', readonly=True, copy=False,
        help="The category a rep chose for this deal instead of its stage's; empty when it follows the stage.")
    forecast_category_manual_uid = fields.Many2one('res.users', string='Forecast Category Set By', readonly=True,
                                                   copy=False)
    forecast_category_manual_date = fields.Datetime(string='Forecast Category Set On', readonly=True, copy=False)

    @api.depends('stage_id.forecast_category', 'stage_id.group_id.kind', 'stage_id.is_lost', 'active',
                 'probability', 'forecast_category_manual')
    def _compute_forecast_category(self):
        for lead in self:
            lead.forecast_category = lead._forced_forecast_category() or lead.forecast_category_manual \
                or lead.stage_id.forecast_category or 'pipeline'

    @api.multi
    def _forced_forecast_category(self):
        """'omitted' for a lost deal, 'closed' for a won one, False for an open deal."""
        self.ensure_one()
        if self.stage_id.is_lost or (not self.active and not self.probability):
            return 'omitted'
        if self.stage_id.group_id.kind in WON_STAGE_KINDS:
            return 'closed'
        return False

    @api.model
    def _check_forecast_override_vals(self, vals, creating=False):
        """Refuse the override's bookkeeping sent by a caller (empty values on create are harmless)."""
        if has_flag(self, 'impact_internal_write'):
            return
        written = [fname for fname in OVERRIDE_FIELDS if fname in vals and (vals[fname] or not creating)]
        if written:
            raise UserError(_("%s: recorded when the Forecast Category of a deal is set; nobody can write it "
                              "directly.") % ', '.join(
                self._fields[fname].get_description(self.env)['string'] for fname in written))

    @api.model
    def create(self, vals):
        self._check_forecast_override_vals(vals, creating=True)
        category = vals.get('forecast_category')
        vals = dict((key, value) for key, value in vals.items() if key != 'forecast_category')
        lead = super(CrmLead, self).create(vals)
        if category:
            lead._set_forecast_category(category)
        return lead

    @api.multi
    def write(self, vals):
        self._check_forecast_override_vals(vals)
        if 'forecast_category' in vals:
            category = vals['forecast_category']
            vals = dict((key, value) for key, value in vals.items() if key != 'forecast_category')
            res = super(CrmLead, self).write(vals) if vals else True
            self._set_forecast_category(category)
            return res
        if vals.get('stage_id') and self.filtered('forecast_category_manual'):
            stage = self.env['crm.stage'].browse(vals['stage_id'])
            if stage_is_won(stage):
                # winning the deal ends the rep's choice, as it ends the probability override
                vals = dict(vals, forecast_category_manual=False, forecast_category_manual_uid=False,
                            forecast_category_manual_date=False)
        return super(CrmLead, self).write(vals)

    @api.multi
    def _set_forecast_category(self, category):
        """A rep (or an import) sets the category: another value than the stage's becomes the deal's override,
        the stage's own value ends it. Won and lost deals keep their category: setting another is refused."""
        if category and category not in dict(FORECAST_CATEGORIES):
            raise ValidationError(_("Unknown forecast category: %s") % category)
        for lead in self:
            forced = lead._forced_forecast_category()
            if forced:
                if category and category != forced:
                    raise ValidationError(_("'%s' is won or lost: its forecast category is always %s.")
                                          % (lead.name, dict(self._fields['forecast_category']._description_selection(
                                              self.env))[forced]))
                continue
            own = with_flags(lead, 'impact_internal_write')
            if not category or category == lead.stage_id.forecast_category:
                if lead.forecast_category_manual:
                    own.write({'forecast_category_manual': False, 'forecast_category_manual_uid': False,
                               'forecast_category_manual_date': False})
            elif category != lead.forecast_category_manual:
                own.write({'forecast_category_manual': category, 'forecast_category_manual_uid': self.env.uid,
                           'forecast_category_manual_date': fields.Datetime.now()})
        return True

    @api.multi
    def action_reset_forecast_category(self):
        """Back to the stage's category; stage changes move it again."""
        with_flags(self, 'impact_internal_write').write({
            'forecast_category_manual': False, 'forecast_category_manual_uid': False,
            'forecast_category_manual_date': False})
        return True
