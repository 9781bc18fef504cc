from . import models
from . import utils
from . import controllers
from . import bus
from .utils.server import widen_prefork_backlog
