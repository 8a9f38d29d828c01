from . import crm_activity_log_wizard
