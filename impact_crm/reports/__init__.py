from . import crm_activity_sla_report
from . import crm_lead_contact_report
