import base64
import io

import babel.dates
from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

try:
    import xlsxwriter
except ImportError:  # pragma: no cover - declared in external_dependencies
    xlsxwriter = None

from ..reports.crm_collection_report import AGE_BUCKETS
from ..models.crm_lead_spread import SPREAD_SQL
from ..models.crm_stage import FORECAST_CATEGORIES
from ..reports.crm_forecast_report import SOURCES
from ..sql_rules import is_rtl_code, period_start

GRANULARITIES = [('month', 'Month'), ('quarter', 'Quarter'), ('year', 'Year')]
STEP = {'month': relativedelta(months=1), 'quarter': relativedelta(months=3), 'year': relativedelta(years=1)}
LABEL_FORMAT = {'month': 'MMM yyyy', 'quarter': 'QQQ yyyy', 'year': 'yyyy'}
MEASURES = ['amount', 'weighted_amount']
# the columns of the forecast call on the summary sheet, surest first (Omitted is never summed)
CALL_CATEGORIES = ['closed', 'commit', 'best_case', 'pipeline']


class CrmForecastWorkbook(models.TransientModel):
    """Export the sales forecast (crm.forecast.report) as an Excel workbook.

    All numbers come from read_group on the SQL view, run as the current user so that the record
    rules decide what a salesperson sees."""
    _name = 'crm.forecast.workbook'
    _description = 'Sales Forecast Workbook'

    def _default_date_to(self):
        today = fields.Date.from_string(fields.Date.context_today(self))
        return fields.Date.to_string(today.replace(year=today.year + 1, month=12, day=31))

    date_from = fields.Date(string='From', required=True,
                            default=lambda self: fields.Date.context_today(self)[:4] + '-01-01')
    date_to = fields.Date(string='To', required=True, default=_default_date_to)
    granularity = fields.Selection(GRANULARITIES, string='Periods', required=True, default='quarter')
    source = fields.Selection(SOURCES, string='Source', required=True, default='opportunity',
                              help="Opportunities: their expected revenue, dated by the planned end date. "
                                   "Quotations / Orders: the untaxed lines of the latest revision of each "
                                   "quotation of an opportunity (confirmed orders at 100%).")
    date_basis = fields.Selection(
        [('close', 'Close Period'), ('delivery', 'Delivery Period')], string='Dated by', required=True,
        default='close',
        help="Close period: each deal's revenue at its end date (else its expected closing). Delivery period: "
             "the revenue of deals spread over their project (linear or by instalments) in the months it is "
             "delivered; the other deals as by close period.")
    by_user = fields.Boolean(string='By Salesperson', default=True)
    by_team = fields.Boolean(string='By Sales Channel', default=True)
    by_region = fields.Boolean(string='By Sales Region', default=True)
    by_categ = fields.Boolean(string='By Product Category', default=True)
    by_forecast_category = fields.Boolean(string='By Forecast Category')
    category_closed = fields.Boolean(string='Closed', default=True)
    category_commit = fields.Boolean(string='Commit', default=True)
    category_best_case = fields.Boolean(string='Best Case', default=True)
    category_pipeline = fields.Boolean(string='Pipeline', default=True)
    category_omitted = fields.Boolean(string='Omitted', default=False,
                                      help="Open deals a rep took out of the forecast.")
    stage_group_ids = fields.Many2many('crm.stage.group', string='Stage Groups',
                                       help="Leave empty for every open and won deal.")
    user_ids = fields.Many2many('res.users', string='Salespeople', help="Leave empty for all you may see.")
    team_ids = fields.Many2many('crm.team', string='Sales Channels', help="Leave empty for all you may see.")
    lost_sheet = fields.Boolean(string='Lost Deals', default=True,
                                help="A sheet of the deals lost in the period, by loss criterion and reason "
                                     "(when there are any).")
    collection_sheet = fields.Boolean(string='Collection', default=True,
                                      help="A sheet of the won deals with money still due today, by customer, "
                                           "salesperson and age of the oldest unpaid invoice (managers and "
                                           "accountants, when anything is due).")
    quota_sheet = fields.Boolean(string='Quotas', default=True,
                                 help="A sheet of the quotas of the period you may see, with attainment on the "
                                      "ordered, invoiced and paid amounts and coverage (when there are any).")
    as_of = fields.Datetime(string='As of',
                            help="The forecast as it stood at this moment (opportunities only, without product "
                                 "categories). Leave empty for now.")
    file_data = fields.Binary(string='Workbook', readonly=True, attachment=False)
    file_name = fields.Char(string='File Name', readonly=True)

    # -- input ---------------------------------------------------------------------------------

    def _dimensions(self):
        """[(field of crm.forecast.report, sheet title, label of the empty member)] chosen by the user."""
        self.ensure_one()
        dims = []
        if self.by_user:
            dims.append(('user_id', _('Salesperson'), _('No salesperson')))
        if self.by_team:
            dims.append(('team_id', _('Sales Channel'), _('No sales channel')))
        if self.by_region:
            dims.append(('region_id', _('Sales Region'), _('No region')))
        if self.by_categ and not self.as_of:
            dims.append(('categ_id', _('Product Category'), _('No category')))
        if self.by_forecast_category:
            dims.append(('forecast_category', _('Forecast Category'), _('No forecast category')))
        return dims

    def _forecast_categories(self):
        """The forecast categories chosen in the filters."""
        return [key for key, _label in FORECAST_CATEGORIES if self['category_%s' % key]]

    def _check_input(self):
        self.ensure_one()
        if self.date_to < self.date_from:
            raise UserError(_("The end of the period is before its start."))
        if self.as_of and self.source != 'opportunity':
            raise UserError(_("The forecast as of a past moment is kept for opportunities only: choose the "
                              "Opportunities source."))
        if self.as_of and self.date_basis != 'close':
            raise UserError(_("The forecast as of a past moment is dated by close period only: choose "
                              "'Close Period'."))
        if not self._dimensions():
            raise UserError(_("Choose at least one dimension (salesperson, sales channel, region, "
                              "product category or forecast category)."))
        if not self._forecast_categories():
            raise UserError(_("Choose at least one forecast category."))

    def _domain(self):
        domain = [('source', '=', self.source)]
        if self.date_basis == 'close':
            domain += [('date', '>=', self.date_from), ('date', '<=', self.date_to)]
        if self.stage_group_ids:
            domain.append(('stage_group_id', 'in', self.stage_group_ids.ids))
        if self.user_ids:
            domain.append(('user_id', 'in', self.user_ids.ids))
        if self.team_ids:
            domain.append(('team_id', 'in', self.team_ids.ids))
        # 'not in': rows without a category (deals inserted by SQL, never computed) stay in the forecast
        excluded = [key for key, _label in FORECAST_CATEGORIES if key not in self._forecast_categories()]
        if excluded:
            domain.append(('forecast_category', 'not in', excluded))
        return domain

    def _periods(self):
        """The period start dates covering date_from..date_to, and their labels in the user's language."""
        start = period_start(fields.Date.from_string(self.date_from), self.granularity)
        end = fields.Date.from_string(self.date_to)
        locale = self.env.context.get('lang') or 'en_US'
        periods = []
        while start <= end:
            periods.append((start, babel.dates.format_date(start, format=LABEL_FORMAT[self.granularity],
                                                           locale=locale)))
            start += STEP[self.granularity]
        return periods

    # -- data ----------------------------------------------------------------------------------

    def _read(self, groupby_fields):
        """Every total of the workbook in ONE pass over the forecast view: a GROUPING SETS query
        ((status, period), (dimension, period) for each dimension) built on the ORM's own query for the
        domain, with the current user's access rights and record rules applied exactly as read_group
        applies them (no sudo). Separate read_group calls would scan the view once per sheet.

        :return: {field: ({(member, period start): {'amount': x, 'weighted_amount': y}}, {member: label})}
        """
        Report = self._report()
        Report.check_access_rights('read')
        query = Report._where_calc(self._domain())
        Report._apply_ir_rules(query, 'read')
        from_clause, where_clause, params = query.get_sql()
        table = '"%s"' % Report._table
        columns = ['%s."%s"' % (table, name) for name in groupby_fields]
        if self.granularity not in STEP:
            # only the whitelisted units ever reach the SQL text, whatever the caller stored
            raise ValidationError(_("Unknown period: %r.") % (self.granularity,))
        date, share = '%s."date"' % table, '1.0'
        if self.date_basis == 'delivery':
            # each row's amount split over the months its deal delivers (shares of 1), the period on those
            from_clause += ' LEFT JOIN (%s) spread ON spread.lead_id = %s."lead_id"' % (SPREAD_SQL, table)
            date, share = 'COALESCE(spread.date, %s."date")' % table, 'COALESCE(spread.share, 1.0)'
            where_clause = ' AND '.join((['(%s)' % where_clause] if where_clause else []) +
                                        ['%s BETWEEN %%s AND %%s' % date])
            params = list(params) + [self.date_from, self.date_to]
        period = "date_trunc('%s', %s)::date" % (self.granularity, date)
        sql = """
            SELECT {groupings}, {columns}, {period} AS period,
                   SUM({table}."amount" * {share}), SUM({table}."weighted_amount" * {share})
            FROM {from_clause} {where}
            GROUP BY GROUPING SETS ({sets})
        """.format(
            groupings=', '.join('GROUPING(%s)' % column for column in columns),
            columns=', '.join(columns), period=period, table=table, from_clause=from_clause, share=share,
            where=('WHERE %s' % where_clause) if where_clause else '',
            sets=', '.join('(%s, %s)' % (column, period) for column in columns))
        if self.as_of:
            Report._apply_history_parameters()
        else:
            Report._prepare_aggregate()
        self.env.cr.execute(sql, params)
        n = len(groupby_fields)
        result = dict((name, {}) for name in groupby_fields)
        for row in self.env.cr.fetchall():
            index = list(row[:n]).index(0)   # the one column this grouping set groups by
            member = row[n + index] if row[n + index] is not None else False
            start = row[2 * n]   # Odoo's cursor returns dates as strings
            start = fields.Date.from_string(start) if isinstance(start, str) else start
            result[groupby_fields[index]][(member, start)] = {
                'amount': float(row[2 * n + 1] or 0.0), 'weighted_amount': float(row[2 * n + 2] or 0.0)}
        labels = {}
        for name in groupby_fields:
            field = Report._fields[name]
            ids = [member for member, _start in result[name] if member]
            if field.type == 'many2one':
                labels[name] = dict(self.env[field.comodel_name].browse(list(set(ids))).name_get())
            elif field.type == 'selection':
                labels[name] = dict(field._description_selection(self.env))
            else:
                labels[name] = {}
        return dict((name, (result[name], labels[name])) for name in groupby_fields)

    def _report(self):
        """The forecast report the workbook reads: the live one, or the one as of the chosen moment."""
        if self.as_of:
            return self.env['crm.forecast.asof.report'].with_context(forecast_as_of=self.as_of)
        return self.env['crm.forecast.report']

    def _lost_data(self):
        """Losses of the period by criterion and reason, with the salespeople/channels filters, as the
        current user sees them (record rules of the lost analysis); [] when not wanted or not allowed."""
        self.ensure_one()
        if not self.lost_sheet or not self.env['crm.lead.lost.report'].check_access_rights(
                'read', raise_exception=False):
            return []
        domain = []
        if self.user_ids:
            domain.append(('user_id', 'in', self.user_ids.ids))
        if self.team_ids:
            domain.append(('team_id', 'in', self.team_ids.ids))
        return self.env['crm.lead']._lost_by_criterion_reason(self.date_from, self.date_to, domain=domain)

    def _collection_data(self):
        """Money due today on won deals, by customer and salesperson, with the salespeople/channels
        filters; [] when not wanted or when the user may not see collection (only managers and
        accountants may read the collection analysis)."""
        self.ensure_one()
        if not self.collection_sheet or not self.env['crm.collection.report'].check_access_rights(
                'read', raise_exception=False):
            return []
        return self.env['crm.lead']._collection_rows(user_ids=self.user_ids.ids, team_ids=self.team_ids.ids)

    def _quota_data(self):
        """The quotas whose period overlaps the workbook's, as the user sees them (a rep: their own), with the
        salespeople/channels filters."""
        self.ensure_one()
        if not self.quota_sheet:
            return self.env['crm.quota']
        domain = [('date_start', '<=', self.date_to), ('date_end', '>=', self.date_from)]
        if self.user_ids:
            domain.append(('user_id', 'in', self.user_ids.ids))
        if self.team_ids:
            domain.append(('team_id', 'in', self.team_ids.ids))
        return self.env['crm.quota'].search(domain, order='date_start, team_id, user_id, id')

    # -- output --------------------------------------------------------------------------------

    @api.multi
    def action_export(self):
        self.ensure_one()
        wizard = self.with_context(lang=self.env.context.get('lang') or self.env.user.lang)
        wizard._check_input()
        content = wizard._build_workbook()
        self.write({
            'file_data': base64.b64encode(content),
            'file_name': '%s_%s_%s.xlsx' % (_('forecast'), self.date_from, self.date_to),
        })
        return {
            'type': 'ir.actions.act_url',
            'target': 'self',
            'url': '/web/content?model=%s&id=%s&field=file_data&filename_field=file_name&download=true'
                   % (self._name, self.id),
        }

    def _currency_format(self):
        currency = self.env.user.company_id.currency_id
        symbol = (currency.symbol or currency.name or '').replace('"', '')
        decimals = '0.' + '0' * currency.decimal_places if currency.decimal_places else '0'
        if currency.position == 'before':
            return '"%s" #,##%s;-"%s" #,##%s' % (symbol, decimals, symbol, decimals)
        return '#,##%s "%s";-#,##%s "%s"' % (decimals, symbol, decimals, symbol)

    def _build_workbook(self):
        """The .xlsx file as bytes."""
        self.ensure_one()
        code = self.env.context.get('lang') or 'en_US'
        lang = self.env['res.lang'].search([('code', '=', code)], limit=1)
        # Odoo 11 ships he_IL (and ar_*) as left-to-right: decide by the language too
        rtl = lang.direction == 'rtl' or is_rtl_code(code)
        periods = self._periods()
        source_label = dict(self._fields['source']._description_selection(self.env))[self.source]
        basis_label = dict(self._fields['date_basis']._description_selection(self.env))[self.date_basis]
        subtitle = '%s, %s - %s, %s' % (source_label, self.date_from, self.date_to,
                                        _('dated by: %s') % basis_label)
        if self.as_of:
            as_of = fields.Datetime.context_timestamp(self, fields.Datetime.from_string(self.as_of))
            subtitle += ', ' + _("as of %s") % as_of.strftime('%Y-%m-%d %H:%M')

        output = io.BytesIO()
        book = xlsxwriter.Workbook(output, {'in_memory': True})
        money_code = self._currency_format()
        fmt = {
            'title': book.add_format({'bold': True, 'font_size': 14}),
            'header': book.add_format({'bold': True, 'bg_color': '#D9E1F2', 'border': 1, 'text_wrap': True,
                                       'align': 'center', 'valign': 'vcenter'}),
            'label': book.add_format({'border': 1}),
            'money': book.add_format({'num_format': money_code, 'border': 1}),
            'total_label': book.add_format({'bold': True, 'border': 1, 'bg_color': '#F2F2F2'}),
            'total': book.add_format({'num_format': money_code, 'bold': True, 'border': 1, 'bg_color': '#F2F2F2'}),
            'count': book.add_format({'num_format': '#,##0', 'border': 1}),
            'total_count': book.add_format({'num_format': '#,##0', 'bold': True, 'border': 1,
                                            'bg_color': '#F2F2F2'}),
            'note': book.add_format({'italic': True, 'font_color': '#C00000'}),
            'percent': book.add_format({'num_format': '0.0%', 'border': 1}),
        }
        dimensions = self._dimensions()
        names = [field_name for field_name, _title, _empty in dimensions]
        totals = self._read(['status'] + (['forecast_category'] if 'forecast_category' not in names else []) +
                            names)
        summary = totals['status'][0]
        summary_sheet = book.add_worksheet(_('Summary'))
        has_data = bool(summary)
        self._write_summary(book, summary_sheet, fmt, periods, summary, subtitle, rtl, has_data)
        if has_data:
            self._write_call(summary_sheet, fmt, periods, totals['forecast_category'][0])
        if has_data:
            for field_name, title, empty_label in dimensions:
                data, labels = totals[field_name]
                sheet = book.add_worksheet(title[:31])
                self._write_dimension(sheet, fmt, periods, data, labels, title, empty_label, subtitle, rtl)
        quotas = self._quota_data()
        if quotas:
            self._write_quotas(book, book.add_worksheet(_('Quotas')[:31]), fmt, quotas, rtl)
        lost_rows = self._lost_data()
        if lost_rows:
            self._write_lost(book.add_worksheet(_('Lost Deals')[:31]), fmt, lost_rows, rtl)
        collection_rows = self._collection_data()
        if collection_rows:
            self._write_collection(book.add_worksheet(_('Collection')[:31]), fmt, collection_rows, rtl)
        self._write_extra_sheets(book, fmt, rtl)
        book.close()
        return output.getvalue()

    def _write_extra_sheets(self, book, fmt, rtl):
        """Extension point: more sheets at the end of the workbook."""
        return

    def _col_width(self, texts, minimum=10):
        return max([minimum] + [len(t) + 2 for t in texts if t])

    def _money_width(self, values):
        return max([12] + [len('{:,.2f}'.format(v)) + 5 for v in values])

    def _start_sheet(self, sheet, fmt, title, subtitle, rtl):
        """Direction, title and subtitle of a sheet."""
        if rtl:
            sheet.right_to_left()
        sheet.write(0, 0, title, fmt['title'])
        sheet.write(1, 0, subtitle)

    def _write_headers(self, sheet, row, headers, fmt, height=32):
        for col, header in enumerate(headers):
            sheet.write(row, col, header, fmt['header'])
        sheet.set_row(row, height)

    def _write_sum(self, sheet, row, col, refs, cell_format, value):
        """A real ``=SUM`` formula with its cached value. ``refs``: ranges (first row, first col, last row,
        last col) and single cells (row, col)."""
        parts = ['%s:%s' % (self._cell(ref[0], ref[1]), self._cell(ref[2], ref[3])) if len(ref) == 4
                 else self._cell(ref[0], ref[1]) for ref in refs]
        sheet.write_formula(row, col, '=SUM(%s)' % ','.join(parts), cell_format, value)

    def _write_summary(self, book, sheet, fmt, periods, data, subtitle, rtl, has_data):
        self._start_sheet(sheet, fmt, _('Sales Forecast'), subtitle, rtl)
        if not has_data:
            sheet.write(3, 0, _('No data: no deal matches the chosen period and filters.'), fmt['note'])
            sheet.set_column(0, 0, 60)
            return
        headers = [_('Period'), _('Weighted: Open'), _('Weighted: Won'), _('Weighted: Total'),
                   _('Unweighted: Open'), _('Unweighted: Won'), _('Unweighted: Total')]
        header_row = 3
        self._write_headers(sheet, header_row, headers, fmt)
        first = header_row + 1
        all_values = []
        for index, (start, label) in enumerate(periods):
            row = first + index
            sheet.write(row, 0, label, fmt['label'])
            col = 1
            for measure in ('weighted_amount', 'amount'):
                values = [data.get((status, start), {}).get(measure, 0.0) for status in ('open', 'won')]
                for value in values:
                    sheet.write_number(row, col, value, fmt['money'])
                    col += 1
                self._write_sum(sheet, row, col, [(row, col - 2, row, col - 1)], fmt['money'], sum(values))
                all_values.extend(values + [sum(values)])
                col += 1
        last = first + len(periods) - 1
        total_row = last + 1
        sheet.write(total_row, 0, _('Total'), fmt['total_label'])
        for col in range(1, 7):
            status = ('open', 'won')[(col - 1) % 3] if (col - 1) % 3 < 2 else None
            measure = 'weighted_amount' if col <= 3 else 'amount'
            statuses = [status] if status else ['open', 'won']
            value = sum(data.get((s, start), {}).get(measure, 0.0) for s in statuses for start, _label in periods)
            self._write_sum(sheet, total_row, col, [(first, col, last, col)], fmt['total'], value)
            all_values.append(value)
        sheet.freeze_panes(first, 1)
        sheet.set_column(0, 0, self._col_width([label for _start, label in periods] + [_('Period'), _('Total')]))
        sheet.set_column(1, 6, max(self._money_width(all_values), self._col_width(headers[1:]) // 2 + 2))

        chart = book.add_chart({'type': 'column', 'subtype': 'stacked'})
        sheet_name = sheet.get_name()   # xlsxwriter quotes it in the chart's references
        for col, name in ((1, _('Open')), (2, _('Won'))):
            chart.add_series({
                'name': name,
                'categories': [sheet_name, first, 0, last, 0],
                'values': [sheet_name, first, col, last, col],
            })
        chart.set_title({'name': _('Weighted forecast per period')})
        chart.set_legend({'position': 'bottom'})
        chart.set_size({'width': 720, 'height': 360})
        sheet.insert_chart(total_row + 2, 0, chart)

    def _write_call(self, sheet, fmt, periods, data):
        """Right of the summary table, after an empty column: the forecast call, the amounts of the
        Closed, Commit, Best Case and Pipeline deals per period side by side (unweighted: the category
        says how sure the deal is), with their totals."""
        header_row, first = 3, 4
        col0 = 8
        categories = [key for key in CALL_CATEGORIES if key in self._forecast_categories()]
        labels = dict(self.env['crm.forecast.report']._fields['forecast_category']._description_selection(
            self.env))
        for index, key in enumerate(categories):
            sheet.write(header_row, col0 + index, labels[key], fmt['header'])
        sheet.write(header_row - 1, col0, _('Forecast call (unweighted amounts)'), fmt['title'])
        values = []
        for index, (start, _label) in enumerate(periods):
            for offset, key in enumerate(categories):
                value = data.get((key, start), {}).get('amount', 0.0)
                values.append(value)
                sheet.write_number(first + index, col0 + offset, value, fmt['money'])
        last = first + len(periods) - 1
        for offset, key in enumerate(categories):
            value = sum(data.get((key, start), {}).get('amount', 0.0) for start, _label in periods)
            values.append(value)
            self._write_sum(sheet, last + 1, col0 + offset, [(first, col0 + offset, last, col0 + offset)],
                            fmt['total'], value)
        sheet.set_column(col0 - 1, col0 - 1, 3)
        sheet.set_column(col0, col0 + len(categories) - 1,
                         max(self._money_width(values), self._col_width(list(labels.values()))))

    @staticmethod
    def _cell(row, col):
        return xlsxwriter.utility.xl_rowcol_to_cell(row, col)

    def _write_dimension(self, sheet, fmt, periods, data, labels, title, empty_label, subtitle, rtl):
        """Rows: members; two blocks of columns (weighted, unweighted): one per period and a total."""
        members = sorted(set(key for key, _start in data),
                         key=lambda key: (not key, (labels.get(key) or '').lower()))
        n = len(periods)
        blocks = [('weighted_amount', _('Weighted')), ('amount', _('Unweighted'))]
        self._start_sheet(sheet, fmt, _('Sales Forecast by %s') % title, subtitle, rtl)
        sheet.merge_range(3, 0, 4, 0, title, fmt['header'])
        block_start = {}
        col = 1
        for measure, block_title in blocks:
            block_start[measure] = col
            sheet.merge_range(3, col, 3, col + n, block_title, fmt['header'])
            for index, (_start, label) in enumerate(periods):
                sheet.write(4, col + index, label, fmt['header'])
            sheet.write(4, col + n, _('Total'), fmt['header'])
            col += n + 2  # one empty column between the blocks
        first = 5
        all_values = []
        for index, member in enumerate(members):
            row = first + index
            sheet.write(row, 0, labels.get(member) or empty_label if member else empty_label, fmt['label'])
            for measure, _block_title in blocks:
                col = block_start[measure]
                values = [data.get((member, start), {}).get(measure, 0.0) for start, _label in periods]
                for offset, value in enumerate(values):
                    sheet.write_number(row, col + offset, value, fmt['money'])
                self._write_sum(sheet, row, col + n, [(row, col, row, col + n - 1)], fmt['total'], sum(values))
                all_values.append(sum(values))
        last = first + len(members) - 1
        total_row = last + 1
        sheet.write(total_row, 0, _('Total'), fmt['total_label'])
        for measure, _block_title in blocks:
            col = block_start[measure]
            for offset, (start, _label) in enumerate(periods + [(None, None)]):
                if start is None:
                    value = sum(v.get(measure, 0.0) for v in data.values())
                else:
                    value = sum(data.get((member, start), {}).get(measure, 0.0) for member in members)
                all_values.append(value)
                self._write_sum(sheet, total_row, col + offset, [(first, col + offset, last, col + offset)],
                                fmt['total'], value)
        sheet.freeze_panes(first, 1)
        sheet.set_row(4, 30)
        sheet.set_column(0, 0, self._col_width([labels.get(m) or empty_label for m in members] +
                                               [title, _('Total'), empty_label], minimum=14))
        width = max(self._money_width(all_values), self._col_width([label for _s, label in periods]))
        for measure, _block_title in blocks:
            sheet.set_column(block_start[measure], block_start[measure] + n, width)
        sheet.set_column(block_start['amount'] - 1, block_start['amount'] - 1, 3)

    def _write_quotas(self, book, sheet, fmt, quotas, rtl):
        """One row per quota: who, period, quota, the three attainment bases in amounts and percent, the
        weighted open pipeline, what is still to reach and the coverage; percentages and coverage coloured
        (red below half / below 1x, amber below the quota / below 3x, green above)."""
        self._start_sheet(sheet, fmt, _('Quotas: Attainment and Coverage'),
                          _('Attainment: deals won in the period; coverage: weighted open pipeline dated in the '
                            'period / quota still to reach (ordered basis)'), rtl)
        headers = [_('Salesperson'), _('Sales Channel'), _('Sales Region'), _('Product Category'), _('Period'),
                   _('Quota'), _('Ordered'), _('Invoiced'), _('Paid'), _('Ordered %'), _('Invoiced %'), _('Paid %'),
                   _('Weighted Open Pipeline'), _('Still to Reach'), _('Coverage')]
        header_row = 3
        self._write_headers(sheet, header_row, headers, fmt)
        percent = book.add_format({'num_format': '0%', 'border': 1})
        ratio = book.add_format({'num_format': '0.0"x"', 'border': 1})
        first = header_row + 1
        money_values = []
        for index, quota in enumerate(quotas):
            row = first + index
            texts = [quota.user_id.name or '', quota.team_id.name or '', quota.region_id.name or '',
                     quota.categ_id.name or '', quota._period_label()]
            for col, text in enumerate(texts):
                sheet.write(row, col, text, fmt['label'])
            amounts = [quota.amount, quota.amount_ordered, quota.amount_invoiced, quota.amount_paid]
            for offset, value in enumerate(amounts):
                sheet.write_number(row, 5 + offset, value, fmt['money'])
            for offset, value in enumerate((quota.attainment_ordered, quota.attainment_invoiced,
                                            quota.attainment_paid)):
                sheet.write_number(row, 9 + offset, value / 100.0, percent)
            sheet.write_number(row, 12, quota.pipeline_weighted, fmt['money'])
            sheet.write_number(row, 13, quota.amount_to_reach, fmt['money'])
            sheet.write_number(row, 14, quota.coverage, ratio)
            money_values.extend(amounts + [quota.pipeline_weighted])
        last = first + len(quotas) - 1
        colours = [('#F8CBAD', '#9C0006'), ('#FFEB9C', '#9C5700'), ('#C6EFCE', '#006100')]
        formats = [book.add_format({'bg_color': bg, 'font_color': fg}) for bg, fg in colours]
        for first_col, last_col, limits in ((9, 11, (0.5, 1.0)), (14, 14, (1.0, 3.0))):
            low, high = limits
            for criteria, value, cell_format in (('<', low, formats[0]), ('between', None, formats[1]),
                                                 ('>=', high, formats[2])):
                options = {'type': 'cell', 'criteria': criteria, 'format': cell_format}
                if criteria == 'between':
                    options.update({'minimum': low, 'maximum': high - 0.000001})
                else:
                    options['value'] = value
                sheet.conditional_format(first, first_col, last, last_col, options)
        sheet.freeze_panes(first, 1)
        for col in range(5):
            sheet.set_column(col, col, self._col_width([headers[col]], minimum=14))
        sheet.set_column(5, 8, self._money_width(money_values))
        sheet.set_column(9, 11, 11)
        sheet.set_column(12, 13, self._money_width(money_values))
        sheet.set_column(14, 14, 10)

    def _write_lost(self, sheet, fmt, rows, rtl):
        """Lost deals of the period: one row per (criterion, reason), a subtotal per criterion and a grand
        total of the subtotals, all as SUM formulas."""
        self._start_sheet(sheet, fmt, _('Lost Deals by Criterion and Reason'),
                          '%s - %s' % (self.date_from, self.date_to), rtl)
        headers = [_('Criterion'), _('Reason'), _('Lost Deals'), _('Lost Amount')]
        header_row = 3
        self._write_headers(sheet, header_row, headers, fmt)
        groups = []   # [(criterion label, [rows])] in the order of the criteria
        for line in rows:
            if not groups or groups[-1][0] != (line['criterion_id'], line['criterion']):
                groups.append(((line['criterion_id'], line['criterion']), []))
            groups[-1][1].append(line)
        first = row = header_row + 1
        subtotal_rows = []
        labels = []
        total_amount = sum(line['amount'] for line in rows)
        for (_criterion_id, criterion), lines in groups:
            start = row
            for line in lines:
                sheet.write(row, 0, criterion, fmt['label'])
                sheet.write(row, 1, line['reason'], fmt['label'])
                sheet.write_number(row, 2, line['count'], fmt['count'])
                sheet.write_number(row, 3, line['amount'], fmt['money'])
                labels.append(line['reason'])
                row += 1
            label = _('Subtotal: %s') % criterion
            labels.append(label)
            sheet.write(row, 0, label, fmt['total_label'])
            sheet.write_blank(row, 1, None, fmt['total_label'])
            self._write_sum(sheet, row, 2, [(start, 2, row - 1, 2)], fmt['total_count'],
                            sum(line['count'] for line in lines))
            self._write_sum(sheet, row, 3, [(start, 3, row - 1, 3)], fmt['total'],
                            sum(line['amount'] for line in lines))
            subtotal_rows.append(row)
            row += 1
        sheet.write(row, 0, _('Total'), fmt['total_label'])
        sheet.write_blank(row, 1, None, fmt['total_label'])
        self._write_sum(sheet, row, 2, [(r, 2) for r in subtotal_rows], fmt['total_count'],
                        sum(line['count'] for line in rows))
        self._write_sum(sheet, row, 3, [(r, 3) for r in subtotal_rows], fmt['total'], total_amount)
        sheet.freeze_panes(first, 2)
        sheet.set_column(0, 0, self._col_width([criterion for (_id, criterion), _lines in groups] +
                                               [headers[0]], minimum=14))
        sheet.set_column(1, 1, self._col_width(labels + [headers[1]], minimum=14))
        sheet.set_column(2, 2, self._col_width([headers[2]]))
        sheet.set_column(3, 3, max(self._money_width([total_amount]), self._col_width([headers[3]])))

    def _write_collection(self, sheet, fmt, rows, rtl):
        """Money due on won deals by customer and salesperson (customers with the most due first), with the
        age of the oldest unpaid invoice of each deal in buckets, row and column totals as SUM formulas."""
        today = fields.Date.context_today(self)
        self._start_sheet(sheet, fmt, _('Collection: Won Deals with Money Due'),
                          _('Aged by the oldest unpaid invoice of each deal, on %s') % today, rtl)
        buckets = [key for key, _label in AGE_BUCKETS]
        headers = ([_('Customer'), _('Salesperson'), _('Deals')] +
                   [_('%s days') % label for _key, label in AGE_BUCKETS] + [_('Total Due')])
        header_row = 3
        self._write_headers(sheet, header_row, headers, fmt)
        customer_total = {}
        for line in rows:
            customer_total[line['partner_id']] = customer_total.get(line['partner_id'], 0.0) + line['amount_total']
        rows = sorted(rows, key=lambda line: (-customer_total[line['partner_id']], line['partner_name'] or '',
                                              line['partner_id'] or 0, -line['amount_total'],
                                              line['user_name'] or ''))
        first = header_row + 1
        first_money, total_col = 3, 3 + len(buckets)
        no_customer, no_user = _('No customer'), _('No salesperson')
        for index, line in enumerate(rows):
            row = first + index
            sheet.write(row, 0, line['partner_name'] or no_customer, fmt['label'])
            sheet.write(row, 1, line['user_name'] or no_user, fmt['label'])
            sheet.write_number(row, 2, line['lead_count'], fmt['count'])
            values = [line['amount_%s' % key] for key in buckets]
            for offset, value in enumerate(values):
                sheet.write_number(row, first_money + offset, value, fmt['money'])
            self._write_sum(sheet, row, total_col, [(row, first_money, row, total_col - 1)], fmt['total'],
                            sum(values))
        last = first + len(rows) - 1
        total_row = last + 1
        sheet.write(total_row, 0, _('Total'), fmt['total_label'])
        sheet.write_blank(total_row, 1, None, fmt['total_label'])
        self._write_sum(sheet, total_row, 2, [(first, 2, last, 2)], fmt['total_count'],
                        sum(line['lead_count'] for line in rows))
        totals = []
        for offset, key in enumerate(buckets + [None]):
            value = sum(sum(line['amount_%s' % k] for k in buckets) if key is None else line['amount_%s' % key]
                        for line in rows)
            totals.append(value)
            self._write_sum(sheet, total_row, first_money + offset,
                            [(first, first_money + offset, last, first_money + offset)], fmt['total'], value)
        sheet.freeze_panes(first, 2)
        sheet.set_column(0, 0, self._col_width([line['partner_name'] or no_customer for line in rows] +
                                               [headers[0]], minimum=14))
        sheet.set_column(1, 1, self._col_width([line['user_name'] or no_user for line in rows] + [headers[1]],
                                               minimum=14))
        sheet.set_column(2, 2, self._col_width([headers[2]], minimum=8))
        sheet.set_column(first_money, total_col, max(self._money_width(totals), self._col_width(headers[3:])))
