"""Who is calling, how often, and with what body.

External apps authenticate with ``Authorization: Bearer <key>``, an ordinary
Odoo API key of a user (Preferences > Account Security > New API Key); a
browser session cookie is accepted too. Each request then runs as that user,
with their access rights and record rules."""

import json
import re
from dataclasses import dataclass

from odoo import _
from odoo.http import request

from odoo.addons.live_messaging.utils.text import (
    DEFAULT_MAX_DEPTH,
    InvalidValue,
    check_json,
)

from .errors import ApiError

BEARER_RE = re.compile(r"^\s*bearer\s+(\S+)\s*$", re.IGNORECASE)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
JSON_MIMETYPE = "application/json"

PARAM_MAX_BODY = "live_messaging.api_max_body_bytes"
PARAM_RATE = "live_messaging.api_rate_limit"
PARAM_BURST = "live_messaging.api_rate_burst"
PARAM_MAX_DEPTH = "live_messaging.payload_max_depth"
DEFAULT_MAX_BODY = 16384
DEFAULT_RATE = 600  # requests per minute and per key (or per session user)
DEFAULT_BURST = 120  # requests allowed at once on top of the steady rate


@dataclass(frozen=True)
class Caller:
    """The authenticated caller: ``via`` is ``"api_key"`` or ``"session"``."""

    uid: int
    via: str
    key_id: int = 0
    key_name: str = ""

    @property
    def rate_key(self):
        return f"key:{self.key_id}" if self.key_id else f"user:{self.uid}"


def _unauthorized(message, error=None):
    challenge = 'Bearer realm="live_messaging"'
    if error:
        challenge += f', error="{error}"'
    return ApiError(401, message, headers={"WWW-Authenticate": challenge})


def authenticate():
    """Authenticate the request (Bearer key first, then the session cookie)
    and switch its environment to the caller. Raises a 401 ``ApiError``."""
    header = request.httprequest.headers.get("Authorization")
    if header:
        match = BEARER_RE.match(header)
        if not match:
            raise _unauthorized(
                _("Send the API key as: Authorization: Bearer <key>."),
                "invalid_request",
            )
        # the key is looked up without any user yet: a technical check
        info = request.env["res.users.apikeys"]._live_check_api_key(match.group(1))
        if not info:
            # never echo the key
            raise _unauthorized(
                _("This API key is invalid, expired or revoked."), "invalid_token"
            )
        # an app gets no cookie: the key is its identity at every request
        request.session.can_save = False
        Users = request.env["res.users"].with_user(info["user_id"])
        context = dict(
            request.env.context,
            **Users.context_get(),
            live_api_key_id=info["id"],
            live_api_key_name=info["name"],
        )
        request.update_env(user=info["user_id"], context=context)
        return Caller(info["user_id"], "api_key", info["id"], info["name"])
    user = request.env.user
    if request.session.uid and user and not user._is_public():
        return Caller(user.id, "session")
    raise _unauthorized(
        _("Authentication required: send Authorization: Bearer <API key>.")
    )


# ----------------------------------------------------------------------
# Rate limits: token buckets in PostgreSQL (models/live_rate_limit.py), shared
# by every worker and node
# ----------------------------------------------------------------------

PARAM_PUBLIC_RATE = "live_messaging.public_rate_limit"
DEFAULT_PUBLIC_RATE = 300  # requests per minute and per address, public routes


def _int_param(key, default, minimum=0):
    # sudo: ir.config_parameter - reading a technical limit
    value = request.env["ir.config_parameter"].sudo().get_param(key, default)
    try:
        return max(minimum, int(value))
    except (TypeError, ValueError):
        return default


def _spend(key, per_minute, burst, cost=1, counted_as=None):
    # Odoo runs a request again after a serialization failure: count it once
    counted = getattr(request, "_live_rate_counted", None)
    if counted is None:
        counted = request._live_rate_counted = {}
    counted_as = counted_as or key
    if counted_as not in counted:
        counted[counted_as] = request.env["live.rate.limit"]._hit(
            key, per_minute, burst, cost=cost
        )
    retry_after = counted[counted_as]
    if retry_after:
        raise ApiError(
            429,
            _("Too many requests: retry in %s seconds.", retry_after),
            headers={"Retry-After": str(retry_after)},
        )


