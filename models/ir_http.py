from werkzeug.exceptions import HTTPException

from odoo import models
from odoo.http import request
from odoo.sql_db import TestCursor

from ..bus import control
from ..bus.dispatcher import dispatcher

API_PATH = "/live/api/v1/"
API_REQUEST_HEADERS = "Idempotency-Key"


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _authenticate(cls, endpoint):
        """Routes marked ``live_read_committed`` (posting a message,
        publishing an event) run their transaction in READ COMMITTED: posts
        to one room (publishes on one topic) wait for each other on its row's
        lock, then number theirs after the one committed, where Odoo's
        REPEATABLE READ would fail them with a serialization error and run
        the whole request again. It must be the transaction's first
        statement: authentication is the first thing a request does (a test
        cursor has started long before, and keeps its level)."""
        cr = request.env.cr
        if endpoint.routing.get("live_read_committed") and not isinstance(
            cr, TestCursor
        ):
            cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        return super()._authenticate(endpoint)

    @classmethod
    def _pre_dispatch(cls, rule, args):
        """CORS preflights of the external-app API also allow the
        ``Idempotency-Key`` request header (Odoo's list lacks it), so that an
        app in a browser on another origin can publish safely."""
        try:
            return super()._pre_dispatch(rule, args)
        except HTTPException as exc:
            httprequest = request.httprequest
            if (
                exc.code is None  # the preflight's 204, raised as an abort
                and httprequest.method == "OPTIONS"
                and httprequest.path.startswith(API_PATH)
            ):
                headers = request.future_response.headers
                allowed = headers.get("Access-Control-Allow-Headers")
                if allowed:
                    headers.set(
                        "Access-Control-Allow-Headers",
                        f"{allowed}, {API_REQUEST_HEADERS}",
                    )
            raise

    @classmethod
    def _post_logout(cls):
        """The websockets of the session that logs out close at once (4001),
        in this process and, through a NOTIFY, in every other one."""
        result = super()._post_logout()
        sid, db = request.session.sid, request.db
        if sid and db:
            dispatcher.close_sessions(db, {control.sid_hash(sid)})
            control.notify_logout(db, sid)
        return result

    def session_info(self):
        """Tell the web client which models have live screens, so that their list
        and kanban views refresh themselves with no JavaScript per model; and the
        user's choice for chat notifications."""
        result = super().session_info()
        if self.env.user._is_internal():
            # the composer warns before sending what the server would refuse
            result["live_body_max_chars"] = self.env["live.message"]._body_max_chars()
            result["live_record_models"] = sorted(
                name
                for name, cls in self.env.registry.items()
                if cls._live_records and not cls._abstract and not cls._transient
            )
            result["live_notify"] = self.env.user._live_notify_preferences()
        return result
