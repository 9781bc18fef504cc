from . import schema
from . import text
