from . import impact_input_guard  # first: the abstract model other classes inherit
# then the company's columns, which the SQL the models below set up at their init reads (its time zone)
from . import res_company
# Each model's extensions are in the file named after the model (crm_lead.py, sale_order.py, crm_stage.py ...),
# one class per concern. Within a file, a class further down wraps the ones above it: its create/write (and
# crm.lead's _stage_changed) run first and call those above with super(). The order that matters is said at
# the top of crm_lead.py: the stage history before the stage rules, the lost flow around the probability logic,
# the input guard last in each file so its type checks run before any other override sees the values.
from . import crm_stage_group
from . import crm_stage
from . import crm_lead
from . import sale_order
from . import crm_lead_instalment
from . import crm_quota
from . import crm_team
from . import account_invoice
from . import res_config_settings
from . import res_partner
from . import base_partner_merge
from . import crm_region
from . import crm_lead_stage_history
from . import crm_lost_criterion
from . import crm_lost_reason
from . import crm_lead_role
from . import crm_lead_contact
from . import mail_activity
from . import crm_activity_log
from . import calendar_event
from . import crm_stage_rule
from . import sale_fiscal_number
from . import sale_order_line
from . import res_lang
from . import ir_module_module
from . import crm_lead_forecast_change
from . import ir_translation
from . import ir_rule
from . import res_currency_rate
