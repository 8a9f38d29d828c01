from datetime import timedelta

from odoo import _, api, fields, models
from odoo.tools import html_escape

from ..internal_flags import with_flags
from ..models.calendar_event import LOGGED_MEETING


class CrmActivityLogWizard(models.TransientModel):
    """Record a call, meeting or task that already happened: posts it in the chatter, keeps a done record
    (crm.activity.log), creates the calendar meeting for meetings, and leaves no open activity behind."""
    _name = 'crm.activity.log.wizard'
    _inherit = ['impact.deal.dialog']
    _description = 'Log an Activity that Happened'

    lead_id = fields.Many2one('crm.lead', string='Opportunity', required=True, ondelete='cascade')
    activity_type_id = fields.Many2one('mail.activity.type', string='Activity Type', required=True,
                                       default=lambda self: self.env.ref('mail.mail_activity_data_call',
                                                                         raise_if_not_found=False))
    activity_category = fields.Selection(related='activity_type_id.category', readonly=True)
    date_done = fields.Datetime(string='Happened On', required=True, default=fields.Datetime.now)
    duration = fields.Float(string='Duration (hours)', default=0.5)
    summary = fields.Char(string='Summary', required=True)
    feedback = fields.Html(string='Outcome')
    allowed_contact_ids = fields.Many2many('res.partner', compute='_compute_allowed_contact_ids',
                                           string='Allowed Contacts')
    contact_ids = fields.Many2many('res.partner', string='Project Contacts',
                                   help="People of the opportunity who took part.")
    participant_user_ids = fields.Many2many('res.users', string='Participants (users)',
                                            default=lambda self: self.env.user)

    @api.depends('lead_id')
    def _compute_allowed_contact_ids(self):
        for wizard in self:
            wizard.allowed_contact_ids = wizard.lead_id.contact_ids.mapped('partner_id')

    @api.multi
    def action_log(self):
        self._log()
        return {'type': 'ir.actions.act_window_close'}

    @api.multi
    def _log(self):
        """Record the activity; returns the crm.activity.log."""
        self.ensure_one()
        lead = self.lead_id
        # checked before the meeting and the chatter message (the done record checks it again when created)
        self.env['crm.activity.log']._check_happened_values(lead, self.date_done, self.duration, self.contact_ids)
        event = self.env['calendar.event']
        if self.activity_category == 'meeting':
            start = fields.Datetime.from_string(self.date_done)
            attendees = self.contact_ids | self.participant_user_ids.mapped('partner_id')
            # The attendees are the project contacts who took part (customers, architects, other firms), and Odoo's
            # calendar lets an attendee read his events, a portal customer too. The outcome the rep writes is
            # internal (the done record and the chatter's internal message keep it): the event of a meeting with
            # people from outside gets none.
            outside = any(not partner.user_ids or all(user.share for user in partner.user_ids)
                          for partner in attendees.sudo())
            description = self.feedback and not outside and _('Outcome: %s') % self.feedback or False
            # done already (the done record below): no Meeting activity planned on the deal for it
            event = with_flags(event.with_context(no_mail_to_attendees=True), LOGGED_MEETING).create({
                'name': self.summary,
                'start': fields.Datetime.to_string(start),
                'stop': fields.Datetime.to_string(start + timedelta(hours=self.duration or 0.5)),
                'duration': self.duration or 0.5,
                'partner_ids': [(6, 0, attendees.ids)],
                'opportunity_id': lead.id,
                'description': description,
                # Odoo's calendar shows a public event, its description and deal to every employee of every
                # company: the event carrying the outcome is read by its organizer and attendees only (the others
                # see a busy slot), as the deal's done record and chatter are read by who may read the deal
                'privacy': 'private' if description else 'public',
                'user_id': self.env.user.id,
            })
        # the summary and the type's name are plain text (a "<" in them is a character, not markup); the outcome is
        # HTML already sanitized by its field
        body = _('<p><b>%s</b> (%s, logged after the fact)</p>%s') % (
            html_escape(self.summary), html_escape(self.activity_type_id.name or ''), self.feedback or '')
        lead.message_post(body=body, subtype_id=self.env.ref('mail.mt_activities').id,
                          mail_activity_type_id=self.activity_type_id.id)
        log = self.env['crm.activity.log'].create({
            'activity_type_id': self.activity_type_id.id,
            'summary': self.summary,
            'feedback': self.feedback,
            'date_planned': self.date_done[:10],
            'date_done': self.date_done,
            'duration': self.duration,
            'user_id': self.env.user.id,
            'participant_user_ids': [(6, 0, self.participant_user_ids.ids)],
            'res_model': 'crm.lead',
            'res_id': lead.id,
            'lead_id': lead.id,
            'contact_ids': [(6, 0, self.contact_ids.ids)],
            'calendar_event_id': event.id,
            'source': 'retroactive',
        })
        return log


# --------------------------------------------------------------------------------------------------
# Input guard (impact_input_guard.py): the values sent to create/write are checked before anything else
# runs (an impossible date or a NaN would otherwise reach PostgreSQL as a raw error), so this class stays
# last in the file.
# --------------------------------------------------------------------------------------------------


class CrmActivityLogWizardInputGuard(models.TransientModel):
    _name = 'crm.activity.log.wizard'
    _inherit = ['impact.input.guard', 'crm.activity.log.wizard']
