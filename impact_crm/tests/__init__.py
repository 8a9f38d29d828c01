from . import test_platform
