"""Quote revisions (1024-1, 1024-2 ...) and gapless fiscal numbers for sales orders.

Naming, fixed by this module:
- a quotation gets a *base number* from the per-company sequence ``sale.quotation.impact`` (prefix,
  padding configurable on the sequence) and revision 1; its ``name`` is ``<base>-<revision>``;
- on its first confirmation an order gets a *fiscal number* from the per-company gapless sequence
  ``sale.order.fiscal`` (see ``sale.fiscal.number``); from then on ``name`` is
  ``<fiscal number> (<base>-<revision>)``, e.g. ``SO/2026/00017 (1024-3)``.
"""
import threading
from collections import OrderedDict
from contextlib import contextmanager

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..internal_flags import has_flag
from ..sql_rules import company_sequence, is_counted_order

REVISION_SEPARATOR = '-'
# what follows the fiscal number in a numbered order's name: its quotation number and revision (or reference)
FISCAL_NAME_TAIL = ' (%s)'

# Fields only this module's own methods may set (never through RPC, whatever the context):
# a thread-local guard, not a context key, opens them for the duration of our own code.
PROTECTED_FIELDS = ('fiscal_number', 'quote_base_number', 'revision', 'is_latest_revision',
                    'previous_revision_id', 'revised_date')
# what may still change on an earlier (read-only) revision: chatter, activities, portal token
_LOCKED_REVISION_WRITABLE_PREFIXES = ('message_', 'activity_', 'website_message')
_LOCKED_REVISION_WRITABLE = ('access_token',)
CONFIRMED_STATES = ('sale', 'done')
QUOTATION_STATES = ('draft', 'sent')
# the fields of an order that its deal's ordered amount reads (see SaleOrderExecution.modified)
EXECUTION_ORDER_FIELDS = frozenset(('state', 'is_latest_revision', 'amount_total'))
# what a confirmed order carries, inside the confirmation's transaction only, until its fiscal number is taken
PENDING_FISCAL_NUMBER = '/'

# what an order's revision does not count among what the order set off (_impact_follow_ups): the order's own parts,
# its revisions, pointers and groupings that are no document (a procurement group outlives its cancelled moves),
# and the add-on's ledger (its reports are SQL views, left out as such)
FOLLOW_UP_OWN_LINKS = frozenset([
    ('sale.order', 'previous_revision_id'), ('sale.order.line', 'order_id'),
    ('sale.order.option', 'order_id'), ('sale.order.option', 'line_id'), ('res.partner', 'last_website_so_id'),
    ('procurement.group', 'sale_id')])
FOLLOW_UP_IGNORED_MODELS = frozenset(['sale.fiscal.number'])
# states of a linked record that count as undone (by model; others: 'cancel'); a payment a customer started and
# left is no payment
FOLLOW_UP_IGNORED_STATES = {'payment.transaction': ('draft', 'cancel', 'error')}

_guard = threading.local()


@contextmanager
def numbering_guard():
    """Open PROTECTED_FIELDS for writing, for the current thread, inside this module's code only."""
    previous = getattr(_guard, 'active', False)
    _guard.active = True
    try:
        yield
    finally:
        _guard.active = previous


def _guard_active():
    return getattr(_guard, 'active', False)


@contextmanager
def confirming(orders):
    """The confirmation of ``orders`` (their "Confirm" button) is running, in the current thread: their write
    of a confirmed state takes their fiscal numbers. Not a context key: a new context would be a new cache
    for every field depending on the context (the order's amounts and lines), read again from the database."""
    previous = getattr(_guard, 'confirming', frozenset())
    _guard.confirming = previous | frozenset(orders.ids)
    try:
        yield
    finally:
        _guard.confirming = previous


def _confirming_ids():
    return getattr(_guard, 'confirming', frozenset())


