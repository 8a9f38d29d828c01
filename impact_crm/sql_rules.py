"""The business rules that several models, views and reports apply, written once: what a won, lost and
open deal is, which orders count, the company-currency amount of an order, quarters, right-to-left
languages and a company's sequences. Each rule comes as the SQL fragment the reports embed and, where
Python needs it too, as the Python test or domain derived from the same constants.

SQL fragments take the aliases of the caller's query (``lead``, ``stage`` ...) so that one text serves
every query; they are plain strings (no user input ever reaches them).
"""
from dateutil.relativedelta import relativedelta

from odoo import fields

# -- the outcome of a deal ---------------------------------------------------------------------------
#
# Won: the deal is in a stage of an Execution or Closed stage group, and that stage is not a Lost one
# (entering an Execution stage sets the probability to 100 %; a Closed stage keeps a rep's probability).
# Open: a stage of an Open group (or none). Lost: recorded by the lost flow (archived with a loss date).
#
# Two readings older than this rule stay where they are because they differ on reachable data and the
# tests fix them: the people of a deal (crm.lead.contact's ``is_won``) and the win/loss by competitor
# call a deal won at probability 100 % (a rep may type 100 % in an open stage, or lower it in a Closed
# one): ``WON_BY_PROBABILITY_SQL`` below. The customer history counts as lost Odoo's own meaning too
# (archived at 0 %): ``lost_or_archived_sql``.

WON_STAGE_KINDS = ('execution', 'closed')
OPEN_STAGE_KIND = 'open'


def _kinds_sql(kinds):
    return '(%s)' % ', '.join("'%s'" % kind for kind in kinds)


def won_sql(lead='l', stage='s', active=True):
    """SQL condition: the deal ``lead`` (its stage joined as ``stage``) is won."""
    condition = "%s.stage_group_kind IN %s AND NOT COALESCE(%s.is_lost, FALSE)" % (
        lead, _kinds_sql(WON_STAGE_KINDS), stage)
    return ('%s.active AND %s' % (lead, condition)) if active else condition


def group_won_sql(group='g'):
    """SQL condition on a joined stage group ``group`` (the reports whose rows already leave out the
    lost and archived deals): its deals are won."""
    return "%s.kind IN %s" % (group, _kinds_sql(WON_STAGE_KINDS))


def status_sql(group='g'):
    """The ``status`` column of the forecast reports ('open' or 'won') of a joined stage group."""
    return "CASE WHEN %s.kind = '%s' THEN 'open' ELSE 'won' END::varchar" % (group, OPEN_STAGE_KIND)


def open_sql(lead='l'):
    """SQL condition: the deal is active in an open stage (or without a stage group)."""
    return "%s.active AND COALESCE(%s.stage_group_kind, '%s') = '%s'" % (lead, lead, OPEN_STAGE_KIND, OPEN_STAGE_KIND)


def lost_sql(lead='l'):
    """SQL condition: the deal was lost through the lost flow (archived, with its loss recorded)."""
    return "%s.lost_date IS NOT NULL AND %s.active IS NOT TRUE" % (lead, lead)


def lost_or_archived_sql(lead='l', stage='s'):
    """SQL condition: in a Lost stage, or archived at probability 0 (Odoo's own meaning of lost)."""
    return "(COALESCE(%s.is_lost, FALSE) OR (NOT %s.active AND %s.probability = 0))" % (stage, lead, lead)


WON_BY_PROBABILITY_SQL = "{lead}.active AND {lead}.probability >= 100"


def stage_is_won(stage):
    """Python: deals in ``stage`` (a crm.stage record) are won."""
    return stage.group_id.kind in WON_STAGE_KINDS and not stage.is_lost


def is_won(lead, active=True):
    """Python: the deal ``lead`` is won (as ``won_sql``)."""
    return (lead.active or not active) and lead.stage_group_kind in WON_STAGE_KINDS and not lead.stage_id.is_lost


def is_won_by_probability(lead):
    """Python: ``WON_BY_PROBABILITY_SQL``."""
    return bool(lead.active and lead.probability >= 100)


# -- orders that count --------------------------------------------------------------------------------
#
# A confirmed order counts (ordered amounts, customer history, the deal's orders, cancellation after a win)
# when it is the latest revision of its quotation and in state sale or done.

