import re

from odoo import models
from odoo.http import SessionExpiredException

from odoo.addons.bus.models.bus import channel_with_db, json_dump
from odoo.addons.bus.websocket import wsrequest

ROOM_CHANNEL_RE = re.compile(r"^live\.room_(\d+)$")


class IrWebsocket(models.AbstractModel):
    _inherit = "ir.websocket"

    def _build_bus_channel_list(self, channels):
        """Subscribe sockets to the live channels their user is entitled to.

        Channels are records (rooms, topics), added here after an access check;
        never strings a client could name. A logged-in live user gets every room
        they are a member of and every topic they subscribed to and may still
        read: membership decides, for managers too (as the REST API does). A
        ``live.room_<id>`` string sent by a client grants nothing and is
        dropped. The live bus dispatcher keeps these channels up to date while
        the socket is open (``bus/control.py``)."""
        channels = [
            channel
            for channel in channels
            if not (isinstance(channel, str) and ROOM_CHANNEL_RE.match(channel))
        ]
        live = self._live_channels()
        ws = getattr(wsrequest, "ws", None) if wsrequest else None
        if ws is not None:
            # the dispatcher recomputes these (and only these) on a change
            ws._live_channel_keys = {
                json_dump(channel_with_db(self.env.cr.dbname, record))
                for record in live
            }
        channels.extend(live)
        return super()._build_bus_channel_list(channels)

    def _live_channels(self):
        """Record channels of the current user: the rooms they are a member
        of, the topics they subscribed to and may still read. Override point
        for other kinds of live sessions; the dispatcher calls it again, as the
        socket's user, when a control notification says they changed."""
        user = self.env.user
        if (
            not user
            or user._is_public()
            or not user.has_group("live_messaging.group_live_user")
        ):
            return []
        rooms = self.env["live.room"].search([("is_member", "=", True)])
        # sudo: live.topic.subscription - the user's own subscriptions; each topic
        # is re-checked, so a revoked right stops the stream
        topics = (
            self.env["live.topic.subscription"]
            .sudo()
            .search([("user_id", "=", user.id)])
            .topic_id.sudo(False)
            .filtered(lambda topic: topic._can_subscribe(user))
        )
        return list(rooms) + list(topics)

    # ------------------------------------------------------------------
    # Sessions of external apps (opened with an API key on
    # /live/api/v1/websocket): they live only as long as their key
    # ------------------------------------------------------------------

    @classmethod
    def _authenticate(cls):
        """Refuse every message of an app socket whose API key was removed or
        expired (or whose user was deactivated): the socket closes with 4001.
        Notifications are guarded by the dispatcher's leases (``bus/``), or
        by ``bus.bus._poll`` when it is off."""
        session = wsrequest.session
        key_id = session and session.context.get("live_api_key_id")
        if key_id and not wsrequest.env["res.users.apikeys"]._live_key_is_valid(
            key_id, session.uid
        ):
            session.logout(keep_db=True)
            raise SessionExpiredException()
        return super()._authenticate()

    def _on_websocket_closed(self, cookies):
        # an app's socket says nothing of its user's presence in a browser
        if self.env.context.get("live_api_key_id"):
            return None
        return super()._on_websocket_closed(cookies)
