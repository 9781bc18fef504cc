from . import schema
from . import text
from . import params
