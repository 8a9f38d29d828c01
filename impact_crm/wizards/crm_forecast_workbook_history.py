from odoo import _, fields, models
from odoo.exceptions import UserError

from ..reports.crm_forecast_accuracy_report import HORIZONS
from ..reports.crm_forecast_waterfall_report import BUCKETS


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

    def _write_extra_sheets(self, book, fmt, rtl):
        super(CrmForecastWorkbook, self)._write_extra_sheets(book, fmt, rtl)
        if self.waterfall_from:
            self._write_waterfall(book, book.add_worksheet(_('Waterfall')[:31]), fmt, rtl)
        if self.accuracy_sheet:
            data = self._accuracy_data()
            if data:
                self._write_accuracy(book.add_worksheet(_('Forecast Accuracy')[:31]), fmt, data, rtl)

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

    def _write_accuracy(self, sheet, fmt, data, rtl):
        """Per salesperson, then per sales channel: for each horizon the forecast, the won amount, the error
        (forecast - won) and the bias (error / won)."""
        kind = _('months') if self.granularity == 'month' else _('quarters')
        self._start_sheet(sheet, fmt, _('Forecast Accuracy'),
                          _('Closed %s starting %s - %s') % (kind, self.date_from, self.date_to), rtl)
        percent = fmt['percent']
        row = 3
        for title, members in data:
            sheet.merge_range(row, 0, row + 1, 0, title, fmt['header'])
            col = 1
            for _key, label in HORIZONS:
                sheet.merge_range(row, col, row, col + 3, label, fmt['header'])
                for offset, header in enumerate((_('Forecast'), _('Won'), _('Error'), _('Bias'))):
                    sheet.write(row + 1, col + offset, header, fmt['header'])
                col += 4
            row += 2
            for label, values in members:
                sheet.write(row, 0, label, fmt['label'])
                col = 1
                for key, _label in HORIZONS:
                    forecast, won = values.get(key, (0.0, 0.0))
                    sheet.write_number(row, col, forecast, fmt['money'])
                    sheet.write_number(row, col + 1, won, fmt['money'])
                    sheet.write_formula(row, col + 2, '=%s-%s' % (self._cell(row, col), self._cell(row, col + 1)),
                                        fmt['money'], forecast - won)
                    if won:
                        sheet.write_formula(row, col + 3, '=%s/%s' % (self._cell(row, col + 2),
                                                                      self._cell(row, col + 1)),
                                            percent, (forecast - won) / won)
                    else:
                        sheet.write(row, col + 3, '', fmt['label'])
                    col += 4
                row += 1
            row += 1
        sheet.set_column(0, 0, 24)
        sheet.set_column(1, 12, 14)

    def _write_waterfall(self, book, sheet, fmt, rtl):
        """Steps with their totals (start + movements = end, as a SUM formula), a waterfall chart (stacked
        columns over an invisible base), then the deals of every movement."""
        report = self._waterfall_report()
        domain = self._waterfall_domain()
        totals = dict((key, 0.0) for key, _label in BUCKETS)
        for row in report.read_group(domain, ['bucket', 'value'], ['bucket'], orderby='bucket'):
            totals[row['bucket']] = row['value'] or 0.0
        labels = dict(report._fields['bucket']._description_selection(self.env))
        moment_from = fields.Datetime.context_timestamp(self, fields.Datetime.from_string(self.waterfall_from))
        moment_to = fields.Datetime.context_timestamp(
            self, fields.Datetime.from_string(self.as_of or fields.Datetime.now()))
        subtitle = _("Weighted open pipeline dated %s - %s, from %s to %s") % (
            self.date_from, self.date_to, moment_from.strftime('%Y-%m-%d %H:%M'), moment_to.strftime('%Y-%m-%d %H:%M'))
        self._start_sheet(sheet, fmt, _('Forecast Waterfall'), subtitle, rtl)
        headers = [_('Step'), _('Weighted Amount'), _('Base'), _('Increase'), _('Decrease'), _('Total')]
        header_row = 3
        self._write_headers(sheet, header_row, headers, fmt)
        first = header_row + 1
        running = 0.0
        for index, (key, _label) in enumerate(BUCKETS):
            row = first + index
            value = totals[key]
            base = up = down = total = 0.0
            if key == '01_start':
                total = running = value
            elif key == '09_end':
                total = value
                # the end is written as the start plus every movement, so the sheet shows it reconciles
                self._write_sum(sheet, row, 1, [(first, 1, row - 1, 1)], fmt['total'], value)
            elif value >= 0:
                base, up = running, value
                running += value
            else:
                running += value
                base, down = running, -value
            sheet.write(row, 0, labels[key], fmt['total_label'] if key in ('01_start', '09_end') else fmt['label'])
            if key != '09_end':
                sheet.write_number(row, 1, value, fmt['total'] if key == '01_start' else fmt['money'])
            for col, number in ((2, base), (3, up), (4, down), (5, total)):
                sheet.write_number(row, col, number, fmt['money'])
        last = first + len(BUCKETS) - 1
        sheet.set_column(0, 0, self._col_width(list(labels.values()) + headers[:1], minimum=18))
        sheet.set_column(1, 5, max(self._money_width(list(totals.values())), 14))

        chart = book.add_chart({'type': 'column', 'subtype': 'stacked'})
        sheet_name = sheet.get_name()
        colors = {2: None, 3: '#70AD47', 4: '#C00000', 5: '#4472C4'}
        for col in (2, 3, 4, 5):
            series = {'name': [sheet_name, header_row, col], 'categories': [sheet_name, first, 0, last, 0],
                      'values': [sheet_name, first, col, last, col], 'gap': 50}
            if colors[col]:
                series['fill'] = {'color': colors[col]}
            else:
                series.update({'fill': {'none': True}, 'border': {'none': True}})
            chart.add_series(series)
        chart.set_title({'name': _('Forecast Waterfall')})
        chart.set_legend({'none': True})
        chart.set_size({'width': 720, 'height': 360})
        sheet.insert_chart(last + 2, 0, chart)

        # the deals behind every movement (the drill-down of the pivot)
        row = last + 22
        deal_headers = [_('Step'), _('Opportunity'), _('Salesperson'), _('Weighted Amount')]
        self._write_headers(sheet, row, deal_headers, fmt)
        movements = report.search(domain + [('bucket', 'not in', ('01_start', '09_end'))], order='bucket, value, id')
        for line in movements:
            row += 1
            sheet.write(row, 0, labels[line.bucket], fmt['label'])
            sheet.write(row, 1, line.lead_id.name or '', fmt['label'])
            sheet.write(row, 2, line.user_id.name or '', fmt['label'])
            sheet.write_number(row, 3, line.value, fmt['money'])
        sheet.set_column(6, 6, 3)
