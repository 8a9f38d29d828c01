from . import test_platform
from . import test_access_rights
from . import test_execution_collection
from . import test_forecast
from . import test_pipeline
from . import test_lost_flow
from . import test_lost_analysis
