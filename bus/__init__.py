# The live bus dispatcher (see dispatcher.py), plugged into Odoo's bus when
# the addon is imported: Odoo imports it before serving any request of a
# database where it is installed (and test runners import it first).
from . import router
from . import notify
from . import control
from . import limits
from . import dispatcher
from . import patch

patch.apply()
