"""Upgrades from older versions of the add-on keep every promise, on data those versions let through:

- a demo database's upgrade (Odoo loads the demo file again, in update mode) keeps the stage history of the demo
  deals, the moves users made on them since the installation included: Odoo 11 runs a ``<delete>`` of a demo
  (noupdate) file at every upgrade, so the demo's reset of their history is a ``<function>`` (install only);
- a database of 11.0.1.0.0 where a company has two fiscal sequences (a manager's Duplicate in the sequences'
  list, or two first confirmations of a new company at the same moment) upgrades: the migration keeps the
  sequence that gave the company's highest number and archives the other under another code, so that the unique
  index of one fiscal sequence per company is created, and the numbers go on after the company's highest;
- fiscal numbers given twice by such a database (they can never be changed) do not stop the upgrade either: the
  unique index of the names is left out, the numbering check reports them.
"""
import importlib.util
import os

from lxml import etree

from odoo.modules.module import get_module_path
from odoo.tests.common import SavepointCase
from odoo.tools import convert_file, mute_logger

from ..models.sale_fiscal_number import FISCAL_CODE

MODULE_PATH = get_module_path('impact_crm')
MIGRATION = os.path.join(MODULE_PATH, 'migrations', '11.0.1.1.0', 'pre-migration.py')
MIGRATION_MODULE = 'impact_crm_pre_migration_11_0_1_1_0'
DEMO = 'demo/crm_lead_demo.xml'


