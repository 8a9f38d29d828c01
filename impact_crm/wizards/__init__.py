from . import sale_fiscal_numbering_check
