from odoo import models
from odoo.http import SessionExpiredException
from odoo.tools import SQL
from odoo.tools.misc import OrderedSet

from odoo.addons.bus.models.bus import channel_with_db, get_notify_payloads

from ..bus.control import control_target
from ..bus.notify import notifier


class BusBus(models.Model):
    _inherit = "bus.bus"

    def _ensure_hooks(self):
        """Odoo's hooks, made cheaper for a bus written at every post:

        - the rows are written by one INSERT in the precommit hook (not
          ``create()``), in the order they were sent (control rows first,
          ``bus/control.py``), dated by the transaction;
        - the NOTIFY after commit goes through the connection kept by the
          process (``bus/notify.py``) instead of a new connection to
          ``postgres`` at each commit: same channel, same payloads, still
          after commit and never on rollback.

        Registered before Odoo's own hooks, which then see theirs are there
        and add none."""
        cr = self.env.cr
        if "bus.bus.values" not in cr.precommit.data:
            cr.precommit.data["bus.bus.values"] = []

            @cr.precommit.add
            def create_bus():
                self.sudo()._live_insert(cr.precommit.data.pop("bus.bus.values"))

        if "bus.bus.channels" not in cr.postcommit.data:
            cr.postcommit.data["bus.bus.channels"] = OrderedSet()

            @cr.postcommit.add
            def notify():
                channels = list(cr.postcommit.data.pop("bus.bus.channels"))
                notifier.notify("imbus", get_notify_payloads(channels))

        return super()._ensure_hooks()

    def _live_insert(self, values_list):
        """Insert the bus rows ``values_list`` (``{"channel", "message"}``,
        JSON texts), ids ascending in their order, dated as ``create()`` dates
        them (the transaction's time)."""
        if not values_list:
            return
        now = self.env.cr.now()
        self.env.cr.execute(
            SQL(
                "INSERT INTO bus_bus (channel, message, create_uid, create_date, "
                "write_uid, write_date) VALUES %s",
                SQL(", ").join(
                    SQL(
                        "(%s, %s, %s, %s, %s, %s)",
                        values["channel"],
                        values["message"],
                        self.env.uid,
                        now,
                        self.env.uid,
                        now,
                    )
                    for values in values_list
                ),
            )
        )

    def _poll(self, channels, last=0, ignore_ids=None):
        """Odoo's own path (sockets not routed by the live bus dispatcher, the
        HTTP polling fallback). Before an app socket (opened with an API key)
        gets notifications, check that its key is still valid; otherwise the
        socket closes with 4001 (the websocket turns SessionExpiredException
        into that code). The socket's environment carries the key id in its
        context. Control notifications (``bus/control.py``) are never
        returned, whatever the channels asked."""
        key_id = self.env.context.get("live_api_key_id")
        if key_id and not self.env["res.users.apikeys"]._live_key_is_valid(
            key_id, self.env.uid
        ):
            raise SessionExpiredException()
        control = control_target(self.env.cr.dbname)
        channels = [
            channel
            for channel in channels
            if channel_with_db(self.env.cr.dbname, channel) != control
        ]
        return super()._poll(channels, last=last, ignore_ids=ignore_ids)
