# The import order is the order of the overrides: a model file imported later puts its class above the
# earlier ones, so its create/write (and _stage_changed) run first and call the earlier ones with super().
# Where it matters:
#   * crm_lead: Odoo's write is the one choke point of a stage change; CrmLead._stage_changed records the
#     stage history, then CrmLeadStageRules (the next class of the same file) fires the stage rules, so
#     that a rule's activity follows the recorded change;
#   * impact_input_guard, last: its type checks run before any other create/write override sees the values.
from . import crm_stage_group
from . import crm_stage
from . import crm_lead
from . import sale_order
from . import crm_lead_execution
from . import crm_lead_forecast
from . import crm_lead_instalment
from . import crm_lead_spread
from . import crm_quota
from . import crm_team
from . import account_invoice
from . import sale_order_execution
from . import res_company
from . import res_config_settings
from . import res_partner
from . import crm_region
from . import crm_lead_stage_history
from . import crm_lost_criterion
from . import crm_lost_reason
from . import crm_lead_lost_flow
from . import crm_lead_role
from . import crm_lead_contact
from . import mail_activity
from . import crm_activity_log
from . import crm_stage_rule
from . import sale_fiscal_number
from . import sale_order_line
from . import res_lang
from . import ir_module_module
from . import crm_lead_forecast_change
from . import res_company_forecast
from . import res_config_settings_forecast
from . import ir_translation
from . import crm_lead_kanban
from . import impact_input_guard  # last: its checks run before every other create/write override
