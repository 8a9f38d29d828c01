# Copyright 2026 impact_crm authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
{
    'name': 'Impact CRM',
    'summary': 'Lead to opportunity to quote/order to forecast, for long many-party sales',
    'version': '11.0.1.0.0',
    'category': 'Sales',
    'author': 'impact_crm authors',
    'website': 'https://github.com/impact-crm/impact_crm',
    'license': 'LGPL-3',
    'depends': [
        'crm',
        'sale_crm',
        'sale_management',
        'base_automation',
    ],
    'external_dependencies': {
        'python': ['xlsxwriter'],
    },
    'data': [
        'security/ir.model.access.csv',
        'data/crm_stage_data.xml',
        'views/crm_stage_group_views.xml',
        'views/crm_stage_views.xml',
        'views/crm_lead_views.xml',
    ],
    'demo': [
    ],
    'post_init_hook': 'post_init_hook',
    'uninstall_hook': 'uninstall_hook',
    'installable': True,
    'application': True,
}
