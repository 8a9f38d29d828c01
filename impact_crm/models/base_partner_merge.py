"""Odoo's contact merge (Contacts > select several > Action > Merge) moves what refers to the merged contacts to the
contact kept with one SQL UPDATE per table and column; where the UPDATE breaks a unique constraint, it deletes
every row of that table pointing to the merged contacts. The people of a deal are unique per deal and contact:
two of the merged contacts in one deal made Odoo delete every person record of the merged contacts, on every deal,
with their roles. Here the records of such a deal are first joined into one (the roles of both, primary if one of
them was), so that Odoo's move succeeds; and the moved people's company is the one of the contact kept."""
from odoo import models


class MergePartnerAutomatic(models.TransientModel):
    _inherit = 'base.partner.merge.automatic.wizard'

    def _update_foreign_keys(self, src_partners, dst_partner):
        self._impact_join_deal_people(src_partners, dst_partner)
        res = super(MergePartnerAutomatic, self)._update_foreign_keys(src_partners, dst_partner)
        # a stored copy of the contact's company, which the UPDATE of its contact leaves as it was
        self.env.cr.execute("""
            UPDATE crm_lead_contact c SET partner_company_id = p.commercial_partner_id
              FROM res_partner p
             WHERE p.id = c.partner_id AND c.partner_id = %s
               AND c.partner_company_id IS DISTINCT FROM p.commercial_partner_id""", [dst_partner.id])
        self.env['crm.lead.contact'].invalidate_cache()
        return res

    def _impact_join_deal_people(self, src_partners, dst_partner):
        """In each deal holding more than one of the merged contacts, one person record (the kept contact's, else
        the first) with the roles of all of them, primary if one of them was; the others deleted."""
        cr = self.env.cr
        partner_ids = tuple(set(src_partners.ids) | {dst_partner.id})
        cr.execute("""
            SELECT lead_id, array_agg(id ORDER BY partner_id = %s DESC, id), bool_or(is_primary)
              FROM crm_lead_contact WHERE partner_id IN %s
             GROUP BY lead_id HAVING count(*) > 1""", [dst_partner.id, partner_ids])
        for _lead_id, contact_ids, primary in cr.fetchall():
            kept, joined = contact_ids[0], tuple(contact_ids[1:])
            cr.execute("""
                INSERT INTO crm_lead_contact_role_rel (contact_id, role_id)
                SELECT DISTINCT %s, r.role_id FROM crm_lead_contact_role_rel r
                 WHERE r.contact_id IN %s
                   AND NOT EXISTS (SELECT 1 FROM crm_lead_contact_role_rel k
                                    WHERE k.contact_id = %s AND k.role_id = r.role_id)""", [kept, joined, kept])
            if primary:
                cr.execute("UPDATE crm_lead_contact SET is_primary = true WHERE id = %s AND NOT is_primary", [kept])
            cr.execute("DELETE FROM crm_lead_contact WHERE id IN %s", [joined])
        self.env['crm.lead.contact'].invalidate_cache()
