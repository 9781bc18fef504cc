"""The visitor's side of live support: a small public page at
``/live/support`` that uses the public API (``/live/api/v1/support/...``) and
Odoo's own ``/websocket`` with the visitor token."""

from odoo import http
from odoo.http import request
from odoo.tools.misc import file_open


class LiveSupportPage(http.Controller):
    @http.route("/live/support", type="http", auth="public", methods=["GET"])
    def support_page(self, **kwargs):
        """A standalone page (no backend assets): join, history, chat, typing,
        expiry notice; the token is kept in the browser's localStorage."""
        with file_open("live_messaging/static/visitor/visitor.html") as page:
            html = page.read()
        return request.make_response(
            html,
            headers=[
                ("Content-Type", "text/html; charset=utf-8"),
                ("Cache-Control", "no-store"),
                ("X-Frame-Options", "SAMEORIGIN"),
            ],
        )
