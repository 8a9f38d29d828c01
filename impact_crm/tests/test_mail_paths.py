"""E-mail in and out, and the documents a customer receives.

- A deal e-mailed to a sales channel's alias is created by the mail gateway as one user for every channel: it gets
  its channel's company and first stage (not the gateway user's), with what a deal created in that stage gets:
  its first stage history row, the stage's probability and automation rules, forecast sums in step.
- Every path that marks a quotation sent gives its deal one "check the customer received it" task, in the
  salesperson's language; a sales order is not written back to quotation (no task, no silent drop of the deal's
  ordered amount); "Send by Email" of a revision replaced since the dialog opened is refused.
- The printed quotation/order (print, the e-mail's attachment, the portal's PDF) names the order by its revision
  and, once confirmed, its fiscal number; an earlier revision says it was replaced and names the latest one.
"""
import base64

from odoo.exceptions import UserError, ValidationError

from .test_integrity_paths import IntegrityCase

REPLACED = 'This revision was replaced by a newer one.'
FOLLOW_UP_HE = u'\u05dc\u05d5\u05d5\u05d3\u05d0 \u05e9\u05d4\u05dc\u05e7\u05d5\u05d7 \u05e7\u05d9\u05d1\u05dc'
INCOMING = """To: %(to)s
From: Ruth Buyer <ruth.buyer@mail-paths.example>
Subject: %(subject)s
Message-ID: <%(message_id)s@mail-paths.example>
%(extra)sContent-Type: text/plain; charset="utf-8"

Please send us a quote for 200 windows.
"""


