from . import models
from .hooks import post_init_hook
from . import reports
from . import wizards
