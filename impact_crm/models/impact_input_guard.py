"""Input guard: values of the wrong type or out of range are refused with a clear, translatable message.

Without it, Odoo hands such values to PostgreSQL, and the user (or the JSON-RPC client) gets a raw
psycopg2 error or a Python traceback: a date '2027-13-45', a text for a number, an integer beyond 32 bits,
a NaN amount, a NUL character in a name. The guard checks the values of create/write against the
field types, before anything is written. A model is protected by listing this one FIRST in its _inherit
(``_inherit = ['impact.input.guard', 'crm.stage']``, in a class last in the model's file): Odoo then puts this
class's create/write above the model's other overrides, which already compare values (e.g. crm.lead's
probability), so the values are checked before any of them runs.

It also refuses the values no caller may give (_guard_kept): a stored computed field, which Odoo 11's write
would store as sent (a deal's ordered amount, an order's total), and the fields the add-on keeps itself.
"""
import math
from datetime import date, datetime

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..internal_flags import has_flag

INT_MIN, INT_MAX = -2 ** 31, 2 ** 31 - 1
# beyond this, a double precision amount no longer holds cents exactly
MAX_AMOUNT = 1e13


# the modules whose computed figures the add-on reads and shows (its own, Odoo's CRM and Sales): another
# add-on's computed fields are its own business (some write theirs on purpose)
DERIVED_MODULES = ('impact_crm', 'crm', 'sale', 'sale_crm', 'sales_team', 'mail')


def is_derived(field, modules=DERIVED_MODULES):
    """A stored field computed from others (related ones included) that no inverse writes back (readonly),
    defined by one of ``modules``."""
    return bool(field and field.store and field.compute and not field.inverse and field.readonly
                and field._module in modules)


