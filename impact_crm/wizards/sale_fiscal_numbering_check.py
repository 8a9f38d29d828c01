"""Check the fiscal numbering of a period: shows gaps and duplicates loudly, opens the numbers list."""
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import html_escape


class SaleFiscalNumberingCheck(models.TransientModel):
    _name = 'sale.fiscal.numbering.check'
    _description = 'Check Fiscal Numbering'

    company_id = fields.Many2one('res.company', string='Company', required=True,
                                 default=lambda self: self.env.user.company_id)
    date_from = fields.Date(string='From')
    date_to = fields.Date(string='To')
    checked = fields.Boolean(readonly=True)
    issue_count = fields.Integer(string='Issues', readonly=True)
    result = fields.Html(string='Result', readonly=True, sanitize=False)

    @api.constrains('date_from', 'date_to')
    def _check_period(self):
        for check in self:
            if check.date_from and check.date_to and check.date_to < check.date_from:
                raise ValidationError(_("The period ends before it starts."))

    def _period(self):
        date_to = self.date_to and (self.date_to + ' 23:59:59')
        return self.date_from or None, date_to or None

    @api.multi
    def action_check(self):
        self.ensure_one()
        date_from, date_to = self._period()
        issues = self.env['sale.fiscal.number'].get_numbering_issues(self.company_id.id, date_from, date_to)
        if issues:
            items = ''.join('<li>%s</li>' % html_escape(issue['message']) for issue in issues)
            result = ('<div class="alert alert-danger" role="alert"><h3>%s</h3><ul>%s</ul></div>'
                      % (html_escape(_('Fiscal numbering is broken: 1 issue') if len(issues) == 1 else
                                     _('Fiscal numbering is broken: %d issue(s)') % len(issues)), items))
        else:
            result = ('<div class="alert alert-success" role="status"><h3>%s</h3></div>'
                      % html_escape(_('No gap and no duplicate: the fiscal numbers are consecutive.')))
        self.write({'checked': True, 'issue_count': len(issues), 'result': result})
        return {'type': 'ir.actions.act_window', 'res_model': self._name, 'res_id': self.id,
                'view_mode': 'form', 'target': 'new', 'name': _('Check Fiscal Numbering')}

    @api.multi
    def action_open_numbers(self):
        self.ensure_one()
        action = self.env.ref('impact_crm.sale_fiscal_number_report_action').read()[0]
        domain = [('company_id', '=', self.company_id.id)]
        date_from, date_to = self._period()
        if date_from:
            domain.append(('date', '>=', date_from))
        if date_to:
            domain.append(('date', '<=', date_to))
        action['domain'] = domain
        return action


class SaleFiscalNumberingCheckInputGuard(models.TransientModel):
    _name = 'sale.fiscal.numbering.check'
    _inherit = ['impact.input.guard', 'sale.fiscal.numbering.check']
