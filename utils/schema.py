"""JSON Schema validation of topic payloads (jsonschema, Draft 2020-12 by default
or the draft named by the schema's ``$schema``), hardened for schemas and
payloads that come from users:

- nothing is ever fetched: ``$ref`` resolves within the schema itself (and the
  JSON Schema meta-schemas bundled with jsonschema); a schema referring outside,
  to nothing, or to itself without going deeper into the payload is refused
  when it is saved, and a stored one fails the publish with a 422;
- ``pattern`` and ``patternProperties`` are matched by RE2 (``google-re2``), in
  time linear in the text; a pattern RE2 cannot run (look-around,
  back-reference) is refused;
- ``uniqueItems`` is checked in O(n log n), and a whole validation stops after
  a time limit (a 422, never a blocked worker).
"""

import contextvars
import functools
import json
import reprlib
import time

import jsonschema
import re2
import referencing
import referencing.exceptions
import referencing.jsonschema
from jsonschema_specifications import REGISTRY as SPECIFICATIONS

from odoo.exceptions import ValidationError

SCHEMA_MAX_DEPTH = 64
DEFAULT_TIME_LIMIT = 1.0  # seconds for one payload's validation
# keywords applying their subschemas to the instance itself (not deeper): a
# cycle through them never ends
_IN_PLACE_LISTS = ("allOf", "anyOf", "oneOf")
_IN_PLACE_SCHEMAS = ("not", "if", "then", "else")
_REF_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")
_repr = reprlib.Repr()
_repr.maxstring = 60
_repr.maxother = 60


class PayloadSchemaError(ValidationError):
    """A payload is refused by its topic's schema; ``path`` is a JSON pointer
    to the failing value (``/items/0/qty``), ``""`` for the payload itself.
    ``code`` is ``schema_mismatch`` (the payload does not match),
    ``schema_invalid`` (the stored schema cannot be used) or ``schema_timeout``
    (checking took longer than allowed)."""

    # the web client shows it as the validation error it is (not a crash)
    context = {"exception_class": "odoo.exceptions.ValidationError"}

    def __init__(self, message, path, code="schema_mismatch"):
        super().__init__(message)
        self.path = path
        self.code = code


class SchemaError(ValueError):
    """A schema that may not be stored; ``path`` points into the schema."""

    def __init__(self, message, path=""):
        super().__init__(message)
        self.path = path


class _Timeout(Exception):
    pass


_DEADLINE = contextvars.ContextVar("live_schema_deadline", default=None)
_NO_RETRIEVAL = referencing.Registry()  # lookups outside it fail, never fetch
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False
_RE2_OPTIONS.max_mem = 8 << 20


def pointer(parts):
    """The JSON pointer of a path (a sequence of keys and indexes)."""
    return "".join(
        "/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts
    )


# ----------------------------------------------------------------------
# Patterns: RE2 only
# ----------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def _compile(pattern):
    try:
        return re2.compile(pattern, _RE2_OPTIONS)
    except re2.error as exc:
        detail = exc.args[0] if exc.args else exc
        if isinstance(detail, bytes):
            detail = detail.decode(errors="replace")
        raise SchemaError(
            f"the pattern {pattern!r} cannot be matched in linear time "
            f"(RE2 refuses it: {detail}); look-arounds and back-references are "
            "not supported"
        ) from None


def _search(pattern, text):
    return _compile(pattern).search(text) is not None


def _pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and not _search(pattern, instance):
        yield jsonschema.ValidationError(
            f"{_repr.repr(instance)} does not match {pattern!r}"
        )


