"""The route table of the external-app API, and its OpenAPI 3 document.

``OPERATIONS`` is the one description of the API: the controller declares its
routes from it (``main.api_route``), validates requests with its schemas, and
``build_document`` turns it into ``/live/api/v1/openapi.json``. A test checks
that the routes Odoo serves under the base path are exactly those of the
document."""

import re
from dataclasses import dataclass, field

BASE_PATH = "/live/api/v1"
API_VERSION = "1.0.0"
ID_MAX = 2**31 - 1  # Odoo ids are PostgreSQL integers
CLIENT_ID_PATTERN = r"^[A-Za-z0-9._:\-]{1,128}$"


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # OpenAPI form, relative to BASE_PATH: /rooms/{room_id}
    operation_id: str  # the controller method is "_op_<operation_id>"
    summary: str
    tag: str
    responses: dict  # status -> (description, schema name or None)
    errors: tuple = ()  # error statuses besides the common ones
    parameters: tuple = ()  # names in PARAMETERS
    body: str = None  # schema name of the JSON body
    body_required: bool = False
    public: bool = False  # no authentication
    description: str = ""
    extra: dict = field(default_factory=dict)  # raw OpenAPI keys


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema):
    return dict(schema, nullable=True)


ID = {"type": "integer", "minimum": 1, "maximum": ID_MAX}
CURSOR = {"type": "integer", "minimum": 0, "maximum": ID_MAX}
VISITOR_TOKEN = {"type": "string", "minLength": 1, "maxLength": 128}

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {
                        "type": "string",
                        "description": "Stable machine-readable code: bad_request, "
                        "unauthorized, forbidden, not_found, method_not_allowed, "
                        "conflict, payload_too_large, unsupported_media_type, "
                        "unprocessable, schema_mismatch, upgrade_required, "
                        "rate_limited, internal_error.",
                    },
                    "message": {"type": "string"},
                    "path": {
                        "type": "string",
                        "description": "JSON pointer to the value at fault "
                        "(``/items/0/qty``; empty for the whole document).",
                    },
                },
            }
        },
    },
    "Me": {
        "type": "object",
        "required": ["id", "name", "login", "partner_id", "auth"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "login": {"type": "string"},
            "partner_id": {"type": "integer"},
            "lang": {"type": "string"},
            "tz": _nullable({"type": "string"}),
            "is_live_user": {"type": "boolean"},
            "is_live_manager": {"type": "boolean"},
            "auth": {"type": "string", "enum": ["api_key", "session"]},
            "api_key": _nullable(
                {
                    "type": "object",
                    "required": ["id", "name"],
                    "properties": {
                        "id": {"type": "integer"},
                        "name": {"type": "string"},
                    },
                }
            ),
        },
    },
    "Member": {
        "type": "object",
        "required": ["id", "name"],
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
    },
    "Room": {
        "type": "object",
        "required": ["id", "name", "type", "last_seq", "unread", "members"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "type": {
                "type": "string",
                "enum": ["group", "direct", "record", "support"],
            },
            "active": {"type": "boolean"},
            "description": {"type": "string"},
            "res_model": _nullable({"type": "string"}),
            "res_id": _nullable({"type": "integer"}),
            "last_seq": {
                "type": "integer",
                "description": "Sequence number of the room's last message.",
            },
            "last_message_id": _nullable({"type": "integer"}),
            "last_message_date": _nullable(
                {"type": "string", "description": "UTC, YYYY-MM-DD HH:MM:SS."}
            ),
            "unread": {"type": "integer", "minimum": 0},
            "members": {"type": "array", "items": _ref("Member")},
        },
    },
    "RoomList": {
        "type": "object",
        "required": ["rooms"],
        "properties": {"rooms": {"type": "array", "items": _ref("Room")}},
    },
    "CreateRoom": {
        "type": "object",
        "required": ["type"],
        "description": 'A group room: {"type": "group", "name": ..., "member_ids": '
        '[...]}; a direct room: {"type": "direct", "user_id": ...}.',
        "properties": {
            "type": {"type": "string", "enum": ["group", "direct"]},
            "name": {"type": "string", "minLength": 1, "maxLength": 128},
            "description": {"type": "string"},
            "member_ids": {"type": "array", "items": ID, "maxItems": 1000},
            "user_id": ID,
        },
    },
    "Author": {
        "type": "object",
        "required": ["id", "name", "app"],
        "properties": {
            "id": _nullable({"type": "integer"}),
            "name": {"type": "string"},
            "app": _nullable(
                {
                    "type": "string",
                    "description": "Name of the API key it came through.",
                }
            ),
        },
    },
    "Message": {
        "type": "object",
        "description": "A room message, or a topic event (kind event).",
        "required": ["id", "seq", "kind", "body", "author", "create_date"],
        "properties": {
            "id": {"type": "integer"},
            "seq": {
                "type": "integer",
                "description": "Number within its room or topic: 1, 2, 3... "
                "without gaps.",
            },
            "room_id": _nullable({"type": "integer"}),
            "topic": _nullable({"type": "string"}),
            "kind": {"type": "string", "enum": ["chat", "event", "system"]},
            "body": {"type": "string"},
            "payload": {"description": "JSON data (any JSON value), or null."},
            "author": _ref("Author"),
            "client_id": _nullable({"type": "string"}),
            "res_model": _nullable({"type": "string"}),
            "res_id": _nullable({"type": "integer"}),
            "create_date": {"type": "string", "format": "date-time"},
        },
    },
    "MessagePage": {
        "type": "object",
        "required": ["messages", "has_more"],
        "properties": {
            "messages": {"type": "array", "items": _ref("Message")},
            "has_more": {
                "type": "boolean",
                "description": "More messages lie beyond this page in the "
                "direction of travel (older for before or no cursor, newer for "
                "after).",
            },
        },
    },
    "PostMessage": {
        "type": "object",
        "required": ["body"],
        "properties": {
            "body": {"type": "string", "description": "Plain text."},
            "client_id": {
                "type": "string",
                "pattern": CLIENT_ID_PATTERN,
                "description": "Idempotency key: a retry with the same value "
                "returns the first message (200) instead of posting twice.",
            },
            "payload": {"type": "object", "description": "Optional JSON data."},
        },
    },
    "MarkRead": {
        "type": "object",
        "properties": {
            "message_id": dict(
                ID, description="Last message seen (default: the room's last)."
            )
        },
    },
    "ReadState": {
        "type": "object",
        "required": ["room_id", "last_seen_seq", "unread"],
        "properties": {
            "room_id": {"type": "integer"},
            "last_seen_seq": {"type": "integer"},
            "unread": {"type": "integer", "minimum": 0},
        },
    },
    "EventPayload": {
        "type": "object",
        "description": "Any JSON object; the topic's JSON Schema, if any, must "
        "accept it.",
        "additionalProperties": True,
    },
    "EventPage": {
        "type": "object",
        "required": ["events", "has_more"],
        "properties": {
            "events": {"type": "array", "items": _ref("Message")},
            "has_more": {"type": "boolean"},
        },
    },
    "Topic": {
        "type": "object",
        "required": ["id", "name", "last_seq"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "last_seq": {"type": "integer"},
            "subscribed": {"type": "boolean"},
            "can_publish": {"type": "boolean"},
            "can_subscribe": {"type": "boolean"},
            "has_schema": {"type": "boolean"},
        },
    },
    "TopicList": {
        "type": "object",
        "required": ["topics"],
        "properties": {"topics": {"type": "array", "items": _ref("Topic")}},
    },
    "Subscription": {
        "type": "object",
        "required": ["topic", "subscribed"],
        "properties": {
            "topic": {"type": "string"},
            "subscribed": {"type": "boolean"},
        },
    },
    "SupportJoin": {
        "type": "object",
        "required": ["name"],
        "description": "A visitor starts a support chat with a display name and, "
        "optionally, a first message.",
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 64},
            "message": {"type": "string", "minLength": 1},
        },
    },
    "SupportToken": {
        "type": "object",
        "description": "The visitor token, here or in the X-Live-Visitor-Token header.",
        "properties": {"token": VISITOR_TOKEN},
    },
    "SupportTyping": {
        "type": "object",
        "properties": {"token": VISITOR_TOKEN, "is_typing": {"type": "boolean"}},
    },
    "SupportPost": {
        "type": "object",
        "required": ["body"],
        "properties": {
            "token": VISITOR_TOKEN,
            "body": {"type": "string", "minLength": 1},
            "client_id": {
                "type": "string",
                "pattern": CLIENT_ID_PATTERN,
                "description": "Idempotency key: a retry returns the first message.",
            },
        },
    },
    "SupportState": {
        "type": "object",
        "required": ["session_id", "room_id", "name", "state"],
        "properties": {
            "session_id": {"type": "integer"},
            "room_id": {"type": "integer"},
            "name": {"type": "string"},
            "state": {
                "type": "string",
                "enum": ["waiting", "active", "closed", "expired"],
            },
            "agent": _nullable({"type": "string"}),
            "expiry_seconds": {"type": "integer"},
        },
    },
    "SupportJoined": {
        "type": "object",
        "required": ["token", "session_id", "room_id", "channel", "state"],
        "properties": {
            "token": {
                "type": "string",
                "description": "The visitor's secret: keep it (it is shown once).",
            },
            "session_id": {"type": "integer"},
            "room_id": {"type": "integer"},
            "channel": {
                "type": "string",
                "description": "Subscribe a websocket (/websocket) to this "
                "channel to receive the chat live.",
            },
            "name": {"type": "string"},
            "state": {"type": "string"},
            "agent": _nullable({"type": "string"}),
            "expiry_seconds": {"type": "integer"},
        },
    },
    "SupportHistory": {
        "type": "object",
        "required": ["session_id", "state", "messages"],
        "properties": {
            "session_id": {"type": "integer"},
            "room_id": {"type": "integer"},
            "name": {"type": "string"},
            "state": {
                "type": "string",
                "enum": ["waiting", "active", "closed", "expired"],
            },
            "agent": _nullable({"type": "string"}),
            "expiry_seconds": {"type": "integer"},
            "messages": {"type": "array", "items": _ref("Message")},
            "notice": {
                "type": "string",
                "description": "Why the chat ended (closed or expired).",
            },
        },
    },
    "SupportSession": {
        "type": "object",
        "required": ["id", "name", "state", "room_id", "join_date"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "state": {"type": "string"},
            "room_id": {"type": "integer"},
            "join_date": {"type": "string", "format": "date-time"},
            "first_message": {"type": "string"},
            "agent": _nullable({"type": "string"}),
            "visitor_present": {"type": "boolean"},
        },
    },
    "SupportQueue": {
        "type": "object",
        "required": ["sessions"],
        "properties": {"sessions": {"type": "array", "items": _ref("SupportSession")}},
    },
}