class ImpactInputGuard(models.AbstractModel):
    _name = 'impact.input.guard'
    _description = 'Input Guard'

    # Stored fields the add-on's own code keeps (counters, flags): nobody writes them, on create or write
    _impact_kept_fields = ()

    @api.model
    def create(self, vals):
        self._guard_values(vals)
        self._guard_kept(vals, creating=True)
        return super(ImpactInputGuard, self).create(vals)

    @api.multi
    def write(self, vals):
        self._guard_values(vals)
        self._guard_kept(vals)
        return super(ImpactInputGuard, self).write(vals)

    @api.model
    def _guard_kept(self, vals, creating=False):
        """Refuse the values of fields that are not the caller's to give: the stored computed and related
        fields (a total, an amount, a stage's group), which Odoo 11's write stores as sent and does not
        compute again until their sources change, so that a deal's or an order's figures would say what a
        client wrote; and the fields the add-on keeps itself (``_impact_kept_fields``). The ORM's own
        recomputation does not go through write, and create computes the derived fields anyway; the
        add-on's code writes the kept ones with its internal flag."""
        if has_flag(self, 'impact_internal_write'):
            return
        refused = [name for name, value in vals.items()
                   if (name in self._impact_kept_fields and (value or not creating))
                   or (not creating and is_derived(self._fields.get(name)))]
        if refused:
            raise UserError(_("%s: computed from the record's other data or kept by the application; it "
                              "cannot be written.") % ', '.join(
                self._fields[name].get_description(self.env)['string'] for name in sorted(refused)))

    @api.model
    def _guard_values(self, vals):
        for name, value in vals.items():
            field = self._fields.get(name)
            if field is None or value is None or value is False or not field.store and not field.inverse:
                continue
            checker = getattr(self, '_guard_%s' % field.type, None)
            if checker:
                checker(field, value)

    def _guard_error(self, field, message):
        return ValidationError(_("%s: %s") % (field.get_description(self.env)['string'], message))

    def _guard_char(self, field, value):
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise self._guard_error(field, _("a text is expected."))
        if isinstance(value, str) and '\x00' in value:
            raise self._guard_error(field, _("the text contains a NUL character."))

    _guard_text = _guard_char
    _guard_html = _guard_char

    def _guard_selection(self, field, value):
        self._guard_char(field, value)
        allowed = field.get_values(self.env)
        if allowed and value not in allowed:
            raise self._guard_error(field, _("%r is not one of the allowed values.") % (value,))

    def _guard_float(self, field, value):
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise self._guard_error(field, _("%r is not a number.") % (value,))
        if not isinstance(value, (int, float)):
            raise self._guard_error(field, _("a number is expected."))
        if math.isnan(value) or math.isinf(value):
            raise self._guard_error(field, _("a finite number is expected."))
        if abs(value) > MAX_AMOUNT:
            raise self._guard_error(field, _("%s is too large.") % (value,))

    _guard_monetary = _guard_float

    def _guard_integer(self, field, value):
        if isinstance(value, str):
            try:
                value = int(value)
            except ValueError:
                raise self._guard_error(field, _("%r is not a whole number.") % (value,))
        if isinstance(value, float) and math.isfinite(value) and value == math.floor(value):
            value = math.floor(value)
        if not isinstance(value, int):
            raise self._guard_error(field, _("a whole number is expected."))
        if not INT_MIN <= value <= INT_MAX:
            raise self._guard_error(field, _("%s is out of range.") % (value,))

    def _guard_many2one(self, field, value):
        if isinstance(value, models.BaseModel):
            return
        self._guard_record_id(field, value)
        if not self.env[field.comodel_name].sudo().browse(value).exists():
            raise self._guard_error(field, _("there is no record with id %s.") % value)
        if field.comodel_name == 'res.company' and self.env.uid != SUPERUSER_ID \
                and value not in self.env.user.company_ids.ids:
            # the companies' record rules judge a record by the company it has, not by the one written on it:
            # without this, a user could hand a record to a company he does not belong to
            raise self._guard_error(field, _("you do not work for this company."))

    def _guard_many2many(self, field, value):
        """A list of Odoo's commands (or of ids, records, values to create): the ids they name are whole
        numbers, which PostgreSQL would otherwise refuse with its own error."""
        if isinstance(value, models.BaseModel):
            return
        if not isinstance(value, (list, tuple)):
            raise self._guard_error(field, _("a list of records is expected."))
        for command in value:
            if isinstance(command, (dict, models.BaseModel)):
                continue
            if not isinstance(command, (list, tuple)):
                self._guard_record_id(field, command)
                continue
            if not command or command[0] not in (0, 1, 2, 3, 4, 5, 6) or isinstance(command[0], bool):
                raise self._guard_error(field, _("%r is not a command on records.") % (command,))
            if command[0] in (1, 2, 3, 4):
                self._guard_record_id(field, command[1] if len(command) > 1 else None)
            if command[0] in (0, 1) and (len(command) < 3 or not isinstance(command[2], dict)):
                raise self._guard_error(field, _("%r is not a command on records.") % (command,))
            if command[0] == 6:
                ids = command[2] if len(command) > 2 else None
                if isinstance(ids, models.BaseModel):
                    continue
                if not isinstance(ids, (list, tuple, set, frozenset)):
                    raise self._guard_error(field, _("%r is not a command on records.") % (command,))
                for record_id in ids:
                    self._guard_record_id(field, record_id)

    _guard_one2many = _guard_many2many

    def _guard_record_id(self, field, value):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= INT_MAX:
            raise self._guard_error(field, _("%r is not a record id.") % (value,))

    def _guard_date(self, field, value):
        if isinstance(value, (date, datetime)):
            return
        if not isinstance(value, str):
            raise self._guard_error(field, _("a date (YYYY-MM-DD) is expected."))
        try:
            (fields.Datetime if field.type == 'datetime' else fields.Date).from_string(value)
        except ValueError:
            raise self._guard_error(field, _("%r is not a valid date.") % (value,))

    _guard_datetime = _guard_date
