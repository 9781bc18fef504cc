from . import ir_websocket
from . import live_support_session