COUNTED_ORDER_STATES = ('sale', 'done')


def counted_order_sql(order='so'):
    return "%s.is_latest_revision AND %s.state IN %s" % (order, order, _kinds_sql(COUNTED_ORDER_STATES))


COUNTED_ORDER_WHERE = counted_order_sql()
COUNTED_ORDER_DOMAIN = [('state', 'in', COUNTED_ORDER_STATES), ('is_latest_revision', '=', True)]


def is_counted_order(order):
    """Python: ``counted_order_sql`` for one sale.order record."""
    return order.is_latest_revision and order.state in COUNTED_ORDER_STATES


# -- the invoices of a deal ---------------------------------------------------------------------------

# Every (opportunity, customer invoice or credit note) pair: the invoices of the deal's order lines and
# the credit notes issued for them (Odoo links those only through ``refund_invoice_id``). An invoice
# counts once per opportunity however many of its lines come from the deal's orders.
LEAD_INVOICE_SQL = """
    SELECT DISTINCT so.opportunity_id AS lead_id, x.invoice_id AS invoice_id
      FROM sale_order so
      JOIN sale_order_line sol ON sol.order_id = so.id
      JOIN sale_order_line_invoice_rel rel ON rel.order_line_id = sol.id
      JOIN account_invoice_line ail ON ail.id = rel.invoice_line_id
     CROSS JOIN LATERAL (SELECT ail.invoice_id
                          UNION ALL
                         SELECT r.id FROM account_invoice r WHERE r.refund_invoice_id = ail.invoice_id) x
     WHERE so.opportunity_id IS NOT NULL
"""


# -- amounts in the company currency ------------------------------------------------------------------

def rate_sql(currency, company, date):
    """SQL expression: Odoo's rate of ``currency`` on ``date`` for ``company`` (all three SQL expressions):
    the latest rate on or before the date, the company's own rates before the shared ones, 1.0 without any."""
    return """COALESCE(
                (SELECT r.rate FROM res_currency_rate r WHERE r.currency_id = {cur} AND r.company_id = {company}
                    AND r.name <= {date} ORDER BY r.name DESC LIMIT 1),
                (SELECT r.rate FROM res_currency_rate r WHERE r.currency_id = {cur} AND r.company_id IS NULL
                    AND r.name <= {date} ORDER BY r.name DESC LIMIT 1),
                1.0)""".format(cur=currency, company=company, date=date)


def company_rate_factor_sql(date, order='so', pricelist='pl', company='rc'):
    """SQL expression: the factor converting an amount of ``order`` (its pricelist joined as ``pricelist``,
    its company as ``company``) to the company currency at ``date`` (1.0 when the currencies are the same:
    no rate is looked up)."""
    return """CASE WHEN {pl}.currency_id = {rc}.currency_id THEN 1.0
                   ELSE {to_rate} / {from_rate} END""".format(
        pl=pricelist, rc=company,
        to_rate=rate_sql('%s.currency_id' % company, '%s.company_id' % order, date),
        from_rate=rate_sql('%s.currency_id' % pricelist, '%s.company_id' % order, date))


# -- the company's days -------------------------------------------------------------------------------
#
# A moment stored in UTC (an order's confirmation, a deal's closing or creation) counts in the forecast and the
# quotas on its day in the company's reporting time zone (res.company's forecast_tz; none: UTC): an order
# confirmed at 00:30 on 1 February in Jerusalem is February's, as Odoo's own pivot shows it to a user there.

def company_day_sql(moment, company=None, tz=None):
    """SQL expression: the day of the UTC timestamp ``moment`` in the reporting time zone of the company whose
    id is the expression ``company``, or of the time zone column ``tz`` of a joined company."""
    if tz is None:
        tz = '(SELECT tzc.forecast_tz FROM res_company tzc WHERE tzc.id = %s)' % company
    return "((%s) AT TIME ZONE 'UTC' AT TIME ZONE COALESCE(%s, 'UTC'))::date" % (moment, tz)


# -- amounts of several companies ---------------------------------------------------------------------

