from . import test_platform
from . import test_lost_flow
from . import test_lost_analysis
