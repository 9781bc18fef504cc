"""Helpers of the NATS bridge tests: a real nats-server with JetStream (the
machine's, ``LIVE_NATS_TEST_URL`` or nats://127.0.0.1:4222), streams and
subjects of a test's own (random names, deleted afterwards).

nats-py is optional for the addon: it is imported inside the helpers, and a
test that needs it fails (never skips) with a message naming the package."""

import contextlib
import os
import secrets
import socket
from urllib.parse import urlparse

from odoo.addons.live_messaging.utils.nats_link import NatsLink, nats_available

NATS_URL = os.environ.get("LIVE_NATS_TEST_URL", "nats://127.0.0.1:4222")


def require_nats(testcase):
    """Fail ``testcase`` unless nats-py is installed and a server answers."""
    if not nats_available():
        # the wording of tests/common.py import_test_package (tools/test tells
        # these failures apart under Odoo's runner without test-only packages)
        testcase.fail(
            "this test needs the Python package 'nats-py', which is not "
            "installed: pip install -r requirements-test.txt"
        )
    url = urlparse(NATS_URL)
    try:
        socket.create_connection((url.hostname, url.port or 4222), timeout=2).close()
    except OSError as exc:
        testcase.fail(
            f"This test needs a nats-server with JetStream at {NATS_URL} "
            f"(nats-server -js; .ci/run starts one): {exc}"
        )


def unique(prefix):
    return f"{prefix}{secrets.token_hex(4)}"


def open_link(testcase, url=NATS_URL):
    link = NatsLink({"servers": [url], "name": "live_messaging tests"})
    testcase.addCleanup(link.close)
    return link


async def add_stream(link, name, subjects, duplicate_window=120.0):
    nats = link.nats
    js = await link.ensure()
    await js.add_stream(
        name=name,
        subjects=subjects,
        storage=nats.js.api.StorageType.MEMORY,
        duplicate_window=duplicate_window,
    )


async def delete_stream(link, name):
    js = await link.ensure()
    with contextlib.suppress(link.nats.js.errors.NotFoundError):
        await js.delete_stream(name)


async def stream_messages(link, stream, subject=None):
    """Every message of ``stream`` (of ``subject`` if given), oldest first, as
    ``(subject, headers, data)``."""
    js = await link.ensure()
    info = await js.stream_info(stream)
    found = []
    if not info.state.messages:
        return found
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        try:
            message = await js.get_msg(stream, seq)
        except link.nats.js.errors.NotFoundError:
            continue
        if subject is None or message.subject == subject:
            found.append((message.subject, message.headers or {}, message.data))
    return found


async def publish(link, subject, data, headers=None):
    js = await link.ensure()
    return await js.publish(subject, data, headers=headers)


async def consumer_pending(link, stream, consumer):
    """(messages not yet delivered, deliveries not yet acknowledged)."""
    js = await link.ensure()
    info = await js.consumer_info(stream, consumer)
    return info.num_pending, info.num_ack_pending
