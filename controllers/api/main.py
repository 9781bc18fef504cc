"""The external-app API: ``/live/api/v1`` (see ``openapi.py`` for the table).

Routes are thin: authenticate, spend the rate budget, parse and validate, find
rooms and topics with ``search`` (record rules apply), then call the model
methods that hold the logic and check the rights. Every refusal is JSON (see
``errors.py``) and changes nothing."""

import re
from dataclasses import dataclass

import jsonschema
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule

from odoo import _, http
from odoo.exceptions import AccessError, MissingError, ValidationError
from odoo.http import request

from odoo.addons.bus.websocket import Websocket
from odoo.addons.live_messaging.bus.limits import RETRY_AFTER, TooManyWebsockets
from odoo.addons.live_messaging.bus.patch import open_app_connection
from odoo.addons.live_messaging.models.support.live_support_session import (
    CHANNEL_PREFIX,
)

from ...utils.values import json_value
from . import auth
from .errors import (
    EXPOSED_HEADERS,
    ApiError,
    error_response,
    exception_response,
    must_propagate,
)
from .openapi import (
    BASE_PATH,
    CLIENT_ID_PATTERN,
    ID_MAX,
    PARAMETERS,
    SCHEMAS,
    build_document,
    odoo_route,
    operations_by_path,
)

ROUTES = operations_by_path()
VISITOR_TOKEN_HEADER = "X-Live-Visitor-Token"
INTEGER_RE = re.compile(r"^[+-]?\d{1,20}$")
# posts and publishes: concurrent ones on one room or topic wait for each
# other instead of failing (serialization errors, whole requests run again)
READ_COMMITTED_PATHS = {
    "/rooms/{room_id}/messages",
    "/topics/{name}/publish",
    "/batch",
}
# the API's own paths, to answer 405 (with Allow) rather than 404
_API_MAP = Map(
    [
        Rule(odoo_route(path), methods=list(methods), endpoint=path)
        for path, methods in ROUTES.items()
    ],
    strict_slashes=False,
)


def api_route(path):
    """Declare the Odoo route of an API path, with the methods the table
    gives it (one route per path, so that CORS preflights list them all).
    The paths of ``READ_COMMITTED_PATHS`` run in READ COMMITTED
    (``ir.http._authenticate``)."""
    return http.route(
        odoo_route(path),
        type="http",
        auth="public",
        methods=list(ROUTES[path]),
        csrf=False,
        cors="*",
        websocket=path == "/websocket",
        live_read_committed=path in READ_COMMITTED_PATHS,
    )


@dataclass
class ApiCall:
    """One validated request: the caller, path values, query values and the
    JSON body."""

    caller: auth.Caller
    path: dict
    query: dict
    body: object


def _validation_path(error):
    return "".join(
        "/" + str(part).replace("~", "~0").replace("/", "~1")
        for part in error.absolute_path
    )


def _check_body(schema_name, body, required):
    if body is None:
        if required:
            raise ApiError(400, _("A JSON body is required."))
        return {}
    schema = SCHEMAS[schema_name]
    validator = jsonschema.Draft7Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(body))
    if error is not None:
        path = _validation_path(error)
        raise ApiError(
            400,
            _(
                "Invalid request body at %(path)s: %(error)s",
                path=path or "/",
                error=error.message,
            ),
            path=path,
        )
    return body


def _check_query(operation):
    values = {}
    args = request.httprequest.args
    for name in operation.parameters:
        param = PARAMETERS[name]
        if param["in"] != "query":
            continue
        if param["name"] not in args:
            if param.get("required"):
                raise ApiError(400, _("%s is required.", param["name"]))
            continue
        raw = args.get(param["name"])
        schema = param["schema"]
        if schema["type"] == "string":
            if not schema["minLength"] <= len(raw) <= schema["maxLength"]:
                raise ApiError(
                    400,
                    _(
                        "%(name)s must be %(min)s to %(max)s characters long.",
                        name=param["name"],
                        min=schema["minLength"],
                        max=schema["maxLength"],
                    ),
                )
            values[param["name"]] = raw
            continue
        if not INTEGER_RE.match(raw or ""):
            raise ApiError(400, _("%s must be a whole number.", param["name"]))
        value = int(raw)
        if not schema["minimum"] <= value <= schema["maximum"]:
            raise ApiError(
                400,
                _(
                    "%(name)s must be between %(min)s and %(max)s.",
                    name=param["name"],
                    min=schema["minimum"],
                    max=schema["maximum"],
                ),
            )
        values[param["name"]] = value
    if "after" in values and "before" in values:
        raise ApiError(400, _("Use either before or after, not both."))
    return values


