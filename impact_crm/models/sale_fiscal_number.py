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
number the snapshot sees, the insert moves up (each attempt in a subtransaction of ``TAKE_FUNCTION``) past
numbers committed since the snapshot began. The ledger row is part of the order's transaction: when it rolls
back, the number is not used and the next order gets it. Numbers are therefore consecutive and unique, and never lost.

The sequence's prefix, suffix, padding and (for the first number only) 'Next Number' are configurable.
Whatever is edited on the sequence, the next number follows the highest number ever given in the company
(ledger, the ledger kept by an earlier uninstallation, and the order references themselves), so no
number printed on an order is ever given again.

One fiscal sequence per company: a unique index on ir_sequence, and a missing one is created with
``INSERT ... ON CONFLICT DO NOTHING``, so that two first confirmations at the same moment in a new company
do not create two sequences (the second waits for the first; when the first commits, the second fails with a
serialization error and Odoo runs its request again, which then finds the sequence).

Uninstallation keeps the ledger: the table is renamed to KEPT_LEDGER (not an Odoo model, so Odoo does not drop
it); a reinstallation takes it back.
"""
import logging
import re

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..sql_rules import company_sequence

_logger = logging.getLogger(__name__)

MAX_BUMPS = 100000
KEPT_LEDGER = 'impact_crm_fiscal_ledger_kept'
FISCAL_CODE = 'sale.order.fiscal'
# The lock of the fiscal sequence, then the insert of the next free number into the ledger, moving up past
# the numbers committed since the transaction's snapshot began (see the module docstring), in one round trip:
# the confirmations queue for that lock until the holder's commit, and the numbers committed since a waiting
# transaction's snapshot are most often several under load (each one an insert refused by the unique index).
# The search of the numbers printed on the orders' references (``sale.fiscal.number._references_args``) by index
# rather than over every numbered order of the company, for a padding of at least LONG_RUN - 1 digits: the
# references in byte order (a range after the prefix followed by the highest number), and the few references
# holding a run of LONG_RUN digits or more (every number of more digits than such a padding has one).
LONG_RUN = 6
REFERENCE_INDEXES = (
    ('sale_order_impact_reference_index', 'ON sale_order (company_id, name COLLATE "C")'),
    ('sale_order_impact_long_digits_index', "ON sale_order (company_id) WHERE name ~ '[0-9]{%d}'" % LONG_RUN),
)
# Returns the number's name, NULL after max_bumps numbers taken. Its name as ir.sequence.get_next_char writes
# it: the prefix, the number with at least ``padding`` digits, the suffix. With ``ref_pattern``, the candidate
# first moves above the highest number printed on the company's orders when that is above ``highest`` (the
# ledgers' highest number), searched before the lock (see ``sale.fiscal.number._references_args``). With
# ``record_name_tail``, the order's chatter messages after ``messages_after`` (the confirmation's) get the
# order's new name, the number's name followed by that tail. One round trip for the three.
TAKE_FUNCTION = """
    CREATE OR REPLACE FUNCTION impact_fiscal_take(seq_id integer, candidate integer, prefix text, suffix text,
                                                  padding integer, company integer, order_ref integer,
                                                  uid integer, max_bumps integer, record_name_tail text DEFAULT NULL,
                                                  messages_after integer DEFAULT NULL, highest integer DEFAULT NULL,
                                                  ref_pattern text DEFAULT NULL, ref_like text DEFAULT NULL,
                                                  ref_top text DEFAULT NULL, ref_upper text DEFAULT NULL)
                                                  RETURNS text AS $body$
    DECLARE
        started timestamptz;
        waited double precision;
        fiscal_name text;
        taken boolean := false;
        above bigint;
    BEGIN
        IF ref_pattern IS NOT NULL AND ref_top IS NOT NULL AND padding >= %(long_run)s - 1 THEN
            -- by the two indexes (REFERENCE_INDEXES): the references above the prefix followed by ref_top (byte
            -- order), and those with a run of more digits than the padding (its characters followed by a digit).
            -- The highest by ORDER BY ... LIMIT 1, not max(): PostgreSQL would plan the query a second time for
            -- max() (its index path for a min or max), and every confirmation plans it again (Odoo resets each
            -- pooled connection with DISCARD ALL): 0.6 ms of the backend's CPU per confirmation
            SELECT n INTO above FROM (
                SELECT substring(o.name from ref_pattern)::bigint AS n FROM sale_order o
                 WHERE o.company_id = company AND o.name COLLATE "C" > prefix || ref_top
                   AND (ref_upper IS NULL OR o.name COLLATE "C" < ref_upper) AND o.name LIKE ref_like
                UNION ALL
                SELECT substring(o.name from ref_pattern)::bigint FROM sale_order o
                 WHERE o.company_id = company AND o.name ~ '[0-9]{%(long_run)s}' AND o.name LIKE ref_like
                   AND substr(o.name, length(prefix) + 1 + padding, 1) COLLATE "C" BETWEEN '0' AND '9') q
             ORDER BY n DESC NULLS LAST LIMIT 1;
        ELSIF ref_pattern IS NOT NULL THEN
            SELECT substring(o.name from ref_pattern)::bigint AS n INTO above FROM sale_order o
             WHERE o.company_id = company AND o.name LIKE ref_like
               AND (ref_top IS NULL
                    OR substr(o.name, length(prefix) + 1, padding) COLLATE "C" > ref_top
                    OR substr(o.name, length(prefix) + 1 + padding, 1) COLLATE "C" BETWEEN '0' AND '9')
             ORDER BY n DESC NULLS LAST LIMIT 1;
        END IF;
        IF ref_pattern IS NOT NULL THEN
            IF above > COALESCE(highest, 0) THEN
                candidate := above + 1;
            END IF;
        END IF;
        started := clock_timestamp();
        PERFORM 1 FROM ir_sequence WHERE id = seq_id FOR UPDATE;
        waited := extract(epoch FROM clock_timestamp() - started) * 1000.0;
        FOR attempt IN 1..max_bumps LOOP
            fiscal_name := prefix || CASE WHEN length(candidate::text) >= padding THEN candidate::text
                                          ELSE lpad(candidate::text, padding, '0') END || suffix;
            BEGIN
                INSERT INTO sale_fiscal_number (name, number, sequence_id, company_id, order_id, date, is_legacy,
                                                lock_wait_ms, create_uid, write_uid, create_date, write_date)
                VALUES (fiscal_name, candidate, seq_id, company, order_ref, now() at time zone 'UTC', false, waited,
                        uid, uid, now() at time zone 'UTC', now() at time zone 'UTC');
                taken := true;
            EXCEPTION WHEN unique_violation THEN
                candidate := candidate + 1;     -- committed by another transaction after our snapshot began
            END;
            EXIT WHEN taken;
        END LOOP;
        IF NOT taken THEN
            RETURN NULL;
        END IF;
        IF record_name_tail IS NOT NULL THEN
            UPDATE mail_message SET record_name = fiscal_name || record_name_tail
             WHERE model = 'sale.order' AND res_id = order_ref AND id > messages_after;
        END IF;
        RETURN fiscal_name;
    END
    $body$ LANGUAGE plpgsql