class TestMailPaths(IntegrityCase):

    @classmethod
    def setUpClass(cls):
        super(TestMailPaths, cls).setUpClass()
        cls.env['ir.config_parameter'].set_param('mail.catchall.domain', 'mail-paths.example')
        cls.manager = cls.user('mail_paths_manager', 'sales_team.group_sale_manager')
        cls.north = cls.env['crm.team'].create({'name': 'Mail Paths North', 'member_ids': [(4, cls.rep.id)]})
        cls.north_intake = cls.env['crm.stage'].create({'name': 'North intake', 'team_id': cls.north.id,
                                                        'sequence': -10, 'probability': 3.0})
        cls.south = cls.env['crm.team'].create({'name': 'Mail Paths South', 'user_id': cls.manager.id,
                                                'alias_name': 'mail-paths-south'})
        cls.south_intake = cls.env['crm.stage'].create({'name': 'South intake', 'team_id': cls.south.id,
                                                        'sequence': -5, 'probability': 7.0})
        cls.south_rule = cls.env['crm.stage.rule'].create({
            'stage_id': cls.south_intake.id, 'activity_type_id': cls.env.ref('mail.mail_activity_data_todo').id,
            'summary': 'Qualify the e-mailed request', 'assignee': 'team_leader'})
        cls.follow_up = cls.env.ref('impact_crm.stage_rule_quote_sent_follow_up')
        cls.partner.email = 'office@integrity-towers.example'

    def incoming(self, to, subject, message_id, extra='', user=None):
        raw = INCOMING % {'to': to, 'subject': subject, 'message_id': message_id, 'extra': extra}
        return self.env['mail.thread'].sudo(user or self.env.user).message_process(None, raw)

    def tasks(self, deal, rule):
        return self.env['mail.activity'].search([('res_model', '=', 'crm.lead'), ('res_id', '=', deal.id),
                                                 ('stage_rule_id', '=', rule.id)])

    def assertForecastInStep(self):
        Report = self.env['crm.forecast.report']
        self.env['crm.lead'].recompute()
        self.assertEqual((Report._stale_rows(), Report._stale_months()), (0, 0))

    # incoming e-mail ------------------------------------------------------------------------------------------
    def test_a_deal_mailed_to_a_channel_starts_in_that_channels_first_stage(self):
        """The alias's owner (the user the gateway creates its deals as) works in another channel, whose own first
        stage Odoo's default picked: the e-mail was refused (bounced) by the deal's stage-channel check."""
        self.south.alias_id.alias_user_id = self.rep
        deal = self.env['crm.lead'].browse(self.incoming('mail-paths-south@mail-paths.example',
                                                         'Need 200 windows', 'south-1'))
        self.assertEqual((deal.type, deal.team_id, deal.user_id), ('opportunity', self.south,
                                                                   self.env['res.users']))
        self.assertEqual(deal.stage_id, self.south_intake)
        self.assertEqual(deal.probability, 7.0)
        self.assertFalse(deal.probability_is_manual)
        history = deal.stage_history_ids
        self.assertEqual(len(history), 1)
        self.assertEqual((history.stage_from_id, history.stage_to_id, history.probability, history.team_id),
                         (self.env['crm.stage'], self.south_intake, 7.0, self.south))
        task = self.tasks(deal, self.south_rule)
        self.assertEqual((len(task), task.user_id), (1, self.manager))
        self.assertForecastInStep()
        # the same through RPC: a channel given, no stage, no salesperson
        created = self.Leads.create({'name': 'Mail Paths RPC', 'team_id': self.south.id, 'user_id': False})
        self.assertEqual((created.team_id, created.stage_id, created.probability),
                         (self.south, self.south_intake, 7.0))
        # a stage chosen (the kanban column's) still wins
        column = self.Leads.with_context(default_stage_id=self.env.ref('impact_crm.stage_quote').id).create(
            {'name': 'Mail Paths column', 'team_id': self.south.id})
        self.assertEqual(column.stage_id, self.env.ref('impact_crm.stage_quote'))
        # a stage of another channel is still refused
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self.Leads.create({'name': 'Mail Paths wrong', 'team_id': self.south.id,
                               'stage_id': self.north_intake.id})

    def test_a_deal_mailed_to_another_companys_channel_is_that_companys(self):
        company_b = self.env['res.company'].create({'name': 'Mail Paths B Ltd'})
        team_b = self.env['crm.team'].create({'name': 'Mail Paths B', 'company_id': company_b.id,
                                              'alias_name': 'mail-paths-b'})
        rep_b = self.user('mail_paths_rep_b', 'sales_team.group_sale_salesman', company_id=company_b.id,
                          company_ids=[(6, 0, [company_b.id])])
        team_b.member_ids = rep_b
        deal_id = self.incoming('mail-paths-b@mail-paths.example', 'Windows for B', 'company-b-1')
        deal = self.env['crm.lead'].browse(deal_id)
        self.assertEqual((deal.team_id, deal.company_id), (team_b, company_b))
        self.assertEqual(deal.stage_history_ids.company_id, company_b)
        # the channel's salespeople find it (the deals' company rule)
        self.assertIn(deal_id, self.env['crm.lead'].sudo(rep_b).search([('team_id', '=', team_b.id)]).ids)
        self.assertForecastInStep()

    def reply(self, deal, sender, message_id, lines):
        parent = deal.message_post(body='Our offer follows.')
        raw = INCOMING % {'to': 'catchall@mail-paths.example', 'subject': 'Re: %s' % deal.name,
                          'message_id': message_id, 'extra': 'In-Reply-To: %s\n' % parent.message_id}
        raw = raw.replace('From: Ruth Buyer <ruth.buyer@mail-paths.example>', 'From: %s' % sender)
        raw = raw.replace('Please send us a quote for 200 windows.\n', '%s\nThanks\n' % '\n'.join(lines))
        thread = self.env['mail.thread'].message_process(None, raw)
        self.assertEqual(thread, deal.id)
        deal.invalidate_cache()
        return deal.message_ids[0]

    def test_odoo_mail_commands_of_a_reply_are_the_salespersons_only(self):
        """Odoo writes the lines "Set-Probability:" and "Set-Revenue:" of an e-mail to a deal as texts, which the
        deal refuses: the whole e-mail was lost."""
        deal = self.env['crm.lead'].create({'name': 'Mail Paths Commands', 'type': 'opportunity',
                                            'user_id': self.rep.id, 'partner_id': self.partner.id,
                                            'planned_revenue': 1000.0})
        stage_probability = deal.probability
        # the customer's reply: posted, the deal's figures untouched
        message = self.reply(deal, 'Ruth Buyer <ruth.buyer@mail-paths.example>', 'commands-1',
                             ['Set-Probability: 90', 'Set-Revenue: 999999'])
        self.assertIn('Set-Probability: 90', message.body)
        self.assertEqual((deal.probability, deal.planned_revenue), (stage_probability, 1000.0))
        # the salesperson's: his override, numbers read as such
        message = self.reply(deal, 'Integrity Rep <%s>' % self.rep.email, 'commands-2',
                             ['Set-Probability: 60', 'Set-Revenue: 250,000'])
        self.assertIn('Set-Revenue: 250,000', message.body)
        self.assertEqual((deal.probability, deal.planned_revenue), (60.0, 250000.0))
        self.assertEqual((deal.probability_is_manual, deal.probability_manual_uid), (True, self.rep))
        # not numbers, or out of range: the message still arrives
        self.reply(deal, 'Integrity Rep <%s>' % self.rep.email, 'commands-3',
                   ['Set-Probability: high', 'Set-Revenue: -5'])
        self.assertEqual((deal.probability, deal.planned_revenue), (60.0, 250000.0))
        # a colleague's commands on a deal he may not change: the message only
        self.colleague.email = 'integrity_colleague@example.com'
        self.reply(deal, 'Integrity Colleague <%s>' % self.colleague.email, 'commands-4', ['Set-Probability: 5'])
        self.assertEqual(deal.probability, 60.0)

    def test_a_reply_to_a_sent_quotation_reaches_the_quotation(self):
        order = self.quotation()
        order.sudo(self.rep).force_quotation_send()
        sent = order.message_ids.filtered('subject')[:1]
        self.assertTrue(sent.message_id)
        order.sudo(self.rep).action_new_revision()
        # the customer answers the e-mail of the (now replaced) revision: it lands on it, as a message only
        thread = self.incoming('catchall@mail-paths.example', 'Re: %s' % sent.subject, 'reply-1',
                               extra='In-Reply-To: %s\n' % sent.message_id)
        self.assertEqual(thread, order.id)
        self.assertIn('200 windows', order.message_ids[0].body)
        self.assertEqual((order.state, order.is_latest_revision), ('sent', False))

    # sending quotations ---------------------------------------------------------------------------------------
    def test_every_way_of_sending_gives_one_follow_up_in_the_reps_language(self):
        if not self.env['res.lang'].search([('code', '=', 'he_IL')]):
            self.env['base.language.install'].create({'lang': 'he_IL'}).lang_install()
        self.follow_up.with_context(lang='he_IL').write({'summary': FOLLOW_UP_HE})
        self.rep.lang = 'he_IL'

        def deal_of(order):
            return order.sudo().opportunity_id

        composer_order = self.quotation()
        action = composer_order.sudo(self.rep).action_quotation_send()
        composer = self.env['mail.compose.message'].sudo(self.rep).with_context(action['context']).create({})
        composer.write(composer.onchange_template_id(composer.template_id.id, 'comment', 'sale.order',
                                                     composer_order.id)['value'])
        composer.send_mail()
        forced = self.quotation()
        forced.sudo(self.rep).force_quotation_send()
        printed = self.quotation()
        printed.sudo(self.rep).print_quotation()
        written = self.quotation()
        self.Orders.browse(written.id).write({'state': 'sent'})
        for order in composer_order | forced | printed | written:
            self.assertEqual(order.state, 'sent')
            task = self.tasks(deal_of(order), self.follow_up)
            self.assertEqual(len(task), 1, order.name)
            self.assertEqual((task.summary, task.user_id), (FOLLOW_UP_HE, self.rep))
        # sending again what was sent is no new sending
        forced.sudo(self.rep).force_quotation_send()
        printed.sudo(self.rep).print_quotation()
        for order in forced | printed:
            self.assertEqual(len(self.tasks(deal_of(order), self.follow_up)), 1, order.name)
        # its next revision, sent, is: one more task
        revision = self.Orders.browse(printed.sudo(self.rep).action_new_revision()['res_id'])
        revision.print_quotation()
        self.assertEqual(len(self.tasks(deal_of(printed), self.follow_up)), 2)

    def test_a_sales_order_is_not_written_back_to_quotation(self):
        order = self.order()
        quote = self.quotation()
        deal = order.sudo().opportunity_id
        ordered = deal.amount_ordered
        self.assertTrue(ordered)
        fields = ['state', 'fiscal_number', 'name']
        for operation in (lambda: self.Orders.browse(order.id).write({'state': 'sent'}),
                          lambda: self.Orders.browse(order.id).write({'state': 'draft'}),
                          lambda: (self.Orders.browse(quote.id) | self.Orders.browse(order.id)).write(
                              {'state': 'sent'})):
            error = self.assertRefused(operation, order | quote, fields, message='Cancel')
            self.assertIn(order.name, error.name)
        deal.invalidate_cache()
        self.assertEqual(deal.amount_ordered, ordered)
        self.assertFalse(self.tasks(deal, self.follow_up))
        # cancelled and set back to quotation, it is sent again as a quotation: one task
        order.sudo(self.rep).action_cancel()
        order.sudo(self.rep).action_draft()
        order.sudo(self.rep).print_quotation()
        self.assertEqual(order.state, 'sent')
        self.assertEqual(len(self.tasks(deal, self.follow_up)), 1)

    def test_send_by_email_of_a_revision_replaced_meanwhile_is_refused(self):
        order = self.quotation()
        order.sudo(self.rep).print_quotation()
        # the rep opens "Send by Email"; meanwhile the manager revises the quotation
        action = order.sudo(self.rep).action_quotation_send()
        composer = self.env['mail.compose.message'].sudo(self.rep).with_context(action['context']).create({})
        composer.write(composer.onchange_template_id(composer.template_id.id, 'comment', 'sale.order',
                                                     order.id)['value'])
        order.sudo(self.manager).action_new_revision()
        messages = order.message_ids
        with self.assertRaises(UserError) as caught, self.cr.savepoint():
            composer.send_mail()
        self.assertIn('cannot be sent', caught.exception.name)
        order.invalidate_cache()
        self.assertEqual(order.message_ids, messages)
        # a message of the chatter on it is still a message
        self.env['mail.compose.message'].sudo(self.rep).with_context(
            default_model='sale.order', default_res_id=order.id).create({'body': 'Noted'}).send_mail()
        self.assertEqual(len(order.message_ids), len(messages) + 1)

    # the documents ---------------------------------------------------------------------------------------------
    def render(self, order, user=None):
        report = self.env.ref('sale.action_report_saleorder')
        if user:
            report = report.sudo(user)
        return report.render_qweb_html([order.id])[0].decode()

    def test_the_printed_documents_name_the_revision_and_fiscal_number(self):
        order = self.order()
        html = self.render(order, self.rep)
        self.assertIn(order.fiscal_number, html)
        self.assertIn(order.quote_number, html)
        self.assertNotIn(REPLACED, html)
        revision = self.Orders.browse(order.sudo(self.rep).action_new_revision()['res_id'])
        revision.action_confirm()
        self.assertEqual(revision.fiscal_number, order.fiscal_number)
        # the replaced revision, printed by the rep or as the portal prints it (superuser), says so and names
        # the latest
        for user in (self.rep, None):
            html = self.render(order, user)
            self.assertIn(REPLACED, html)
            self.assertIn(revision.quote_number, html.split(REPLACED)[1])
        html = self.render(revision, self.rep)
        self.assertNotIn(REPLACED, html)
        # "Print" on an earlier draft revision prints it, without marking it sent
        draft = self.quotation()
        self.Orders.browse(draft.id).action_new_revision()
        action = self.Orders.browse(draft.id).print_quotation()
        self.assertEqual((action['report_name'], action['context']['active_ids']),
                         ('sale.report_saleorder', [draft.id]))
        self.assertEqual(draft.state, 'draft')
        self.assertIn(REPLACED, self.render(draft, self.rep))
        self.assertIn(revision.name, html)
        # the e-mail of the replaced revision: its attachment (the same document) says so
        template = self.env.ref('sale.email_template_edi_sale')
        values = template.generate_email(order.id, fields=['subject', 'body_html', 'attachment_ids'])
        self.assertIn(order.name, values['subject'])
        self.assertTrue(values['attachments'])
        self.assertIn(REPLACED, base64.b64decode(values['attachments'][0][1]).decode())
        # the invoice of the confirmed revision refers to it
        self.env['ir.config_parameter'].sudo().set_param('sale.default_invoice_policy', 'order')
        invoice = self.env['account.invoice'].browse(revision.action_invoice_create())
        self.assertEqual(invoice.origin, revision.name)
        self.assertEqual(invoice.invoice_line_ids.mapped('origin'), [revision.name])
