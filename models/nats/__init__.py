from . import live_nats_bridge
from . import live_nats_mirror
from . import live_nats_outbox
from . import live_nats_feed
from . import live_nats_worker
from . import live_topic
from . import res_config_settings
