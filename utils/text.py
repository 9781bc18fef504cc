"""Text and JSON values that users send: what is refused, and the body contract.

**Body contract** (as Slack's API): a message body is the text as typed, with
``&``, ``<`` and ``>`` escaped as ``&amp;``, ``&lt;`` and ``&gt;``; nothing else
is stripped or changed. It is therefore safe to put into HTML as it is, and a
text client unescapes those three entities to show exactly what was typed
(``unescape_body``; the web client and the Python client do).

**Refused everywhere** (bodies, names, descriptions, payload keys and values):
NUL (PostgreSQL stores no NUL in text, and no ``\\u0000`` in jsonb) and lone
surrogates (not Unicode text: they cannot be encoded as UTF-8). Payloads are
also refused when nested deeper than a limit, or holding NaN or infinities (not
JSON). Every refusal names the ``path`` (JSON pointer) of the value at fault.
"""

import math
import re

DEFAULT_BODY_MAX_CHARS = 4000
DEFAULT_MAX_DEPTH = 32

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_ESCAPE_RE = re.compile("[&<>]")
_UNESCAPE_RE = re.compile("&(amp|lt|gt);")
_UNESCAPED = {"amp": "&", "lt": "<", "gt": ">"}


class InvalidValue(ValueError):
    """A value that may not be stored; ``path`` is the JSON pointer of the
    offending value (or key)."""

    def __init__(self, message, path=""):
        super().__init__(message)
        self.message = message
        self.path = path


def escape_body(text):
    """``&``, ``<`` and ``>`` as entities; nothing else changes."""
    return _ESCAPE_RE.sub(lambda match: _ENTITIES[match.group()], text)


def unescape_body(body):
    """What was typed: the inverse of ``escape_body`` (one pass, so that a
    typed ``&lt;`` comes back as ``&lt;``)."""
    return _UNESCAPE_RE.sub(lambda match: _UNESCAPED[match.group(1)], body)


_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _escape_pointer(part):
    # a pointer is sent back in the error: a lone surrogate cannot be
    part = _SURROGATE_RE.sub("\ufffd", str(part))
    return part.replace("~", "~0").replace("/", "~1")


def check_text(text, path=""):
    """Raise ``InvalidValue`` when ``text`` holds NUL or a lone surrogate."""
    if "\x00" in text:
        raise InvalidValue("text may not contain the NUL character (U+0000)", path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidValue(
            f"text may not contain a lone surrogate (U+{ord(text[exc.start]):04X}): "
            "it is not valid Unicode",
            path,
        ) from None
    return text


def check_json(value, max_depth=DEFAULT_MAX_DEPTH, path=""):
    """Raise ``InvalidValue`` for a JSON value that may not be stored: nested
    deeper than ``max_depth`` (the top-level object or array is level 1), a
    string or key with NUL or a lone surrogate, NaN or an infinity. Iterative:
    no recursion, whatever the depth."""
    stack = [(value, path, 0)]
    while stack:
        current, where, depth = stack.pop()
        if isinstance(current, str):
            check_text(current, where or "/")
        elif isinstance(current, dict):
            if depth + 1 > max_depth:
                raise InvalidValue(
                    f"JSON is nested deeper than {max_depth} levels", where or "/"
                )
            for key, item in current.items():
                key_path = f"{where}/{_escape_pointer(key)}"
                if isinstance(key, str):
                    check_text(key, key_path)
                stack.append((item, key_path, depth + 1))
        elif isinstance(current, (list, tuple)):
            if depth + 1 > max_depth:
                raise InvalidValue(
                    f"JSON is nested deeper than {max_depth} levels", where or "/"
                )
            stack.extend(
                (item, f"{where}/{index}", depth + 1)
                for index, item in enumerate(current)
            )
        elif isinstance(current, float) and not math.isfinite(current):
            raise InvalidValue("NaN and infinities are not JSON", where or "/")
    return value


def prepare_body(body, max_chars=DEFAULT_BODY_MAX_CHARS):
    """The stored form of a body (see the contract above). ``None``/``False``
    give ``""``. Raises ``TypeError`` (not a string), ``InvalidValue`` (NUL, lone
    surrogate) or ``ValueError`` (longer than ``max_chars`` characters as
    typed)."""
    if body is None or body is False:
        return ""
    if not isinstance(body, str):
        raise TypeError("A message body must be a string.")
    check_text(body, "/body")
    if len(body) > max_chars:
        raise ValueError(max_chars)
    return escape_body(body)
