from . import crm_stage_group
from . import crm_stage
from . import crm_lead
from . import sale_order
from . import impact_input_guard
