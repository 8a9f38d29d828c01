from . import crm_forecast_workbook
