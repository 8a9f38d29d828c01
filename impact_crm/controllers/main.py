from odoo import http
from odoo.http import request

from odoo.addons.crm.controllers.main import CrmController
from odoo.addons.mail.controllers.main import MailController


class CrmLostController(CrmController):

    @http.route()
    def crm_lead_case_mark_lost(self, res_id, token):
        """The "Lost" link of a notification e-mail: when a reason is needed, open the deal
        (where "Mark Lost" asks for it) instead of failing."""
        comparison, record, redirect = MailController._check_token_and_record_or_redirect(
            'crm.lead', int(res_id), token)
        if comparison and record and not record.lost_reason \
                and (record.company_id or request.env.user.company_id).crm_lost_reason_required:
            return redirect
        return super(CrmLostController, self).crm_lead_case_mark_lost(res_id, token)
