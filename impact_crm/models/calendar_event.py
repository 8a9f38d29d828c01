from odoo import api, models
from odoo.addons.calendar.models.calendar import is_calendar_id

from ..internal_flags import has_flag

# internal flag raised by Log Call/Meeting: the meeting it creates already happened and has its done record
LOGGED_MEETING = 'impact_meeting_logged'


class CalendarEvent(models.Model):
    _inherit = 'calendar.event'

    @api.model
    def create(self, values):
        """A meeting given a deal in the calendar (its Opportunity field) is planned on the deal as one made from
        the deal's Meeting button is (Odoo makes the deal its document then): a Meeting activity of the deal,
        in its file until marked done, then among its done activities. Odoo posts only a message otherwise."""
        if values.get('opportunity_id') and not values.get('activity_ids') and not has_flag(self, LOGGED_MEETING):
            defaults = self.default_get(['activity_ids', 'res_model_id', 'res_id'])
            if not any(values.get(name) or defaults.get(name) for name in ('activity_ids', 'res_model_id', 'res_id')):
                values = dict(values, res_model_id=self.env['ir.model']._get('crm.lead').id,
                              res_id=values['opportunity_id'])
        return super(CalendarEvent, self).create(values)

    @api.multi
    def unlink(self, can_be_deleted=True):
        """An automation rule's task scheduled as a meeting (its Schedule button) points to the meeting, and the
        database deletes the task with it, past every check and without a done record: the task stays open,
        without the meeting, until it is done. Only the events Odoo really deletes let go of their tasks (an
        occurrence of a recurring meeting is archived: the series keeps its task)."""
        deleted = [int(event.id) for event in self
                   if can_be_deleted and not is_calendar_id(event.id) and not event.recurrent_id]
        if deleted:
            self.env['mail.activity'].sudo().search([
                ('calendar_event_id', 'in', deleted), ('stage_rule_id', '!=', False)]).write(
                    {'calendar_event_id': False})
        return super(CalendarEvent, self).unlink(can_be_deleted=can_be_deleted)
