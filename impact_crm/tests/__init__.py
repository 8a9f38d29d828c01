from . import test_platform
from . import test_execution_collection
from . import test_forecast
from . import test_pipeline
