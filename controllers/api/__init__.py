from . import main
from . import chat
from . import batch
