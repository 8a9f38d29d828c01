"""The sheets of the forecast workbook (crm.forecast.workbook), apart from its life cycle: each writer gets
the data and the texts its sheet shows (totals, rows, records) and writes them into an xlsxwriter book;
none runs a query of its own. The wizard (crm_forecast_workbook.py, crm_forecast_workbook_history.py)
checks the input, reads the report models and calls these writers (the idea of OCA's report_xlsx: the
book's life cycle apart from the code that writes sheets)."""
import re

from odoo.http import request
from odoo.tools.misc import format_date

from ..reports.crm_collection_report import AGE_BUCKETS
from ..reports.crm_forecast_accuracy_report import HORIZONS
from ..reports.crm_forecast_waterfall_report import BUCKETS
from .crm_forecast_workbook_cells import column_names

_INFINITY = float('inf')

# the columns of the forecast call on the summary sheet, surest first (Omitted is never summed)
CALL_CATEGORIES = ['closed', 'commit', 'best_case', 'pipeline']

# what Excel refuses in a sheet's name (xlsxwriter raises on it): a translated title may hold any of them
_SHEET_NAME_REFUSED = re.compile(r"[\[\]:*?/\\]")


def sheet_name(title):
    """``title`` as a sheet's name: without the characters Excel refuses in one, nor an apostrophe at either end,
    cut to Excel's 31 characters (a translation may hold "/" or be longer than the English text)."""
    name = _SHEET_NAME_REFUSED.sub(' ', title or '').strip().strip("'").strip()
    return name[:31].rstrip().rstrip("'") or '-'


