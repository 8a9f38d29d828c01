import datetime
import io
import random
import re
import sys
import zipfile
import zlib
from unittest.mock import patch

import xlsxwriter

from odoo import _, fields

from ..wizards import crm_forecast_workbook_cells as cells
from ..wizards.crm_forecast_workbook_sheets import ForecastWorkbookSheets
from .test_execution_collection import ExecutionCase

# the moment the book was written, the only part of the file that may differ between two builds
_CORE_DATES = re.compile(rb'<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>')


class _OdooText(object):
    """Odoo's own ``_`` called from a method of an object with ``env``, as the sheet writers called it."""

    def __init__(self, env):
        self.env = env

    def text(self, source):
        return _(source)


class TestForecastWorkbookCells(ExecutionCase):
    """The workbook's sheets written by the lean worksheet (crm_forecast_workbook_cells.FastWorksheet) are
    byte for byte those of xlsxwriter's own Worksheet: the same books built both ways, every part of the
    file compared (the sheets' XML, the shared strings, the styles, the charts ...).

    Data: names with XML's special characters, a leading '=' and leading spaces (a sales channel, a region,
    a product category, a customer), amounts from 0.10 to ten thousand billion, a won and invoiced deal (the
    orders source, the collection sheet), a lost one, quotas of the rep and of the channel."""

    @classmethod
    def setUpClass(cls):
        super(TestForecastWorkbookCells, cls).setUpClass()
        (cls.rep | cls.manager).write({'lang': False})
        cls.today = fields.Date.from_string(fields.Date.context_today(cls.env['crm.lead']))

    def _deals(self):
        """The deals, names and quotas of the books compared."""
        env = self.env
        team = env['crm.team'].create({'name': '=SUM(A1) & <b>"Channel"</b>'})
        region = env['crm.region'].create({'name': '  Region & <North>'})
        self.categ.name = '"Glazing" <Curtain> & Walls '
        self.customer.name = '=HYPERLINK("http://example.com")'
        for name, revenue in (('Deal <one> & "two"', 0.1), ('  Deal spaces', 12345678.9),
                              ('=1+2', 10000000000000.0), ('Deal plain', 2500.0)):
            lead = self._lead(name, revenue=revenue)
            lead.sudo(self.manager).write({'team_id': team.id, 'region_id': region.id})
        lead, _order, _invoice = self._sold_deal('Deal sold & invoiced', 7,
                                                 date_invoice=fields.Date.to_string(self.today))
        lead.sudo(self.manager).write({'team_id': team.id})
        lost = self._lead('Deal <lost>', revenue=4000.0)
        lost.sudo(self.rep)._action_lose({'lost_reason': self.lost_reason.id})
        start = fields.Date.to_string(self.today.replace(month=1, day=1))
        env['crm.quota'].sudo(self.manager).create({'user_id': self.rep.id, 'period_type': 'month', 'amount': 0.1,
                                                    'date_start': start})
        env['crm.quota'].sudo(self.manager).create({'team_id': team.id, 'period_type': 'quarter',
                                                    'amount': 1000000.0, 'date_start': start,
                                                    'region_id': region.id, 'categ_id': self.categ.id})

    def _parts(self, content):
        """{part name: bytes} of an .xlsx file, the creation and modification dates left out."""
        archive = zipfile.ZipFile(io.BytesIO(content))
        parts = dict((name, archive.read(name)) for name in archive.namelist())
        parts['docProps/core.xml'] = _CORE_DATES.sub(b'', parts['docProps/core.xml'])
        return parts

    def _assert_same_parts(self, fast, stock, what):
        fast, stock = self._parts(fast), self._parts(stock)
        self.assertEqual(sorted(fast), sorted(stock), what)
        self.assertTrue(any(name.startswith('xl/worksheets/') for name in fast), what)
        for name in sorted(stock):
            self.assertEqual(fast[name], stock[name], '%s: %s' % (what, name))

    def _wizard_books(self, user, lang, **values):
        """The workbook of ``user`` built with the lean worksheet and with xlsxwriter's own."""
        vals = {'date_from': fields.Date.to_string(self.today.replace(month=1, day=1)),
                'date_to': fields.Date.to_string(self.today.replace(month=12, day=31)),
                'granularity': 'month', 'by_forecast_category': True}
        vals.update(values)
        wizard = self.env['crm.forecast.workbook'].sudo(user).with_context(lang=lang).create(vals)
        fast = wizard._build_workbook()
        with patch.object(cells, 'VERIFIED_VERSIONS', ()):
            self.assertIs(cells.workbook_class(), xlsxwriter.Workbook)
            stock = wizard._build_workbook()
        return fast, stock

    def test_verified_version_uses_the_lean_worksheet(self):
        """With the pinned xlsxwriter the books are written by the lean worksheet (what the comparisons below
        check); with another version by xlsxwriter's own."""
        self.assertEqual(xlsxwriter.__version__, '1.1.2')
        self.assertIs(cells.workbook_class(), cells.FastWorkbook)
        self.assertIs(cells.FastWorkbook.worksheet_class, cells.FastWorksheet)
        with patch.object(xlsxwriter, '__version__', '9.9.9'):
            self.assertIs(cells.workbook_class(), xlsxwriter.Workbook)

    def test_parts_deflated_at_the_fast_level(self):
        """Every part of the wizard's book is deflated at ZIP_LEVEL (the size zlib gives its bytes at that
        level), where xlsxwriter's own book deflates them at zlib's default; both files hold the same parts."""
        self._deals()
        fast, stock = self._wizard_books(self.manager, 'en_US')
        self._assert_same_parts(fast, stock, 'manager')

        def sizes(content, level):
            archive = zipfile.ZipFile(io.BytesIO(content))
            found, expected = {}, {}
            for info in archive.infolist():
                self.assertEqual(info.compress_type, zipfile.ZIP_DEFLATED, info.filename)
                deflate = zlib.compressobj(level, zlib.DEFLATED, -15)
                data = archive.read(info.filename)
                found[info.filename] = info.compress_size
                expected[info.filename] = len(deflate.compress(data) + deflate.flush())
            return found, expected

        found, expected = sizes(fast, cells.ZIP_LEVEL if sys.version_info >= (3, 7) else zlib.Z_DEFAULT_COMPRESSION)
        self.assertEqual(found, expected)
        found, expected = sizes(stock, zlib.Z_DEFAULT_COMPRESSION)
        self.assertEqual(found, expected)
        # the levels differ where it counts: the sheets' XML
        self.assertLess(len(stock), len(fast))

    def test_wizard_books_identical(self):
        """The rep's and the manager's books, every sheet, in English and in Hebrew (right to left), both
        sources, by month and by quarter: the same bytes in every part of the file."""
        self._deals()
        sheet_counts = set()
        for user in (self.rep, self.manager):
            for lang in ('en_US', 'he_IL'):
                for source in ('opportunity', 'order'):
                    fast, stock = self._wizard_books(user, lang, source=source)
                    self._assert_same_parts(fast, stock, '%s %s %s' % (user.login, lang, source))
                    sheet_counts.add(len([name for name in self._parts(fast) if name.startswith('xl/worksheets/s')]))
        fast, stock = self._wizard_books(self.manager, 'en_US', granularity='quarter', date_basis='delivery')
        self._assert_same_parts(fast, stock, 'manager by quarter, delivery period')
        # the sheets of the extension (waterfall of the changes since yesterday, accuracy)
        yesterday = fields.Datetime.to_string(datetime.datetime.now() - datetime.timedelta(days=1))
        fast, stock = self._wizard_books(self.manager, 'he_IL', waterfall_from=yesterday, accuracy_sheet=True)
        self._assert_same_parts(fast, stock, 'manager with the waterfall')
        self.assertIn('xl/charts/chart2.xml', self._parts(fast))   # the waterfall's chart: the sheet is there
        # the books compared hold the sheets of the test's data: summary, four dimensions, forecast category,
        # quotas, lost deals (and collection for the manager)
        self.assertGreaterEqual(max(sheet_counts), 9)

    def _writers_book(self, worksheet_class, styles_moved=False):
        """A book written by the sheet writers from made-up figures (numbers no amount field holds), and a
        sheet of every other kind of cell, with ``worksheet_class`` (None: xlsxwriter's own).
        ``styles_moved``: a first sheet using two other formats first, so that every format of the book gets
        another style index (indexes follow the order of first use)."""
        output = io.BytesIO()
        book = xlsxwriter.Workbook(output, {'in_memory': True, 'nan_inf_to_errors': True})
        sheets = ForecastWorkbookSheets(self.env)
        fmt = sheets.formats(book)
        if styles_moved:
            first = book.add_worksheet('First', worksheet_class=worksheet_class)
            first.write_number(0, 0, 1.0, book.add_format({'italic': True, 'font_color': '#0000FF'}))
            first.write_number(0, 1, 2.0, fmt['note'])
        periods = [(datetime.date(2026, month, 1), 'M%d' % month) for month in (1, 2, 3)]
        odd = [0.1, 1e-7, 1e16, -2.5, 1.0 / 3, 123456789.123456, -0.0, 0, 10 ** 20, 2.5e-300]
        data = {}
        labels = {}
        for index, value in enumerate(odd):
            member = index + 1
            labels[member] = ['=A1&"x"', '  lead & <tag>', '"quoted"', '', 'http://example.com', 'עברית'][index % 6]
            for offset, (start, _label) in enumerate(periods):
                data[(member, start)] = {'amount': value * (offset + 1), 'weighted_amount': -value}
        data[(False, periods[0][0])] = {'amount': 5.0, 'weighted_amount': 2.5}
        data[(1, datetime.date(2030, 1, 1))] = {'amount': 7.0, 'weighted_amount': 7.0}   # outside the periods
        for rtl, title in ((False, 'Dim & <1>'), (True, '=Dim "2"')):
            sheet = book.add_worksheet(title.replace('<', '').replace('>', '')[:31],
                                       worksheet_class=worksheet_class)
            sheets._write_dimension(sheet, fmt, periods, data, labels, title, 'None & <empty>', 'sub & "title"',
                                    rtl)
        # not-a-number and infinity among the numbers of a row: stored as xlsxwriter stores them (error cells)
        nan_data = dict(data)
        nan_data[(2, periods[1][0])] = {'amount': float('nan'), 'weighted_amount': float('inf')}
        sheets._write_dimension(book.add_worksheet('NaN', worksheet_class=worksheet_class), fmt, periods,
                                nan_data, labels, 'NaN', 'empty', 'sub', False)
        quota_rows = [('Rep & <1>', '', '  spaced', '=categ', 'Q1 2026', 0.1, 1e-7, 1e16, -5.0, 12.5, 0.0, 1e-9,
                       3.0, 0.0, 1.5),
                      ('', 'Team "A"', '', '', '2026', 1e16, 0, 2, 3, 100.0, 200.0, 300.0, -1.0, 1e16, 0.0),
                      ('NaN', '', '', '', '2026', 1.0, 2.0, float('nan'), 3.0, 4.0, float('inf'), 5.0, 6.0, 7.0,
                       8.0)]
        sheets._write_quotas(book, book.add_worksheet('Quotas', worksheet_class=worksheet_class), fmt,
                             quota_rows, True)
        misc = book.add_worksheet('Misc', worksheet_class=worksheet_class)
        bold = book.add_format({'bold': True})
        misc.set_column(3, 3, 12, fmt['money'])
        misc.set_row(2, 20, bold)
        misc.set_row(40, 30)   # a row without cells, only a height
        misc.write_number(0, 3, 1.25)            # the column's format
        misc.write_string(2, 1, 'row format')    # the row's format
        misc.write_boolean(0, 0, True, bold)
        misc.write_formula(0, 1, '=A1&"<b>"', bold, 'text & <value>')
        misc.write_formula(0, 2, '=1/0', None, '#DIV/0!')
        misc.write_formula(0, 4, '=TRUE()', None, True)
        misc.write_formula(0, 5, '=IF(A1<>"&",1,0)', bold, 1)
        misc.write_formula(0, 6, '=B1', None, 2.5)
        misc.write_array_formula(1, 0, 1, 1, '{=SUM(A1:B1*2)}', bold, 3)
        misc.write_rich_string(3, 0, 'plain ', bold, 'bold & <b>', ' end')
        misc.write_url(4, 0, 'http://example.com/?a=1&b=2', None, 'link & text')
        misc.write_blank(5, 0, None, bold)
        misc.write_string(5, 3, '')   # an empty shared string
        misc.merge_range(6, 0, 7, 2, 'merged & <x>', bold)
        self.assertEqual(misc.write_number_row(8, 0, [1.5, float('nan'), 3], bold) if worksheet_class else 0, 0)
        if worksheet_class:
            # out of the sheet: the stock errors, nothing stored
            self.assertEqual(misc.write_number_row(9, 16383, [1.0, 2.0]), -1)
            self.assertEqual(misc.write_number_row(-1, 0, [1.0]), -1)
            self.assertEqual(misc.write_number_row(9, 0, []), 0)
            self.assertEqual(misc.write_text_row(10, 0, ['a & b', '', None, 'x' * 40000, '=B1'], bold), -2)
            self.assertEqual(misc.write_text_row(11, 2, ['', None]), 0)
            self.assertEqual(misc.write_text_row(11, 4, ['only text', '']), 0)
        else:
            for col, text in enumerate(['a & b', '', None, 'x' * 40000, '=B1']):
                ForecastWorkbookSheets._write_text(misc, 10, col, text, bold)
            for col, text in enumerate(['only text', ''], 4):
                ForecastWorkbookSheets._write_text(misc, 11, col, text, None)
            for col, value in enumerate([1.5, float('nan'), 3]):
                misc.write_number(8, col, value, bold)
            misc.write_number(9, 16383, 1.0)
        # rows written in one call, then written over in part: by a cell of another kind, by a shorter row
        # starting further right, by a row of names over numbers, by one cell of the same kind (the lean
        # worksheet writes a row's XML from its call only while its cells are those the call stored)
        over = [(12, 0, [1.0, 2.0, 3.0, 4.0], fmt['money']), (13, 1, [5.5, 6.5, 7.5], [bold, fmt['money'], bold]),
                (14, 0, [8.0, 9.0, 10.0], bold), (15, 0, [11.0, 12.0], bold), (16, 2, [0.25], fmt['money'])]
        for row, col, values, cell_format in over:
            self._number_row(misc, worksheet_class, row, col, values, cell_format)
        misc.write_string(12, 2, 'over a number & <it>', bold)
        misc.write_formula(13, 2, '=B14*2', fmt['money'], 13.0)
        self._number_row(misc, worksheet_class, 14, 1, [20.0], fmt['money'])
        self._text_row(misc, worksheet_class, 15, 0, ['text over', ''], bold)
        misc.write_number(16, 2, 0.5, fmt['money'])
        self._text_row(misc, worksheet_class, 17, 1, ['a', '', 'c'], bold)
        misc.write_blank(17, 2, None, fmt['money'])
        self._text_row(misc, worksheet_class, 18, 0, ['left', 'right'], bold)
        self._number_row(misc, worksheet_class, 18, 1, [1.0], bold)
        commented = book.add_worksheet('Comments', worksheet_class=worksheet_class)
        commented.write_number(0, 0, 1.0)
        commented.write_comment(0, 0, 'a comment & <more>')
        book.add_worksheet('Empty', worksheet_class=worksheet_class)
        book.close()
        return book, output.getvalue()

    @staticmethod
    def _number_row(sheet, worksheet_class, row, col, values, cell_format):
        """A row of numbers in one call with the lean worksheet, cell by cell with xlsxwriter's own."""
        if worksheet_class:
            sheet.write_number_row(row, col, values, cell_format)
            return
        formats = cell_format if isinstance(cell_format, list) else [cell_format] * len(values)
        for offset, value in enumerate(values):
            sheet.write_number(row, col + offset, value, formats[offset])

    @staticmethod
    def _text_row(sheet, worksheet_class, row, col, texts, cell_format):
        """A row of names in one call with the lean worksheet, cell by cell with xlsxwriter's own."""
        if worksheet_class:
            sheet.write_text_row(row, col, texts, cell_format)
            return
        for offset, text in enumerate(texts):
            ForecastWorkbookSheets._write_text(sheet, row, col + offset, text, cell_format)

    def test_writers_books_identical(self):
        """Numbers no amount field holds (1e-7, 1e16, 10**20, -0.0, 1/3, not-a-number and infinity), names
        with XML's special characters, '=' and spaces, Hebrew, right-to-left sheets, and every kind of cell
        the lean worksheet hands back to xlsxwriter (booleans, formulas with a text, error or boolean value,
        array formulas, rich strings, links, merged ranges, row and column formats, comments): the same
        bytes."""
        fast_book, fast = self._writers_book(cells.FastWorksheet)
        stock_book, stock = self._writers_book(None)
        self.assertTrue(all(isinstance(sheet, cells.FastWorksheet) for sheet in fast_book.worksheets()))
        self.assertFalse(any(isinstance(sheet, cells.FastWorksheet) for sheet in stock_book.worksheets()))
        self._assert_same_parts(fast, stock, 'writers')
        # the comparison sees a changed cell
        with patch.object(cells, '_escape_formula', lambda formula: formula):
            _book, broken = self._writers_book(cells.FastWorksheet)
        self.assertNotEqual(self._parts(broken)['xl/worksheets/sheet5.xml'],
                            self._parts(stock)['xl/worksheets/sheet5.xml'])
        # and a row written in one call whose cells were written over since, if its XML came from the call
        with patch.object(cells, 'is_', lambda _cell, _stored: True):
            _book, stale = self._writers_book(cells.FastWorksheet)
        self.assertNotEqual(self._parts(stale)['xl/worksheets/sheet5.xml'],
                            self._parts(stock)['xl/worksheets/sheet5.xml'])

    def test_templates_shared_by_books(self):
        """The cells' and the runs' XML templates are kept from one book to the next, by style index: a second
        book of the same formats makes none, a book whose formats have other style indexes is still the stock
        one byte for byte, and so is a book with the kept templates capped at a few."""
        cells._CELL_TEMPLATES.clear()
        cells._RUN_TEMPLATES.clear()
        with patch.object(cells, '_remember', side_effect=cells._remember) as remember:
            self._writers_book(cells.FastWorksheet)
        self.assertTrue(remember.called)
        self.assertTrue(cells._CELL_TEMPLATES)
        self.assertTrue(cells._RUN_TEMPLATES)
        with patch.object(cells, '_remember', side_effect=cells._remember) as remember:
            _book, again = self._writers_book(cells.FastWorksheet)
        self.assertFalse(remember.called)
        _book, stock = self._writers_book(None)
        self._assert_same_parts(again, stock, 'the same book again')
        _book, moved = self._writers_book(cells.FastWorksheet, styles_moved=True)
        _book, moved_stock = self._writers_book(None, styles_moved=True)
        # the same dimension sheet (the first of the book, the second after the sheet moving the styles): its
        # cells with other style indexes, nothing else changed but the selected tab
        unstyled = re.compile(rb' (s="[0-9]+"|tabSelected="1")')
        dimension, moved_dimension = self._parts(stock)['xl/worksheets/sheet1.xml'], \
            self._parts(moved_stock)['xl/worksheets/sheet2.xml']
        self.assertNotEqual(moved_dimension.replace(b' tabSelected="1"', b''),
                            dimension.replace(b' tabSelected="1"', b''))
        self.assertEqual(unstyled.sub(b'', moved_dimension), unstyled.sub(b'', dimension))
        self._assert_same_parts(moved, moved_stock, 'formats of other style indexes')
        cells._CELL_TEMPLATES.clear()
        cells._RUN_TEMPLATES.clear()
        with patch.object(cells, 'TEMPLATES_KEPT', 3):
            _book, capped = self._writers_book(cells.FastWorksheet, styles_moved=True)
            self.assertLessEqual(len(cells._CELL_TEMPLATES), 3)
            self.assertLessEqual(len(cells._RUN_TEMPLATES), 3)
        self._assert_same_parts(capped, moved_stock, 'templates capped')

    def test_money_width_is_the_longest_amount(self):
        """The width of a column of amounts (two amounts formatted) is that of its longest amount as text,
        every amount formatted: on amounts of every size and sign, those that round up to one more digit
        (9.995, 999999.995), minus zero, not-a-number and infinities."""
        sheets = ForecastWorkbookSheets(self.env)
        rng = random.Random(17)
        edges = [0.0, -0.0, 0.004, -0.004, 9.995, -9.995, 99.994999, 999999.995, -999999.995, 1e16, -1e16, 1e-7,
                 float('nan'), float('inf'), float('-inf'), 12345678.9, -0.1]
        for _round in range(300):
            values = rng.sample(edges, rng.randint(0, 5))
            values += [rng.choice((1, -1)) * rng.random() * 10 ** rng.randint(-3, 17)
                       for _i in range(rng.randint(0, 6))]
            rng.shuffle(values)
            expected = max([12] + [len('{:,.2f}'.format(value)) + 5 for value in values])
            self.assertEqual(sheets._money_width(values), expected, values)

    def test_book_texts_are_odoo_translations(self):
        """The book's texts, translated once a book, are what Odoo's ``_`` gives: in Hebrew, in English, and
        without a language in the context (``_`` then takes the user's)."""
        sources = ['Total', 'Sales Forecast by %s', 'Weighted: Open', 'Quotas: Attainment and Coverage',
                   'No salesperson', 'A text without a translation']
        self.rep.lang = 'he_IL'
        for context in ({'lang': 'he_IL'}, {'lang': 'en_US'}, {}):
            env = self.env(user=self.rep.id, context=context)
            sheets = ForecastWorkbookSheets(env)
            for source in sources:
                self.assertEqual(sheets.translate(source), _OdooText(env).text(source), (context, source))
                self.assertEqual(sheets.translate(source), _OdooText(env).text(source), (context, source))
        hebrew = ForecastWorkbookSheets(self.env(context={'lang': 'he_IL'}))
        self.assertNotEqual(hebrew.translate('Total'), 'Total')
        self.assertEqual(ForecastWorkbookSheets(self.env(user=self.rep.id, context={})).translate('Total'),
                         hebrew.translate('Total'))
