from . import crm_forecast_workbook
from . import crm_lead_lost
from . import crm_lead_lost_line
from . import crm_activity_log_wizard
from . import sale_fiscal_numbering_check
from . import crm_forecast_asof
from . import crm_forecast_waterfall
from . import crm_forecast_workbook_history
