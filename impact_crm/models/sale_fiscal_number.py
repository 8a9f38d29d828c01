"""The ledger of fiscal numbers given to sales orders, and how the next one is taken.

Concurrency (why not Odoo's ``_update_nogap``): Odoo runs every request in a REPEATABLE READ
transaction. ``ir.sequence``'s no_gap implementation locks the sequence row with ``FOR UPDATE NOWAIT``
and then updates ``number_next``: a second confirmation at the same moment fails at once (lock not
available), and one that waited would still fail with a serialization error because the row was updated
after its snapshot; Odoo retries the whole request at most 5 times, so under load confirmations fail.

Here, the sequence row is locked with a *waiting* ``SELECT ... FOR UPDATE`` and never updated (locking
a row committed by another transaction is not a serialization conflict), so confirmations queue instead
of failing. The number itself is an INSERT into this append-only ledger, whose unique index
(sequence, number) is checked against committed rows outside the snapshot: starting from the highest
number the snapshot sees, the insert moves up (inside a savepoint) past numbers committed since the
snapshot began. The ledger row is part of the order's transaction: when it rolls back, the number is
not used and the next order gets it. Numbers are therefore consecutive and unique, and never lost.

The sequence's prefix, suffix, padding and (for the first number only) 'Next Number' are configurable.
"""
import time

import psycopg2
from psycopg2 import errorcodes

from odoo import _, api, fields, models
from odoo.exceptions import UserError

MAX_BUMPS = 100000


