"""The forecast workbook's worksheets: xlsxwriter's Worksheet with a lean path for the cells the workbook
writes by the thousand (numbers, shared strings, blanks, formulas with a number as their cached value).

xlsxwriter spends most of a big book in generic code: each cell written goes through an argument-converting
decorator and a bounds check; when the book is closed each cell's XML goes through a list of attributes, a
regular-expression search per attribute value and one write to the sheet's buffer. Here a row of numbers is
stored in one call (the bounds checked for its two ends), and the rows' XML is formatted as plain strings, one
buffer write per row. The XML is byte for byte the stock Worksheet's (test_forecast_workbook_cells.py builds
the same books both ways and compares every part of the file); any other kind of cell (booleans, array
formulas, formulas with a text or error value, constant-memory books, sheets with comments) is handed to the
stock code. Only used with the xlsxwriter versions the comparison was run with (see ``workbook_class``).

A row of numbers (or of names) written in one call is also remembered as a run: its XML is then written from
one template for the run (a replacement of its row number and one formatting of its values), as long as its
cells are still those the call stored (a cell written over since: cell by cell).

The book (``workbook_class``) deflates its parts at zlib's fastest level rather than at its default (see
``ZIP_LEVEL``)."""
import math
import sys
import types
import zipfile
from operator import is_, itemgetter

try:
    import xlsxwriter
    from xlsxwriter import workbook as xlsx_workbook
    from xlsxwriter import worksheet as xlsx_worksheet
    from xlsxwriter.utility import xl_col_to_name
except ImportError:  # pragma: no cover - declared in external_dependencies
    xlsxwriter = xlsx_workbook = xlsx_worksheet = xl_col_to_name = None

# the versions whose XML the fast path was compared with, byte for byte (the stock Worksheet otherwise)
VERIFIED_VERSIONS = ('1.1.2',)


# The deflate level of the book's parts. xlsxwriter opens its ZipFile without one, so zlib deflates at its default
# (6): measured on the forecast workbooks of 100,000 deals, about 2.4 ms of a salesperson's 21 ms book and 4.6 ms
# of a manager's, against 1.2 and 1.9 ms at level 1, for files a tenth larger (50 KB instead of 46 KB, 91 KB
# instead of 82 KB): a file downloaded once, made at every click.
ZIP_LEVEL = 1
# ZipFile.writestr takes a level from Python 3.7 on (the add-on also runs on 3.5): before, xlsxwriter's default
_ZIP_LEVEL_KNOWN = sys.version_info >= (3, 7)


_COLUMN_NAMES = [[]]   # the letters of the first columns, by index (the list replaced whole, never changed)


def column_names(count):
    """The letters of at least the first ``count`` columns, by index."""
    names = _COLUMN_NAMES[0]
    if len(names) < count:
        names = _COLUMN_NAMES[0] = [xl_col_to_name(col) for col in range(max(count, 256))]
    return names


def _escape_formula(formula):
    """A formula as the text of an XML element: &, < and > as entities (quotes and new lines as they are)."""
    if '&' in formula or '<' in formula or '>' in formula:
        formula = formula.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
    return formula


# The templates of the cells' and the runs' XML, by what they are made of (the kind of each cell, its style's
# index in the book, its column): the same in every book whose formats get the same indexes, as the forecast
# workbooks' do (made once a sheet, a rep's book made about 1,200 of them at each export). Emptied when they
# grow past TEMPLATES_KEPT (books with thousands of formats or columns), so the memory they take stays bounded.
TEMPLATES_KEPT = 20000
_CELL_TEMPLATES = {}   # {(kind, style index, column): a cell's template}
_RUN_TEMPLATES = {}    # {(first column, last column, kinds, style index or indexes): a run's template}


def _remember(templates, key, template):
    """``template`` kept in ``templates`` under ``key`` (the dictionary emptied first when full); returned."""
    if len(templates) >= TEMPLATES_KEPT:
        templates.clear()
    templates[key] = template
    return template


