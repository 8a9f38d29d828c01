from odoo import _, api, fields, models
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
