from . import sale_fiscal_number_report
