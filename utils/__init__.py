from . import schema
from . import text
from . import values
from . import params
