"""NATS subjects of the bridge: topic names to subjects, topic patterns, and the
subject checks of the settings (plain functions, no Odoo, no nats-py).

A topic name is segments of ``[A-Za-z0-9_.-]`` separated by slashes
(``shop/42``, ``sale.order``); a NATS subject is tokens separated by dots, where
``*`` and ``>`` are wildcards and whitespace is forbidden. Each segment becomes
one token; the characters a token may not hold are percent-encoded (``.`` is
``%2E``), so that two topics never share a subject (``sale.order`` is
``live.sale%2Eorder``, ``sale_order`` is ``live.sale_order``).
"""

import re

PREFIX_RE = re.compile(r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$")
STREAM_RE = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
CONSUMER_RE = STREAM_RE
# a subject a consumer filters on: tokens, "*" tokens, ">" last
FILTER_TOKEN_RE = re.compile(r"^[^\s.*>]+$")
# what a token of a derived subject may hold as it is; the rest is %XX
_TOKEN_SAFE = re.compile(r"[A-Za-z0-9_\-]")
PATTERN_SEGMENT_RE = re.compile(r"^[A-Za-z0-9_.\-]+$")


def _encode_token(segment):
    return "".join(
        char if _TOKEN_SAFE.match(char) else "".join(f"%{b:02X}" for b in char.encode())
        for char in segment
    )


def topic_subject(prefix, topic_name):
    """The subject of ``topic_name`` under ``prefix``: ``shop/42`` and ``live``
    give ``live.shop.42``."""
    tokens = [_encode_token(segment) for segment in topic_name.split("/")]
    return ".".join([prefix, *tokens])


def pattern_subject(prefix, pattern):
    """The subjects of a topic pattern, as a NATS filter (``shop/*`` gives
    ``live.shop.*``, ``shop/**`` gives ``live.shop.>``)."""
    tokens = [
        {"*": "*", "**": ">"}.get(segment) or _encode_token(segment)
        for segment in pattern.split("/")
    ]
    return ".".join([prefix, *tokens])


def check_prefix(prefix):
    """Raise ValueError unless ``prefix`` is dot-separated tokens of letters,
    digits, ``_`` and ``-`` (no wildcard)."""
    if not isinstance(prefix, str) or len(prefix) > 64 or not PREFIX_RE.match(prefix):
        raise ValueError(
            "a subject prefix is tokens of letters, digits, _ and - separated by "
            "dots (e.g. live or acme.live), at most 64 characters"
        )
    return prefix


def check_name(name, what="stream"):
    """Raise ValueError unless ``name`` is a valid stream or consumer name here."""
    if not isinstance(name, str) or not STREAM_RE.match(name):
        raise ValueError(
            f"a {what} name is 1 to 64 letters, digits, _ and - characters"
        )
    return name


def check_filter_subject(subject):
    """Raise ValueError unless ``subject`` is a NATS subject, wildcards allowed
    (``orders.*.paid``, ``orders.>``)."""
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise ValueError("a subject is 1 to 255 characters")
    tokens = subject.split(".")
    for index, token in enumerate(tokens):
        if token == "*":
            continue
        if token == ">" and index == len(tokens) - 1:
            continue
        if not FILTER_TOKEN_RE.match(token):
            raise ValueError(
                f"{subject!r} is not a NATS subject: tokens separated by dots, "
                "without spaces; * stands for one token, > (last) for the rest"
            )
    return subject


def subjects_overlap(first, second):
    """Whether some subject matches both filter subjects."""
    a, b = first.split("."), second.split(".")
    for index in range(max(len(a), len(b))):
        x = a[index] if index < len(a) else None
        y = b[index] if index < len(b) else None
        if x == ">" or y == ">":
            return x is not None and y is not None
        if x is None or y is None:
            return False
        if x != y and "*" not in (x, y):
            return False
    return True


def check_topic_pattern(pattern):
    """Raise ValueError unless ``pattern`` is a topic name whose segments may be
    ``*`` (any one segment) or, last, ``**`` (one or more segments)."""
    segments = pattern.split("/") if isinstance(pattern, str) else [""]
    if not isinstance(pattern, str) or len(pattern) > 128:
        segments = [""]
    for index, segment in enumerate(segments):
        if segment == "*" or (segment == "**" and index == len(segments) - 1):
            continue
        if not PATTERN_SEGMENT_RE.match(segment):
            raise ValueError(
                "a topic pattern is a topic name whose segments may be * (any "
                "one segment) or, last, ** (any number of segments): shop/*"
            )
    return pattern


def topic_matches(pattern, topic_name):
    """Whether ``topic_name`` matches ``pattern`` (see check_topic_pattern)."""
    want, have = pattern.split("/"), topic_name.split("/")
    if want[-1] == "**":
        if len(have) < len(want):
            return False
        have = have[: len(want) - 1] + ["**"]
    elif len(want) != len(have):
        return False
    return all(w in ("*", "**") or w == h for w, h in zip(want, have, strict=True))


def pattern_specificity(pattern):
    """Sort key: exact names first, then patterns with more literal segments."""
    segments = pattern.split("/")
    wild = sum(segment in ("*", "**") for segment in segments)
    return (wild > 0, "**" in segments, -(len(segments) - wild), pattern)
