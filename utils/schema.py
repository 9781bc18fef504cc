"""JSON Schema validation of topic payloads (jsonschema, Draft 2020-12 by default
or the draft named by the schema's ``$schema``)."""

import jsonschema

from odoo.exceptions import ValidationError


class PayloadSchemaError(ValidationError):
    """A payload does not match its topic's schema; ``path`` is a JSON pointer
    to the failing value (``/items/0/qty``), ``""`` for the payload itself."""

    def __init__(self, message, path):
        super().__init__(message)
        self.path = path


def _validator_for(schema):
    return jsonschema.validators.validator_for(
        schema, default=jsonschema.Draft202012Validator
    )


def check_schema(schema):
    """Raise ``ValueError`` when ``schema`` is not a valid JSON Schema."""
    if not isinstance(schema, dict):
        raise ValueError("a JSON Schema is a JSON object")
    try:
        _validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise ValueError(exc.message) from None


def validate_payload(schema, payload):
    """Raise ``PayloadSchemaError`` for the first (best) error of ``payload``."""
    validator = _validator_for(schema)(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(payload))
    if error is None:
        return
    path = "".join(
        "/" + str(part).replace("~", "~0").replace("/", "~1")
        for part in error.absolute_path
    )
    raise PayloadSchemaError(
        f"The payload does not match the topic's schema at {path or '/'}: "
        f"{error.message}",
        path,
    )
