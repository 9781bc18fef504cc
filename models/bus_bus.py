from odoo import models
from odoo.http import SessionExpiredException

from odoo.addons.bus.models.bus import channel_with_db

from ..bus.control import control_target


class BusBus(models.Model):
    _inherit = "bus.bus"

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
