from . import crm_collection_report
from . import crm_forecast_report
from . import crm_lead_lost_report
from . import crm_competitor_report
from . import crm_activity_sla_report
from . import crm_lead_contact_report
from . import sale_fiscal_number_report
from . import sale_report
