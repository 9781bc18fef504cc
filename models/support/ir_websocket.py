from odoo import models

from odoo.addons.bus.websocket import Websocket

from .live_support_session import CHANNEL_PREFIX


class IrWebsocket(models.AbstractModel):
    _inherit = "ir.websocket"

    def _build_bus_channel_list(self, channels):
        """A support visitor's socket (anonymous) asks for
        ``live.support_<token>``: the string is dropped, and the room of the
        token's open chat is added instead, once the token's hash matched. An
        unknown, closed or expired token gets nothing."""
        channels = list(channels)
        tokens = [
            channel[len(CHANNEL_PREFIX) :]
            for channel in channels
            if isinstance(channel, str) and channel.startswith(CHANNEL_PREFIX)
        ]
        if tokens:
            channels = [
                channel
                for channel in channels
                if not (isinstance(channel, str) and channel.startswith(CHANNEL_PREFIX))
            ]
            Session = self.env["live.support.session"]
            for token in tokens[:5]:
                session = Session._find_by_token(token)
                if session and not session._check_expiry():
                    if session.state in ("waiting", "active"):
                        session._seen()
                        channels.append(session.room_id)
        return super()._build_bus_channel_list(channels)


@Websocket.onclose
def _support_visitor_left(env, websocket):
    """An anonymous socket subscribed to support rooms closed: their agents
    are told that the visitor left (a heartbeat brings them back)."""
    # pylint: disable=protected-access
    if websocket._session.uid:
        return
    room_ids = [
        channel[2]
        for channel in websocket._channels
        if isinstance(channel, tuple)
        and len(channel) == 3
        and channel[1] == "live.room"
    ]
    if not room_ids:
        return
    # sudo: live.support.session - the closing socket proved these rooms' tokens
    env["live.support.session"].sudo().search(
        [("room_id", "in", room_ids), ("state", "in", ("waiting", "active"))]
    )._visitor_gone()