class SaleOrder(models.Model):
    _inherit = 'sale.order'

    is_latest_revision = fields.Boolean(string='Latest Revision', default=True, readonly=True, index=True,
                                        copy=False,
                                        help="Only the latest revision of a quotation counts, can be sent, "
                                             "edited or confirmed.")
    quote_base_number = fields.Char(string='Quote Number', readonly=True, copy=False, index=True,
                                    help="Base number of the quotation, shared by all its revisions.")
    revision = fields.Integer(string='Revision', readonly=True, copy=False, default=0)
    quote_number = fields.Char(string='Quote Revision', compute='_compute_quote_number', store=True, index=True,
                               help="Base number and revision, e.g. 1024-3.")
    previous_revision_id = fields.Many2one('sale.order', string='Previous Revision', readonly=True, copy=False,
                                           ondelete='restrict')
    revised_date = fields.Datetime(string='Revised On', readonly=True, copy=False,
                                   help="When a newer revision replaced this one.")
    revision_ids = fields.Many2many('sale.order', string='Revisions', compute='_compute_revision_ids')
    revision_count = fields.Integer(string='Revision Count', compute='_compute_revision_ids')
    fiscal_number = fields.Char(string='Fiscal Number', readonly=True, copy=False, index=True,
                                help="Gapless number given on the first confirmation; never changed, never freed.")

    _sql_constraints = [
        ('quote_revision_unique', 'UNIQUE(quote_base_number, revision, company_id)',
         'A revision number can only be used once per quotation number and company.'),
    ]

    # ------------------------------------------------------------------ computes
    @api.depends('quote_base_number', 'revision')
    def _compute_quote_number(self):
        for order in self:
            if order.quote_base_number:
                order.quote_number = '%s%s%d' % (order.quote_base_number, REVISION_SEPARATOR, order.revision)
            else:
                order.quote_number = False

    @api.depends('quote_base_number', 'company_id')
    def _compute_revision_ids(self):
        for order in self:
            if order.quote_base_number and order.id:
                revisions = self.with_context(active_test=False).search([
                    ('quote_base_number', '=', order.quote_base_number),
                    ('company_id', '=', order.company_id.id)], order='revision desc')
            else:
                revisions = order
            order.revision_ids = revisions
            order.revision_count = len(revisions)

    def _impact_name(self, base, revision, fiscal_number):
        quote = '%s%s%d' % (base, REVISION_SEPARATOR, revision)
        return fiscal_number + FISCAL_NAME_TAIL % quote if fiscal_number else quote

    # ------------------------------------------------------------------ numbering of new quotations
    @api.model
    def _impact_quotation_sequence(self, company):
        Sequence = self.env['ir.sequence'].sudo()
        # here, not in create(): _() finds the user's language in the frame of a method (its ``self``)
        name = _('Quotation numbers (%s)') % company.name

        def create():
            return Sequence.create({
                'name': name, 'code': 'sale.quotation.impact',
                'company_id': company.id, 'prefix': '', 'padding': 4, 'number_next': 1001,
                'implementation': 'standard'})
        return company_sequence(Sequence, 'sale.quotation.impact', company, create, shared=True)

    @api.model
    def _impact_unnamed(self, name):
        """True for the references that mean "no name yet": none, Odoo's 'New' or its translation in the
        context's language (the form's default, in the user's language)."""
        return not name or name in ('New', _('New'))

    @api.model
    def _impact_numbering_vals(self, vals):
        """Base number and revision 1 for a new quotation (only when no name was chosen)."""
        # the same test as create's: an order accepted unnamed in any language is numbered
        if not self._impact_unnamed(vals.get('name')):
            return vals
        company = self.env['res.company'].browse(vals['company_id']) if vals.get('company_id') \
            else self.env['res.company']._company_default_get('sale.order')
        base = self._impact_quotation_sequence(company)._next()
        vals.update(quote_base_number=base, revision=1, name=self._impact_name(base, 1, False))
        return vals

    @api.model
    def create(self, vals):
        if not _guard_active():
            self._impact_check_protected_vals(vals, creating=True)
            if not self._impact_unnamed(vals.get('name')):
                raise UserError(_("The order reference is given by the quotation numbering (and, on "
                                  "confirmation, the fiscal numbering): it cannot be chosen."))
            if vals.get('state') in CONFIRMED_STATES:
                raise UserError(_("An order is created as a quotation: confirm it with its \"Confirm\" "
                                  "button, which gives it its fiscal number."))
            vals = self._impact_numbering_vals(dict(vals))
            with numbering_guard():
                return super(SaleOrder, self).create(vals)
        return super(SaleOrder, self).create(vals)

    @api.model
    def _impact_check_protected_vals(self, vals, creating=False):
        for fname in PROTECTED_FIELDS:
            if fname not in vals:
                continue
            if creating:
                # a new order is the latest revision of its quotation: an earlier (frozen) revision is only made
                # by the revision flow, which creates under numbering_guard. The other fields may come empty, as
                # on a new order
                allowed = vals[fname] if fname == 'is_latest_revision' else not vals[fname]
                if allowed:
                    continue
            raise UserError(_("The field '%s' is set by the quotation and fiscal numbering only; "
                              "nobody can write it, administrators included.")
                            % self._fields[fname].get_description(self.env)['string'])

    # ------------------------------------------------------------------ locking of earlier revisions
    @api.multi
    def _impact_check_latest(self, action):
        """Refuse ``action`` ('change', 'send', 'confirm', 'invoice' or 'revise') on earlier revisions. One whole
        sentence per action, not a verb put into a sentence: a translation words each its own way (Hebrew
        puts the verb and its object where the English participle stands)."""
        old = self.filtered(lambda o: not o.is_latest_revision)
        if not old:
            return
        names = ', '.join(old.mapped('name'))
        if action == 'send':
            message = _("%s is an earlier revision, kept read-only as a record: it cannot be sent. Use its latest "
                        "revision instead.")
        elif action == 'confirm':
            message = _("%s is an earlier revision, kept read-only as a record: it cannot be confirmed. Use its "
                        "latest revision instead.")
        elif action == 'invoice':
            message = _("%s is an earlier revision, kept read-only as a record: it cannot be invoiced. Use its "
                        "latest revision instead.")
        elif action == 'revise':
            message = _("%s is an earlier revision, kept read-only as a record: it cannot be revised. Use its "
                        "latest revision instead.")
        else:
            message = _("%s is an earlier revision, kept read-only as a record: it cannot be changed. Use its "
                        "latest revision instead.")
        raise UserError(message % names)

    @api.multi
    def write(self, vals):
        if _guard_active():
            return super(SaleOrder, self).write(vals)
        self._impact_check_protected_vals(vals)
        business = [f for f in vals if f not in _LOCKED_REVISION_WRITABLE
                    and not f.startswith(_LOCKED_REVISION_WRITABLE_PREFIXES)]
        if business:
            self._impact_check_latest('change')
        self._impact_check_numbered_vals(vals)
        if vals.get('state') in QUOTATION_STATES:
            self._impact_check_not_confirmed()
        if 'confirmation_date' in vals:
            self._impact_check_confirmation_date(vals)
        if vals.get('state') in CONFIRMED_STATES:
            self._impact_check_confirmed_by_confirmation()
            # with the orders' prefetch: the records the confirmation reads next (the customer, the author of its
            # chatter message) are then read together, as Odoo reads them for the orders themselves
            unnumbered = self.filtered(lambda order: not order.fiscal_number).with_prefetch(self._prefetch)
            if unnumbered:
                if set(unnumbered.ids) - _confirming_ids():
                    raise UserError(_("%s has no fiscal number: an order becomes a sales order only through its "
                                      "\"Confirm\" button, which gives the number.")
                                    % ', '.join(unnumbered.mapped('name')))
                # the confirmation itself. The fiscal sequence stays locked from the number until the commit
                # (the next confirmation waits for it): so the state's write and what it sets off (tracking,
                # recomputations) run first, under a placeholder number (the database refuses a confirmed
                # order without one), and the number is taken last, in the same transaction.
                res = (self - unnumbered)._impact_confirm_numbered(vals) if self - unnumbered else True
                # what the numbering reads of the orders, read now from the cache: the chatter message that the
                # state's write posts drops the orders from the cache (they would be read again in full)
                numbering = [(order, order.company_id, order._impact_reference())
                             for order in unnumbered.sorted('id')]
                deals = unnumbered.sudo().with_context(prefetch_fields=False).mapped('opportunity_id')
                # the first order's fiscal sequence and ledger, read with the id of the last chatter message (the
                # messages after it are the confirmation's) in one statement: the transaction's snapshot
                # (REPEATABLE READ) is already taken, so the ledger reads the same before the state's write
                Ledger = self.env['sale.fiscal.number'].sudo()
                first_company = numbering[0][1]
                ledger_state = Ledger._sequence_and_ledger(first_company, last_message=True)
                ledger_states, messages_before = {first_company: ledger_state[:-1]}, ledger_state[-1]
                with numbering_guard():
                    super(SaleOrder, unnumbered).write(dict(vals, fiscal_number=PENDING_FISCAL_NUMBER))
                # what the confirmation reads once numbered, read before the numbers (the products' expense
                # policy, for Odoo's analytic account; the deals' stage group, for the automatic Done): every
                # confirmation waiting for the fiscal sequence waits for whatever runs between the number and
                # the commit
                unnumbered.mapped('order_line.product_id.expense_policy')
                deals._impact_read_stage_groups()
                for order, company, reference in numbering:
                    # the confirmation's chatter messages get the order's new name (as Discuss shows it) with
                    # the number, in the same round trip
                    number = Ledger._take_next(order, company, ledger_states.pop(company, None),
                                               rename=(order._impact_fiscal_name_tail(reference), messages_before))
                    values = order._impact_fiscal_vals(number, reference)
                    with numbering_guard():
                        super(SaleOrder, order._impact_untracked_if_silent(values)).write(values)
                self.env['mail.message'].invalidate_cache(['record_name'])
                return res
            return self._impact_confirm_numbered(vals)
        return super(SaleOrder, self).write(vals)

    @api.multi
    def _impact_check_confirmed_by_confirmation(self):
        """A quotation holding a fiscal number (a cancelled order set back to quotation, a new revision of an
        order) becomes a sales order again only through its confirmation, as one without a number does: a plain
        write of the state would skip what the confirmation does (its checks, the deal's automation, Odoo's
        deliveries and analytic account)."""
        confirming_ids = _confirming_ids()
        skipped = self.filtered(lambda order: order.fiscal_number and order.state not in CONFIRMED_STATES
                                and order.id not in confirming_ids)
        if skipped:
            raise UserError(_("%s becomes a sales order only through its \"Confirm\" button.")
                            % ', '.join(skipped.mapped('name')))

    @api.multi
    def _impact_check_not_confirmed(self):
        """A sales order goes back to quotation only through its cancellation ("Cancel", then "Set to
        Quotation"), as in Odoo's own flow: a write of a quotation's state would take it out of its deal's ordered
        amount without the cancellation's flag on the deal, and count as a quotation sent to the customer (its
        follow-up task)."""
        confirmed = self.filtered(lambda order: order.state in CONFIRMED_STATES)
        if confirmed:
            raise UserError(_("%s is a sales order: it goes back to quotation only by cancelling it (its \"Cancel\" "
                              "button, then \"Set to Quotation\").") % ', '.join(confirmed.mapped('name')))

    @api.multi
    def _impact_check_confirmation_date(self, vals):
        """The confirmation date of an order holding a fiscal number is part of its fiscal record (the numbering
        check compares the dates in the numbers' order): only the confirmation itself writes it."""
        date = self._fields['confirmation_date'].convert_to_cache(vals['confirmation_date'], self)
        changed = self.filtered(lambda order: order.fiscal_number and order.confirmation_date != date)
        if vals.get('state') in CONFIRMED_STATES:
            changed = changed.filtered(lambda order: order.id not in _confirming_ids())
        if changed:
            raise UserError(_("%s has a fiscal number: its confirmation date is part of its fiscal record and "
                              "cannot be changed.") % ', '.join(changed.mapped('name')))

    @api.multi
    def _backdate_confirmation(self, confirmation_date):
        """Demo data and imports of history: these orders were confirmed on ``confirmation_date`` (server side
        only: a private method, not callable over RPC)."""
        with numbering_guard():
            return self.write({'confirmation_date': confirmation_date})

    @api.multi
    def _impact_confirm_numbered(self, vals):
        """Write ``vals``, a confirmed state, on these orders that already hold a fiscal number: confirmed again
        after a cancellation, or a new revision of a numbered order. They keep the date of their number's first
        confirmation rather than the date of this one (Odoo's confirmation writes the current time): the
        fiscal record does not move, and the orders numbered since are not reported as out of date order."""
        if not self or not vals.get('confirmation_date'):
            return super(SaleOrder, self).write(vals)
        by_date = OrderedDict()
        for order in self:
            date = order._impact_first_confirmation_date() or vals['confirmation_date']
            by_date.setdefault(date, []).append(order.id)
        for date, order_ids in by_date.items():
            super(SaleOrder, self.browse(order_ids)).write(dict(vals, confirmation_date=date))
        return True

    @api.multi
    def _impact_first_confirmation_date(self):
        """When this order's fiscal number was first confirmed: its own confirmation date, or, for a revision
        never confirmed itself, that of the revision it replaced (read as superuser: an earlier revision may
        belong to another salesperson)."""
        self.ensure_one()
        if self.confirmation_date:
            return self.confirmation_date
        order = self.sudo().previous_revision_id
        while order and not order.confirmation_date:
            order = order.previous_revision_id
        return order.confirmation_date or False

    @api.multi
    def _impact_untracked_if_silent(self, vals):
        """These orders without the chatter's tracking when none of the fields in ``vals`` is tracked: such a
        write posts no message, but mail.thread would still read and compare every tracked field (the
        fiscal number's write, inside the sequence lock, runs right after the tracked confirmation)."""
        if any(getattr(self._fields[name], 'track_visibility', None) for name in vals):
            return self
        return self.with_context(mail_notrack=True)

    @api.multi
    def _impact_check_numbered_vals(self, vals):
        """The reference of an order is set by the numbering; a numbered order keeps its company."""
        if 'name' in vals:
            changed = self.filtered(lambda order: order.name != vals['name'])
            if changed:
                raise UserError(_("The order reference is given by the quotation and fiscal numbering: it "
                                  "cannot be changed (%s).") % ', '.join(changed.mapped('name')))
        if 'company_id' in vals:
            numbered = self.filtered(lambda order: order.fiscal_number and order.company_id.id != vals['company_id'])
            if numbered:
                raise UserError(_("%s has a fiscal number of its company: its company cannot change.")
                                % ', '.join(numbered.mapped('name')))

    @api.multi
    def unlink(self):
        fiscal = self.filtered('fiscal_number')
        if fiscal:
            raise UserError(_("%s has a fiscal number and can never be deleted: cancel it instead.")
                            % ', '.join(fiscal.mapped('name')))
        for order in self.filtered('quote_base_number'):
            if order.revision_ids - self:
                raise UserError(_("%s has other revisions: delete all its revisions together, or cancel it.")
                                % order.name)
        return super(SaleOrder, self).unlink()

    @api.multi
    def action_quotation_send(self):
        self._impact_check_latest('send')
        return super(SaleOrder, self).action_quotation_send()

    @api.multi
    def force_quotation_send(self):
        self._impact_check_latest('send')
        return super(SaleOrder, self).force_quotation_send()

    @api.multi
    def print_quotation(self):
        """An earlier revision is printed as the record it is (its document says it was replaced): Odoo's "Print"
        marks a draft quotation sent, a change refused on an earlier revision, so the button failed on one."""
        earlier = self.filtered(lambda order: not order.is_latest_revision)
        if not earlier:
            return super(SaleOrder, self).print_quotation()
        super(SaleOrder, self - earlier).print_quotation()
        return self.env.ref('sale.action_report_saleorder').report_action(self)

    @api.multi
    def message_post(self, *args, **kwargs):
        """The quotation's "Send by Email" posts its e-mail with sale's context that marks the order sent: refused
        for an earlier revision, as the button is, also from a dialog opened before a colleague revised the
        quotation, or a composer created over RPC with the button's context. Other messages (notes, the
        customer's replies) are posted on any revision."""
        if self.env.context.get('mark_so_as_sent'):
            self._impact_check_latest('send')
        return super(SaleOrder, self).message_post(*args, **kwargs)

    @api.multi
    def action_confirm(self):
        self._impact_check_latest('confirm')
        return super(SaleOrder, self).action_confirm()

    @api.multi
    def _action_confirm(self):
        self._impact_check_latest('confirm')
        # the confirmation's own write of state 'sale' takes the fiscal numbers (see write); the row lock of
        # the fiscal sequence is then held until commit
        with confirming(self):
            return super(SaleOrder, self)._action_confirm()

    @api.multi
    def get_portal_confirmation_action(self):
        """An earlier revision is a record of what was offered, replaced by a newer one: its portal page (the link
        of the e-mail that sent it, "My Quotations") offers no "Accept & Sign" (its confirmation is refused), the
        latest revision's page does."""
        if self.filtered(lambda order: not order.is_latest_revision):
            return 'none'
        return super(SaleOrder, self).get_portal_confirmation_action()

    @api.multi
    def action_invoice_create(self, grouped=False, final=False):
        self._impact_check_latest('invoice')
        return super(SaleOrder, self).action_invoice_create(grouped=grouped, final=final)

    @api.model_cr
    def init(self):
        self._impact_add_fiscal_check()

    @api.model
    def _impact_add_fiscal_check(self):
        """Database guarantee: no confirmed order without a fiscal number. Added once every confirmed order
        has one (on installation, after the orders made before it got theirs)."""
        cr = self.env.cr
        cr.execute("SELECT 1 FROM pg_constraint WHERE conname = 'sale_order_confirmed_has_fiscal_number'")
        if cr.fetchone():
            return
        cr.execute("SELECT 1 FROM sale_order WHERE state IN ('sale', 'done') AND fiscal_number IS NULL LIMIT 1")
        if cr.fetchone():
            return
        cr.execute("""ALTER TABLE sale_order ADD CONSTRAINT sale_order_confirmed_has_fiscal_number
                      CHECK (state NOT IN ('sale', 'done') OR fiscal_number IS NOT NULL)""")

    @api.multi
    def copy(self, default=None):
        # a duplicate is a new quotation: new base number, revision 1, no fiscal number
        default = dict(default or {})
        if not _guard_active():
            default['name'] = _('New')
        return super(SaleOrder, self).copy(default)

    # ------------------------------------------------------------------ fiscal numbers
    @api.multi
    def _impact_reference(self):
        """(quote number, revision, reference) of this order: what its numbered name is made of."""
        self.ensure_one()
        return self.quote_base_number, self.revision, self.name

    @api.multi
    def _impact_fiscal_vals(self, fiscal_number, reference=None):
        """The values that give this order the fiscal number ``fiscal_number`` (the name of its ledger entry);
        ``reference``: the order's ``_impact_reference()``, when already read."""
        return {'fiscal_number': fiscal_number, 'name': fiscal_number + self._impact_fiscal_name_tail(reference)}

    @api.multi
    def _impact_fiscal_name_tail(self, reference=None):
        """What follows the fiscal number in this order's numbered name (``_impact_name``): its quotation number
        and revision, or its reference when it has no quotation number, in parentheses."""
        base, revision, name = reference or self._impact_reference()
        return FISCAL_NAME_TAIL % (self._impact_name(base, revision, False) if base else name)

    # ------------------------------------------------------------------ revisions
    @api.multi
    def action_new_revision(self):
        """Copy the latest revision into the next one; the current one becomes read-only ('revised')."""
        self.ensure_one()
        self._impact_check_latest('revise')
        if self.state == 'cancel':
            raise UserError(_("A cancelled order cannot be revised: set it back to quotation first."))
        if self.invoice_ids.filtered(lambda inv: inv.state != 'cancel'):
            raise UserError(_("%s already has invoices: it cannot be revised any more, because the invoices would "
                              "no longer match the agreed order. Create a new quotation for the changes.")
                            % self.name)
        if not self.quote_base_number:
            raise UserError(_("%s has no quotation number and cannot be revised.") % self.name)
        self._impact_check_no_follow_ups()
        # row lock on the revision being replaced: two users revising at the same time are serialized,
        # the second one then finds it is no longer the latest revision (plus the unique constraint)
        self.env.cr.execute("SELECT id FROM sale_order WHERE id = %s FOR UPDATE", [self.id], log_exceptions=False)
        self.env.cr.execute("SELECT max(revision) FROM sale_order WHERE quote_base_number = %s AND company_id = %s",
                            [self.quote_base_number, self.company_id.id])
        next_revision = (self.env.cr.fetchone()[0] or 0) + 1
        with numbering_guard():
            new = self.copy({
                'quote_base_number': self.quote_base_number,
                'revision': next_revision,
                'fiscal_number': self.fiscal_number,
                'previous_revision_id': self.id,
                'is_latest_revision': True,
                'name': self._impact_name(self.quote_base_number, next_revision, self.fiscal_number),
                'opportunity_id': self.opportunity_id.id,
                'origin': self.origin,
                'client_order_ref': self.client_order_ref,
                'validity_date': self.validity_date,
                'date_order': fields.Datetime.now(),
            })
            self.write({'is_latest_revision': False, 'revised_date': fields.Datetime.now()})
        self.message_post(body=_("Replaced by revision %s.") % new.name)
        return {
            'type': 'ir.actions.act_window',
            'res_model': 'sale.order',
            'res_id': new.id,
            'view_mode': 'form',
            'target': 'current',
        }

    @api.multi
    def _impact_follow_ups(self):
        """What this order set off outside itself, as {description: count}: the records of other models that a
        stored many2one links to the order or to its lines (Odoo's deliveries and procurements, projects, tasks
        and timesheets, event registrations, re-invoiced expenses, payments ...), cancelled ones left out, and
        its lines' delivered quantities. Not the order's own parts (lines, options), its earlier revisions nor
        the add-on's ledger and reports. Found from the registry, so that it holds for whichever apps are
        installed: such records stay linked to the revision they were made for, which becomes read-only, and
        confirming the next revision sets them off a second time (a second delivery, a second project, the
        attendees registered twice)."""
        self.ensure_one()
        follow_ups = OrderedDict()
        line_ids = self.order_line.ids
        # the document's own parts: the records of a list of the order or of its lines that a copy copies (the
        # lines, optional products, OCA sale_commission's agents of a line ...), which the revision takes along
        own_links = set(FOLLOW_UP_OWN_LINKS)
        for parent in ('sale.order', 'sale.order.line'):
            own_links.update((field.comodel_name, field.inverse_name) for field in self.env[parent]._fields.values()
                             if field.type == 'one2many' and field.copy and field.inverse_name)
        for model_name in sorted(self.env.registry):
            Model = self.env[model_name]
            if Model._abstract or Model._transient or not Model._auto or model_name in FOLLOW_UP_IGNORED_MODELS:
                continue
            for field in Model._fields.values():
                if field.type != 'many2one' or not field.store or (model_name, field.name) in own_links:
                    continue
                if field.comodel_name == 'sale.order':
                    ids = self.ids
                elif field.comodel_name == 'sale.order.line' and line_ids:
                    ids = line_ids
                else:
                    continue
                domain = [(field.name, 'in', ids)]
                if 'state' in Model._fields:
                    domain.append(('state', 'not in', FOLLOW_UP_IGNORED_STATES.get(model_name, ('cancel',))))
                count = Model.sudo().search_count(domain)
                if count:
                    # the model's name in the user's language (ir.model's, translated), as Odoo's menus name it
                    description = self.env['ir.model']._get(model_name).name or model_name
                    follow_ups[description] = follow_ups.get(description, 0) + count
        delivered = self.order_line.filtered(lambda line: line.qty_delivered)
        if delivered:
            description = self.order_line._fields['qty_delivered'].get_description(self.env)['string']
            follow_ups[description] = len(delivered)
        return follow_ups

    @api.multi
    def _impact_check_no_follow_ups(self):
        """An order whose confirmation set things off outside it (see _impact_follow_ups) is not revised, as an
        invoiced one is not: they would stay with the read-only revision, and the next one would set them off
        again."""
        follow_ups = self._impact_follow_ups()
        if follow_ups:
            raise UserError(_("%s already has %s: it cannot be revised any more, because they would no longer "
                              "match the agreed order and the new revision would make them again. Cancel them, "
                              "or create a new quotation for the changes.")
                            % (self.name, ', '.join('%s (%d)' % item for item in follow_ups.items())))

    @api.multi
    def action_view_revisions(self):
        self.ensure_one()
        action = self.env.ref('sale.action_orders').read()[0]
        action.update({
            'name': _('Revisions of %s') % self.quote_base_number,
            'domain': [('id', 'in', self.revision_ids.ids)],
            'context': {'create': False},
        })
        return action


