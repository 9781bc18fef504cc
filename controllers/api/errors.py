"""Errors of the external-app API: one exception type, one JSON envelope.

Every error answers ``{"error": {"code": "...", "message": "..."}}`` (plus
``path`` when a value is at fault) with its HTTP status. Exceptions raised by
the models are mapped here, in one place."""

import logging

import psycopg2
from werkzeug.exceptions import HTTPException

from odoo import _
from odoo.exceptions import (
    AccessDenied,
    AccessError,
    MissingError,
    UserError,
    ValidationError,
)
from odoo.http import request

from odoo.addons.live_messaging.models.live_message import IdempotencyMismatch
from odoo.addons.live_messaging.models.support.live_support_session import (
    SupportError,
)
from odoo.addons.live_messaging.utils.schema import PayloadSchemaError

_logger = logging.getLogger(__name__)

# HTTP status -> error code of the envelope
ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    426: "upgrade_required",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}

# status of each refusal of the support flow (its code is kept as the error code)
SUPPORT_STATUSES = {
    "already_taken": 409,
    "closed": 409,
    "expired": 410,
    "not_found": 404,
    "rate_limited": 429,
}


# response headers a browser app on another origin may read
EXPOSED_HEADERS = "Retry-After, X-Error-Code, WWW-Authenticate, Allow"


class ApiError(Exception):
    """An error answered as JSON with ``status``; ``path`` (a JSON pointer)
    names the offending value, ``headers`` are added to the response."""

    def __init__(self, status, message, *, code=None, path=None, headers=None):
        super().__init__(message)
        self.status = status
        self.code = code or ERROR_CODES.get(status, "error")
        self.message = message
        self.path = path
        self.headers = headers or {}


def error_response(status, code, message, *, path=None, headers=None):
    error = {"code": code, "message": message}
    if path is not None:
        error["path"] = path
    response = request.make_json_response(
        {"error": error}, headers=headers, status=status
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    return response


def to_api_error(exc):
    """The ``ApiError`` an exception stands for (unexpected ones are 500 and
    logged; their text never reaches the client)."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, SupportError):
        headers = {}
        if exc.retry_after:
            headers["Retry-After"] = str(exc.retry_after)
        return ApiError(
            SUPPORT_STATUSES.get(exc.code, 409),
            exc.args[0],
            code=exc.code,
            headers=headers,
        )
    if isinstance(exc, PayloadSchemaError):
        return ApiError(422, exc.args[0], code=exc.code, path=exc.path)
    if isinstance(exc, IdempotencyMismatch):
        return ApiError(409, exc.args[0], code=exc.code)
    if isinstance(exc, (AccessError, AccessDenied)):
        return ApiError(403, exc.args[0] if exc.args else _("Access denied."))
    if isinstance(exc, MissingError):
        return ApiError(404, exc.args[0])
    if isinstance(exc, ValidationError):
        # InputError names the value at fault
        return ApiError(422, exc.args[0], path=getattr(exc, "path", None))
    if isinstance(exc, UserError):
        # the request is fine, the state of things forbids it (archived room...)
        return ApiError(409, exc.args[0])
    if isinstance(exc, psycopg2.IntegrityError):
        return ApiError(409, _("This conflicts with the current state of the data."))
    if isinstance(exc, HTTPException) and exc.code:
        return ApiError(exc.code, exc.description or exc.name)
    _logger.exception("live_messaging API: unexpected error")
    return ApiError(500, _("Internal server error."))


def must_propagate(exc):
    """Concurrency failures go back to Odoo, which retries the whole request
    (``odoo.service.model.retrying``)."""
    return isinstance(exc, psycopg2.OperationalError)


def exception_response(exc, with_body=True):
    """Roll back whatever the request did, then answer the error: a refused
    request changes nothing (Odoo would commit a returned response). Without
    body, the error code is in the ``X-Error-Code`` header."""
    error = to_api_error(exc)
    request.env.cr.rollback()
    request.env.reset()
    response = error_response(
        error.status,
        error.code,
        error.message,
        path=error.path,
        headers=error.headers,
    )
    response.headers["X-Error-Code"] = error.code
    if not with_body:
        response.set_data(b"")
    return response
