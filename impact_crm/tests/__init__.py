from . import test_platform
from . import test_people_roles
from . import test_activity_log
from . import test_stage_rules
