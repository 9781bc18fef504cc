"""Empty values on the two wires: Odoo's RPC and the JSON API.

The wire form of records (``_format``) is JSON's: ``None`` (null) for an empty
value. Public model methods are Odoo RPC methods: XML-RPC cannot marshal
``None`` (a client would get "cannot marshal None" after the change was made),
and Odoo's convention there is ``False``. The REST API answers JSON: ``null``
wherever its OpenAPI schema does not say boolean, whatever the model returned.
"""


def rpc_value(value):
    """``value`` with every ``None`` replaced by ``False``, recursively: what a
    public model method returns over Odoo's RPC."""
    if value is None:
        return False
    if isinstance(value, dict):
        return {key: rpc_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [rpc_value(item) for item in value]
    return value


def json_value(value, schema, schemas):
    """``value`` (an answer of the API) with Odoo's ``False`` replaced by
    ``None`` wherever ``schema`` (an OpenAPI schema; ``$ref`` are looked up in
    ``schemas``) types the value as anything but a boolean. Free-form objects
    (no ``properties``), such as an event's payload, are left as they are."""
    while isinstance(schema, dict) and "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
    if not isinstance(schema, dict):
        return value
    kind = schema.get("type")
    if value is False:
        return None if kind and kind != "boolean" else value
    if isinstance(value, dict) and kind == "object":
        properties = schema.get("properties") or {}
        return {
            key: json_value(item, properties[key], schemas)
            if key in properties
            else item
            for key, item in value.items()
        }
    if isinstance(value, list) and kind == "array":
        return [json_value(item, schema.get("items"), schemas) for item in value]
    return value
