from . import test_platform
from . import test_access_rights