def _pattern_properties(validator, patterns, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if _search(pattern, key):
                yield from validator.descend(
                    value, subschema, path=key, schema_path=pattern
                )


def _additional_properties(validator, additional, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    properties = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    extras = [
        key
        for key in instance
        if key not in properties and not any(_search(p, key) for p in patterns)
    ]
    if validator.is_type(additional, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], additional, path=extra)
    elif not additional and extras:
        yield jsonschema.ValidationError(
            "Additional properties are not allowed: "
            + ", ".join(_repr.repr(extra) for extra in sorted(extras))
        )


def _canonical(value):
    """A hashable form of a JSON value, equal for values JSON Schema calls
    equal (1 and 1.0 are; true and 1 are not)."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, dict):
        return ("object", frozenset((k, _canonical(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("array", tuple(_canonical(v) for v in value))
    return ("value", value)


def _unique_items(validator, unique, instance, schema):
    if not unique or not validator.is_type(instance, "array"):
        return
    seen = set()
    for item in instance:
        key = _canonical(item)
        if key in seen:
            yield jsonschema.ValidationError(
                f"{_repr.repr(item)} appears more than once"
            )
            return
        seen.add(key)


def _timed(keyword):
    """Every keyword checks the deadline of the validation in progress."""

    def timed_keyword(validator, value, instance, schema):
        deadline = _DEADLINE.get()
        if deadline is not None and time.monotonic() > deadline:
            raise _Timeout
        return keyword(validator, value, instance, schema)

    return timed_keyword


_OVERRIDES = {
    "pattern": _pattern,
    "patternProperties": _pattern_properties,
    "additionalProperties": _additional_properties,
    "uniqueItems": _unique_items,
}


@functools.lru_cache(maxsize=16)
def _hardened(cls):
    validators = {
        keyword: _timed(_OVERRIDES.get(keyword, function))
        for keyword, function in cls.VALIDATORS.items()
    }
    return jsonschema.validators.extend(cls, validators)


def _validator_class(schema):
    return jsonschema.validators.validator_for(
        schema, default=jsonschema.Draft202012Validator
    )


# ----------------------------------------------------------------------
# Checking a schema
# ----------------------------------------------------------------------


def _check_depth(schema):
    stack = [(schema, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > SCHEMA_MAX_DEPTH:
            raise SchemaError(f"it is nested deeper than {SCHEMA_MAX_DEPTH} levels")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


def _walk(schema, cls):
    """Visit every subschema the validator may reach, resolving each
    reference without fetching anything. Returns ``{id(node): (node, path,
    [ids of the nodes applied to the same instance])}``; raises
    ``SchemaError`` for a reference that cannot be resolved or a pattern RE2
    refuses."""
    dialect = cls.ID_OF(cls.META_SCHEMA) or "urn:unknown-dialect"
    specification = referencing.jsonschema.specification_with(
        dialect, default=referencing.Specification.OPAQUE
    )
    registry = SPECIFICATIONS.combine(_NO_RETRIEVAL)
    root = specification.create_resource(schema)
    resolver = registry.resolver_with_root(root)
    nodes = {}
    stack = [(schema, (), resolver)]
    while stack:
        node, path, resolver = stack.pop()
        if not isinstance(node, dict) or id(node) in nodes:
            continue
        where = pointer(path) or "/"
        same_instance = []
        nodes[id(node)] = (node, where, same_instance)
        for target, resolver_there in _references(node, where, resolver):
            same_instance.append(id(target))
            # where it points: its own location is found when the walk
            # reaches it as a subschema; a target elsewhere is walked from here
            stack.append((target, (*path, "$ref"), resolver_there))
        same_instance.extend(_in_place_subschemas(node))
        if isinstance(node.get("pattern"), str):
            _check_pattern(node["pattern"], (*path, "pattern"))
        if isinstance(node.get("patternProperties"), dict):
            for pattern in node["patternProperties"]:
                _check_pattern(pattern, (*path, "patternProperties", pattern))
        resource = specification.create_resource(node)
        for sub in resource.subresources():
            stack.append(
                (sub.contents, (*path, *_path_to(node, sub.contents)), resolver)
                if sub.id() is None
                else (
                    sub.contents,
                    (*path, *_path_to(node, sub.contents)),
                    resolver.in_subresource(sub),
                )
            )
    return nodes


def _references(node, where, resolver):
    """``(target, resolver)`` of each reference of ``node``, looked up without
    fetching anything; ``SchemaError`` for one pointing outside, at nothing or
    at ``node`` itself."""
    for keyword in _REF_KEYWORDS:
        ref = node.get(keyword)
        if not isinstance(ref, str):
            continue
        try:
            resolved = resolver.lookup(ref)
        except referencing.exceptions.Unresolvable:
            raise SchemaError(
                f"{keyword} {ref!r} at {where} does not point inside the "
                "schema: references resolve within the schema only, nothing "
                "is fetched",
                where,
            ) from None
        if resolved.contents is node:
            raise SchemaError(f"{keyword} {ref!r} at {where} refers to itself", where)
        yield resolved.contents, resolved.resolver


def _in_place_subschemas(node):
    """Ids of the subschemas of ``node`` applied to the same instance."""
    for keyword in _IN_PLACE_LISTS:
        if isinstance(node.get(keyword), list):
            yield from (id(sub) for sub in node[keyword])
    for keyword in _IN_PLACE_SCHEMAS:
        if isinstance(node.get(keyword), dict):
            yield id(node[keyword])
    for keyword in ("dependentSchemas", "dependencies"):
        if isinstance(node.get(keyword), dict):
            yield from (
                id(sub) for sub in node[keyword].values() if isinstance(sub, dict)
            )


def _path_to(parent, child):
    """The keys leading from ``parent`` to ``child`` (two levels at most, as
    subresources are: ``properties/name``, ``items``, ``allOf/0``)."""
    for key, value in parent.items():
        if value is child:
            return (key,)
        if isinstance(value, dict):
            for sub_key, sub_value in value.items():
                if sub_value is child:
                    return (key, sub_key)
        elif isinstance(value, list):
            for index, sub_value in enumerate(value):
                if sub_value is child:
                    return (key, index)
    return ("?",)


def _check_pattern(pattern, path):
    try:
        _compile(pattern)
    except SchemaError as exc:
        raise SchemaError(f"{exc} (at {pointer(path)})", pointer(path)) from None


def _check_cycles(nodes):
    """Refuse references that come back to a subschema without going deeper
    into the payload: validating would never end."""
    state = {}  # id -> 1 in progress, 2 done
    for start in nodes:
        if state.get(start):
            continue
        stack = [(start, iter(nodes[start][2]))]
        state[start] = 1
        while stack:
            current, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[current] = 2
                stack.pop()
                continue
            if child not in nodes:
                continue
            if state.get(child) == 1:
                where = nodes[child][1]
                raise SchemaError(
                    f"the subschema at {where} refers back to itself without "
                    "going deeper into the payload: it could never be checked",
                    where,
                )
            if not state.get(child):
                state[child] = 1
                stack.append((child, iter(nodes[child][2])))


def check_schema(schema):
    """Raise ``SchemaError`` (a ``ValueError``) when ``schema`` is not a JSON
    Schema the addon may use: invalid for its draft, nested too deeply,
    referring outside itself, to nothing or to itself in a loop, or with a
    pattern RE2 cannot run."""
    if not isinstance(schema, dict):
        raise SchemaError("a JSON Schema is a JSON object")
    _check_depth(schema)
    cls = _validator_class(schema)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise SchemaError(exc.message, pointer(exc.absolute_path)) from None
    nodes = _walk(schema, cls)
    if any("unevaluatedProperties" in node for node, _p, _s in nodes.values()) and any(
        "patternProperties" in node for node, _p, _s in nodes.values()
    ):
        raise SchemaError(
            "unevaluatedProperties cannot be combined with patternProperties here"
        )
    _check_cycles(nodes)
    return schema


@functools.lru_cache(maxsize=128)
def compile_schema(text):
    """The validator of a stored schema (its JSON text), checked as
    ``check_schema`` does; raises ``SchemaError``. Cached by text."""
    try:
        schema = json.loads(text)
    except (ValueError, RecursionError):
        raise SchemaError("it is not valid JSON") from None
    check_schema(schema)
    return _hardened(_validator_class(schema))(schema, registry=_NO_RETRIEVAL)


def validate_payload(schema, payload, time_limit=DEFAULT_TIME_LIMIT):
    """Raise ``PayloadSchemaError`` for the first (best) error of ``payload``
    against ``schema`` (a JSON text, or a dict): 422 material, whatever the
    schema or the payload."""
    if not isinstance(schema, str):
        schema = json.dumps(schema)
    try:
        validator = compile_schema(schema)
    except SchemaError as exc:
        raise PayloadSchemaError(
            f"The topic's JSON Schema cannot be used: {exc}", "", "schema_invalid"
        ) from None
    token = _DEADLINE.set(time.monotonic() + time_limit)
    try:
        error = jsonschema.exceptions.best_match(validator.iter_errors(payload))
    except _Timeout:
        raise PayloadSchemaError(
            f"Checking the payload against the topic's schema took longer than "
            f"{time_limit:g} s.",
            "",
            "schema_timeout",
        ) from None
    except (RecursionError, referencing.exceptions.Unresolvable) as exc:
        raise PayloadSchemaError(
            f"The topic's JSON Schema cannot be used: {type(exc).__name__}",
            "",
            "schema_invalid",
        ) from None
    except jsonschema.exceptions._WrappedReferencingError:  # noqa: SLF001
        raise PayloadSchemaError(
            "The topic's JSON Schema refers to something it does not hold.",
            "",
            "schema_invalid",
        ) from None
    finally:
        _DEADLINE.reset(token)
    if error is None:
        return
    path = pointer(error.absolute_path)
    raise PayloadSchemaError(
        f"The payload does not match the topic's schema at {path or '/'}: "
        f"{error.message}",
        path,
    )
