from . import crm_collection_report