def check_rate(caller, extra=0):
    """Spend one request of the caller's budget, or raise 429 with
    ``Retry-After``: ``live_messaging.api_rate_limit`` requests per minute and
    per key (per user for browser sessions; 0 disables the limit), in bursts
    of up to ``live_messaging.api_rate_burst``, counted in the database (all
    workers and nodes together).

    ``extra``: requests counted on top of the one already spent (the items of
    a batch beyond the first). They are taken while the budget is not spent,
    and may overdraw it: the requests that follow wait until it refilled."""
    rate = _int_param(PARAM_RATE, DEFAULT_RATE)
    if rate:
        burst = _int_param(PARAM_BURST, DEFAULT_BURST, minimum=1)
        key = f"api:{caller.rate_key}"
        if extra:
            _spend(key, rate, burst, cost=extra, counted_as=f"{key}:extra")
        else:
            _spend(key, rate, burst)


def check_public_rate():
    """The public routes (visitors, the OpenAPI document): at most
    ``live_messaging.public_rate_limit`` requests per minute and per address
    (0 disables the limit), in bursts of a fifth of it; 429 beyond."""
    rate = _int_param(PARAM_PUBLIC_RATE, DEFAULT_PUBLIC_RATE)
    if rate:
        address = request.httprequest.remote_addr or "?"
        _spend(f"public:{address}", rate, max(10, rate // 5))


# ----------------------------------------------------------------------
# Body
# ----------------------------------------------------------------------


def max_body_bytes():
    return _int_param(PARAM_MAX_BODY, DEFAULT_MAX_BODY, minimum=1)


def read_json_body(caller, limit=None, payload_level=1):
    """The request's JSON body (``None`` when empty).

    413 over ``limit`` bytes (default: ``live_messaging.api_max_body_bytes``);
    415 for another content type; 400 for invalid JSON. With a browser
    session, unsafe methods must say ``Content-Type: application/json``: a
    cross-site form cannot, so this is the CSRF protection of
    cookie-authenticated calls."""
    httprequest = request.httprequest
    limit = limit or max_body_bytes()
    if (httprequest.content_length or 0) > limit:
        raise ApiError(413, _("The request body is larger than %s bytes.", limit))
    mimetype = httprequest.mimetype
    is_json = mimetype == JSON_MIMETYPE or mimetype.endswith("+json")
    if (
        caller is not None
        and caller.via == "session"
        and httprequest.method not in SAFE_METHODS
        and not is_json
    ):
        raise ApiError(
            415,
            _(
                "Requests authenticated by a browser session must be sent with "
                "Content-Type: application/json."
            ),
        )
    if mimetype and not is_json and (httprequest.content_length or 0) > 0:
        raise ApiError(415, _("Send the body as Content-Type: application/json."))
    # read at most one byte over the limit, even from a chunked body that
    # announced no length (Odoo's wrapper hides werkzeug's stream)
    wrapped = getattr(httprequest, "_HTTPRequest__wrapped", None)
    if wrapped is not None:
        # kept on the request: the stream reads once, and Odoo runs the whole
        # request again after a serialization failure (concurrent posts to one
        # room), which must see the same body
        data = getattr(wrapped, "_live_json_body", None)
        if data is None:
            data = wrapped._live_json_body = wrapped.stream.read(limit + 1)
    else:
        data = httprequest.get_data()
    if len(data) > limit:
        raise ApiError(413, _("The request body is larger than %s bytes.", limit))
    if not data.strip():
        return None
    try:
        body = json.loads(data, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ApiError(400, _("The request body is not valid JSON.")) from None
    # lone surrogates and NUL are valid JSON escapes, but no text PostgreSQL
    # stores; the depth is bounded before anything walks the body recursively
    # (the body may wrap a payload: ``payload_level`` levels more than a
    # payload, one for a single post, three for a batch's items)
    max_depth = (
        _int_param(PARAM_MAX_DEPTH, DEFAULT_MAX_DEPTH, minimum=1) + payload_level
    )
    try:
        check_json(body, max_depth=max_depth)
    except InvalidValue as exc:
        raise ApiError(
            400,
            _(
                "The request body is refused at %(path)s: %(error)s",
                path=exc.path or "/",
                error=exc.message,
            ),
            path=exc.path,
        ) from None
    return body


def _reject_constant(name):
    # NaN and Infinity are not JSON, and PostgreSQL's jsonb refuses them
    raise ValueError(name)
