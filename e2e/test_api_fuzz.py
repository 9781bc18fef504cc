"""Fuzzing every request body of the API against the real server: hypothesis
generates JSON with any Unicode (lone surrogates and NUL included, as JSON
escapes), markup-like text, and nesting from shallow to thousands of levels,
shaped after each operation's own body schema so that it gets past the first
checks. Whatever comes, the server answers, never with a 5xx.

Bounded: a fixed number of examples per operation (about a minute in all),
derandomized so that a failure reproduces."""

import importlib.util
import json
import time
from pathlib import Path

import pytest
import requests
from apie2e import make_api_key
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

API = "/live/api/v1"
LIMITS = (
    "live_messaging.api_rate_limit",
    "live_messaging.public_rate_limit",
    "live_messaging.support_join_rate_limit",
    "live_messaging.support_typing_rate_limit",
)
EXAMPLES = 25

# any code point, surrogates (category Cs) included; and the usual suspects
TEXT = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=24),
    st.sampled_from(
        [
            "\x00",
            "a\x00b",
            "\ud800",
            "x\udfffy",
            "\ud83d\ude00",
            "<img src=x onerror=alert(1)",
            "a<b &amp; <3",
            "\u202e\ufeff",
            "",
            " ",
        ]
    ),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
)
JSON = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(TEXT, children, max_size=4),
    ),
    max_leaves=12,
)


def deep(depth, leaf):
    """JSON text nested ``depth`` levels (written by hand: the encoder itself
    stops at about a thousand)."""
    opening, closing = ('{"k": ', "}") if depth % 2 else ("[", "]")
    return opening * depth + json.dumps(leaf) + closing * depth


DEEP = st.builds(deep, st.sampled_from([30, 32, 33, 34, 100, 601, 3000]), SCALARS)


@pytest.fixture(scope="module")
def fuzz(server, admin, e2e_users):
    """Who calls (a fresh key), what the paths' values are (a room of the
    caller, a topic they may publish on, a visitor token), limits lifted."""
    key = make_api_key(server, e2e_users["cid"][1]).key
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    previous = {
        param: server.call(admin, "ir.config_parameter", "get_param", param)
        for param in LIMITS
    }
    for param in LIMITS:
        server.call(admin, "ir.config_parameter", "set_param", param, "0")
    topic = f"fuzz/{time.time_ns()}"
    server.call(
        admin,
        "live.topic",
        "create",
        {
            "name": topic,
            "publish_access": "users",
            "json_schema": json.dumps(
                {
                    "type": "object",
                    "properties": {"code": {"type": "string", "pattern": "^(a+)+$"}},
                    "patternProperties": {"^x": {"type": "integer"}},
                }
            ),
        },
    )
    room = requests.post(
        f"{server.url}{API}/rooms",
        json={"type": "group", "name": "fuzz"},
        headers=headers,
        timeout=30,
    ).json()
    document = requests.get(f"{server.url}{API}/openapi.json", timeout=30).json()
    values = {"room_id": room["id"], "session_id": 1, "name": topic}
    yield server, headers, document, values
    for param, value in previous.items():
        server.call(admin, "ir.config_parameter", "set_param", param, value or False)


def _operations():
    """Every (method, path) taking a body, from the served document's table:
    the fuzz follows the API as it grows."""
    # the table is plain Python (no Odoo import): read it from this checkout
    path = Path(__file__).resolve().parent.parent / "controllers/api/openapi.py"
    spec = importlib.util.spec_from_file_location("live_openapi", path)
    table = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(table)
    OPERATIONS, SCHEMAS = table.OPERATIONS, table.SCHEMAS  # noqa: N806
    return [
        (op.method, op.path, SCHEMAS.get(op.body, {}).get("properties", {}))
        for op in OPERATIONS
        if op.method == "POST"
    ]


OPERATIONS = _operations()


def shaped(properties):
    """A body with the operation's own keys, each with any JSON value."""
    if not properties:
        return st.dictionaries(TEXT, JSON, max_size=4).map(json.dumps)
    fields = {name: JSON for name in properties}
    return st.fixed_dictionaries({}, optional=fields).map(json.dumps)


@pytest.mark.parametrize(
    ("method", "path", "properties"),
    OPERATIONS,
    ids=[f"{method} {path}" for method, path, _props in OPERATIONS],
)
def test_no_body_makes_a_server_error(fuzz, method, path, properties):
    server, headers, _document, values = fuzz
    url = server.url + API + path.format(**values)
    request_headers = dict(headers)
    if path.startswith("/support/") and "sessions" not in path:
        request_headers.pop("Authorization")
    seen = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    # lone surrogates and NUL travel as \\u escapes (json.dumps' ASCII output)
    @given(data=st.one_of(shaped(properties), JSON.map(json.dumps), DEEP))
    def check(data):
        response = requests.request(
            method, url, data=data.encode(), headers=request_headers, timeout=30
        )
        seen.append(response.status_code)
        assert response.status_code < 500, (data[:300], response.text[:300])
        assert response.headers["Content-Type"].startswith("application/json")

    check()
    assert seen and all(status < 500 for status in seen)
