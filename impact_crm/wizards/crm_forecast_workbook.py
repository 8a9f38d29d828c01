import base64
import contextlib
import gc
import io

import babel
import babel.dates
from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..models.crm_stage import FORECAST_CATEGORIES
from ..reports.crm_forecast_report import SOURCES
from ..reports.crm_forecast_totals import forecast_totals
from ..sql_rules import is_rtl_code, period_start
from .crm_forecast_workbook_cells import workbook_class
from .crm_forecast_workbook_sheets import ForecastWorkbookSheets, sheet_name

odoo_gettext = _   # Odoo's, for the methods that may be given the book's own (ForecastWorkbookSheets.translate)


@contextlib.contextmanager
def cyclic_gc_paused():
    """Python's cycle collector off inside the block; afterwards on again if it was on before."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


GRANULARITIES = [('month', 'Month'), ('quarter', 'Quarter'), ('year', 'Year')]
STEP = {'month': relativedelta(months=1), 'quarter': relativedelta(months=3), 'year': relativedelta(years=1)}
LABEL_FORMAT = {'month': 'MMM yyyy', 'quarter': 'QQQ yyyy', 'year': 'yyyy'}


def period_labels(code, granularity, starts, _memo={}):
    """The labels of the periods starting on ``starts`` in the language ``code`` (remembered: the books of
    a year ask for the same few dozen labels, which babel formats in about 50 microseconds each)."""
    missing = [start for start in starts if (code, granularity, start) not in _memo]
    if missing:
        # the locale parsed once, not by babel for each label (most of the time of a label)
        locale = babel.Locale.parse(code)
        for start in missing:
            _memo[(code, granularity, start)] = babel.dates.format_date(
                start, format=LABEL_FORMAT[granularity], locale=locale)
    return [_memo[(code, granularity, start)] for start in starts]


class CrmForecastWorkbook(models.TransientModel):
    """Export the sales forecast (crm.forecast.report) as an Excel workbook.

    This file holds the dialog and the life cycle: the input and its checks, what each sheet needs read
    from the report models (as the current user, so that the record rules decide what a salesperson sees),
    and the book built from it. The forecast totals come from one GROUPING SETS query over the report
    (reports/crm_forecast_totals.py); the sheets are written by crm_forecast_workbook_sheets.py; the
    waterfall and accuracy sheets are added by crm_forecast_workbook_history.py."""
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

    def _dimensions(self, translate=None):
        """[(field of crm.forecast.report, sheet title, label of the empty member)] chosen by the user.
        ``translate``: the book's ``_`` (ForecastWorkbookSheets.translate), else Odoo's."""
        self.ensure_one()
        _ = translate or odoo_gettext
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
        starts = []
        while start <= end:
            starts.append(start)
            start += STEP[self.granularity]
        labels = period_labels(self.env.context.get('lang') or 'en_US', self.granularity, starts)
        return list(zip(starts, labels))

    # -- data ----------------------------------------------------------------------------------

    def _read(self, groupby_fields):
        """Every total of the workbook, in one query over the report (see reports/crm_forecast_totals.py).

        :return: {field: ({(member, period start): {'amount': x, 'weighted_amount': y}}, {member: label})}
        """
        if self.granularity not in STEP:
            # only the whitelisted units ever reach the SQL text, whatever the caller stored
            raise ValidationError(_("Unknown period: %r.") % (self.granularity,))
        delivery_range = (self.date_from, self.date_to) if self.date_basis == 'delivery' else None
        return forecast_totals(self._report(), self._domain(), groupby_fields, self.granularity, delivery_range,
                               months=self._whole_months())

    def _whole_months(self):
        """The period runs from the first day of a month to the last day of a month (the default: whole
        years), so the totals may be read from the rows' monthly sums."""
        first = fields.Date.from_string(self.date_from)
        last = fields.Date.from_string(self.date_to)
        return first.day == 1 and (last + relativedelta(days=1)).day == 1

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
        return self.env['crm.lead.lost.report']._by_criterion_reason(self.date_from, self.date_to, domain=domain)

    def _collection_data(self):
        """Money due today on won deals, by customer and salesperson, with the salespeople/channels
        filters; [] when not wanted or when the user may not see collection (only managers and
        accountants may read the collection analysis)."""
        self.ensure_one()
        if not self.collection_sheet or not self.env['crm.collection.report'].check_access_rights(
                'read', raise_exception=False):
            return []
        return self.env['crm.collection.report']._by_customer(user_ids=self.user_ids.ids, team_ids=self.team_ids.ids)

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

    def _build_workbook(self):
        """The .xlsx file as bytes: the life cycle of the book (open, a sheet per chosen part, close); the
        sheets are written by ForecastWorkbookSheets (crm_forecast_workbook_sheets.py)."""
        self.ensure_one()
        # A book's cells are thousands of small objects living until the file is written: they drive
        # Python's cycle collector into a full pass over the whole server's heap (the registry), about half
        # the time of a salesperson's workbook, to free next to nothing. Reference counting frees the cells.
        with cyclic_gc_paused():
            return self._write_workbook()

    def _write_workbook(self):
        """Open the book, write a sheet per chosen part, close it."""
        sheets = ForecastWorkbookSheets(self.env)
        _ = sheets.translate   # each text translated once a book
        code = self.env.context.get('lang') or 'en_US'
        # the language from Odoo's cache of languages (it falls back to another one for an unknown code)
        lang = self.env['res.lang']._lang_get(code)
        # Odoo 11 ships he_IL (and ar_*) as left-to-right: decide by the language too
        rtl = (lang.code == code and lang.direction == 'rtl') or is_rtl_code(code)
        periods = self._periods()
        source_label = dict(self._fields['source']._description_selection(self.env))[self.source]
        basis_label = dict(self._fields['date_basis']._description_selection(self.env))[self.date_basis]
        # one sentence to translate, the dates as the user's language writes them
        subtitle = _('%(source)s, %(start)s - %(end)s, dated by: %(basis)s') % {
            'source': source_label, 'start': sheets.date_text(self.date_from), 'end': sheets.date_text(self.date_to),
            'basis': basis_label}
        if self.as_of:
            as_of = fields.Datetime.context_timestamp(self, fields.Datetime.from_string(self.as_of))
            subtitle = _('%(subtitle)s, as of %(moment)s') % {
                'subtitle': subtitle, 'moment': '%s %s' % (sheets.date_text(as_of.date()), as_of.strftime('%H:%M'))}

        output = io.BytesIO()
        # the book of the lean worksheets (every sheet, this file's and the extension's), deflated fast
        book = workbook_class()(output, {'in_memory': True})
        fmt = sheets.formats(book)
        dimensions = self._dimensions(translate=_)
        names = [field_name for field_name, _title, _empty in dimensions]
        totals = self._read(['status'] + (['forecast_category'] if 'forecast_category' not in names else []) +
                            names)
        summary = totals['status'][0]
        summary_sheet = book.add_worksheet(sheet_name(_('Summary')))
        has_data = bool(summary)
        sheets._write_summary(book, summary_sheet, fmt, periods, summary, subtitle, rtl, has_data)
        if has_data:
            sheets._write_call(summary_sheet, fmt, periods, totals['forecast_category'][0],
                               self._forecast_categories())
        if has_data:
            for field_name, title, empty_label in dimensions:
                data, labels = totals[field_name]
                sheet = book.add_worksheet(sheet_name(title))
                sheets._write_dimension(sheet, fmt, periods, data, labels, title, empty_label, subtitle, rtl)
        quotas = self._quota_data()
        if quotas:
            sheets._write_quotas(book, book.add_worksheet(sheet_name(_('Quotas'))), fmt, quotas._sheet_rows(), rtl)
        lost_rows = self._lost_data()
        if lost_rows:
            sheets._write_lost(book.add_worksheet(sheet_name(_('Lost Deals'))), fmt, lost_rows, rtl,
                               self.date_from, self.date_to)
        collection_rows = self._collection_data()
        if collection_rows:
            sheets._write_collection(book.add_worksheet(sheet_name(_('Collection'))), fmt, collection_rows, rtl,
                                     fields.Date.context_today(self))
        self._write_extra_sheets(book, sheets, fmt, rtl)
        book.close()
        return output.getvalue()

    def _write_extra_sheets(self, book, sheets, fmt, rtl):
        """Extension point: more sheets at the end of the workbook (``sheets``: the ForecastWorkbookSheets
        writing them)."""
        return


# --------------------------------------------------------------------------------------------------
# Input guard (impact_input_guard.py): the dates, the periods' unit and the other choices sent to create/write
# are checked before anything else runs (a date that does not exist would reach PostgreSQL, an unknown unit the
# period arithmetic), so this class stays last in the file. _check_input still checks how they fit together.
# --------------------------------------------------------------------------------------------------


class CrmForecastWorkbookInputGuard(models.TransientModel):
    _name = 'crm.forecast.workbook'
    _inherit = ['impact.input.guard', 'crm.forecast.workbook']