def pre_migration():
    spec = importlib.util.spec_from_file_location(MIGRATION_MODULE, MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TestDemoUpgrade(SavepointCase):

    def test_no_delete_tag_in_the_add_ons_data(self):
        """Odoo 11 runs a <delete> again at every upgrade, even in a noupdate (demo) file."""
        files = []
        for folder in ('data', 'demo', 'security', 'views', 'reports', 'wizards'):
            path = os.path.join(MODULE_PATH, folder)
            if os.path.isdir(path):
                files += [os.path.join(path, name) for name in sorted(os.listdir(path)) if name.endswith('.xml')]
        self.assertTrue(files)
        self.assertEqual([path for path in files if list(etree.parse(path).getroot().iter('delete'))], [])

    def test_demo_deals_keep_their_history_through_an_upgrade(self):
        deal = self.env.ref('impact_crm.lead_negev_health', raise_if_not_found=False)
        if not deal:
            self.skipTest("the database has no demo data")
        History = self.env['crm.lead.stage.history']
        # the installation replaced the demo deals' moves of "today" by their history over the months: each
        # deal entered the pipeline once
        demo_deals = self.env['crm.lead'].browse(self.env['ir.model.data'].search(
            [('module', '=', 'impact_crm'), ('model', '=', 'crm.lead')]).mapped('res_id')).filtered(
            lambda lead: lead.type == 'opportunity')
        entries = History.search([('lead_id', 'in', demo_deals.ids), ('stage_from_id', '=', False)])
        self.assertEqual(sorted(entries.mapped('lead_id').ids), sorted(demo_deals.ids))
        self.assertEqual(len(entries), len(demo_deals))
        target = self.env.ref('impact_crm.stage_quote')
        if deal.stage_id == target:
            target = self.env.ref('impact_crm.stage_order')
        deal.write({'stage_id': target.id})
        move = History.search([('lead_id', '=', deal.id), ('stage_to_id', '=', target.id)])
        self.assertTrue(move)
        before = History.search([('lead_id', '=', deal.id)])
        # what '-u impact_crm' does with the demo file of a database installed with demo data
        with mute_logger('odoo.models.unlink'):
            convert_file(self.env.cr, 'impact_crm', DEMO, {}, mode='update', noupdate=True, kind='demo')
        self.env['crm.lead.stage.history'].invalidate_cache()
        self.assertTrue(move.exists(), "the move made since the installation was erased by the upgrade")
        self.assertEqual(History.search([('lead_id', '=', deal.id)]), before)


class TestFiscalSequenceUpgrade(SavepointCase):

    @classmethod
    def setUpClass(cls):
        super(TestFiscalSequenceUpgrade, cls).setUpClass()
        cls.company = cls.env.user.company_id
        cls.partner = cls.env['res.partner'].create({'name': 'Upgrade Path Customer', 'customer': True})
        cls.product = cls.env['product.product'].create({
            'name': 'Upgrade Path Glass', 'list_price': 100.0, 'type': 'service'})
        cls.Ledger = cls.env['sale.fiscal.number']
        cls.seq = cls.Ledger._fiscal_sequence(cls.company)

    def _confirmed(self):
        order = self.env['sale.order'].create({
            'partner_id': self.partner.id,
            'order_line': [(0, 0, {'product_id': self.product.id, 'product_uom_qty': 1})]})
        order.action_confirm()
        return order

    def _highest(self):
        self.env.cr.execute("SELECT max(number) FROM sale_fiscal_number WHERE company_id = %s", [self.company.id])
        return self.env.cr.fetchone()[0] or 0

    def _index(self, name):
        self.env.cr.execute("SELECT to_regclass(%s)", [name])
        return self.env.cr.fetchone()[0]

    def _fiscal_sequences(self):
        return self.env['ir.sequence'].with_context(active_test=False).search(
            [('code', '=', FISCAL_CODE), ('company_id', '=', self.company.id)])

    def test_a_second_fiscal_sequence_of_a_company_does_not_stop_the_upgrade(self):
        self._confirmed()
        highest = self._highest()
        cr = self.env.cr
        # the database as 11.0.1.0.0 left it: no unique index, a duplicate of the company's fiscal sequence
        cr.execute("DROP INDEX ir_sequence_impact_fiscal_company_uniq")
        cr.execute("""INSERT INTO ir_sequence (name, code, implementation, active, prefix, padding, number_next,
                                               number_increment, use_date_range, company_id)
                      SELECT name, code, implementation, active, prefix, padding, 1, number_increment,
                             use_date_range, company_id FROM ir_sequence WHERE id = %s RETURNING id""", [self.seq.id])
        duplicate = self.env['ir.sequence'].browse(cr.fetchone()[0])
        self.assertEqual(len(self._fiscal_sequences()), 2)
        with mute_logger(MIGRATION_MODULE):
            superseded = pre_migration().supersede_duplicate_fiscal_sequences(cr)
        self.assertEqual(superseded, [duplicate.id], "the sequence that gave the numbers is the one kept")
        self.env['ir.sequence'].invalidate_cache()
        self.assertEqual(self._fiscal_sequences(), self.seq)
        self.assertFalse(duplicate.active)
        self.Ledger.init()      # what the upgrade runs next: no UniqueViolation
        self.assertTrue(self._index('ir_sequence_impact_fiscal_company_uniq'))
        order = self._confirmed()
        entry = self.Ledger.search([('order_id', '=', order.id)])
        self.assertEqual((entry.number, entry.sequence_id), (highest + 1, self.seq))
        self.assertFalse([issue for issue in self.Ledger.get_numbering_issues(company_id=self.company.id)
                          if issue['type'] in ('gap', 'duplicate')])
        # a second run of the migration (an upgrade after the upgrade) changes nothing
        with mute_logger(MIGRATION_MODULE):
            self.assertEqual(pre_migration().supersede_duplicate_fiscal_sequences(cr), [])

    def test_numbers_given_twice_before_do_not_stop_the_upgrade(self):
        order = self._confirmed()
        entry = self.Ledger.search([('order_id', '=', order.id)])
        cr = self.env.cr
        # a number 11.0.1.0.0 gave twice (from two sequences of the company), as its ledger holds it
        cr.execute("DROP INDEX sale_fiscal_number_company_name_uniq")
        cr.execute("""INSERT INTO ir_sequence (name, code, implementation, active, prefix, padding, number_next,
                                               number_increment, use_date_range, company_id)
                      VALUES ('Second fiscal sequence', 'sale.order.fiscal.superseded', 'no_gap', false, %s, %s,
                              1, 1, false, %s) RETURNING id""", [self.seq.prefix, self.seq.padding, self.company.id])
        cr.execute("""INSERT INTO sale_fiscal_number (name, number, sequence_id, company_id, order_id, date, is_legacy)
                      SELECT name, number, %s, company_id, NULL, date, false
                        FROM sale_fiscal_number WHERE id = %s""", [cr.fetchone()[0], entry.id])
        with mute_logger('odoo.addons.impact_crm.models.sale_fiscal_number'):
            self.Ledger.init()
        self.assertFalse(self._index('sale_fiscal_number_company_name_uniq'))
        issues = self.Ledger.get_numbering_issues(company_id=self.company.id)
        self.assertIn(('duplicate', entry.name), [(issue['type'], issue['fiscal_number']) for issue in issues])
        # new numbers still follow the company's highest
        highest = self._highest()
        later = self._confirmed()
        self.assertEqual(self.Ledger.search([('order_id', '=', later.id)]).number, highest + 1)


class TestReinstallKeepsRevisions(SavepointCase):
    """Uninstalling drops the revision columns of sale_order; the uninstall hook keeps them as a plain table and
    the reinstallation's post_init_hook puts them back (here: the columns emptied as a reinstallation finds
    them, between the two hooks)."""

    @classmethod
    def setUpClass(cls):
        super(TestReinstallKeepsRevisions, cls).setUpClass()
        cls.partner = cls.env['res.partner'].create({'name': 'Reinstall Customer', 'customer': True})
        cls.product = cls.env['product.product'].create({
            'name': 'Reinstall Glass', 'list_price': 100.0, 'type': 'service'})

    def test_revisions_and_quotation_numbering_survive_a_reinstallation(self):
        from .. import hooks
        Order = self.env['sale.order']
        first = Order.create({'partner_id': self.partner.id, 'order_line': [
            (0, 0, {'product_id': self.product.id, 'product_uom_qty': 1})]})
        second = Order.browse(first.action_new_revision()['res_id'])
        third = Order.browse(second.action_new_revision()['res_id'])
        chain = first | second | third
        before = [(o.quote_base_number, o.revision, o.quote_number, o.is_latest_revision, o.previous_revision_id.id)
                  for o in chain]
        base = int(first.quote_base_number)
        cr = self.env.cr
        hooks._keep_revisions(cr)
        # the reinstallation: columns added again (defaults), the quotations' sequence from its data again
        cr.execute("""UPDATE sale_order SET quote_base_number = NULL, quote_number = NULL, revision = 0,
                                            is_latest_revision = true, previous_revision_id = NULL""")
        sequence = Order._impact_quotation_sequence(first.company_id)
        sequence.write({'number_next': 1001})
        with mute_logger('odoo.addons.impact_crm.hooks'):
            hooks._impact_number_existing_orders(self.env)
        chain.invalidate_cache()
        self.assertEqual([(o.quote_base_number, o.revision, o.quote_number, o.is_latest_revision,
                           o.previous_revision_id.id) for o in chain], before)
        cr.execute("SELECT to_regclass(%s)", [hooks.KEPT_REVISIONS])
        self.assertFalse(cr.fetchone()[0])
        # a new revision follows the chain, a new quotation the highest number
        fourth = Order.browse(third.action_new_revision()['res_id'])
        self.assertEqual(fourth.quote_number, '%s-4' % base)
        new = Order.create({'partner_id': self.partner.id})
        self.assertGreater(int(new.quote_base_number), base)
