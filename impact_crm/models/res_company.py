from odoo import _, api, fields, models
from odoo.addons.base.res.res_partner import _tz_get
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = 'res.company'

    crm_auto_done = fields.Boolean(
        string='Move Paid Deals to Done', default=True,
        help="A deal in an Execution stage whose orders are fully invoiced and paid moves to the Done stage "
             "by itself.")
    quotation_creates_opportunity = fields.Boolean(
        string='Quotations Create Opportunities', default=True,
        help="A quotation created without an opportunity gets one, in the Quote stage, so no deal escapes "
             "the pipeline.")
    crm_lost_reason_required = fields.Boolean(
        string='Loss Reason Required', default=True,
        help="A deal can only be marked lost with a loss reason.")


# --------------------------------------------------------------------------------------------------
# Forecast settings of the company: pushes that need a reason.
# --------------------------------------------------------------------------------------------------


class ResCompanyForecast(models.Model):
    _inherit = 'res.company'

    forecast_push_reason_days = fields.Integer(
        string='Reason for Pushes Beyond (Days)', default=0,
        help="A deal's end date moved later by more than this many days needs a reason, kept with the change "
             "in the forecast changes. 0: no reason asked.")

    @api.constrains('forecast_push_reason_days')
    def _check_forecast_push_reason_days(self):
        for company in self:
            if company.forecast_push_reason_days < 0:
                raise ValidationError(_("The number of days after which a push needs a reason cannot be "
                                        "negative."))


# --------------------------------------------------------------------------------------------------
# The company's reporting time zone: the day a won deal, a confirmed order or a new deal counts on in the
# forecast and the quotas (sql_rules.company_day_sql). Their stored rows and sums are dated with it, so a change
# dates them all again.
# --------------------------------------------------------------------------------------------------


class ResCompanyDays(models.Model):
    _inherit = 'res.company'

    forecast_tz = fields.Selection(
        _tz_get, string='Reporting Time Zone',
        help="The time zone of the days, months and quarters in which the forecast and the quotas count a won "
             "deal, a confirmed order and a new deal: an order confirmed at 00:30 on 1 February in this time "
             "zone counts in February. Empty: UTC.")

    @api.constrains('forecast_tz')
    def _check_forecast_tz(self):
        # the stored rows are dated by PostgreSQL, whose time zone names can lag behind pytz's
        for company in self.filtered('forecast_tz'):
            self.env.cr.execute("SELECT 1 FROM pg_timezone_names WHERE name = %s", (company.forecast_tz,))
            if not self.env.cr.fetchone():
                raise ValidationError(_("The database does not know the time zone %s: choose another one.")
                                      % company.forecast_tz)

    @api.multi
    def write(self, vals):
        changed = 'forecast_tz' in vals and self.filtered(lambda company: company.forecast_tz != vals['forecast_tz'])
        result = super(ResCompanyDays, self).write(vals)
        if changed:
            # every stored row dated by a moment of these companies' deals and orders, dated again
            self.env['crm.forecast.report'].sudo()._rebuild()
            self.env['crm.quota'].sudo()._rebuild_deal_months()
            self.env['crm.forecast.report'].invalidate_cache()
        return result