PARAMETERS = {
    "session_id": {
        "name": "session_id",
        "in": "path",
        "required": True,
        "schema": ID,
    },
    "room_id": {
        "name": "room_id",
        "in": "path",
        "required": True,
        "schema": ID,
    },
    "topic": {
        "name": "name",
        "in": "path",
        "required": True,
        "description": "Topic name, e.g. shop/42: segments of letters, digits "
        "and . _ - separated by slashes, sent as they are or percent-encoded.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 128},
    },
    "after": {
        "name": "after",
        "in": "query",
        "description": "Only items with an id above this one, oldest first.",
        "schema": CURSOR,
    },
    "before": {
        "name": "before",
        "in": "query",
        "description": "Only items with an id below this one (the newest page "
        "of them, returned oldest first).",
        "schema": CURSOR,
    },
    "limit": {
        "name": "limit",
        "in": "query",
        "description": "Page size: 50 by default, at most 200 (larger values "
        "are capped).",
        "schema": {"type": "integer", "minimum": 1, "maximum": ID_MAX},
    },
    "idempotency_key": {
        "name": "Idempotency-Key",
        "in": "header",
        "description": "Makes retries safe: a publish with a key already used "
        "by the same user on the topic returns the first event (200).",
        "schema": {"type": "string", "pattern": CLIENT_ID_PATTERN},
    },
}

