from . import crm_stage_group
from . import crm_stage
from . import crm_lead
from . import sale_order
from . import crm_lead_stage_history
from . import res_company
from . import res_config_settings
