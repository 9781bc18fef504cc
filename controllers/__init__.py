from . import api
from . import support
