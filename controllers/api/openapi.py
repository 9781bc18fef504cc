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
    upload: bool = False  # the body carries a file: the file size limit applies
    # levels of the body above a payload: the body may be nested that much
    # deeper than live_messaging.payload_max_depth allows payloads
    payload_level: int = 1
    description: str = ""
    extra: dict = field(default_factory=dict)  # raw OpenAPI keys


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema):
    return dict(schema, nullable=True)


ID = {"type": "integer", "minimum": 1, "maximum": ID_MAX}
CURSOR = {"type": "integer", "minimum": 0, "maximum": ID_MAX}
VISITOR_TOKEN = {"type": "string", "minLength": 1, "maxLength": 128}
BODY_CONTRACT = (
    "Bodies follow one contract, as Slack's API: the text as typed, with `&`, "
    "`<` and `>` escaped as `&amp;`, `&lt;` and `&gt;`; nothing else is "
    "stripped or changed. A body is therefore safe to put into HTML as it is, "
    "and a text client unescapes those three entities (in one pass) to show "
    "exactly what was typed. Send the text as typed: the server escapes it."
)
TEXT_RULES = (
    "Text anywhere in a request (bodies, names, payload keys and values) may "
    "not contain NUL (U+0000) or lone surrogates: 400 with the `path` of the "
    "value."
)

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
                        "unprocessable, schema_mismatch, schema_invalid, "
                        "schema_timeout, idempotency_mismatch, upgrade_required, "
                        "rate_limited, internal_error; in batches "
                        "batch_refused and not_written.",
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
    "UserRef": {
        "type": "object",
        "required": ["id", "name"],
        "properties": {
            "id": {"type": "integer", "description": "A user id."},
            "name": {"type": "string"},
        },
    },
    "RoomRef": {
        "type": "object",
        "required": ["id", "name"],
        "properties": {
            "id": {"type": "integer", "description": "A room id."},
            "name": {"type": "string"},
        },
    },
    "Member": {
        "type": "object",
        "required": [
            "id",
            "name",
            "partner_id",
            "avatar_url",
            "im_status",
            "last_seen_seq",
        ],
        "properties": {
            "id": {"type": "integer", "description": "The member's user id."},
            "name": {"type": "string"},
            "partner_id": {"type": "integer"},
            "avatar_url": {
                "type": "string",
                "description": "Path of the member's avatar (128 px), "
                "/web/image/res.partner/<partner_id>/avatar_128, served to a "
                "logged-in web session.",
            },
            "im_status": {
                "type": "string",
                "description": "Presence from Odoo's bus.presence when the room "
                "was read: online, away or offline (other addons may add theirs, "
                "e.g. hr_holidays' leave_online); changes are pushed on the "
                "websocket to sockets subscribed to "
                "odoo-presence-res.partner_<partner_id> "
                "(type bus.bus/im_status_updated).",
            },
            "last_seen_seq": {
                "type": "integer",
                "minimum": 0,
                "description": "The member's read cursor: the seq of the last "
                "message they have seen. In direct rooms its moves are pushed to "
                "the room (type live_messaging/member_seen).",
            },
        },
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
            "unread_mentions": {
                "type": "integer",
                "minimum": 0,
                "description": "Unread messages that mention the caller.",
            },
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
            "seq": _nullable(
                {
                    "type": "integer",
                    "description": "Number within its room or topic: 1, 2, 3... "
                    "without gaps. null for the events of a filtered topic "
                    "(a record topic, `filtered` true): each reader gets only "
                    "the events of records they may read, so there is no shared "
                    "numbering and no gap to chase; order and resume by `id`.",
                }
            ),
            "room_id": _nullable({"type": "integer"}),
            "topic": _nullable({"type": "string"}),
            "kind": {"type": "string", "enum": ["chat", "event", "system"]},
            "body": {"type": "string", "description": BODY_CONTRACT},
            "payload": _nullable(
                {"type": "object", "description": "JSON data (an object), or null."}
            ),
            "author": _ref("Author"),
            "client_id": _nullable({"type": "string"}),
            "res_model": _nullable({"type": "string"}),
            "res_id": _nullable({"type": "integer"}),
            "create_date": {"type": "string", "format": "date-time"},
            "mentions": {
                "type": "array",
                "description": "Room messages: the members it mentions.",
                "items": _ref("UserRef"),
            },
            "attachments": {
                "type": "array",
                "description": "Room messages: files and pictures.",
                "items": _ref("Attachment"),
            },
            "reactions": {
                "type": "array",
                "description": "Room messages: emojis, who put them.",
                "items": _ref("Reaction"),
            },
            "edited": {"type": "boolean"},
            "edit_date": _nullable({"type": "string", "format": "date-time"}),
            "deleted": {
                "type": "boolean",
                "description": "Deleted: it keeps its id and seq, without text, "
                "files, mentions or reactions.",
            },
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
            "body": {
                "type": "string",
                "description": "The text as typed (stored and returned escaped: "
                "see Message.body).",
            },
            "client_id": {
                "type": "string",
                "pattern": CLIENT_ID_PATTERN,
                "description": "Idempotency key: a retry with the same value "
                "and the same body and payload returns the first message (200) "
                "instead of posting twice; the same value with another body or "
                "payload is 409 idempotency_mismatch.",
            },
            "payload": {
                "type": "object",
                "description": "Optional JSON data (the limits of event payloads "
                "apply).",
            },
            "mentions": {
                "type": "array",
                "items": ID,
                "maxItems": 50,
                "description": "User ids of members the message mentions: each is "
                "told (live_messaging/mention), and it counts in their "
                "unread_mentions. A non-member is refused (422).",
            },
            "attachment_ids": {
                "type": "array",
                "items": ID,
                "maxItems": 10,
                "description": "Files uploaded with POST /rooms/{room_id}/"
                "attachments and not sent yet; with files, body may be empty.",
            },
        },
    },
    "Attachment": {
        "type": "object",
        "required": ["id", "name", "mimetype", "size", "is_image"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "mimetype": {
                "type": "string",
                "description": "Found from the content, not from the name.",
            },
            "size": {"type": "integer", "description": "In bytes."},
            "is_image": {
                "type": "boolean",
                "description": "A PNG, JPEG, GIF or WebP picture.",
            },
        },
    },
    "UploadAttachment": {
        "type": "object",
        "required": ["name", "data"],
        "description": "A file, base64-encoded. Its size and type must be allowed "
        "(System Parameters live_messaging.attachment_max_bytes and "
        "live_messaging.attachment_mimetypes).",
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 255},
            "data": {
                "type": "string",
                "format": "byte",
                "minLength": 1,
                "description": "The file's content, base64 (RFC 4648).",
            },
        },
    },
    "EditMessage": {
        "type": "object",
        "required": ["body"],
        "properties": {
            "body": {"type": "string", "description": "The new text."},
            "mentions": {
                "type": "array",
                "items": ID,
                "maxItems": 50,
                "description": "The mentions from now on (kept when absent); "
                "the newly mentioned are told.",
            },
        },
    },
    "Reaction": {
        "type": "object",
        "required": ["emoji", "count", "users"],
        "properties": {
            "emoji": {"type": "string"},
            "count": {"type": "integer", "minimum": 1},
            "users": {"type": "array", "items": _ref("UserRef")},
        },
    },
    "Reactions": {
        "type": "object",
        "required": ["message_id", "reactions"],
        "properties": {
            "message_id": {"type": "integer"},
            "reactions": {"type": "array", "items": _ref("Reaction")},
        },
    },
    "SearchPage": {
        "type": "object",
        "required": ["messages", "has_more", "rooms"],
        "properties": {
            "messages": {"type": "array", "items": _ref("Message")},
            "has_more": {
                "type": "boolean",
                "description": "More (older, or newer with after) hits.",
            },
            "rooms": {
                "type": "array",
                "description": "The rooms of the hits (id, name).",
                "items": _ref("RoomRef"),
            },
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
            "last_seq": _nullable(
                {
                    "type": "integer",
                    "description": "seq of the last event; null when filtered.",
                }
            ),
            "filtered": {
                "type": "boolean",
                "description": "Events are filtered per reader (a record topic): "
                "they carry no seq (null), clients order and resume them by id "
                "and never look for gaps.",
            },
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
            "body": {
                "type": "string",
                "minLength": 1,
                "description": "The text as typed (see Message.body).",
            },
            "client_id": {
                "type": "string",
                "pattern": CLIENT_ID_PATTERN,
                "description": "Idempotency key: a retry returns the first "
                "message; another body with the same key is 409 "
                "idempotency_mismatch.",
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

# a batch's items: the bodies of the single routes, plus the target their
# path names; closed (no other keys), so that an item is one or the other
TOPIC_NAME = {"type": "string", "minLength": 1, "maxLength": 128}
ERROR_OBJECT = SCHEMAS["Error"]["properties"]["error"]
# what a batch answers, whether written or refused
BATCH_COUNTS = {
    "results": {"type": "array", "items": _ref("BatchResult")},
    "created": {"type": "integer", "minimum": 0},
    "replayed": {"type": "integer", "minimum": 0},
    "refused": {"type": "integer", "minimum": 0},
}
SCHEMAS.update(
    {
        "BatchMessage": {
            "type": "object",
            "description": "A chat message: the body of POST /rooms/{room_id}/"
            "messages, with its room_id.",
            "required": ["room_id", "body"],
            "additionalProperties": False,
            "properties": {"room_id": ID, **SCHEMAS["PostMessage"]["properties"]},
        },
        "BatchEvent": {
            "type": "object",
            "description": "A topic event: what POST /topics/{name}/publish takes "
            "(the topic of its path, its body as payload, its Idempotency-Key "
            "header as idempotency_key).",
            "required": ["topic", "payload"],
            "additionalProperties": False,
            "properties": {
                "topic": dict(TOPIC_NAME, description="The topic's name (shop/42)."),
                "payload": {
                    "type": "object",
                    "description": "The event: any JSON object; the topic's JSON "
                    "Schema, if any, must accept it.",
                },
                "idempotency_key": {
                    "type": "string",
                    "pattern": CLIENT_ID_PATTERN,
                    "description": "As the Idempotency-Key header of a single "
                    "publish: a retry returns the first event (200).",
                },
            },
        },
        "Batch": {
            "type": "object",
            "required": ["items"],
            "properties": {
                "atomic": {
                    "type": "boolean",
                    "default": False,
                    "description": "true: every item is written, or none (422 "
                    "batch_refused). false (default): each item is written or "
                    "refused on its own.",
                },
                "items": {
                    "type": "array",
                    "minItems": 1,
                    "description": "At most live_messaging.batch_max_items items "
                    "(1000; 413 beyond), answered in the same order.",
                    "items": {"oneOf": [_ref("BatchMessage"), _ref("BatchEvent")]},
                },
            },
        },
        "BatchResult": {
            "type": "object",
            "required": ["index", "status"],
            "description": "The answer to one item, as its single route would "
            "give it: status 201 with the message or event, 200 for a replay "
            "(its idempotency key was used for the same request), or an error "
            "status with the error object. In a refused atomic batch, items that "
            "were not refused themselves are 424 not_written.",
            "properties": {
                "index": {"type": "integer", "minimum": 0},
                "status": {"type": "integer"},
                "message": _ref("Message"),
                "event": _ref("Message"),
                "error": ERROR_OBJECT,
            },
        },
        "BatchAnswer": {
            "type": "object",
            "required": ["results", "created", "replayed", "refused"],
            "properties": BATCH_COUNTS,
        },
        "BatchRefused": {
            "type": "object",
            "required": ["error", "results", "created", "replayed", "refused"],
            "description": "An atomic batch with a refused item: nothing was "
            "written; results say which items were refused, and why.",
            "properties": {"error": ERROR_OBJECT, **BATCH_COUNTS},
        },
        "BatchLimits": {
            "type": "object",
            "required": ["max_items", "max_bytes"],
            "properties": {
                "max_items": {
                    "type": "integer",
                    "description": "Items a batch may hold.",
                },
                "max_bytes": {
                    "type": "integer",
                    "description": "Largest batch request body, in bytes.",
                },
            },
        },
    }
)

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
    "message_id": {
        "name": "message_id",
        "in": "path",
        "required": True,
        "schema": ID,
    },
    "attachment_id": {
        "name": "attachment_id",
        "in": "path",
        "required": True,
        "schema": ID,
    },
    "emoji": {
        "name": "emoji",
        "in": "path",
        "required": True,
        "description": "One emoji, percent-encoded (%F0%9F%91%8D for a thumbs up).",
        "schema": {"type": "string", "minLength": 1, "maxLength": 16},
    },
    "q": {
        "name": "q",
        "in": "query",
        "description": "Only the chat messages containing this text (2 to 200 "
        "characters; case-insensitive).",
        "schema": {"type": "string", "minLength": 2, "maxLength": 200},
    },
    "q_required": {
        "name": "q",
        "in": "query",
        "required": True,
        "description": "The text to look for (2 to 200 characters; case-insensitive).",
        "schema": {"type": "string", "minLength": 2, "maxLength": 200},
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
        "by the same user on the topic returns the first event (200); the same "
        "key with a different payload is 409 idempotency_mismatch.",
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
        errors=(403, 404, 422),
        parameters=("room_id", *PAGE, "q"),
        description="Without cursor: the newest page. `after=<id>`: the "
        "messages after it (resume forward until has_more is false). "
        "`before=<id>`: older history. `q=<text>`: only the chat messages "
        "containing it, paged the same way.",
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
        "PATCH",
        "/rooms/{room_id}/messages/{message_id}",
        "edit_message",
        "Edit one's own message (within the edit window)",
        "Rooms",
        {200: ("The message, marked edited (same id and seq).", "Message")},
        errors=(403, 404, 409, 422),
        parameters=("room_id", "message_id"),
        body="EditMessage",
        body_required=True,
        description="Members get `live_messaging/message_update`. Past the "
        "window (`live_messaging.edit_window_seconds`, 3600 by default; 0: no "
        "limit), or on a deleted message: 409.",
    ),
    Operation(
        "DELETE",
        "/rooms/{room_id}/messages/{message_id}",
        "delete_message",
        "Delete one's own message (administrators: any)",
        "Rooms",
        {200: ("The message, marked deleted (same id and seq).", "Message")},
        errors=(403, 404, 409),
        parameters=("room_id", "message_id"),
        description="Its text, files, mentions and reactions go; it stays in "
        "the history as deleted. Members get `live_messaging/message_update`.",
    ),
    Operation(
        "PUT",
        "/rooms/{room_id}/messages/{message_id}/reactions/{emoji}",
        "add_reaction",
        "React to a message with an emoji (idempotent)",
        "Rooms",
        {200: ("The message's reactions.", "Reactions")},
        errors=(403, 404, 409, 422),
        parameters=("room_id", "message_id", "emoji"),
    ),
    Operation(
        "DELETE",
        "/rooms/{room_id}/messages/{message_id}/reactions/{emoji}",
        "remove_reaction",
        "Take one's reaction back (idempotent)",
        "Rooms",
        {200: ("The message's reactions.", "Reactions")},
        errors=(403, 404, 409, 422),
        parameters=("room_id", "message_id", "emoji"),
    ),
    Operation(
        "POST",
        "/rooms/{room_id}/attachments",
        "upload_attachment",
        "Upload a file or picture for a message",
        "Rooms",
        {201: ("The file, waiting for its message.", "Attachment")},
        errors=(403, 404, 409, 422),
        parameters=("room_id",),
        body="UploadAttachment",
        body_required=True,
        upload=True,
        description="Then post a message with `attachment_ids`. Until then "
        "only the uploader can read the file; once sent, every member (and "
        "nobody else); unsent files are deleted after a day. The body may be "
        "as large as the file limit allows (base64), whatever "
        "live_messaging.api_max_body_bytes says.",
    ),
    Operation(
        "GET",
        "/rooms/{room_id}/attachments/{attachment_id}",
        "download_attachment",
        "Download a file of the room",
        "Rooms",
        {200: ("The file's content, with its type.", "binary")},
        errors=(403, 404),
        parameters=("room_id", "attachment_id"),
    ),
    Operation(
        "GET",
        "/messages/search",
        "search_messages",
        "Search the chat messages of all the caller's rooms",
        "Rooms",
        {200: ("One page of hits, oldest first.", "SearchPage")},
        errors=(403, 422),
        parameters=("q_required", *PAGE),
        description="Rooms the caller is a member of only, archived ones "
        "included; keyset pages as the history's (newest page first, "
        "`before=<id>` for older hits).",
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
        errors=(403, 404, 409, 422),
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
        "POST",
        "/batch",
        "batch",
        "Post messages and publish events, many at once",
        "Batch",
        {
            200: ("One result per item, in order.", "BatchAnswer"),
            422: ("atomic: an item was refused, nothing was written.", "BatchRefused"),
        },
        payload_level=3,  # {"items": [{"payload": ...}]}
        # validated by the route itself, item by item (the paths of its errors
        # name the item: /items/3/body)
        extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("Batch")}},
            }
        },
        description="Each item is a chat message (the body of POST "
        "/rooms/{room_id}/messages plus its room_id) or a topic event (topic, "
        "payload, idempotency_key), checked with the rules and rights of its "
        "single route: its result carries the status and the answer (or the "
        "error object) that route would give. The batch is one transaction "
        "and one live notification wake-up; a refused item is rolled back "
        "alone, or, with `atomic`, with the whole batch (422 batch_refused, "
        "nothing written). Every item counts in the rate limit. Limits: "
        "live_messaging.batch_max_items items (1000) and "
        "live_messaging.batch_max_bytes bytes of body (4 MiB); 413 beyond "
        "(GET /batch tells them).",
    ),
    Operation(
        "GET",
        "/batch",
        "batch_limits",
        "The batch limits of this server",
        "Batch",
        {200: ("The limits.", "BatchLimits")},
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
    404: "No such room, topic, message or file (or path).",
    409: "Conflicts with the current state (archived room, visitor already "
    "taken by another agent: code already_taken; an idempotency key reused "
    "for a different request: code idempotency_mismatch...).",
    410: "Gone: the support chat expired (code expired).",
    413: "Request body over the configured limit.",
    415: "The body is not application/json.",
    422: "Well-formed but refused, with the `path` of the value at fault: a "
    "topic schema mismatch (schema_mismatch), a topic schema that cannot be "
    "used (schema_invalid) or took too long to check (schema_timeout).",
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
        if name == "emoji":
            return "<string:emoji>"
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
    # every route is rate-limited (per key, or per address when public)
    statuses.add(429)
    if not operation.public:
        statuses.add(401)
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
        if schema == "binary":
            response["content"] = {
                "*/*": {"schema": {"type": "string", "format": "binary"}}
            }
        elif schema:
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
            'Errors are `{"error": {"code", "message", "path"?}}`. '
            + BODY_CONTRACT
            + " "
            + TEXT_RULES
            + " JSON bodies and payloads are nested at most "
            "`live_messaging.payload_max_depth` levels (32). Every route is "
            "rate-limited (429 with Retry-After): per API key, or per address "
            "for the public routes.",
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
