import re

from odoo import models
from odoo.http import SessionExpiredException

from odoo.addons.bus.websocket import wsrequest

ROOM_CHANNEL_RE = re.compile(r"^live\.room_(\d+)$")


class IrWebsocket(models.AbstractModel):
    _inherit = "ir.websocket"

    def _build_bus_channel_list(self, channels):
        """Subscribe sockets to the live channels their user is entitled to.

        Channels are records (rooms, topics), added here after an access check;
        never strings a client could name. A logged-in live user gets every room
        they are a member of and every topic they subscribed to and may still
        read. ``live.room_<id>`` strings sent by a client are requests, honoured
        only for rooms the user can read (record rules apply)."""
        channels = list(channels)
        requested_room_ids = []
        for channel in list(channels):
            if isinstance(channel, str) and (match := ROOM_CHANNEL_RE.match(channel)):
                channels.remove(channel)
                requested_room_ids.append(int(match.group(1)))
        channels.extend(self._live_channels(requested_room_ids))
        return super()._build_bus_channel_list(channels)

    def _live_channels(self, requested_room_ids=()):
        """Record channels of the current user; override point for other kinds
        of live sessions (external apps, support visitors)."""
        user = self.env.user
        if (
            not user
            or user._is_public()
            or not user.has_group("live_messaging.group_live_user")
        ):
            return []
        rooms = self.env["live.room"].search(
            ["|", ("is_member", "=", True), ("id", "in", list(requested_room_ids))]
        )
        # sudo: live.topic.subscription - the user's own subscriptions; each topic
        # is re-checked, so a revoked right stops the stream at the next subscribe
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
        Notifications are guarded the same way in ``bus.bus._poll``."""
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