class LiveApiController(http.Controller):
    # ------------------------------------------------------------------
    # Routes (methods and documentation come from openapi.OPERATIONS)
    # ------------------------------------------------------------------

    @api_route("/me")
    def api_me(self, **kwargs):
        return self._serve("/me", kwargs)

    @api_route("/rooms")
    def api_rooms(self, **kwargs):
        return self._serve("/rooms", kwargs)

    @api_route("/rooms/{room_id}")
    def api_room(self, **kwargs):
        return self._serve("/rooms/{room_id}", kwargs)

    @api_route("/rooms/{room_id}/messages")
    def api_room_messages(self, **kwargs):
        return self._serve("/rooms/{room_id}/messages", kwargs)

    @api_route("/rooms/{room_id}/read")
    def api_room_read(self, **kwargs):
        return self._serve("/rooms/{room_id}/read", kwargs)

    @api_route("/topics")
    def api_topics(self, **kwargs):
        return self._serve("/topics", kwargs)

    @api_route("/topics/{name}/publish")
    def api_topic_publish(self, **kwargs):
        return self._serve("/topics/{name}/publish", kwargs)

    @api_route("/topics/{name}/events")
    def api_topic_events(self, **kwargs):
        return self._serve("/topics/{name}/events", kwargs)

    @api_route("/topics/{name}/subscribe")
    def api_topic_subscribe(self, **kwargs):
        return self._serve("/topics/{name}/subscribe", kwargs)

    @api_route("/topics/{name}/unsubscribe")
    def api_topic_unsubscribe(self, **kwargs):
        return self._serve("/topics/{name}/unsubscribe", kwargs)

    @api_route("/support/join")
    def api_support_join(self, **kwargs):
        return self._serve("/support/join", kwargs)

    @api_route("/support/history")
    def api_support_history(self, **kwargs):
        return self._serve("/support/history", kwargs)

    @api_route("/support/messages")
    def api_support_post(self, **kwargs):
        return self._serve("/support/messages", kwargs)

    @api_route("/support/typing")
    def api_support_typing(self, **kwargs):
        return self._serve("/support/typing", kwargs)

    @api_route("/support/heartbeat")
    def api_support_heartbeat(self, **kwargs):
        return self._serve("/support/heartbeat", kwargs)

    @api_route("/support/leave")
    def api_support_leave(self, **kwargs):
        return self._serve("/support/leave", kwargs)

    @api_route("/support/queue")
    def api_support_queue(self, **kwargs):
        return self._serve("/support/queue", kwargs)

    @api_route("/support/sessions/{session_id}/claim")
    def api_support_claim(self, **kwargs):
        return self._serve("/support/sessions/{session_id}/claim", kwargs)

    @api_route("/support/sessions/{session_id}/close")
    def api_support_close(self, **kwargs):
        return self._serve("/support/sessions/{session_id}/close", kwargs)

    @api_route("/websocket")
    def api_websocket(self, **kwargs):
        return self._serve("/websocket", kwargs)

    @api_route("/openapi.json")
    def api_openapi(self, **kwargs):
        return self._serve("/openapi.json", kwargs)

    @http.route(
        [BASE_PATH, f"{BASE_PATH}/<path:path>"],
        type="http",
        auth="public",
        csrf=False,
        cors="*",
        save_session=False,
    )
    def api_fallback(self, path="", **kwargs):
        """Anything else under the base path: JSON 404, or 405 with Allow."""
        method = request.httprequest.method
        matched = False
        try:
            _API_MAP.bind("").match(f"{BASE_PATH}/{path}", method=method)
            matched = True
        except MethodNotAllowed as exc:
            allowed = sorted(set(exc.valid_methods) - {"OPTIONS"})
            return error_response(
                405,
                "method_not_allowed",
                _(
                    "Use %(allowed)s here, not %(method)s.",
                    allowed=", ".join(allowed),
                    method=method,
                ),
                headers={"Allow": ", ".join(allowed)},
            )
        except NotFound:
            matched = False
        if matched and path.strip("/") == "websocket":
            # the websocket route only matches upgrade requests
            return error_response(
                426,
                "upgrade_required",
                _("This is a websocket endpoint: open it with Upgrade: websocket."),
                headers={"Upgrade": "websocket"},
            )
        return error_response(
            404,
            "not_found",
            _(
                "There is no %(method)s %(path)s.",
                method=method,
                path=request.httprequest.path,
            ),
        )

    # ------------------------------------------------------------------
    # Dispatching
    # ------------------------------------------------------------------

    def _serve(self, path, kwargs):
        method = request.httprequest.method
        httprequest = request.httprequest
        if httprequest.headers.get("Authorization") or not httprequest.cookies.get(
            "session_id"
        ):
            # an app authenticates at every request: it is given no cookie
            request.session.can_save = False
        methods = ROUTES[path]
        operation = methods.get(method) or methods.get("GET")
        try:
            caller = None
            if operation.public:
                auth.check_public_rate()
            else:
                caller = auth.authenticate()
                auth.check_rate(caller)
            body = None
            if method not in auth.SAFE_METHODS:
                body = auth.read_json_body(
                    caller,
                    limit=self._body_limit(operation),
                    payload_level=operation.payload_level,
                )
            if operation.body:
                body = _check_body(operation.body, body, operation.body_required)
            call = ApiCall(
                caller=caller,
                path={
                    PARAMETERS[name]["name"]: kwargs[PARAMETERS[name]["name"]]
                    for name in operation.parameters
                    if PARAMETERS[name]["in"] == "path"
                },
                query=_check_query(operation),
                body=body,
            )
            result = getattr(self, f"_op_{operation.operation_id}")(call)
            if isinstance(result, http.Response):
                return result
            status, data = result
            request.env.flush_all()
            # JSON's null where Odoo says False, as the document types it
            schema = operation.responses.get(status, (None, None))[1]
            data = json_value(data, SCHEMAS.get(schema), SCHEMAS)
        except Exception as exc:
            if must_propagate(exc):
                raise
            # Odoo's threaded server drops the body of any answer to an upgrade
            # request: a refused websocket gets none, the code is in a header
            return exception_response(
                exc, with_body=operation.operation_id != "websocket"
            )
        response = request.make_json_response(data, status=status)
        response.headers["Cache-Control"] = "no-store"
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        return response

    def _body_limit(self, operation):
        """The largest body of ``operation``, in bytes (None: the API's
        limit). A file upload may be as large as a file, in base64."""
        if operation.upload:
            max_bytes = request.env["live.room"]._live_attachment_max_bytes()
            return max_bytes * 4 // 3 + 4096
        return None

    # ------------------------------------------------------------------
    # Lookups: record rules apply; 403 for a room one may not read, 404 for
    # none; unknown (or invisible) topics are 404
    # ------------------------------------------------------------------

    def _room(self, call):
        room_id = call.path["room_id"]
        if not 0 < room_id <= ID_MAX:
            raise ApiError(404, _("Room %s does not exist.", room_id))
        Room = request.env["live.room"].with_context(active_test=False)
        room = Room.search([("id", "=", room_id)])
        if room:
            return room
        # sudo: live.room - telling a room the caller may not read from none
        if Room.sudo().search_count([("id", "=", room_id)]):
            raise ApiError(403, _("You are not a member of this room."))
        raise ApiError(404, _("Room %s does not exist.", room_id))

    def _topic(self, call, for_publish=False):
        name = call.path["name"]
        Topic = request.env["live.topic"]
        try:
            Topic._check_topic_name(name)
        except ValidationError:
            raise ApiError(404, _("There is no topic with this name.")) from None
        topic = (
            Topic._find_or_create_for_publish(name)
            if for_publish
            else Topic._find(name)
        )
        if not topic:
            raise ApiError(404, _("There is no topic %s.", name))
        return topic

    # ------------------------------------------------------------------
    # Operations
    # ------------------------------------------------------------------

    def _op_get_me(self, call):
        user = request.env.user
        caller = call.caller
        return 200, {
            "id": user.id,
            "name": user.name,
            "login": user.login,
            "partner_id": user.partner_id.id,
            "lang": request.env.lang or user.lang,
            "tz": user.tz or None,
            "is_live_user": user.has_group("live_messaging.group_live_user"),
            "is_live_manager": user.has_group("live_messaging.group_live_manager"),
            "auth": caller.via,
            "api_key": (
                {"id": caller.key_id, "name": caller.key_name}
                if caller.key_id
                else None
            ),
        }

    def _op_list_rooms(self, call):
        return 200, {"rooms": request.env["live.room"].live_get_rooms()}

    def _op_create_room(self, call):
        body = call.body
        Room = request.env["live.room"]
        if body["type"] == "group":
            if "name" not in body:
                raise ApiError(400, _("A group room needs a name."), path="/name")
            member_ids = body.get("member_ids") or []
            unknown = set(member_ids) - set(
                request.env["res.users"].browse(member_ids).exists().ids
            )
            if unknown:
                raise ApiError(
                    422,
                    _("Unknown users: %s", ", ".join(map(str, sorted(unknown)))),
                    path="/member_ids",
                )
            room = Room.live_create_group_room(
                body["name"], member_ids, body.get("description") or False
            )
            return 201, room._format()[0]
        if "user_id" not in body:
            raise ApiError(400, _("A direct room needs a user_id."), path="/user_id")
        existed = Room.with_context(active_test=False).search_count(
            [
                ("room_type", "=", "direct"),
                ("is_member", "=", True),
                ("member_ids.user_id", "=", body["user_id"]),
            ]
        )
        room = Room.live_get_direct_room(body["user_id"])
        return (200 if existed else 201), room._format()[0]

    def _op_get_room(self, call):
        return 200, self._room(call)._format()[0]

    def _op_list_messages(self, call):
        room = self._room(call)
        if "q" in call.query:
            return 200, room.live_search_messages(
                call.query["q"],
                before=call.query.get("before"),
                after=call.query.get("after"),
                limit=call.query.get("limit"),
            )
        return 200, room.live_fetch_messages(
            before=call.query.get("before"),
            after=call.query.get("after"),
            limit=call.query.get("limit"),
        )

    def _op_post_message(self, call):
        room_id = call.path["room_id"]
        if not 0 < room_id <= ID_MAX:
            raise ApiError(404, _("Room %s does not exist.", room_id))
        # the room is not looked up first: posting checks the caller's rights
        # before anything else, in one query (record rules, membership,
        # archived); only a refusal looks closer, to tell 404 from 403
        room = request.env["live.room"].browse(room_id)
        body = call.body
        try:
            message = room._post_message(
                body["body"],
                client_id=body.get("client_id") or False,
                payload=body.get("payload"),
                author_app=call.caller.key_name or False,
                mention_ids=body.get("mentions"),
                attachment_ids=body.get("attachment_ids"),
            )
        except (AccessError, MissingError):
            self._room(call)
            raise
        return (201 if message._live_is_new() else 200), message._live_format_posted()

    def _op_mark_read(self, call):
        room = self._room(call)
        unread = room.live_mark_seen(call.body.get("message_id"))
        # sudo: live.room.member - the caller's own cursor
        member = room.sudo().member_ids.filtered(
            lambda m: m.user_id == request.env.user
        )
        return 200, {
            "room_id": room.id,
            "last_seen_seq": member.last_seen_seq,
            "unread": unread,
        }

    def _op_list_topics(self, call):
        return 200, {"topics": request.env["live.topic"].live_get_topics()}

    def _op_publish(self, call):
        key = request.httprequest.headers.get("Idempotency-Key")
        if key is not None and not re.match(CLIENT_ID_PATTERN, key):
            raise ApiError(
                400,
                _(
                    "An Idempotency-Key is 1 to 128 letters, digits or "
                    ". _ : - characters."
                ),
            )
        topic = self._topic(call, for_publish=True)
        # sudo: live.message - rights were checked by _publish; a replayed event
        # is not readable through the ORM by its author
        event = topic._publish(call.body, client_id=key or False).sudo()
        return (201 if event._live_is_new() else 200), event._live_format_posted()

    def _op_list_events(self, call):
        topic = self._topic(call)
        page = topic.live_fetch_events(
            before=call.query.get("before"),
            after=call.query.get("after"),
            limit=call.query.get("limit"),
        )
        return 200, {"events": page["messages"], "has_more": page["has_more"]}

    def _op_subscribe(self, call):
        topic = self._topic(call)
        topic.live_subscribe()
        return 200, {"topic": topic.name, "subscribed": True}

    def _op_unsubscribe(self, call):
        topic = self._topic(call)
        topic.live_unsubscribe()
        return 200, {"topic": topic.name, "subscribed": False}

    # ------------------------------------------------------------------
    # Live support: visitors (public, known by their token) and agents
    # ------------------------------------------------------------------

    def _visitor(self, call, open_only=True):
        token = (call.body or {}).get("token") or request.httprequest.headers.get(
            VISITOR_TOKEN_HEADER
        )
        if not token:
            raise ApiError(
                400,
                _(
                    "Send the visitor token (token, or the %s header).",
                    VISITOR_TOKEN_HEADER,
                ),
            )
        return request.env["live.support.session"]._visitor_session(
            token, open_only=open_only
        )

    def _support_session(self, call):
        session_id = call.path["session_id"]
        if not 0 < session_id <= ID_MAX:
            raise ApiError(404, _("Support chat %s does not exist.", session_id))
        Session = request.env["live.support.session"]
        session = Session.search([("id", "=", session_id)])
        if session:
            return session
        # sudo: live.support.session - telling a chat one may not see from none
        if Session.sudo().search_count([("id", "=", session_id)]):
            raise ApiError(403, _("This support chat is not yours."))
        raise ApiError(404, _("Support chat %s does not exist.", session_id))

    def _op_support_join(self, call):
        session, token = request.env["live.support.session"]._visitor_join(
            call.body["name"],
            call.body.get("message"),
            ip=request.httprequest.remote_addr,
        )
        return 201, dict(
            session._format_visitor(), token=token, channel=CHANNEL_PREFIX + token
        )

    def _op_support_history(self, call):
        return 200, self._visitor(call, open_only=False)._visitor_history()

    def _op_support_post(self, call):
        session = self._visitor(call)
        message = session._visitor_post(
            call.body["body"], client_id=call.body.get("client_id") or False
        )
        # sudo: live.message - the visitor's own message in the token's room
        message = message.sudo()
        return (201 if message._live_is_new() else 200), message._live_format_posted()

    def _op_support_typing(self, call):
        session = self._visitor(call)
        session._visitor_typing((call.body or {}).get("is_typing", True))
        return 200, session._format_visitor()

    def _op_support_heartbeat(self, call):
        return 200, self._visitor(call, open_only=False)._visitor_heartbeat()

    def _op_support_leave(self, call):
        return 200, self._visitor(call, open_only=False)._visitor_leave()

    def _op_support_queue(self, call):
        return 200, {"sessions": request.env["live.support.session"].live_queue()}

    def _op_support_claim(self, call):
        Session = request.env["live.support.session"]
        Session._check_agent()
        session_id = call.path["session_id"]
        if not 0 < session_id <= ID_MAX:
            raise ApiError(404, _("Support chat %s does not exist.", session_id))
        # sudo: live.support.session - an agent may try to claim any chat: one
        # taken by another agent answers already_taken, not forbidden
        session = Session.sudo().search([("id", "=", session_id)]).sudo(False)
        if not session:
            raise ApiError(404, _("Support chat %s does not exist.", session_id))
        return 200, session.live_claim()

    def _op_support_close(self, call):
        request.env["live.support.session"]._check_agent()
        session = self._support_session(call)
        session.live_close()
        return 200, session._format_queue()[0]

    def _op_openapi(self, call):
        return 200, build_document(request.httprequest.host_url)

    def _op_websocket(self, call):
        """Open the websocket with Odoo's own machinery, bound to a session of
        the key's user (a browser keeps its own session). Beyond the
        websocket limits of the user or of the key: 429
        ``too_many_websockets``."""
        caller = call.caller
        try:
            if caller.key_id:
                request.session = self._open_app_session(caller)
            return open_app_connection(request, caller.uid, caller.key_id)
        except TooManyWebsockets as exc:
            if caller.key_id:
                http.root.session_store.delete(request.session)
            raise ApiError(
                429,
                exc.description,
                code="too_many_websockets",
                headers={"Retry-After": str(RETRY_AFTER)},
            ) from exc

    def _open_app_session(self, caller):
        """A server-side session for an app's websocket, as a login would make
        it, marked with the key (``live_api_key_id`` in its context): the bus
        checks the key at every message and notification (``ir.websocket.
        _authenticate``, ``bus.bus._poll``), and the session is deleted when
        the socket closes. It is never sent to the app as a cookie."""
        store = http.root.session_store
        session = store.new()
        user = request.env.user
        session.update(http.get_default_session(), db=request.db)
        session.update(
            {
                "login": user.login,
                "uid": user.id,
                "context": dict(
                    request.env["res.users"].context_get(),
                    live_api_key_id=caller.key_id,
                ),
                "session_token": user._compute_session_token(session.sid),
                "live_api_key_id": caller.key_id,
            }
        )
        store.save(session)
        session.can_save = False
        return session


@Websocket.onclose
def _delete_app_session(env, websocket):
    """An app's session exists for its socket only: delete it with it."""
    # pylint: disable=protected-access
    session = websocket._session
    if session.get("live_api_key_id"):
        http.root.session_store.delete(session)