# the class is only defined with a verified version: it names the cell tuples of xlsxwriter 1.1.2, which later
# versions renamed (CellNumberTuple ...), so importing it with another version would fail
if xlsx_worksheet is not None and xlsxwriter.__version__ in VERIFIED_VERSIONS:
    _NUMBER = xlsx_worksheet.cell_number_tuple
    _STRING = xlsx_worksheet.cell_string_tuple
    _BLANK = xlsx_worksheet.cell_blank_tuple
    _FORMULA = xlsx_worksheet.cell_formula_tuple

    # the row number in a run's template, replaced before its values are formatted into it (no text of the
    # template holds it: column letters, style indexes and the XML's own characters)
    _ROW_MARK = '\x01'

    class FastWorksheet(xlsx_worksheet.Worksheet):
        """A Worksheet writing rows of numbers in one call and the XML of its usual cells as plain strings."""

        def __init__(self):
            super(FastWorksheet, self).__init__()
            # {row: {first column: (last column, kinds, format or formats, the cells stored, their values)}}
            # of the rows written in one call (see _fast_run)
            self._fast_runs = {}

        # -- writing -------------------------------------------------------------------------------

        def write_number_row(self, row, col, values, cell_format=None):
            """``values`` as numbers in ``row`` from column ``col`` on, with ``cell_format`` (one format for
            all, or a list of one format per value): the cells ``write_number`` would store, the sheet's
            dimensions widened once for the row's two ends. Not a number, an infinity or a cell out of the
            sheet: each value through ``write_number`` (its error or its conversion). Returns 0, or the first
            error ``write_number`` returned."""
            if not values:
                return 0
            last = col + len(values) - 1
            formats = cell_format if isinstance(cell_format, (list, tuple)) else None
            try:
                finite = math.isfinite(sum(values))
            except (TypeError, ValueError, OverflowError):
                finite = False
            if (not finite or self.constant_memory or row < 0 or col < 0 or row >= self.xls_rowmax
                    or last >= self.xls_colmax):
                # a sum can overflow to infinity with finite values: the stock path then, same cells
                errors = [self.write_number(row, offset, value, formats[offset - col] if formats else cell_format)
                          for offset, value in enumerate(values, col)]
                return next((error for error in errors if error), 0)
            self._fast_widen(row, col, last)
            new = tuple.__new__
            cells = self.table[row]
            if formats:
                stored = [new(_NUMBER, (value, value_format)) for value, value_format in zip(values, formats)]
            else:
                stored = [new(_NUMBER, (value, cell_format)) for value in values]
            cells.update(zip(range(col, last + 1), stored))
            self._fast_run(row, col, last, None, tuple(formats) if formats else cell_format, stored,
                           tuple(values))
            return 0

        def write_text_row(self, row, col, texts, cell_format=None):
            """``texts`` in ``row`` from column ``col`` on, all with ``cell_format``, each as the forecast
            workbook writes a name: a text as a shared string (``write_string``'s cell, cut to Excel's 32,767
            characters), an empty one (or None) as a blank cell with the format (``write_blank``'s: nothing
            without a format). Out of the sheet: cell by cell through those methods. Returns 0, or the first
            error they returned (-2: a text was cut)."""
            if not texts:
                return 0
            last = col + len(texts) - 1
            if self.constant_memory or row < 0 or col < 0 or row >= self.xls_rowmax or last >= self.xls_colmax:
                errors = [self.write_string(row, offset, text, cell_format) if text
                          else self.write_blank(row, offset, None, cell_format)
                          for offset, text in enumerate(texts, col)]
                return next((error for error in errors if error), 0)
            new, cells, index = tuple.__new__, self.table[row], self.str_table._get_shared_string_index
            limit = self.xls_strmax
            error = 0
            stored = []
            run = []   # the cells stored (with a format, every text has one, side by side)
            for offset, text in enumerate(texts, col):
                if text:
                    if len(text) > limit:
                        text = text[:limit]
                        error = error or -2
                    cell = cells[offset] = new(_STRING, (index(text), cell_format))
                elif cell_format is not None:
                    cell = cells[offset] = new(_BLANK, (cell_format,))
                else:
                    continue
                stored.append(offset)
                run.append(cell)
            if stored:
                self._fast_widen(row, stored[0], stored[-1])
                if cell_format is not None:
                    self._fast_run(row, col, last, tuple(type(cell) for cell in run), cell_format, run,
                                   tuple(cell[0] for cell in run if type(cell) is _STRING))
            elif not cells:
                del self.table[row]
            return error

        def _fast_run(self, row, col, last, kinds, formats, cells, values):
            """Remember the cells of ``row`` from ``col`` to ``last`` just stored in one call, for their XML
            (``kinds``: their kinds, None: all numbers; ``formats``: their one format or a tuple of one per
            cell; ``values``: what their template formats, the numbers or the shared strings' indexes). A run
            with a cell without a format is not remembered (its style depends on the row and the column)."""
            if formats is None or (type(formats) is tuple and None in formats):
                return
            self._fast_runs.setdefault(row, {})[col] = (last, kinds, formats, cells, values)

        def _fast_widen(self, row, first_col, last_col):
            """The sheet's dimensions widened to cells of ``row`` from ``first_col`` to ``last_col`` (inside the
            sheet), as ``_check_dimensions`` widens them for each cell."""
            if self.dim_rowmin is None or row < self.dim_rowmin:
                self.dim_rowmin = row
            if self.dim_rowmax is None or row > self.dim_rowmax:
                self.dim_rowmax = row
            if self.dim_colmin is None or first_col < self.dim_colmin:
                self.dim_colmin = first_col
            if self.dim_colmax is None or last_col > self.dim_colmax:
                self.dim_colmax = last_col

        # -- the sheet's XML -----------------------------------------------------------------------

        def _calculate_spans(self):
            """The ``spans`` of each block of 16 rows (first:last column holding a cell, 1-based)."""
            if self.comments:
                return super(FastWorksheet, self)._calculate_spans()
            bounds = {}
            rowmin, rowmax = self.dim_rowmin, self.dim_rowmax
            for row_num, cells in self.table.items():
                if cells and rowmin <= row_num <= rowmax:
                    block = row_num // 16
                    low, high = min(cells), max(cells)
                    known = bounds.get(block)
                    if known:
                        low, high = min(low, known[0]), max(high, known[1])
                    bounds[block] = (low, high)
            self.row_spans = dict((block, '%s:%s' % (low + 1, high + 1))
                                  for block, (low, high) in bounds.items())

        def _write_rows(self):
            if self.comments or self.constant_memory:
                return super(FastWorksheet, self)._write_rows()
            self._calculate_spans()
            table, set_rows, spans = self.table, self.set_rows, self.row_spans
            write = self.fh.write
            names = column_names(self.dim_colmax + 1)
            plain_rows = self.default_row_height == self.original_row_height and self.excel_version != 2010
            # {(kind of cell, its format, column): the cell's XML with %-holes for its row and its value}
            templates = {}
            run_templates = {}   # {(first column, last column, kinds, formats): the run's XML, see _fast_run}
            runs = self._fast_runs
            for row_num in range(self.dim_rowmin, self.dim_rowmax + 1):
                cells = table.get(row_num)
                if not cells:
                    if row_num in set_rows:
                        self._write_empty_row(row_num, spans.get(row_num // 16), set_rows[row_num])
                    continue
                row_text = str(row_num + 1)
                span = spans.get(row_num // 16)
                parts = []
                append = parts.append
                if plain_rows and row_num not in set_rows:
                    # a row of the default height without a format of its own: its number and its span
                    append('<row r="%s" spans="%s">' % (row_text, span) if span else '<row r="%s">' % row_text)
                else:
                    self._write_row(row_num, span, set_rows.get(row_num))
                row_runs = runs.get(row_num)
                items = sorted(cells.items())
                count = len(items)
                index = 0
                while index < count:
                    col_num, cell = items[index]
                    index += 1
                    run = row_runs.get(col_num) if row_runs else None
                    if run is not None:
                        last, kinds, formats, stored, values = run
                        end = index + last - col_num
                        # the run's cells are still those it stored (the same objects), side by side
                        if (end <= count and items[end - 1][0] == last
                                and all(map(is_, map(itemgetter(1), items[index - 1:end]), stored))):
                            key = (col_num, last, kinds, formats)
                            template = run_templates.get(key)
                            if template is None:
                                template = run_templates[key] = self._fast_run_template(
                                    col_num, last, kinds, formats, names)
                            append(template.replace(_ROW_MARK, row_text) % values)
                            index = end
                            continue
                    kind = type(cell)
                    # the cell's format, and the values of its template's holes (its row first)
                    if kind is _NUMBER or kind is _STRING:
                        cell_format, values = cell[1], (row_text, cell[0])
                    elif kind is _FORMULA and type(cell[2]) in (float, int):
                        cell_format, values = cell[1], (row_text, _escape_formula(cell[0]), cell[2])
                    elif kind is _BLANK:
                        cell_format, values = cell[0], (row_text,)
                    else:
                        # another kind of cell: the stock writer, after what this row holds so far
                        write(''.join(parts))
                        del parts[:]
                        self._write_cell(row_num, col_num, cell)
                        continue
                    # a cell without a format of its own takes its row's or column's: not shared
                    key = (kind, cell_format, col_num)
                    template = templates.get(key) if cell_format else None
                    if template is None:
                        template = self._fast_template(kind, cell_format, row_num, col_num, names)
                        if cell_format:
                            templates[key] = template
                    append(template % values)
                append('</row>')
                write(''.join(parts))

        def _fast_run_template(self, first, last, kinds, formats, names):
            """The XML of a run of cells from column ``first`` to ``last`` (see _fast_run), each cell as
            _fast_template writes it, with _ROW_MARK for the row and %-holes for the values (a blank has none)."""
            if type(formats) is tuple:
                styles = tuple(cell_format._get_xf_index() for cell_format in formats)
            else:
                styles = formats._get_xf_index()
            key = (first, last, kinds, styles)
            template = _RUN_TEMPLATES.get(key)
            if template is None:
                parts = []
                for offset, col in enumerate(range(first, last + 1)):
                    kind = kinds[offset] if kinds else _NUMBER
                    cell_format = formats[offset] if type(formats) is tuple else formats
                    template = self._fast_template(kind, cell_format, None, col, names)
                    parts.append(template.replace('%s', _ROW_MARK, 1))
                template = _remember(_RUN_TEMPLATES, key, ''.join(parts))
            return template

        def _fast_template(self, kind, cell_format, row, col, names):
            """The XML of a cell of this kind, format and column, with %-holes for its row and its value
            (a number: 16 significant digits; a shared string: its index; a formula: its text and its value)."""
            if not cell_format:
                return self._fast_cell_template(kind, self._fast_default_style(row, col), col, names)
            xf_index = cell_format._get_xf_index()
            template = _CELL_TEMPLATES.get((kind, xf_index, col))
            if template is None:
                template = _remember(_CELL_TEMPLATES, (kind, xf_index, col),
                                     self._fast_cell_template(kind, ' s="%d"' % xf_index, col, names))
            return template

        @staticmethod
        def _fast_cell_template(kind, style, col, names):
            """The XML of a cell of this kind and column with the style attribute ``style`` (see _fast_template)."""
            head = '<c r="' + names[col] + '%s"' + style
            if kind is _NUMBER:
                return head + '><v>%.16g</v></c>'
            if kind is _STRING:
                return head + ' t="s"><v>%d</v></c>'
            if kind is _FORMULA:
                return head + '><f>%s</f><v>%s</v></c>'
            return head + '/>'

        def _fast_default_style(self, row, col):
            """The style of a cell without a format of its own: its row's format, else its column's."""
            if row in self.set_rows and self.set_rows[row][1]:
                return ' s="%d"' % self.set_rows[row][1]._get_xf_index()
            if col in self.col_formats:
                return ' s="%d"' % self.col_formats[col]._get_xf_index()
            return ''

    class _FastZipFile(zipfile.ZipFile):
        """xlsxwriter's ZipFile, each part deflated at ZIP_LEVEL (xlsxwriter hands over its own ZipInfo,
        whose level is only set by the ``compresslevel`` of ``writestr``). Used from Python 3.7 on."""

        def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
            if compresslevel is None:
                compresslevel = ZIP_LEVEL
            return super(_FastZipFile, self).writestr(zinfo_or_arcname, data, compress_type,
                                                      compresslevel)

    class FastWorkbook(xlsxwriter.Workbook):
        """xlsxwriter's Workbook made of lean worksheets, its parts deflated at ZIP_LEVEL."""
        worksheet_class = FastWorksheet

        if _ZIP_LEVEL_KNOWN:
            # xlsxwriter's own method, not a copy: its code run with the name ZipFile bound to _FastZipFile in
            # its globals (a copy of its module's, the module itself untouched for every other book), so the
            # parts, their order and their ZipInfo stay xlsxwriter's
            _store_workbook = types.FunctionType(
                xlsx_workbook.Workbook._store_workbook.__code__,
                dict(xlsx_workbook.Workbook._store_workbook.__globals__, ZipFile=_FastZipFile),
                '_store_workbook', xlsx_workbook.Workbook._store_workbook.__defaults__,
                xlsx_workbook.Workbook._store_workbook.__closure__)
else:  # pragma: no cover
    FastWorksheet = FastWorkbook = None


def workbook_class():
    """The Workbook class of a forecast workbook: the fast one (lean worksheets, parts deflated at ZIP_LEVEL)
    with a verified xlsxwriter, else xlsxwriter's own."""
    if FastWorkbook is not None and xlsxwriter.__version__ in VERIFIED_VERSIONS:
        return FastWorkbook
    return xlsxwriter.Workbook
