# Copyright 2026 impact_crm authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Meetings logged after the fact (Log Call/Meeting) by earlier versions carry the rep's internal outcome in a
public calendar event, which Odoo shows to every employee of every company. The add-on now creates such an event
private (its organizer and attendees read it, the others see a busy slot): the events it made before become
private too. Those without an outcome (a meeting with people from outside gets none) stay as they are."""
import logging

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version:
        return
    cr.execute("""
        UPDATE calendar_event e SET privacy = 'private'
          FROM crm_activity_log l
         WHERE l.calendar_event_id = e.id AND l.source = 'retroactive'
           AND COALESCE(e.description, '') != '' AND COALESCE(e.privacy, 'public') != 'private'""")
    _logger.info("%s meetings logged after the fact, with their outcome, made private", cr.rowcount)