class SaleOrderOpportunity(models.Model):
    """No deal escapes tracking. A quotation created without an opportunity gets one
    (company setting ``res.company.quotation_creates_opportunity``, on by default)."""
    _inherit = 'sale.order'

    @api.model
    def create(self, vals):
        order = super(SaleOrderOpportunity, self).create(vals)
        if not order.opportunity_id and not has_flag(self, 'impact_no_auto_opportunity'):
            order._create_opportunity_from_quotation()
        order._impact_convert_leads()
        return order

    @api.multi
    def write(self, vals):
        res = super(SaleOrderOpportunity, self).write(vals)
        if vals.get('opportunity_id'):
            self._impact_convert_leads()
        return res

    @api.multi
    def _impact_convert_leads(self):
        """A quotation is made for an opportunity: a lead given as an order's opportunity (create, import, copy,
        a change of the opportunity) is converted, as "New Quotation" on the lead does, with the order's customer
        when the lead has none. Converted with the user's rights: a lead he may not change is refused."""
        for order in self:
            lead = order.opportunity_id
            if lead and lead.sudo().type == 'lead':
                # Odoo's conversion leaves archived and won leads as they are (as its wizard does)
                lead.convert_opportunity(lead.sudo().partner_id.id or order.partner_id.id)

    @api.multi
    def _create_opportunity_from_quotation(self):
        for order in self.filtered(lambda o: o.company_id.quotation_creates_opportunity and o.partner_id):
            stage = self.env.ref('impact_crm.stage_quote', raise_if_not_found=False)
            if not stage:
                stage = self.env['crm.stage'].search([('group_kind', '=', 'open')], limit=1)
            order.opportunity_id = self.env['crm.lead'].create({
                'name': _("%s - %s") % (order.name, order.partner_id.display_name),
                'type': 'opportunity',
                'partner_id': order.partner_id.id,
                'user_id': order.user_id.id,
                'team_id': order.team_id.id,
                'company_id': order.company_id.id,
                'stage_id': stage.id,
                'planned_revenue': order.amount_untaxed,
            }).id


