from . import crm_forecast_report