PAGE = ("after", "before", "limit")

OPERATIONS = (
    Operation(
        "GET",
        "/me",
        "get_me",
        "Who the key (or session) belongs to",
        "Account",
        {200: ("The calling user.", "Me")},
    ),
    Operation(
        "GET",
        "/rooms",
        "list_rooms",
        "The caller's rooms, with unread counts and last message id",
        "Rooms",
        {200: ("Rooms, most recently active first.", "RoomList")},
        errors=(403,),
    ),
    Operation(
        "POST",
        "/rooms",
        "create_room",
        "Create a group room, or get or create a direct room",
        "Rooms",
        {
            201: ("The room was created.", "Room"),
            200: ("The direct room already existed.", "Room"),
        },
        errors=(403, 422),
        body="CreateRoom",
        body_required=True,
    ),
    Operation(
        "GET",
        "/rooms/{room_id}",
        "get_room",
        "One of the caller's rooms",
        "Rooms",
        {200: ("The room.", "Room")},
        errors=(403, 404),
        parameters=("room_id",),
    ),
    Operation(
        "GET",
        "/rooms/{room_id}/messages",
        "list_messages",
        "Room history, keyset-paginated on the message id",
        "Rooms",
        {200: ("One page of messages, oldest first.", "MessagePage")},
        errors=(403, 404),
        parameters=("room_id", *PAGE),
        description="Without cursor: the newest page. `after=<id>`: the "
        "messages after it (resume forward until has_more is false). "
        "`before=<id>`: older history.",
    ),
    Operation(
        "POST",
        "/rooms/{room_id}/messages",
        "post_message",
        "Post a chat message",
        "Rooms",
        {
            201: ("The message was posted.", "Message"),
            200: ("Replay: the message first posted with this client_id.", "Message"),
        },
        errors=(403, 404, 409, 422),
        parameters=("room_id",),
        body="PostMessage",
        body_required=True,
    ),
    Operation(
        "POST",
        "/rooms/{room_id}/read",
        "mark_read",
        "Move the caller's read cursor (never backwards)",
        "Rooms",
        {200: ("The caller's read state in the room.", "ReadState")},
        errors=(403, 404, 422),
        parameters=("room_id",),
        body="MarkRead",
    ),
    Operation(
        "GET",
        "/topics",
        "list_topics",
        "Topics the caller may subscribe to or publish on",
        "Topics",
        {200: ("Topics.", "TopicList")},
        errors=(403,),
    ),
    Operation(
        "POST",
        "/topics/{name}/publish",
        "publish",
        "Publish an event (any JSON object) on a topic",
        "Topics",
        {
            201: ("The event was published.", "Message"),
            200: ("Replay: the event first published with this key.", "Message"),
        },
        errors=(403, 404, 422),
        parameters=("topic", "idempotency_key"),
        body="EventPayload",
        body_required=True,
        description="The event is stored, numbered (seq) and pushed live to the "
        "topic's subscribers. An unknown topic is created by a Live Messaging "
        "administrator's first publish; for anybody else it is 404.",
    ),
    Operation(
        "GET",
        "/topics/{name}/events",
        "list_events",
        "Topic event history, keyset-paginated on the event id",
        "Topics",
        {200: ("One page of events, oldest first.", "EventPage")},
        errors=(403, 404),
        parameters=("topic", *PAGE),
    ),
    Operation(
        "POST",
        "/topics/{name}/subscribe",
        "subscribe",
        "Subscribe to a topic (idempotent)",
        "Topics",
        {200: ("Subscribed.", "Subscription")},
        errors=(403, 404),
        parameters=("topic",),
    ),
    Operation(
        "POST",
        "/topics/{name}/unsubscribe",
        "unsubscribe",
        "Unsubscribe from a topic (idempotent)",
        "Topics",
        {200: ("Unsubscribed.", "Subscription")},
        errors=(404,),
        parameters=("topic",),
    ),
    Operation(
        "GET",
        "/websocket",
        "websocket",
        "Live notifications over a websocket",
        "Live",
        {101: ("Switching protocols: the websocket is open.", None)},
        errors=(400, 426),
        description="Open with `Authorization: Bearer <key>`. The protocol is "
        "Odoo's own `/websocket`: send "
        '`{"event_name": "subscribe", "data": {"channels": [], "last": <id>}}`; '
        "the server adds the caller's rooms and subscribed topics and sends "
        "JSON arrays of `{id, message: {type, payload}}`. Notifications kept by "
        "the bus after `last` are replayed; older gaps are filled from the "
        "history endpoints (the `seq` numbers tell). Rooms joined or left and "
        "topics subscribed or unsubscribed while the socket is open are added "
        "or removed by the server, without a new `subscribe`. A revoked key "
        "closes the socket with code 4001 (within 5 seconds). Beyond the "
        "websocket limit of the key or of its user: 429 "
        "`too_many_websockets`.",
    ),
    Operation(
        "GET",
        "/openapi.json",
        "openapi",
        "This document",
        "Meta",
        {200: ("The OpenAPI 3 document of this API.", None)},
        public=True,
    ),
    Operation(
        "POST",
        "/support/join",
        "support_join",
        "A visitor starts a support chat (no account needed)",
        "Support",
        {201: ("The chat is waiting for an agent.", "SupportJoined")},
        errors=(422, 429),
        body="SupportJoin",
        body_required=True,
        public=True,
        description="Returns the visitor token (shown once) and the websocket "
        "channel `live.support_<token>`. Joins are limited per address "
        "(`live_messaging.support_join_rate_limit` a minute, 429 with "
        "Retry-After).",
    ),
    Operation(
        "POST",
        "/support/history",
        "support_history",
        "A visitor's chat: its whole history, or why it ended",
        "Support",
        {200: ("The chat and its messages (none once it ended).", "SupportHistory")},
        errors=(404,),
        body="SupportToken",
        public=True,
    ),
    Operation(
        "POST",
        "/support/messages",
        "support_post",
        "A visitor posts a message",
        "Support",
        {
            201: ("The message was posted.", "Message"),
            200: ("Replay: the message first posted with this client_id.", "Message"),
        },
        errors=(404, 409, 410, 422),
        body="SupportPost",
        body_required=True,
        public=True,
    ),
    Operation(
        "POST",
        "/support/typing",
        "support_typing",
        "A visitor is typing (or stopped)",
        "Support",
        {200: ("Told.", "SupportState")},
        errors=(404, 409, 410),
        body="SupportTyping",
        public=True,
    ),
    Operation(
        "POST",
        "/support/heartbeat",
        "support_heartbeat",
        "A visitor is still there",
        "Support",
        {200: ("The chat's state.", "SupportState")},
        errors=(404,),
        body="SupportToken",
        public=True,
    ),
    Operation(
        "POST",
        "/support/leave",
        "support_leave",
        "A visitor ends the chat",
        "Support",
        {200: ("The chat's state.", "SupportState")},
        errors=(404,),
        body="SupportToken",
        public=True,
    ),
    Operation(
        "GET",
        "/support/queue",
        "support_queue",
        "Waiting visitors, oldest first (support agents)",
        "Support",
        {200: ("The queue.", "SupportQueue")},
        errors=(403,),
    ),
    Operation(
        "POST",
        "/support/sessions/{session_id}/claim",
        "support_claim",
        "Claim a waiting visitor (support agents): one agent wins",
        "Support",
        {200: ("Claimed: the agent joined the chat's room.", "SupportSession")},
        errors=(403, 404, 409, 410),
        parameters=("session_id",),
        description="409 `already_taken` when another agent claimed it first.",
    ),
    Operation(
        "POST",
        "/support/sessions/{session_id}/close",
        "support_close",
        "End a chat (its agent, or a manager)",
        "Support",
        {200: ("Closed.", "SupportSession")},
        errors=(403, 404, 409, 410),
        parameters=("session_id",),
    ),
)

