# pytest-odoo collects the test_*.py files itself; these imports let Odoo's own
# runner (odoo-bin --test-tags /live_messaging) find the same tests.
from . import test_api_auth
from . import test_api_openapi
from . import test_api_rooms
from . import test_api_support
from . import test_api_topics
from . import test_api_websocket
from . import test_browser_bus
from . import test_chat_tours
from . import test_history
from . import test_js
from . import test_live_message
from . import test_live_records
from . import test_live_records_tour
from . import test_live_room
from . import test_live_topic
from . import test_record_chat
from . import test_support
from . import test_support_tour
from . import test_websocket
from . import test_bus_router
from . import test_bus_dispatcher
