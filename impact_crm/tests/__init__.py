from . import test_platform
from . import test_sale_revision
