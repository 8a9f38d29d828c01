from . import crm_forecast_workbook
from . import crm_lead_lost
from . import crm_lead_lost_line
