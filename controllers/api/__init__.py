from . import main
from . import chat
