# Copyright 2026 impact_crm authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Databases installed with 11.0.1.0.0 (before the race-free fiscal sequence) may hold two fiscal sequences
(code sale.order.fiscal) for one company: a manager's Duplicate in Sales > Configuration > Sequences, or two
first confirmations of a new company at the same moment. The upgrade's unique index on the sequence's company
(sale.fiscal.number's init) then stopped the whole upgrade with a UniqueViolation. Each company keeps the
sequence that gave its highest number (the oldest one when none was used); the others stay, with the numbers they gave,
under another code and archived, so that the index holds. The numbers continue after the company's highest."""
import logging

_logger = logging.getLogger(__name__)

FISCAL_CODE = 'sale.order.fiscal'
SUPERSEDED_CODE = 'sale.order.fiscal.superseded'


def supersede_duplicate_fiscal_sequences(cr):
    """Every company's fiscal sequences but one get SUPERSEDED_CODE; returns the ids of those."""
    cr.execute("SELECT to_regclass('sale_fiscal_number')")
    has_ledger = bool(cr.fetchone()[0])
    # the sequence that gave the company's highest number (its numbers then go on without a gap in the
    # numbering check, which follows each sequence), then the one used last, then the oldest
    used = ("(SELECT max(l.number) FROM sale_fiscal_number l WHERE l.sequence_id = s.id) DESC NULLS LAST, "
            "(SELECT max(l.id) FROM sale_fiscal_number l WHERE l.sequence_id = s.id) DESC NULLS LAST, "
            if has_ledger else "")
    cr.execute("""
        SELECT id, company_id FROM (
            SELECT s.id, s.company_id,
                   row_number() OVER (PARTITION BY s.company_id ORDER BY %s s.id) AS rank
              FROM ir_sequence s
             WHERE s.code = %%s AND s.company_id IS NOT NULL) ranked
         WHERE rank > 1 ORDER BY id""" % used, [FISCAL_CODE])
    rows = cr.fetchall()
    if rows:
        ids = [row[0] for row in rows]
        cr.execute("UPDATE ir_sequence SET code = %s, active = false WHERE id IN %s", [SUPERSEDED_CODE, tuple(ids)])
        _logger.warning("fiscal sequences %s were a second fiscal sequence of their company (%s): archived under "
                        "the code %s, the company's numbers continue in one sequence",
                        ids, sorted(set(row[1] for row in rows)), SUPERSEDED_CODE)
        return ids
    return []


def migrate(cr, version):
    if not version:
        return
    supersede_duplicate_fiscal_sequences(cr)
