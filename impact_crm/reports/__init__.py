from . import crm_activity_sla_report
