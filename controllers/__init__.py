from . import api
from . import support
from . import chat
