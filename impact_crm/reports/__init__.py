from . import crm_lead_lost_report
from . import crm_competitor_report