ERROR_DESCRIPTIONS = {
    400: "Malformed request (invalid JSON, wrong types, bad parameters).",
    401: "Missing, invalid, expired or revoked API key.",
    403: "Not allowed (not a member, not on the topic's access list...).",
    404: "No such room or topic (or path).",
    409: "Conflicts with the current state (archived room, visitor already "
    "taken by another agent: code already_taken...).",
    410: "Gone: the support chat expired (code expired).",
    413: "Request body over the configured limit.",
    415: "The body is not application/json.",
    422: "Well-formed but refused; a topic schema mismatch names the failing path.",
    426: "Not a websocket handshake.",
    429: "Rate limit reached; retry after Retry-After seconds.",
}


def odoo_route(path):
    """The Odoo route of an OpenAPI path: ``{room_id}`` is an integer,
    ``{name}`` (a topic) may contain slashes."""

    def convert(match):
        name = match.group(1)
        if name == "name":
            return "<path:name>"
        return f"<int:{name}>"

    return BASE_PATH + re.sub(r"\{(\w+)\}", convert, path)


def operations_by_path():
    """``{path: {method: operation}}`` in table order."""
    result = {}
    for operation in OPERATIONS:
        result.setdefault(operation.path, {})[operation.method] = operation
    return result


def error_statuses(operation):
    statuses = set(operation.errors)
    if not operation.public:
        statuses |= {401, 429}
    if operation.body or operation.method not in ("GET", "HEAD"):
        statuses |= {400, 413, 415}
    if operation.parameters:
        statuses.add(400)
    return sorted(statuses)


