import base64
import io
from datetime import timedelta

import openpyxl

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tools.misc import format_date

from ..wizards.crm_forecast_workbook_sheets import sheet_name

from .test_execution_collection import ExecutionCase


class TestForecastWorkbookSheets(ExecutionCase):
    """The "Lost Deals" and "Collection" sheets of the forecast workbook on a known data set of one rep.

    Lost through the lost flow, today:
        Lost 1  10,000  Price above budget  (criterion Price / budget gap)
        Lost 2   4,000  Budget cut           (criterion Price / budget gap)
        Lost 3   7,000  Lost to competitor   (criterion Competition)
    Won, invoiced, unpaid (x 100 each):
        Skyline Builders  Recent  3 -> 300, invoiced 10 days ago   (0-30)
        Harbour Works     Middle  5 -> 500, invoiced 45 days ago   (31-60)
        Harbour Works     Old     2 -> 200, invoiced 100 days ago  (90+)
    """

    @classmethod
    def setUpClass(cls):
        super(TestForecastWorkbookSheets, cls).setUpClass()
        env = cls.env
        cls.other = env['res.partner'].create({'name': 'Harbour Works', 'customer': True, 'is_company': True})
        cls.empty_team = env['crm.team'].create({'name': 'Workbook Empty Team'})
        (cls.rep | cls.manager).write({'lang': False})   # headers in English (the source strings)
        cls.reason_price = env.ref('impact_crm.lost_reason_price_above_budget')
        cls.reason_budget = env.ref('impact_crm.lost_reason_budget_cut')
        cls.reason_competitor = env.ref('impact_crm.lost_reason_competitor')
        cls.lost_data = [('Lost 1', 10000.0, cls.reason_price), ('Lost 2', 4000.0, cls.reason_budget),
                         ('Lost 3', 7000.0, cls.reason_competitor)]
        for name, revenue, reason in cls.lost_data:
            lead = env['crm.lead'].sudo(cls.rep).create({
                'name': name, 'type': 'opportunity', 'partner_id': cls.customer.id, 'user_id': cls.rep.id,
                'stage_id': env.ref('impact_crm.stage_quote').id, 'planned_revenue': revenue})
            lead.sudo(cls.rep)._action_lose({'lost_reason': reason.id})
        cls.today = fields.Date.from_string(fields.Date.context_today(env['crm.lead']))

    def setUp(self):
        super(TestForecastWorkbookSheets, self).setUp()
        day = lambda days: fields.Date.to_string(self.today - timedelta(days=days))  # noqa: E731
        self._sold_deal('Recent', 3, date_invoice=day(10))
        self._sold_deal('Middle', 5, partner=self.other, date_invoice=day(45))
        self._sold_deal('Old', 2, partner=self.other, date_invoice=day(100))

    def _workbook(self, user, **vals):
        values = {'date_from': fields.Date.to_string(self.today.replace(month=1, day=1)),
                  'date_to': fields.Date.to_string(self.today.replace(month=12, day=31)),
                  'user_ids': [(6, 0, self.rep.ids)]}
        values.update(vals)
        wizard = self.env['crm.forecast.workbook'].sudo(user).with_context(lang=user.lang).create(values)
        wizard.action_export()
        content = base64.b64decode(wizard.file_data)
        return (openpyxl.load_workbook(io.BytesIO(content)),
                openpyxl.load_workbook(io.BytesIO(content), data_only=True))

    def _check_sums(self, formulas, values, title):
        """Every formula of the sheet is a SUM of ranges and cells whose cached value equals their sum."""
        count = 0
        cached = values[title]
        for row in formulas[title].iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith('='):
                    self.assertTrue(cell.value.startswith('=SUM(') and cell.value.endswith(')'), cell.value)
                    total = 0.0
                    for ref in cell.value[5:-1].split(','):
                        covered = cached[ref]
                        if ':' not in ref:
                            covered = ((covered,),)
                        total += sum(c.value or 0.0 for line in covered for c in line)
                    self.assertAlmostEqual(cached[cell.coordinate].value, total, places=2,
                                           msg='%s!%s %s' % (title, cell.coordinate, cell.value))
                    count += 1
        return count

    @staticmethod
    def _rows(ws, first, width):
        return [[ws.cell(row=r, column=c).value for c in range(1, width + 1)] for r in range(first, ws.max_row + 1)]

    def test_manager_gets_lost_and_collection_sheets(self):
        formulas, values = self._workbook(self.manager)
        self.assertEqual(formulas.sheetnames[-2:], ['Lost Deals', 'Collection'])

        lost = values['Lost Deals']
        self.assertEqual([lost.cell(row=4, column=c).value for c in range(1, 5)],
                         ['Criterion', 'Reason', 'Lost Deals', 'Lost Amount'])
        rows = self._rows(lost, 5, 4)
        price = self.reason_price.criterion_id.name
        competition = self.reason_competitor.criterion_id.name
        # hand-computed: the two price reasons (in the criterion's reason order), their subtotal, competition
        price_rows = sorted([row for row in rows if row[0] == price], key=lambda row: row[1])
        self.assertEqual(price_rows, sorted([[price, self.reason_price.name, 1, 10000.0],
                                             [price, self.reason_budget.name, 1, 4000.0]]))
        self.assertEqual(rows[2], ['Subtotal: %s' % price, None, 2, 14000.0])
        self.assertEqual(rows[3:], [[competition, self.reason_competitor.name, 1, 7000.0],
                                    ['Subtotal: %s' % competition, None, 1, 7000.0],
                                    ['Total', None, 3, 21000.0]])
        # the grand total adds the subtotals, not the reason rows twice
        self.assertEqual(formulas['Lost Deals']['D10'].value, '=SUM(D7,D9)')
        self.assertEqual(self._check_sums(formulas, values, 'Lost Deals'), 6)
        self.assertEqual(formulas['Lost Deals'].freeze_panes, 'C5')
        self.assertIn(self.company.currency_id.symbol, formulas['Lost Deals']['D5'].number_format)

        collection = values['Collection']
        self.assertEqual([collection.cell(row=4, column=c).value for c in range(1, 9)],
                         ['Customer', 'Salesperson', 'Deals', '0-30 days', '31-60 days', '61-90 days', '90+ days',
                          'Total Due'])
        # Harbour Works is owed most: first
        self.assertEqual(self._rows(collection, 5, 8), [
            ['Harbour Works', 'Rep Execution', 2, 0.0, 500.0, 0.0, 200.0, 700.0],
            ['Skyline Builders Ltd', 'Rep Execution', 1, 300.0, 0.0, 0.0, 0.0, 300.0],
            ['Total', None, 3, 300.0, 500.0, 0.0, 200.0, 1000.0]])
        self.assertEqual(formulas['Collection']['H5'].value, '=SUM(D5:G5)')
        self.assertEqual(self._check_sums(formulas, values, 'Collection'), 2 + 6)
        self.assertEqual(formulas['Collection'].freeze_panes, 'C5')
        self.assertIn('#,##', formulas['Collection']['D5'].number_format)
        self.assertFalse(formulas['Collection'].sheet_view.rightToLeft)
        # the numbers are those of the collection analysis of the same deals
        report = self.env['crm.collection.report'].sudo(self.manager).read_group(
            [('user_id', '=', self.rep.id)], ['amount_outstanding', 'age_bucket'], ['age_bucket'])
        self.assertEqual(dict((g['age_bucket'], g['amount_outstanding']) for g in report),
                         {'0_30': 300.0, '31_60': 500.0, '90_plus': 200.0})

    def test_sales_user_gets_own_losses_and_no_collection(self):
        formulas, values = self._workbook(self.rep)
        self.assertIn('Lost Deals', formulas.sheetnames)
        self.assertNotIn('Collection', formulas.sheetnames)
        rows = self._rows(values['Lost Deals'], 5, 4)
        self.assertEqual(rows[-1], ['Total', None, 3, 21000.0])
        # another rep sees none of these losses: no lost sheet, and still no error
        other_rep = self.env['res.users'].with_context(no_reset_password=True).create({
            'name': 'Other Rep', 'login': 'wb_other_rep',
            'groups_id': [(6, 0, [self.env.ref('sales_team.group_sale_salesman').id])]})
        formulas, _values = self._workbook(other_rep)
        self.assertNotIn('Lost Deals', formulas.sheetnames)
        self.assertNotIn('Collection', formulas.sheetnames)

    def test_sheets_absent_without_data_or_unchecked(self):
        # a sales channel without deals: neither sheet
        formulas, _values = self._workbook(self.manager, user_ids=[(5, 0, 0)], team_ids=[(6, 0, self.empty_team.ids)])
        self.assertEqual(formulas.sheetnames, ['Summary'])
        # a period without losses: no lost sheet; collection is as of today, whatever the period
        formulas, _values = self._workbook(self.manager, date_from='2040-01-01', date_to='2040-12-31')
        self.assertEqual(formulas.sheetnames, ['Summary', 'Collection'])
        # everything paid: nothing due, no collection sheet
        invoices = self.env['account.invoice'].search([('user_id', '=', self.rep.id), ('state', '=', 'open')])
        self.assertEqual(len(invoices), 3)
        for invoice in invoices:
            self._pay(invoice, invoice.residual)
        formulas, _values = self._workbook(self.manager)
        self.assertIn('Lost Deals', formulas.sheetnames)
        self.assertNotIn('Collection', formulas.sheetnames)
        # boxes unticked
        formulas, _values = self._workbook(self.manager, lost_sheet=False, collection_sheet=False)
        self.assertNotIn('Lost Deals', formulas.sheetnames)

    def test_input_refused_in_the_users_language(self):
        """A date that does not exist, a period unit the workbook does not know or a text for a date are
        refused by the dialog itself, in the user's language, before anything is stored; the checks of how
        the input fits together still give their own messages on export."""
        start = fields.Date.to_string(self.today.replace(month=1, day=1))
        end = fields.Date.to_string(self.today.replace(month=12, day=31))
        Wizard = self.env['crm.forecast.workbook'].sudo(self.rep)

        def refused(wizards, vals, expected):
            with self.assertRaises(ValidationError) as caught, self.cr.savepoint():
                wizards.create(dict({'date_from': start, 'date_to': end}, **vals))
            self.assertIn(expected, caught.exception.name)

        refused(Wizard, {'date_from': '2026-02-30'}, "'2026-02-30' is not a valid date")
        refused(Wizard, {'date_to': 'next year'}, "'next year' is not a valid date")
        refused(Wizard, {'granularity': 'week'}, "'week' is not one of the allowed values")
        refused(Wizard, {'source': 'invoice'}, "'invoice' is not one of the allowed values")
        refused(Wizard, {'as_of': '2026-13-01 10:00:00'}, "'2026-13-01 10:00:00' is not a valid date")
        refused(Wizard, {'waterfall_from': '2026-02-30 10:00:00'}, "'2026-02-30 10:00:00' is not a valid date")
        hebrew = Wizard.with_context(lang='he_IL')
        refused(hebrew, {'date_from': '2026-02-30'}, "'2026-02-30' אינו תאריך תקין")
        refused(hebrew, {'granularity': 'week'}, "'week' אינו אחד מהערכים המותרים")
        wizard = Wizard.create({'date_from': start, 'date_to': end})
        with self.assertRaises(ValidationError) as caught, self.cr.savepoint():
            wizard.write({'date_to': '2026-02-30'})
        self.assertIn("'2026-02-30' is not a valid date", caught.exception.name)
        self.assertEqual(wizard.date_to, end)
        # valid values that do not fit together: the dialog's own checks
        wizard.write({'date_to': '2000-01-01'})
        with self.assertRaisesRegex(UserError, 'The end of the period is before its start'):
            wizard.action_export()
        wizard.write({'date_to': end, 'as_of': fields.Datetime.now(), 'source': 'order'})
        with self.assertRaisesRegex(UserError, 'kept for opportunities only'):
            wizard.action_export()

    def test_hebrew_right_to_left(self):
        self.manager.lang = 'he_IL'
        formulas, _values = self._workbook(self.manager)
        english_manager = self.env['res.users'].with_context(no_reset_password=True).create({
            'name': 'English Manager', 'login': 'wb_english_manager', 'lang': False,
            'groups_id': [(6, 0, [self.env.ref('sales_team.group_sale_manager').id])]})
        english, _values = self._workbook(english_manager)
        self.assertEqual(english.sheetnames[-2:], ['Lost Deals', 'Collection'])
        self.assertEqual(len(formulas.sheetnames), len(english.sheetnames))
        for ws in formulas.worksheets:
            self.assertTrue(ws.sheet_view.rightToLeft, ws.title)

    def test_dates_as_the_language_writes_them(self):
        """The subtitles give the period and today as the user's language writes dates (31/12/2026 in
        Hebrew), not as ISO text."""
        self.manager.lang = 'he_IL'
        formulas, _values = self._workbook(self.manager)
        hebrew = self.env(context=dict(self.env.context, lang='he_IL'))
        first = fields.Date.to_string(self.today.replace(month=1, day=1))
        last = fields.Date.to_string(self.today.replace(month=12, day=31))
        start, end = format_date(hebrew, first), format_date(hebrew, last)
        self.assertNotEqual(start, first)
        for sheet in formulas.worksheets[:-1]:   # every sheet of the period: the summary, dimensions, losses
            subtitle = sheet['A2'].value
            self.assertIn(start, subtitle, sheet.title)
            self.assertIn(end, subtitle, sheet.title)
            self.assertNotIn(first, subtitle, sheet.title)
        collection = formulas.worksheets[-1]['A2'].value
        self.assertIn(format_date(hebrew, fields.Date.to_string(self.today)), collection)
        self.assertNotIn(fields.Date.to_string(self.today), collection)

    def test_sheet_names_keep_what_excel_accepts(self):
        """A title translated with a character Excel refuses in a sheet's name, or longer than 31 characters,
        still gives a sheet (xlsxwriter raises on such a name)."""
        name = sheet_name("'Sales/Region: [North] *? \\ and a very long translated title'")
        self.assertLessEqual(len(name), 31)
        for refused in '[]:*?/\\':
            self.assertNotIn(refused, name)
        self.assertFalse(name.startswith("'") or name.endswith("'"))
        self.assertTrue(name.startswith('Sales Region'))
        book = openpyxl.Workbook()
        book.create_sheet(name)   # a name Excel (and openpyxl) accepts
        self.assertEqual(sheet_name('Summary'), 'Summary')

    def test_names_stay_text(self):
        """Names are written as text: a sales channel named like a formula would otherwise compute (or call
        a function such as HYPERLINK) when the book is opened, one named like an address would become a link."""
        formula_team = self.env['crm.team'].create({'name': '=1+2'})
        link_team = self.env['crm.team'].create({'name': 'http://example.com'})
        for team in formula_team | link_team:
            lead = self._lead('Deal of %s' % team.name, revenue=5000.0)
            lead.sudo(self.manager).write({'team_id': team.id})
            self.env['crm.quota'].sudo(self.manager).create({
                'team_id': team.id, 'period_type': 'quarter', 'amount': 1000.0,
                'date_start': fields.Date.to_string(self.today.replace(month=1, day=1))})
        formulas, _values = self._workbook(self.manager, user_ids=[(5, 0, 0)],
                                           team_ids=[(6, 0, (formula_team | link_team).ids)])
        channels = formulas['Sales Channel']
        quotas = formulas['Quotas']
        for sheet, col in ((channels, 1), (quotas, 2)):
            cells = [sheet.cell(row=row, column=col) for row in range(5, sheet.max_row + 1)]
            names = [cell for cell in cells if cell.value in ('=1+2', 'http://example.com')]
            self.assertEqual(len(names), 2, sheet.title)
            for cell in names:
                self.assertEqual(cell.data_type, 's', '%s!%s' % (sheet.title, cell.coordinate))
                self.assertIsNone(cell.hyperlink, '%s!%s' % (sheet.title, cell.coordinate))
