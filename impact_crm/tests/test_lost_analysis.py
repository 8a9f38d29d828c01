from dateutil.relativedelta import relativedelta

from odoo import fields

from .test_lost_flow import LostCase


class TestLostAnalysis(LostCase):
    """The analyses on a known data set, compared with sums computed by hand from the same data."""

    @classmethod
    def setUpClass(cls):
        super(TestLostAnalysis, cls).setUpClass()
        cls.rep2 = cls.env['res.users'].with_context(no_reset_password=True).create({
            'name': 'Rep Two', 'login': 'rep_two_lost', 'email': 'rep2@example.com',
            'groups_id': [(6, 0, [cls.env.ref('sales_team.group_sale_salesman').id])]})
        Partner = cls.env['res.partner']
        cls.glassco = Partner.create({'name': 'GlassCo', 'is_competitor': True, 'is_company': True})
        cls.alufab = Partner.create({'name': 'AluFab', 'is_competitor': True, 'is_company': True})
        # (name, stage lost at, revenue, reason, competitor, user)
        cls.data = [
            ('L1', cls.stage_quote, 10000.0, cls.reason_price, None, cls.rep),
            ('L2', cls.stage_order, 25000.0, cls.reason_price, None, cls.rep2),
            ('L3', cls.stage_quote, 4000.0, cls.reason_budget, None, cls.rep),
            ('L4', cls.stage_potential, 7000.0, cls.reason_needs, None, cls.rep),
            ('L5', cls.stage_order, 90000.0, cls.reason_competitor, cls.glassco, cls.rep2),
            ('L6', cls.stage_order, 30000.0, cls.reason_competitor, cls.glassco, cls.rep),
            ('L7', cls.stage_quote, 15000.0, cls.reason_competitor, cls.alufab, cls.rep),
        ]
        cls.lost = cls.env['crm.lead']
        for name, stage, revenue, reason, competitor, user in cls.data:
            lead = cls._deal(name, stage, revenue, user=user)
            wizard = cls.env['crm.lead.lost'].with_context(active_model='crm.lead', active_ids=lead.ids).create({
                'lead_ids': [(6, 0, lead.ids)], 'lost_reason_id': reason.id,
                'competitor_id': competitor and competitor.id or False})
            wizard.action_lost_reason_apply()
            cls.lost |= lead
        # a won deal against GlassCo and an open one against AluFab
        cls.won = cls._deal('W1', cls.stage_order, 50000.0, competitor_ids=[(6, 0, [cls.glassco.id])])
        cls.won.action_set_won()
        cls.open = cls._deal('O1', cls.stage_quote, 8000.0, competitor_ids=[(6, 0, [cls.alufab.id])])
        cls.domain = [('lead_id', 'in', cls.lost.ids)]

    def _by(self, key):
        """Hand-computed {key: [count, amount]} from the data set."""
        result = {}
        for row in self.data:
            value = key(row)
            result.setdefault(value, [0, 0.0])
            result[value][0] += 1
            result[value][1] += row[2]
        return result

    def _groups(self, groupby, domain=None, model='crm.lead.lost.report', user=None):
        Report = self.env[model].sudo(user) if user else self.env[model]
        groups = Report.read_group(self.domain + list(domain or []), [groupby, 'nbr', 'lost_amount'], [groupby])
        return dict((group[groupby] and group[groupby][0], [group['nbr'], group['lost_amount']])
                    for group in groups)

    def test_by_criterion(self):
        expected = self._by(lambda row: row[3].criterion_id.id)
        self.assertEqual(self._groups('criterion_id'), expected)
        self.assertEqual(expected[self.crit_price.id], [3, 39000.0])

    def test_by_reason_competitor_stage_user(self):
        self.assertEqual(self._groups('lost_reason_id'), self._by(lambda row: row[3].id))
        self.assertEqual(self._groups('competitor_id'), self._by(lambda row: row[4] and row[4].id or False))
        self.assertEqual(self._groups('lost_stage_id'), self._by(lambda row: row[1].id))
        self.assertEqual(self._groups('lost_stage_group_id'), self._by(lambda row: row[1].group_id.id))
        self.assertEqual(self._groups('user_id'), self._by(lambda row: row[5].id))
        self.assertEqual(self._groups('team_id'), {self.team.id: [7, sum(row[2] for row in self.data)]})

    def test_lost_this_quarter(self):
        old = self.lost.filtered(lambda lead: lead.name == 'L2')
        last_year = fields.Date.to_string(fields.Date.from_string(fields.Date.today()) - relativedelta(years=1))
        old._backdate_loss(last_year)
        in_quarter = self._groups('criterion_id', [('lost_this_quarter', '=', True)])
        self.assertEqual(in_quarter[self.crit_price.id], [2, 14000.0])
        leads = self.env['crm.lead'].with_context(active_test=False).search(
            [('id', 'in', self.lost.ids), ('lost_this_quarter', '=', True)])
        self.assertEqual(leads, self.lost - old)

    def test_lost_by_criterion_reason_api(self):
        rows = self.env['crm.lead.lost.report']._by_criterion_reason(domain=self.domain)
        got = dict((row['reason_id'], (row['criterion_id'], row['count'], row['amount'])) for row in rows)
        expected = dict((reason_id, (self.env['crm.lost.reason'].browse(reason_id).criterion_id.id, count, amount))
                        for reason_id, (count, amount) in self._by(lambda row: row[3].id).items())
        self.assertEqual(got, expected)
        # criterion order: Price before Needs before Competition
        self.assertEqual([row['criterion_id'] for row in rows][:3],
                         [self.crit_price.id, self.crit_price.id, self.crit_needs.id])
        # the losses are dated by the user who recorded them (the administrator, in his time zone)
        today = fields.Date.from_string(fields.Date.context_today(self.env['crm.lead']))
        tomorrow = fields.Date.to_string(today + relativedelta(days=1))
        self.assertFalse(self.env['crm.lead.lost.report']._by_criterion_reason(tomorrow, None, self.domain))

    def test_rep_sees_own_losses_only(self):
        own = self._by(lambda row: row[5].id)[self.rep.id]
        groups = self._groups('user_id', user=self.rep)
        self.assertEqual(groups, {self.rep.id: own})

    def test_win_loss_by_competitor(self):
        Report = self.env['crm.competitor.report']
        domain = [('lead_id', 'in', (self.lost | self.won | self.open).ids)]
        measures = ['won_count', 'lost_count', 'won_amount', 'lost_amount', 'nbr']
        groups = Report.read_group(domain, ['competitor_id'] + measures, ['competitor_id'])
        got = dict((group['competitor_id'][0], (group['nbr'], group['won_count'], group['won_amount'],
                                                group['lost_count'], group['lost_amount'])) for group in groups)
        self.assertEqual(got, {
            self.glassco.id: (3, 1, 50000.0, 2, 120000.0),
            self.alufab.id: (2, 0, 0.0, 1, 15000.0),
        })
        outcomes = Report.read_group(domain + [('competitor_id', '=', self.alufab.id)], ['outcome', 'nbr'], ['outcome'])
        self.assertEqual(dict((group['outcome'], group['nbr']) for group in outcomes), {'lost_to': 1, 'open': 1})

    def test_main_product_category(self):
        Category = self.env['product.category']
        glazing = Category.create({'name': 'Glazing'})
        steel = Category.create({'name': 'Steel'})
        partner = self.env['res.partner'].create({'name': 'Developer'})
        lead = self._deal('With quote', self.stage_quote, 0)

        def product(name, categ):
            return self.env['product.product'].create({'name': name, 'categ_id': categ.id, 'type': 'service'})
        self.env['sale.order'].create({'partner_id': partner.id, 'opportunity_id': lead.id, 'order_line': [
            (0, 0, {'product_id': product('Glass m2', glazing).id, 'product_uom_qty': 10, 'price_unit': 300}),
            (0, 0, {'product_id': product('Beam', steel).id, 'product_uom_qty': 1, 'price_unit': 1000}),
        ]})
        self._wizard(lead, lost_reason_id=self.reason_price.id).action_lost_reason_apply()
        row = self.env['crm.lead.lost.report'].search([('lead_id', '=', lead.id)])
        self.assertEqual(row.product_categ_id, glazing)