def company_currency_factors(env):
    """[(company id, factor)] converting an amount in the currency of each company whose currency is not the
    current user's company's to that one (the currency the user's figures are shown in), at his today's rate with
    his company's rates; [] when every company has his company's currency (one query, nothing to convert)."""
    company = env.user.company_id
    cr = env.cr
    cr.execute("SELECT id FROM res_company WHERE currency_id != %s", (company.currency_id.id,))
    others = [company_id for company_id, in cr.fetchall()]
    if not others:
        return []
    cr.execute("""SELECT c.id, ({to_rate} / {from_rate})::float8 FROM res_company c WHERE c.id IN %(ids)s""".format(
        to_rate=rate_sql('%(currency_id)s', '%(company_id)s', '%(date)s::date'),
        from_rate=rate_sql('c.currency_id', '%(company_id)s', '%(date)s::date')),
        {'ids': tuple(others), 'currency_id': company.currency_id.id, 'company_id': company.id,
         'date': fields.Date.context_today(company)})
    return cr.fetchall()


def currency_factor_sql(factors, company):
    """SQL expression: the factor of ``factors`` (company_currency_factors) for the company id expression
    ``company``, 1.0 for the others."""
    if not factors:
        return '1.0'
    return '(CASE %s %s ELSE 1.0 END)' % (company, ' '.join('WHEN %d THEN %r::numeric' % (company_id, factor)
                                                            for company_id, factor in factors))


# the date an order's amount is converted at: its confirmation (a quotation: its order date)
ORDER_CONFIRMATION_DATE = "COALESCE(so.confirmation_date, so.date_order)::date"
ORDER_DATE = "so.date_order::date"


def order_company_amount_sql(amount='so.amount_total', date=ORDER_CONFIRMATION_DATE):
    """SQL expression: ``amount`` of sale order ``so`` (joined with its pricelist ``pl`` and company ``rc``)
    in the company currency at ``date`` (by default the order's confirmation date)."""
    return "({amount} * {to_rate} / {from_rate})".format(
        amount=amount, to_rate=rate_sql('rc.currency_id', 'so.company_id', date),
        from_rate=rate_sql('pl.currency_id', 'so.company_id', date))


# -- periods -------------------------------------------------------------------------------------------

def quarter_start(day):
    """The first day of the quarter of ``day`` (a date)."""
    return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)


def period_start(day, granularity):
    """The first day of the month, quarter or year of ``day``."""
    if granularity == 'month':
        return day.replace(day=1)
    if granularity == 'quarter':
        return quarter_start(day)
    return day.replace(month=1, day=1)


QUARTER = relativedelta(months=3)


# -- languages -----------------------------------------------------------------------------------------

# Odoo 11 installs every language left-to-right; these are written right to left.
RTL_LANGUAGE_PREFIXES = ('he', 'ar', 'fa', 'ur', 'yi')


def is_rtl_code(code):
    """A language code ('he_IL') of a right-to-left language."""
    return (code or '').split('_')[0] in RTL_LANGUAGE_PREFIXES


# -- a company's sequence ------------------------------------------------------------------------------

def company_sequence(Sequence, code, company, create, shared=False):
    """The ir.sequence of ``code`` for ``company``, created by ``create()`` when missing.

    :param Sequence: the ir.sequence model to search with (sudo, context as the caller needs)
    :param shared: fall back on a sequence of no company before creating one
    :param create: called without arguments when there is none; returns the new sequence, or nothing
        when it created it by SQL (it is then searched again)
    """
    domain = [('code', '=', code)]
    seq = Sequence.search(domain + [('company_id', '=', company.id)], limit=1)
    if not seq and shared:
        seq = Sequence.search(domain + [('company_id', '=', False)], limit=1)
    if not seq:
        seq = create() or Sequence.search(domain + [('company_id', '=', company.id)], limit=1)
    return seq


# -- the stored tables checked against a fresh computation ---------------------------------------------


def count_differing_rows(cr, kept, fresh):
    """Number of rows that one of the queries ``kept`` and ``fresh`` gives and the other does not, counted as
    multisets (0 when a stored table or its sums are in step with what they are computed from)."""
    cr.execute("SELECT count(*) FROM (((%s) EXCEPT ALL (%s)) UNION ALL ((%s) EXCEPT ALL (%s))) d"
               % (kept, fresh, fresh, kept))
    return cr.fetchone()[0]
