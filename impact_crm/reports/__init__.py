from . import crm_collection_report
from . import crm_forecast_report
from . import crm_lead_lost_report
from . import crm_competitor_report
