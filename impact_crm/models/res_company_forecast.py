from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
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