class ForecastWorkbookSheets(object):
    """The sheet writers. ``env`` gives the language of the texts (``_``) and the company's currency.

    Each writer's fixed texts are Odoo's translatable ``_('...')`` calls (what the .pot export finds), with
    ``_`` bound to ``translate``: each text translated once a book."""

    def __init__(self, env):
        self.env = env
        self._translations = {}   # {source text: its translation}
        self._lang = None           # the language of the texts, found at the first one

    def date_text(self, value):
        """A date (a date or its text) as the user's language writes it (31/12/2026 in Hebrew), not as ISO."""
        return format_date(self.env, value) if value else ''

    def translate(self, source):
        """Odoo's ``_`` for the book's texts, each translated once a book, from the translations' cache
        (what ``_`` reads after looking for the language in its caller's frame at every call)."""
        text = self._translations.get(source)
        if text is None:
            if self._lang is None:
                self._lang = self._texts_language()
            text = source
            if self._lang:
                text = self.env['ir.translation']._get_source(None, ('code', 'sql_constraint'), self._lang, source)
            self._translations[source] = text
        return text

    def _texts_language(self):
        """The language ``_`` translates into when called by a writer: that of ``env``'s context, else of the
        web request, else the user's."""
        lang = self.env.lang
        if not lang:
            try:
                lang = request.env.lang
            except RuntimeError:   # no web request
                pass
        if not lang:
            lang = self.env['res.users'].context_get()['lang']
        return lang or False

    def formats(self, book):
        """The cell formats of every sheet, by name."""
        money_code = self._currency_format()
        return {
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

    def _currency_format(self):
        currency = self.env.user.company_id.currency_id
        symbol = (currency.symbol or currency.name or '').replace('"', '')
        decimals = '0.' + '0' * currency.decimal_places if currency.decimal_places else '0'
        if currency.position == 'before':
            return '"%s" #,##%s;-"%s" #,##%s' % (symbol, decimals, symbol, decimals)
        return '#,##%s "%s";-#,##%s "%s"' % (decimals, symbol, decimals, symbol)

    def _col_width(self, texts, minimum=10):
        return max([minimum] + [len(t) + 2 for t in texts if t])

    def _money_width(self, values):
        """The width of a column of amounts: the longest amount as text ('{:,.2f}'), at least 12.

        The text of an amount only grows with its size (and a minus sign), so the longest is that of the
        largest or of the smallest amount: two formatted, not thousands. Not-a-number and infinities ('nan',
        'inf', '-inf') are shorter than the minimum: left out."""
        finite = [value for value in values if -_INFINITY < value < _INFINITY]
        if not finite:
            return 12
        return max(12, len('{:,.2f}'.format(min(finite))) + 5, len('{:,.2f}'.format(max(finite))) + 5)

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

    def _cell(self, row, col):
        """A1 name of a cell (the column letters computed once a process, as the lean worksheet's)."""
        return '%s%d' % (self._column(col), row + 1)

    @staticmethod
    def _column(col):
        return column_names(col + 1)[col]

    @staticmethod
    def _number_row_writer(sheet):
        """A function writing a row of numbers from a column on, (row, col, values, format or [formats]):
        the lean worksheet's ``write_number_row`` (crm_forecast_workbook_cells.py), else ``write_number``
        cell by cell (the same cells)."""
        write_row = getattr(sheet, 'write_number_row', None)
        if write_row is not None:
            return write_row

        def write_numbers(row, col, values, cell_format):
            formats = cell_format if isinstance(cell_format, (list, tuple)) else [cell_format] * len(values)
            for offset, value in enumerate(values):
                sheet.write_number(row, col + offset, value, formats[offset])
            return 0
        return write_numbers

    @classmethod
    def _text_row_writer(cls, sheet):
        """A function writing a row of names with one format from a column on, (row, col, texts, format),
        each as ``_write_text`` writes it: the lean worksheet's ``write_text_row``, else ``_write_text``
        cell by cell (the same cells)."""
        write_row = getattr(sheet, 'write_text_row', None)
        if write_row is not None:
            return write_row

        def write_texts(row, col, texts, cell_format):
            for offset, text in enumerate(texts):
                cls._write_text(sheet, row, col + offset, text, cell_format)
            return 0
        return write_texts

    @staticmethod
    def _write_text(sheet, row, col, text, cell_format):
        """A text cell, always as text (``write`` would turn a name starting with '=' into a formula, or one
        with 'http://' into a link); an empty text as a blank cell with its format, as ``write`` does."""
        if text:
            sheet.write_string(row, col, text, cell_format)
        else:
            sheet.write_blank(row, col, None, cell_format)

    def _write_summary(self, book, sheet, fmt, periods, data, subtitle, rtl, has_data):
        _ = self.translate
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

    def _write_call(self, sheet, fmt, periods, data, chosen):
        """Right of the summary table, after an empty column: the forecast call, the amounts of the
        Closed, Commit, Best Case and Pipeline deals per period side by side (unweighted: the category
        says how sure the deal is), with their totals. ``chosen``: the forecast categories of the filters."""
        _ = self.translate
        header_row, first = 3, 4
        col0 = 8
        categories = [key for key in CALL_CATEGORIES if key in chosen]
        labels = dict(self.env['crm.forecast.report']._fields['forecast_category']._description_selection(
            self.env))
        for index, key in enumerate(categories):
            sheet.write(header_row, col0 + index, labels[key], fmt['header'])
        sheet.write(header_row - 1, col0, _('Forecast call (unweighted amounts)'), fmt['title'])
        values = []
        write_numbers = self._number_row_writer(sheet)
        for index, (start, _label) in enumerate(periods):
            row_values = [data.get((key, start), {}).get('amount', 0.0) for key in categories]
            values.extend(row_values)
            write_numbers(first + index, col0, row_values, fmt['money'])
        last = first + len(periods) - 1
        for offset, key in enumerate(categories):
            value = sum(data.get((key, start), {}).get('amount', 0.0) for start, _label in periods)
            values.append(value)
            self._write_sum(sheet, last + 1, col0 + offset, [(first, col0 + offset, last, col0 + offset)],
                            fmt['total'], value)
        sheet.set_column(col0 - 1, col0 - 1, 3)
        sheet.set_column(col0, col0 + len(categories) - 1,
                         max(self._money_width(values), self._col_width(list(labels.values()))))

    def _write_dimension(self, sheet, fmt, periods, data, labels, title, empty_label, subtitle, rtl):
        """Rows: members; two blocks of columns (weighted, unweighted): one per period and a total.

        The thousands of cells of a manager's sheets are written from a row of numbers per member and measure,
        read from ``data`` in one pass (no lookup per cell), and the column totals summed while the rows are
        written, member after member (the same sums, in the same order, as summing each column)."""
        _ = self.translate
        n = len(periods)
        position = dict((start, offset) for offset, (start, _label) in enumerate(periods))
        measures = ('weighted_amount', 'amount')
        rows_of = {}    # {member: ([weighted per period], [amount per period])}
        grand = [0.0, 0.0]
        for (member, start), values in data.items():
            member_rows = rows_of.get(member)
            if member_rows is None:
                member_rows = rows_of[member] = ([0.0] * n, [0.0] * n)
            offset = position.get(start)
            for index, measure in enumerate(measures):
                value = values.get(measure, 0.0)
                grand[index] += value
                if offset is not None:
                    member_rows[index][offset] = value
        # by label, the empty member last; members of the same label by id (as a set of ids listed them)
        members = sorted(rows_of, key=lambda key: (not key, (labels.get(key) or '').lower(), key or 0))
        total_text = _('Total')
        blocks = [('weighted_amount', _('Weighted')), ('amount', _('Unweighted'))]
        self._start_sheet(sheet, fmt, _('Sales Forecast by %s') % title, subtitle, rtl)
        header = fmt['header']
        sheet.merge_range(3, 0, 4, 0, title, header)
        block_start = {}
        col = 1
        column_titles = [label for _start, label in periods] + [total_text]
        write_texts = self._text_row_writer(sheet)
        for measure, block_title in blocks:
            block_start[measure] = col
            sheet.merge_range(3, col, 3, col + n, block_title, header)
            write_texts(4, col, column_titles, header)
            col += n + 2  # one empty column between the blocks
        first = 5
        all_values = []
        write_numbers, write_formula = self._number_row_writer(sheet), sheet.write_formula
        money, total_format, label_format = fmt['money'], fmt['total'], fmt['label']
        column_totals = ([0.0] * n, [0.0] * n)
        for row, member in enumerate(members, first):
            label = labels.get(member) or empty_label if member else empty_label
            self._write_text(sheet, row, 0, label, label_format)
            excel_row = row + 1
            for index, (measure, _block_title) in enumerate(blocks):
                col = block_start[measure]
                values, totals = rows_of[member][index], column_totals[index]
                write_numbers(row, col, values, money)
                for offset, value in enumerate(values):
                    totals[offset] += value
                row_total = sum(values)
                write_formula(row, col + n, '=SUM(%s%d:%s%d)' % (self._column(col), excel_row,
                                                                 self._column(col + n - 1), excel_row),
                              total_format, row_total)
                all_values.append(row_total)
        last = first + len(members) - 1
        total_row = last + 1
        sheet.write(total_row, 0, total_text, fmt['total_label'])
        for index, (measure, _block_title) in enumerate(blocks):
            col = block_start[measure]
            for offset, value in enumerate(column_totals[index] + [grand[index]]):
                all_values.append(value)
                name = self._column(col + offset)
                write_formula(total_row, col + offset, '=SUM(%s%d:%s%d)' % (name, first + 1, name, last + 1),
                              total_format, value)
        sheet.freeze_panes(first, 1)
        sheet.set_row(4, 30)
        sheet.set_column(0, 0, self._col_width([labels.get(m) or empty_label for m in members] +
                                               [title, total_text, empty_label], minimum=14))
        width = max(self._money_width(all_values), self._col_width([label for _s, label in periods]))
        for measure, _block_title in blocks:
            sheet.set_column(block_start[measure], block_start[measure] + n, width)
        sheet.set_column(block_start['amount'] - 1, block_start['amount'] - 1, 3)

    def _write_quotas(self, book, sheet, fmt, quotas, rtl):
        """One row per quota: who, period, quota, the three attainment bases in amounts and percent, the
        weighted open pipeline, what is still to reach and the coverage; percentages and coverage coloured
        (red below half / below 1x, amber below the quota / below 3x, green above). ``quotas``: the rows of
        crm.quota._sheet_rows()."""
        _ = self.translate
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
        # a manager's thousand quotas are 15,000 cells: a quota's names in one call, its numbers in another
        write_numbers, write_texts = self._number_row_writer(sheet), self._text_row_writer(sheet)
        label, money = fmt['label'], fmt['money']
        number_formats = [money] * 4 + [percent] * 3 + [money] * 2 + [ratio]
        for row, quota in enumerate(quotas, first):
            (user, team, region, category, period, amount, ordered, invoiced, paid, attainment_ordered,
             attainment_invoiced, attainment_paid, pipeline, to_reach, coverage) = quota
            write_texts(row, 0, (user, team, region, category, period), label)
            write_numbers(row, 5, (amount, ordered, invoiced, paid, attainment_ordered / 100.0,
                                   attainment_invoiced / 100.0, attainment_paid / 100.0, pipeline, to_reach,
                                   coverage), number_formats)
            money_values.extend((amount, ordered, invoiced, paid, pipeline))
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

    def _write_lost(self, sheet, fmt, rows, rtl, date_from, date_to):
        """Lost deals of the period: one row per (criterion, reason), a subtotal per criterion and a grand
        total of the subtotals, all as SUM formulas."""
        _ = self.translate
        self._start_sheet(sheet, fmt, _('Lost Deals by Criterion and Reason'),
                          '%s - %s' % (self.date_text(date_from), self.date_text(date_to)), rtl)
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

    def _write_collection(self, sheet, fmt, rows, rtl, today):
        """Money due on won deals by customer and salesperson (customers with the most due first), with the
        age of the oldest unpaid invoice of each deal in buckets, row and column totals as SUM formulas."""
        _ = self.translate
        self._start_sheet(sheet, fmt, _('Collection: Won Deals with Money Due'),
                          _('Aged by the oldest unpaid invoice of each deal, on %s') % self.date_text(today), rtl)
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

    def _write_accuracy(self, sheet, fmt, data, rtl, granularity, date_from, date_to):
        """Per salesperson, then per sales channel: for each horizon the forecast, the won amount, the error
        (forecast - won) and the bias (error / won)."""
        _ = self.translate
        kind = _('months') if granularity == 'month' else _('quarters')
        self._start_sheet(sheet, fmt, _('Forecast Accuracy'),
                          _('Closed %s starting %s - %s') % (
                              kind, self.date_text(date_from), self.date_text(date_to)), rtl)
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

    def _write_waterfall(self, book, sheet, fmt, rtl, totals, labels, subtitle, movements):
        """Steps with their totals (start + movements = end, as a SUM formula), a waterfall chart (stacked
        columns over an invisible base), then the deals of every movement.

        :param totals: {bucket: weighted amount}; ``labels``: {bucket: label}; ``movements``: the
            crm.forecast.waterfall.report rows of the movements, in their order"""
        _ = self.translate
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
        for line in movements:
            row += 1
            sheet.write(row, 0, labels[line.bucket], fmt['label'])
            # the name as the report's pivot and list show it (Odoo names a many2one's record whatever the
            # rights on it): a movement of the rep's book then may be a deal handed to a colleague since
            sheet.write(row, 1, line.lead_id.sudo().name or '', fmt['label'])
            sheet.write(row, 2, line.user_id.name or '', fmt['label'])
            sheet.write_number(row, 3, line.value, fmt['money'])
        sheet.set_column(6, 6, 3)
