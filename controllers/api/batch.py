"""The API's batch route: many messages and events in one request (see
``openapi.py`` for the table). The logic is in ``models/live_publish.py``."""

import jsonschema

from odoo import _
from odoo.http import request

from . import auth
from .errors import ApiError, to_api_error
from .main import LiveApiController, _validation_path, api_route
from .openapi import SCHEMAS

# the schemas of the two kinds of item (no $ref in them)
ITEM_VALIDATORS = {
    name: jsonschema.Draft7Validator(SCHEMAS[name])
    for name in ("BatchMessage", "BatchEvent")
}


def _check_items(body, max_items):
    """``(items, atomic)`` of a batch's body: 400 when malformed (with the
    ``path`` of the value at fault: ``/items/3/body``), 413 over
    ``max_items``."""
    if body is None:
        raise ApiError(400, _("A JSON body is required."))
    if not isinstance(body, dict):
        raise ApiError(400, _("The body must be a JSON object."), path="")
    atomic = body.get("atomic", False)
    if not isinstance(atomic, bool):
        raise ApiError(400, _("atomic must be true or false."), path="/atomic")
    items = body.get("items")
    if not isinstance(items, list) or not items:
        raise ApiError(
            400, _("items must be a list of at least one item."), path="/items"
        )
    if len(items) > max_items:
        raise ApiError(
            413,
            _(
                "A batch holds at most %(max)s items, not %(count)s.",
                max=max_items,
                count=len(items),
            ),
            path="/items",
        )
    for index, item in enumerate(items):
        where = f"/items/{index}"
        if not isinstance(item, dict) or not ({"room_id", "topic"} & item.keys()):
            raise ApiError(
                400,
                _(
                    "Each item is a chat message (room_id, body...) or a topic "
                    "event (topic, payload...)."
                ),
                path=where,
            )
        kind = "BatchEvent" if "topic" in item else "BatchMessage"
        error = jsonschema.exceptions.best_match(
            ITEM_VALIDATORS[kind].iter_errors(item)
        )
        if error is not None:
            path = where + _validation_path(error)
            raise ApiError(
                400,
                _(
                    "Invalid request body at %(path)s: %(error)s",
                    path=path,
                    error=error.message,
                ),
                path=path,
            )
    return items, atomic


def _error_object(exc):
    error = to_api_error(exc)
    data = {"code": error.code, "message": error.message}
    if error.path is not None:
        data["path"] = error.path
    return error.status, data


class LiveApiBatchController(LiveApiController):
    @api_route("/batch")
    def api_batch(self, **kwargs):
        return self._serve("/batch", kwargs)

    def _body_limit(self, operation):
        if operation.operation_id == "batch":
            return request.env["live.publish"]._batch_limits()["max_bytes"]
        return super()._body_limit(operation)

    def _op_batch_limits(self, call):
        return 200, request.env["live.publish"]._batch_limits()

    def _op_batch(self, call):
        Publish = request.env["live.publish"]
        items, atomic = _check_items(call.body, Publish._batch_limits()["max_items"])
        # every item counts: the first one was spent with the request
        auth.check_rate(call.caller, extra=len(items) - 1)
        results = Publish._publish_batch(
            items, atomic=atomic, author_app=call.caller.key_name or False
        )
        answer = {"results": [], "created": 0, "replayed": 0, "refused": 0}
        refused = any("refusal" in result for result in results)
        for result in results:
            entry = {"index": result["index"]}
            if "refusal" in result:
                entry["status"], entry["error"] = _error_object(result["refusal"])
            elif result.get("written", True):
                entry["status"] = result["status"]
                kind = "event" if "event" in result else "message"
                entry[kind] = result[kind]
            else:
                entry["status"] = 424
                entry["error"] = {
                    "code": "not_written",
                    "message": _(
                        "Not written: another item of this atomic batch was refused."
                    ),
                }
            if entry["status"] == 201:
                answer["created"] += 1
            elif entry["status"] == 200:
                answer["replayed"] += 1
            else:
                answer["refused"] += 1
            answer["results"].append(entry)
        if atomic and refused:
            # the model rolled everything back: nothing to undo here
            answer["error"] = {
                "code": "batch_refused",
                "message": _(
                    "%(count)s of the %(total)s items were refused: nothing was "
                    "written (atomic batch).",
                    count=sum("refusal" in result for result in results),
                    total=len(results),
                ),
            }
            return 422, answer
        return 200, answer