def _json_content(schema):
    return {"application/json": {"schema": schema}}


def _operation_document(operation):
    doc = {
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "tags": [operation.tag],
        "responses": {},
    }
    if operation.description:
        doc["description"] = operation.description
    if operation.parameters:
        doc["parameters"] = [
            {"$ref": f"#/components/parameters/{name}"} for name in operation.parameters
        ]
    if operation.body:
        doc["requestBody"] = {
            "required": operation.body_required,
            "content": _json_content(_ref(operation.body)),
        }
    for status, (description, schema) in sorted(operation.responses.items()):
        response = {"description": description}
        if schema:
            response["content"] = _json_content(_ref(schema))
        elif status == 200:
            response["content"] = _json_content({"type": "object"})
        doc["responses"][str(status)] = response
    for status in error_statuses(operation):
        doc["responses"][str(status)] = {
            "$ref": f"#/components/responses/Error{status}"
        }
    if operation.public:
        doc["security"] = []
    doc.update(operation.extra)
    return doc


def build_document(server_url=None):
    """The OpenAPI 3.0 document of the API; ``server_url`` is the base URL
    of the server (``https://odoo.example.com``)."""
    paths = {}
    for path, methods in operations_by_path().items():
        paths[path] = {
            method.lower(): _operation_document(operation)
            for method, operation in methods.items()
        }
    responses = {}
    for status, description in ERROR_DESCRIPTIONS.items():
        response = {"description": description, "content": _json_content(_ref("Error"))}
        if status == 429:
            response["headers"] = {
                "Retry-After": {
                    "description": "Seconds to wait before retrying.",
                    "schema": {"type": "integer"},
                }
            }
        if status == 401:
            response["headers"] = {
                "WWW-Authenticate": {"schema": {"type": "string"}},
            }
        responses[f"Error{status}"] = response
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Live Messaging API",
            "version": API_VERSION,
            "description": "Rooms, messages and topics of Odoo's Live Messaging "
            "for external apps. Authenticate with an Odoo API key of a user "
            "(`Authorization: Bearer <key>`); each call has that user's rights. "
            'Errors are `{"error": {"code", "message"}}`.',
        },
        "servers": [{"url": (server_url or "").rstrip("/") + BASE_PATH}],
        "security": [{"bearerAuth": []}, {"sessionCookie": []}],
        "tags": [
            {"name": name}
            for name in dict.fromkeys(operation.tag for operation in OPERATIONS)
        ],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An Odoo API key (Preferences > Account "
                    "Security > New API Key).",
                },
                "sessionCookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session_id",
                    "description": "An Odoo browser session; unsafe methods "
                    "then require Content-Type: application/json.",
                },
            },
            "parameters": PARAMETERS,
            "schemas": SCHEMAS,
            "responses": responses,
        },
    }