class SaleFiscalNumber(models.Model):
    _name = 'sale.fiscal.number'
    _description = 'Fiscal number of a sales order'
    _order = 'company_id, sequence_id, number, id'

    name = fields.Char(string='Fiscal Number', required=True, readonly=True, index=True)
    number = fields.Integer(string='Sequential Number', readonly=True, index=True,
                            help="Empty for numbers given before impact_crm was installed.")
    sequence_id = fields.Many2one('ir.sequence', string='Sequence', readonly=True, ondelete='restrict')
    company_id = fields.Many2one('res.company', string='Company', required=True, readonly=True, index=True)
    order_id = fields.Many2one('sale.order', string='First Order', readonly=True, ondelete='restrict',
                               help="The order revision that received the number.")
    date = fields.Datetime(string='Assigned On', readonly=True)
    is_legacy = fields.Boolean(string='Before Installation', readonly=True)
    lock_wait_ms = fields.Float(string='Lock Wait (ms)', readonly=True, group_operator='max',
                                help="Technical: how long the confirmation waited for the sequence lock.")

    _sql_constraints = [
        ('sequence_number_unique', 'UNIQUE(sequence_id, number)', 'A fiscal number can only be given once.'),
    ]

    @api.model
    def create(self, vals):
        raise UserError(_("Fiscal numbers are given by confirming orders only."))

    @api.multi
    def write(self, vals):
        raise UserError(_("Fiscal numbers can never be changed."))

    @api.multi
    def unlink(self):
        raise UserError(_("Fiscal numbers can never be deleted."))

    @api.model
    def _fiscal_sequence(self, company):
        Sequence = self.env['ir.sequence'].sudo()
        seq = Sequence.search([('code', '=', 'sale.order.fiscal'), ('company_id', '=', company.id)], limit=1)
        if not seq:
            seq = Sequence.create({'name': _('Fiscal order numbers (%s)') % company.name, 'code': 'sale.order.fiscal',
                                   'company_id': company.id, 'prefix': 'SO/%(year)s/', 'padding': 5,
                                   'implementation': 'no_gap'})
        return seq

    @api.model
    def _take_next(self, order):
        """Insert the next fiscal number of the order's company into the ledger and return it."""
        cr = self.env.cr
        seq = self._fiscal_sequence(order.company_id)
        started = time.time()
        cr.execute("SELECT id FROM ir_sequence WHERE id = %s FOR UPDATE", [seq.id])
        waited = (time.time() - started) * 1000.0
        cr.execute("SELECT max(number) FROM sale_fiscal_number WHERE sequence_id = %s", [seq.id])
        last = cr.fetchone()[0]
        candidate = last + 1 if last else seq.number_next
        for _attempt in range(MAX_BUMPS):
            name = seq.get_next_char(candidate)
            cr.execute("SAVEPOINT impact_fiscal_take")
            try:
                cr.execute("""
                    INSERT INTO sale_fiscal_number (name, number, sequence_id, company_id, order_id, date, is_legacy,
                                                    lock_wait_ms, create_uid, write_uid, create_date, write_date)
                    VALUES (%s, %s, %s, %s, %s, now() at time zone 'UTC', false, %s, %s, %s,
                            now() at time zone 'UTC', now() at time zone 'UTC')
                    RETURNING id""", [name, candidate, seq.id, order.company_id.id, order.id, waited,
                                      self.env.uid, self.env.uid], log_exceptions=False)
            except psycopg2.IntegrityError as exc:
                cr.execute("ROLLBACK TO SAVEPOINT impact_fiscal_take")
                if exc.pgcode != errorcodes.UNIQUE_VIOLATION:
                    raise
                candidate += 1  # committed by another transaction after our snapshot began
                continue
            entry_id = cr.fetchone()[0]
            cr.execute("RELEASE SAVEPOINT impact_fiscal_take")
            return self.browse(entry_id)
        raise UserError(_("No free fiscal number found after %d attempts.") % MAX_BUMPS)

    @api.model
    def _register_legacy(self, order):
        """Record the number an order had before installation as its fiscal number (no renumbering)."""
        self.env.cr.execute("""
            INSERT INTO sale_fiscal_number (name, number, sequence_id, company_id, order_id, date, is_legacy,
                                            create_uid, write_uid, create_date, write_date)
            VALUES (%s, NULL, NULL, %s, %s, %s, true, %s, %s, now() at time zone 'UTC', now() at time zone 'UTC')""",
                            [order.name, order.company_id.id, order.id, order.confirmation_date or order.date_order,
                             self.env.uid, self.env.uid])

    @api.model
    def _register_legacy_orders(self, order_ids):
        """_register_legacy for many orders in one statement (install on a large database)."""
        if not order_ids:
            return
        self.env.cr.execute("""
            INSERT INTO sale_fiscal_number (name, number, sequence_id, company_id, order_id, date, is_legacy,
                                            create_uid, write_uid, create_date, write_date)
            SELECT so.name, NULL, NULL, so.company_id, so.id, COALESCE(so.confirmation_date, so.date_order), true,
                   %s, %s, now() at time zone 'UTC', now() at time zone 'UTC'
              FROM sale_order so WHERE so.id IN %s ORDER BY so.id""",
                            [self.env.uid, self.env.uid, tuple(order_ids)])

    @api.model
    def get_numbering_issues(self, company_id=None, date_from=None, date_to=None):
        """Gaps, duplicates and mismatches of fiscal numbering, as a list of dicts (empty: all is well).

        A gap is reported when a number of the period is not the successor of the previous number of the
        same sequence (including the last one before the period)."""
        self.check_access_rights('read')
        where, params = ["TRUE"], []
        if company_id:
            where.append("r.company_id = %s")
            params.append(company_id)
        if date_from:
            where.append("r.date >= %s")
            params.append(date_from)
        if date_to:
            where.append("r.date <= %s")
            params.append(date_to)
        self.env.cr.execute("""
            SELECT r.fiscal_number, r.gap_before, r.is_duplicate, r.order_id IS NULL, r.number
              FROM sale_fiscal_number_report r
             WHERE (r.gap_before > 0 OR r.is_duplicate OR r.order_id IS NULL) AND """ + " AND ".join(where) + """
             ORDER BY r.company_id, r.number, r.fiscal_number""", params)
        issues = []
        for name, gap, duplicate, orphan, number in self.env.cr.fetchall():
            if gap:
                issues.append({'type': 'gap', 'fiscal_number': name, 'missing': gap,
                               'message': _("%d number(s) missing before %s") % (gap, name)})
            if duplicate:
                issues.append({'type': 'duplicate', 'fiscal_number': name,
                               'message': _("%s is used more than once") % name})
            if orphan:
                issues.append({'type': 'orphan', 'fiscal_number': name,
                               'message': _("no order carries %s any more") % name})
        # orders carrying a fiscal number the ledger never gave
        sql = """SELECT so.fiscal_number FROM sale_order so
                  WHERE so.fiscal_number IS NOT NULL AND so.is_latest_revision
                    AND NOT EXISTS (SELECT 1 FROM sale_fiscal_number l
                                     WHERE l.company_id = so.company_id AND l.name = so.fiscal_number)"""
        oparams = []
        if company_id:
            sql += " AND so.company_id = %s"
            oparams.append(company_id)
        self.env.cr.execute(sql + " ORDER BY so.fiscal_number", oparams)
        for (name,) in self.env.cr.fetchall():
            issues.append({'type': 'unregistered', 'fiscal_number': name,
                           'message': _("%s is on an order but was never given by the fiscal sequence") % name})
        return issues
