from . import crm_collection_report
from . import crm_forecast_report
