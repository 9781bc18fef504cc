import logging

from odoo import _, api, models
from odoo.exceptions import AccessError
from odoo.tools import config

from ...utils import nats_link
from ...utils.nats_subjects import check_name, check_prefix
from . import runner

_logger = logging.getLogger(__name__)

PARAM = "live_messaging.nats_"
DEFAULTS = {
    "servers": "",
    "user": "",
    "password": "",
    "token": "",
    "creds_file": "",
    "stream": "LIVE",
    "subject_prefix": "live",
    # backoff between two attempts of an outbox row: 0.5 s doubling up to this
    "retry_max_seconds": "30",
    # rows sent per transaction, and topics per transaction
    "batch_rows": "1000",
    "batch_topics": "100",
    "publish_timeout": "5",
}
INTEGERS = ("retry_max_seconds", "batch_rows", "batch_topics", "publish_timeout")


class LiveNatsBridge(models.AbstractModel):
    """The NATS JetStream bridge's configuration and its entry points.

    The configuration lives in system parameters (``live_messaging.nats_*``,
    edited in Settings); the work is done by a runner in each process that runs
    crons (models/nats/runner.py), started by this model's cron."""

    _name = "live.nats.bridge"
    _description = "Live Messaging NATS Bridge"

    @api.model
    def _nats_config(self):
        """The bridge's settings, a dict with the keys of DEFAULTS (integers
        for INTEGERS)."""
        # sudo: ir.config_parameter - the bridge's technical settings
        params = self.env["ir.config_parameter"].sudo()
        values = {
            key: (params.get_param(PARAM + key) or default).strip()
            for key, default in DEFAULTS.items()
        }
        for key in INTEGERS:
            try:
                values[key] = max(1, int(values[key]))
            except ValueError:
                values[key] = int(DEFAULTS[key])
        values["servers"] = nats_link.parse_servers(values["servers"])
        return values

    @api.model
    def _nats_link_options(self, values=None):
        values = values or self._nats_config()
        return {
            "servers": values["servers"],
            "user": values["user"],
            "password": values["password"],
            "token": values["token"],
            "creds_file": values["creds_file"],
            "name": f"odoo-live-messaging/{self.env.cr.dbname}",
        }

    @api.model
    def _nats_missing(self, values=None):
        """What keeps the bridge from running, as a sentence, or ``""``."""
        values = values or self._nats_config()
        if not nats_link.nats_available():
            return _(
                "The Python package %s is not installed on the server: events of "
                "mirrored topics wait in the outbox.",
                nats_link.PACKAGE,
            )
        if not values["servers"]:
            return _("No NATS server is configured.")
        try:
            check_name(values["stream"])
            check_prefix(values["subject_prefix"])
        except ValueError as exc:
            return str(exc)
        return ""

    @api.model
    def _cron_nats_bridge(self):
        """Cron: make sure this process runs the bridge for this database (a
        no-op when it already does, or when the bridge is not configured), and
        forget workers that stopped answering."""
        self.env["live.nats.worker"]._gc_workers()
        missing = self._nats_missing()
        if missing:
            _logger.debug("NATS bridge not started: %s", missing)
            return
        # a manual run from the web client happens in an HTTP worker: only a
        # threaded server (one process) may keep the runner there
        in_cron = bool(self.env.context.get("cron_id"))
        if not in_cron and config["workers"]:
            return
        runner.ensure_runner(self.env.cr.dbname)

    @api.model
    def action_wake(self):
        """Start the bridge now instead of at the cron's next run (system
        administrators)."""
        if not self.env.user.has_group("base.group_system"):
            raise AccessError(_("Only system administrators may start the bridge."))
        # sudo: ir.cron - a trigger of the bridge's own scheduled action
        self.env.ref("live_messaging.ir_cron_nats_bridge").sudo()._trigger()
        return True