""" % {'long_run': LONG_RUN}
# its signatures: the one of the earlier release first (dropped on upgrade: a call could match both), then this one
TAKE_SIGNATURES = ('impact_fiscal_take(integer, integer, text, text, integer, integer, integer, integer, integer)',
                   'impact_fiscal_take(integer, integer, text, text, integer, integer, integer, integer, integer, '
                   'text, integer, integer, text, text, text, text)')
# the highest number of a company's ledger, and whether a ledger kept by an uninstallation is there
LEDGER_STATE_SQL = "(SELECT max(number) FROM sale_fiscal_number WHERE company_id = %s), to_regclass(%s)"


def _like_prefix(prefix):
    """A LIKE pattern matching the texts that start with ``prefix``."""
    return prefix.replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_') + '%'


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

    @api.model_cr
    def init(self):
        cr = self.env.cr
        # one fiscal sequence per company, and a fiscal number given once per company (numbers recorded
        # as they were before installation may repeat: Odoo never made order names unique)
        cr.execute("""CREATE UNIQUE INDEX IF NOT EXISTS ir_sequence_impact_fiscal_company_uniq
                      ON ir_sequence (company_id) WHERE code = %s""", [FISCAL_CODE])
        self._create_name_index()
        for signature in TAKE_SIGNATURES[:-1]:
            cr.execute("DROP FUNCTION IF EXISTS %s" % signature)
        for name, definition in REFERENCE_INDEXES:
            cr.execute('CREATE INDEX IF NOT EXISTS %s %s' % (name, definition))
        cr.execute(TAKE_FUNCTION)

    @api.model
    def _create_name_index(self):
        """The unique index of a number's name per company, unless the ledger already gives a name twice: a
        database numbered by 11.0.1.0.0 with two fiscal sequences of one company (see the migration
        11.0.1.1.0) may hold such numbers, which can never be changed. The upgrade then goes on without the
        index, the numbering check reports them, and new numbers still follow the company's highest."""
        cr = self.env.cr
        cr.execute("SELECT to_regclass('sale_fiscal_number_company_name_uniq')")
        if cr.fetchone()[0]:
            return True
        cr.execute("""SELECT company_id, name FROM sale_fiscal_number WHERE NOT is_legacy
                       GROUP BY company_id, name HAVING count(*) > 1 ORDER BY company_id, name""")
        duplicates = cr.fetchall()
        if duplicates:
            _logger.warning("fiscal numbers given twice before this version (company, number): %s; the numbering "
                            "check reports them; the upgrade goes on without the unique index of the numbers",
                            duplicates)
            return False
        cr.execute("""CREATE UNIQUE INDEX sale_fiscal_number_company_name_uniq
                      ON sale_fiscal_number (company_id, name) WHERE NOT is_legacy""")
        return True

    @api.model
    def _fiscal_sequence(self, company):
        def create():
            # race-free creation: see the module docstring
            self.env.cr.execute("""
                INSERT INTO ir_sequence (name, code, implementation, active, prefix, padding, number_next,
                                         number_increment, use_date_range, company_id,
                                         create_uid, write_uid, create_date, write_date)
                VALUES (%s, %s, 'no_gap', true, 'SO/%%(year)s/', 5, 1, 1, false, %s, %s, %s,
                        now() at time zone 'UTC', now() at time zone 'UTC')
                ON CONFLICT (company_id) WHERE code = %s DO NOTHING""",
                                [_('Fiscal order numbers (%s)') % company.name, FISCAL_CODE, company.id,
                                 self.env.uid, self.env.uid, FISCAL_CODE], log_exceptions=False)
        return company_sequence(self.env['ir.sequence'].sudo().with_context(active_test=False), FISCAL_CODE, company,
                                create)

    @api.model
    def _sequence_and_ledger(self, company, last_message=False):
        """(the company's fiscal sequence, its prefix, suffix, padding and next number as cached values, the
        highest number of its ledger, whether a kept ledger is there), in one statement: the sequence's values
        come with it into the cache (every confirmation reads them), instead of a search and a read of every
        column. A company without a sequence yet gets one (``_fiscal_sequence``). With ``last_message``, the id
        of the last chatter message (0 without any) follows, read in the same statement."""
        cr = self.env.cr
        message_sql = ", (SELECT coalesce(max(id), 0) FROM mail_message)" if last_message else ""
        cr.execute("""SELECT s.id, s.prefix, s.suffix, s.padding, s.number_next, """
                   + LEDGER_STATE_SQL + message_sql + """
                        FROM ir_sequence s WHERE s.code = %s AND s.company_id = %s
                       ORDER BY s.name LIMIT 1""", [company.id, KEPT_LEDGER, FISCAL_CODE, company.id])
        row = cr.fetchone()
        if not row:
            state = (self._fiscal_sequence(company), {}) + tuple(self._ledger_state(company))
            if last_message:
                cr.execute("SELECT coalesce(max(id), 0) FROM mail_message")
                state += tuple(cr.fetchone())
            return state
        seq_id, prefix, suffix, padding, number_next, in_ledger, kept = row[:7]
        seq = self.env['ir.sequence'].sudo().browse(seq_id)
        values = seq._convert_to_cache({'prefix': prefix, 'suffix': suffix, 'padding': padding,
                                        'number_next': number_next}, validate=False)
        seq._cache.update(values)
        return (seq, values, in_ledger, kept) + tuple(row[7:])

    @api.model
    def _ledger_state(self, company):
        """(the highest number of the company's ledger or None, whether a kept ledger is there)."""
        self.env.cr.execute("SELECT " + LEDGER_STATE_SQL, [company.id, KEPT_LEDGER])
        return self.env.cr.fetchone()

    @api.model
    def _highest_in_ledgers(self, company, ledger_state=None):
        """The highest number given in the company according to its ledger (any of its sequences) and the ledger
        kept by an uninstallation, 0 without any (``ledger_state``: ``_ledger_state``'s pair as
        ``_sequence_and_ledger`` read it, read here when not given). The references of its orders are
        searched by ``TAKE_FUNCTION`` (``_references_args``)."""
        in_ledger, kept = ledger_state if ledger_state is not None else self._ledger_state(company)
        highest = in_ledger or 0
        if kept:
            self.env.cr.execute('SELECT max(number) FROM "%s" WHERE company_id = %%s' % KEPT_LEDGER, [company.id])
            highest = max(highest, self.env.cr.fetchone()[0] or 0)
        return highest

    @api.model
    def _references_args(self, prefix, suffix, padding, highest):
        """(pattern, LIKE pattern, top, upper): how ``TAKE_FUNCTION`` searches the highest number printed in the
        references of the company's orders that start with the sequence's prefix (``prefix``, ``suffix``: as
        ``_get_prefix_suffix`` gives them), among the references that may hold a number above ``highest``:
        the number that the regular expression ``pattern`` finds, in the references matching the LIKE
        pattern, whose ``padding`` characters after the prefix are above ``top`` (byte order) or are followed
        by a digit (``top`` None: every reference); ``upper``: a text above every reference starting with the
        prefix (byte order), None without one.

        Every confirmation runs it, over every numbered order of the company, so the regular expression (a
        few microseconds a reference) runs only on the references that may hold more than ``highest``. Not
        on those whose ``padding`` characters after the prefix are at most ``highest`` written with that
        padding (byte order) and are not followed by a digit, which are all the orders numbered by the
        sequence as it is: the digits that the expression can find there start the ``padding`` characters
        and end in them, and at each length such digits are at most the first digits of ``highest``, so
        at most ``highest`` (whatever the suffix).

        Those candidates are found by index (``REFERENCE_INDEXES``) when the padding has at least LONG_RUN - 1
        digits: the references whose characters after the prefix are above ``top`` are a range of the
        references in byte order (after the prefix followed by ``top``, before ``upper``); a reference whose
        ``padding`` characters after the prefix are followed by a digit holds a number only if those are digits
        too, a run of LONG_RUN digits or more (a number of at most ``padding`` digits is covered above,
        whatever follows it)."""
        pattern = '^%s([0-9]+)%s( |$)' % (re.escape(prefix), re.escape(suffix))
        top = None
        if padding > 0:
            top = '9' * padding if highest >= 10 ** padding else '%0*d' % (padding, highest)
        upper = None
        # the next code point after the prefix's last character (UTF-8 keeps the order of code points in its
        # bytes); none after the last one before the surrogates, which UTF-8 cannot encode, nor after the last
        if prefix and ord(prefix[-1]) not in (0xd7ff, 0x10ffff):
            upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return pattern, _like_prefix(prefix), top, upper

    @api.model
    def _take_next(self, order, company=None, ledger_state=None, rename=None):
        """Insert the next fiscal number of the order's company (``company``, when already read) into the
        ledger: its name. ``ledger_state``: what ``_sequence_and_ledger`` returns for the company, when read
        in this transaction before any number was taken (read here otherwise). ``rename``: (the order's name
        after the number, the id of the last chatter message before the confirmation's), to give the
        confirmation's messages the order's new name in the same round trip."""
        cr = self.env.cr
        company = company or order.company_id
        seq, values, in_ledger, kept = ledger_state or self._sequence_and_ledger(company)
        # back into the cache, which a chatter message may have emptied since they were read
        seq._cache.update(values)
        # Read before the lock (the ledgers here, the orders' references in TAKE_FUNCTION before it takes the
        # lock): the transaction's snapshot (REPEATABLE READ) is already taken, so these reads would see the
        # same after it; numbers committed since are skipped by the insert (TAKE_FUNCTION). The locked section,
        # which the next confirmation waits for, is then only the insert and the end of the transaction.
        highest = self._highest_in_ledgers(company, (in_ledger, kept))
        prefix, suffix = seq._get_prefix_suffix()
        prefix, suffix = prefix or '', suffix or ''
        pattern, like, top, upper = self._references_args(prefix, suffix, seq.padding, highest)
        tail, messages_after = rename or (None, None)
        cr.execute("SELECT impact_fiscal_take(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                   [seq.id, highest + 1 if highest else seq.number_next, prefix, suffix, seq.padding, company.id,
                    order.id, self.env.uid, MAX_BUMPS, tail, messages_after, highest, pattern, like, top, upper])
        name = cr.fetchone()[0]
        if name is None:
            raise UserError(_("No free fiscal number found after %d attempts.") % MAX_BUMPS)
        return name

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
        # the check reads the accountants' list (sale.fiscal.number.report) in SQL, past its record rules: it is
        # theirs and the sales managers', as the list is (a salesperson reads the numbers of his own orders only)
        self.env['sale.fiscal.number.report'].check_access_rights('read')
        allowed = self.env.user.company_ids.ids
        if company_id and (isinstance(company_id, bool) or not isinstance(company_id, int)):
            raise UserError(_("%r is not a company id.") % (company_id,))
        for value in (date_from, date_to):
            if value:
                try:
                    if not isinstance(value, str):
                        raise ValueError(value)
                    fields.Datetime.from_string(value)
                except ValueError:
                    raise UserError(_("%r is not a valid date.") % (value,))
        if company_id:
            if company_id not in allowed:
                raise AccessError(_("You can only check the fiscal numbering of your own companies."))
            companies = [company_id]
        else:
            companies = allowed
        where, params = ["r.company_id = ANY(%s)"], [companies]
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
                               'message': _("1 number missing before %s") % name if gap == 1 else
                               _("%d number(s) missing before %s") % (gap, name)})
            if duplicate:
                issues.append({'type': 'duplicate', 'fiscal_number': name,
                               'message': _("%s is used more than once") % name})
            if orphan:
                issues.append({'type': 'orphan', 'fiscal_number': name,
                               'message': _("no order carries %s any more") % name})
        # numbers whose order was confirmed on an earlier day than the order of the previous number
        self.env.cr.execute("""
            SELECT fiscal_number, previous FROM (
                SELECT r.fiscal_number, r.company_id, r.date, r.confirmation_date,
                       lag(r.fiscal_number) OVER w AS previous, lag(r.confirmation_date) OVER w AS previous_date
                  FROM sale_fiscal_number_report r
                 WHERE r.number IS NOT NULL AND r.company_id = ANY(%s)
                WINDOW w AS (PARTITION BY r.company_id ORDER BY r.number)) r
             WHERE r.confirmation_date::date < r.previous_date::date AND """ + " AND ".join(where[1:] or ["TRUE"]) + """
             ORDER BY r.fiscal_number""", [companies] + params[1:])
        for name, previous in self.env.cr.fetchall():
            issues.append({'type': 'date_order', 'fiscal_number': name,
                           'message': _("%s belongs to an order confirmed before the one of %s: the numbers are "
                                        "not in date order") % (name, previous)})
        # orders carrying a fiscal number the ledger never gave
        self.env.cr.execute("""SELECT so.fiscal_number FROM sale_order so
                  WHERE so.fiscal_number IS NOT NULL AND so.is_latest_revision AND so.company_id = ANY(%s)
                    AND NOT EXISTS (SELECT 1 FROM sale_fiscal_number l
                                     WHERE l.company_id = so.company_id AND l.name = so.fiscal_number)
                  ORDER BY so.fiscal_number""", [companies])
        for (name,) in self.env.cr.fetchall():
            issues.append({'type': 'unregistered', 'fiscal_number': name,
                           'message': _("%s is on an order but was never given by the fiscal sequence") % name})
        # confirmed orders without a number (impossible through the module: written around it)
        self.env.cr.execute("""SELECT so.name FROM sale_order so
                  WHERE so.state IN ('sale', 'done') AND so.fiscal_number IS NULL AND so.company_id = ANY(%s)
                  ORDER BY so.id""", [companies])
        for (name,) in self.env.cr.fetchall():
            issues.append({'type': 'unnumbered', 'fiscal_number': False,
                           'message': _("%s is a confirmed order without a fiscal number") % name})
        return issues

    # ------------------------------------------------------------------ uninstallation keeps the ledger
    @api.model
    def _keep_ledger(self):
        """Called by the uninstall hook: the ledger survives as a plain table (see the module docstring)."""
        cr = self.env.cr
        cr.execute("SELECT to_regclass('sale_fiscal_number'), to_regclass(%s)", [KEPT_LEDGER])
        ledger, kept = cr.fetchone()
        cr.execute("DROP INDEX IF EXISTS ir_sequence_impact_fiscal_company_uniq")
        for signature in TAKE_SIGNATURES:
            cr.execute("DROP FUNCTION IF EXISTS %s" % signature)
        for name, _definition in REFERENCE_INDEXES:
            cr.execute("DROP INDEX IF EXISTS %s" % name)
        if not ledger:
            return
        if kept:
            cr.execute('INSERT INTO "%s" SELECT * FROM sale_fiscal_number' % KEPT_LEDGER)
            return
        cr.execute("DROP VIEW IF EXISTS sale_fiscal_number_report")
        cr.execute('ALTER TABLE sale_fiscal_number RENAME TO "%s"' % KEPT_LEDGER)
        cr.execute('ALTER INDEX IF EXISTS sale_fiscal_number_company_name_uniq RENAME TO "%s_name_uniq"'
                   % KEPT_LEDGER)

    @api.model
    def _restore_kept_ledger(self):
        """Called on installation: orders numbered before an uninstallation get their fiscal numbers back,
        and the kept entries return to the ledger (numbers from before the first installation are recorded
        again by the installation itself)."""
        cr = self.env.cr
        cr.execute("SELECT to_regclass(%s)", [KEPT_LEDGER])
        if not cr.fetchone()[0]:
            return 0
        # every revision of a numbered order carries the number at the start of its reference
        cr.execute("""
            UPDATE sale_order so SET fiscal_number = k.name
              FROM "%s" k
             WHERE so.fiscal_number IS NULL AND so.company_id = k.company_id AND NOT k.is_legacy
               AND (so.name = k.name OR left(so.name, length(k.name) + 2) = k.name || ' (')""" % KEPT_LEDGER)
        # of the revisions of one number, the newest is the one that counts (the others were replaced)
        cr.execute("""
            UPDATE sale_order so SET is_latest_revision = false
             WHERE so.fiscal_number IS NOT NULL AND EXISTS (
                   SELECT 1 FROM sale_order newer WHERE newer.company_id = so.company_id
                      AND newer.fiscal_number = so.fiscal_number AND newer.id > so.id)""")
        cr.execute("""
            INSERT INTO sale_fiscal_number (name, number, sequence_id, company_id, order_id, date, is_legacy,
                                            lock_wait_ms, create_uid, write_uid, create_date, write_date)
            SELECT k.name, k.number,
                   (SELECT s.id FROM ir_sequence s WHERE s.code = %%s AND s.company_id = k.company_id LIMIT 1),
                   k.company_id, o.id, k.date, k.is_legacy, k.lock_wait_ms, k.create_uid, k.write_uid,
                   k.create_date, k.write_date
              FROM "%s" k
              JOIN res_company c ON c.id = k.company_id
              LEFT JOIN sale_order o ON o.id = k.order_id
             WHERE NOT k.is_legacy
             ORDER BY k.id""" % KEPT_LEDGER, [FISCAL_CODE])
        restored = cr.rowcount
        cr.execute('DROP TABLE "%s"' % KEPT_LEDGER)
        return restored
