from odoo import _, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_date

from ..reports.crm_forecast_waterfall_report import BUCKETS
from .crm_forecast_workbook_sheets import sheet_name


class CrmForecastWorkbook(models.TransientModel):
    """The waterfall sheet of the forecast workbook: how the open pipeline of the workbook's period moved
    from a first moment to the 'as of' moment (or now)."""
    _inherit = 'crm.forecast.workbook'

    waterfall_from = fields.Datetime(string='Waterfall From',
                                     help="Adds a Waterfall sheet: how the open pipeline of the period moved "
                                          "from this moment to the 'as of' moment (or now), with its chart and "
                                          "the deals of every step.")

    accuracy_sheet = fields.Boolean(string='Forecast Accuracy', default=False,
                                    help="A sheet of the closed months (or quarters) of the period: the weighted "
                                         "forecast 90, 60 and 30 days before each against what was won, with "
                                         "error and bias by salesperson and sales channel.")

    def _check_input(self):
        res = super(CrmForecastWorkbook, self)._check_input()
        if self.waterfall_from and self.waterfall_from >= (self.as_of or fields.Datetime.now()):
            raise UserError(_("The waterfall's first moment must come before the 'as of' moment (or now)."))
        return res

    def _waterfall_report(self):
        return self.env['crm.forecast.waterfall.report'].with_context(
            waterfall_date_from=self.waterfall_from, waterfall_date_to=self.as_of or fields.Datetime.now(),
            waterfall_period_start=self.date_from, waterfall_period_end=self.date_to, waterfall_measure='weighted')

    def _waterfall_domain(self):
        domain = []
        if self.user_ids:
            domain.append(('user_id', 'in', self.user_ids.ids))
        if self.team_ids:
            domain.append(('team_id', 'in', self.team_ids.ids))
        return domain

    def _write_extra_sheets(self, book, sheets, fmt, rtl):
        super(CrmForecastWorkbook, self)._write_extra_sheets(book, sheets, fmt, rtl)
        if self.waterfall_from:
            sheet = book.add_worksheet(sheet_name(_('Waterfall')))
            sheets._write_waterfall(book, sheet, fmt, rtl, *self._waterfall_data())
        if self.accuracy_sheet:
            data = self._accuracy_data()
            if data:
                sheets._write_accuracy(book.add_worksheet(sheet_name(_('Forecast Accuracy'))), fmt, data, rtl,
                                       self.granularity, self.date_from, self.date_to)

    def _waterfall_data(self):
        """(totals {bucket: weighted amount}, labels {bucket: label}, subtitle, the rows of the movements) of
        the waterfall sheet, as the user sees them."""
        report = self._waterfall_report()
        domain = self._waterfall_domain()
        totals = dict((key, 0.0) for key, _label in BUCKETS)
        for row in report.read_group(domain, ['bucket', 'value'], ['bucket'], orderby='bucket'):
            totals[row['bucket']] = row['value'] or 0.0
        labels = dict(report._fields['bucket']._description_selection(self.env))
        moment_from = fields.Datetime.context_timestamp(self, fields.Datetime.from_string(self.waterfall_from))
        moment_to = fields.Datetime.context_timestamp(
            self, fields.Datetime.from_string(self.as_of or fields.Datetime.now()))
        # the dates and moments as the user's language writes them
        subtitle = _("Weighted open pipeline dated %s - %s, from %s to %s") % (
            format_date(self.env, self.date_from), format_date(self.env, self.date_to),
            '%s %s' % (format_date(self.env, moment_from.date()), moment_from.strftime('%H:%M')),
            '%s %s' % (format_date(self.env, moment_to.date()), moment_to.strftime('%H:%M')))
        movements = report.search(domain + [('bucket', 'not in', ('01_start', '09_end'))], order='bucket, value, id')
        return totals, labels, subtitle, movements

    def _accuracy_data(self):
        """[(dimension title, [(member label, {horizon: (forecast, won)})])] for the closed periods of the
        workbook's range: quarters for quarterly and yearly workbooks, else months."""
        report = self.env['crm.forecast.accuracy.report']
        domain = [('period_kind', '=', 'month' if self.granularity == 'month' else 'quarter'),
                  ('period_start', '>=', self.date_from), ('period_start', '<=', self.date_to)]
        domain += self._waterfall_domain()
        result = []
        for field_name, title in (('user_id', _('Salesperson')), ('team_id', _('Sales Channel'))):
            rows = report.read_group(domain, [field_name, 'horizon', 'forecast', 'actual'],
                                     [field_name, 'horizon'], lazy=False)
            members = {}
            for row in rows:
                label = row[field_name][1] if row[field_name] else _('None')
                members.setdefault(label, {})[row['horizon']] = (row['forecast'] or 0.0, row['actual'] or 0.0)
            if members:
                result.append((title, sorted(members.items())))
        return result
