from . import sale_fiscal_number_report
from . import sale_report