class SaleOrderSentFollowUp(models.Model):
    """A quotation becoming 'sent' (sent by email with mark_so_as_sent, or printed) fires the
    'quotation sent' automation rules on its opportunity."""
    _inherit = 'sale.order'

    @api.multi
    def write(self, vals):
        if vals.get('state') != 'sent':
            return super(SaleOrderSentFollowUp, self).write(vals)
        newly_sent = self.filtered(lambda order: order.state != 'sent')
        res = super(SaleOrderSentFollowUp, self).write(vals)
        self.env['crm.stage.rule']._fire_quotation_sent_rules(newly_sent.mapped('opportunity_id'))
        return res


# --------------------------------------------------------------------------------------------------
# Execution: changes of an order's state or amounts move its won deal on (invoiced, paid, done).
# --------------------------------------------------------------------------------------------------


class SaleOrderExecution(models.Model):
    _inherit = 'sale.order'

    @api.multi
    def modified(self, fnames):
        """The deals' ordered amount follows the fields of their orders that it reads (``crm.lead``'s
        ``_compute_amount_ordered``): the orders' deals are marked for its recomputation here, as Odoo would mark
        the deals it finds by a search (two statements, before and after every write of an order's state).
        Called before and after the UPDATE of a write, after the INSERT of a create and before a DELETE, as
        Odoo's own triggers are: a deal losing or getting an order is found by its reference."""
        super(SaleOrderExecution, self).modified(fnames)
        if EXECUTION_ORDER_FIELDS.isdisjoint(fnames):
            return
        orders = self.browse([order_id for order_id in self._ids if isinstance(order_id, int)])
        leads = orders.sudo().with_context(prefetch_fields=False).mapped('opportunity_id').with_env(self.env)
        if not leads:
            return
        field = leads._fields['amount_ordered']
        target = leads - self.env.protected(field)
        if target:
            self.env.cache.invalidate([(field, target._ids)])
            target._recompute_todo(field)

    @api.multi
    def write(self, vals):
        if vals.get('state') != 'cancel':
            # the deals read before the write, while the orders are in the cache (the chatter message of a
            # tracked write drops them from it), unless the write changes them
            leads = self.sudo().mapped('opportunity_id') if 'state' in vals and 'opportunity_id' not in vals \
                else None
            res = super(SaleOrderExecution, self).write(vals)
            if 'state' in vals:
                if leads is None:
                    leads = self.sudo().mapped('opportunity_id')
                if leads:
                    leads._check_auto_done()
            return res
        confirmed = self.filtered(is_counted_order)
        res = super(SaleOrderExecution, self).write(vals)
        if confirmed:
            confirmed.sudo().mapped('opportunity_id')._flag_orders_cancelled(confirmed)
        return res


# --------------------------------------------------------------------------------------------------
# Input guard (impact_input_guard.py): the types and ranges of the values sent to create/write are
# checked before anything else runs, so this class stays last in the file.
# --------------------------------------------------------------------------------------------------


class SaleOrderInputGuard(models.Model):
    _name = 'sale.order'
    _inherit = ['impact.input.guard', 'sale.order']
