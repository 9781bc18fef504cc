"""One NATS connection on an asyncio event loop of its own (a daemon thread), for
the synchronous code of Odoo.

nats-py is asyncio only, and Odoo's workers are threads or processes that block:
a ``NatsLink`` runs the client's loop in one thread and every caller submits a
coroutine with a bounded wait (``link.run(coro_fn, timeout)``). It connects
lazily, to the first server of the list that answers, never reconnects on its
own (a publish never sits in a buffer while the server is away: the caller gets
an error and retries, JetStream dropping what it already stored, by message id),
and connects again at the next call.

nats-py is optional: it is imported here at first use only, and its absence
raises ``NatsUnavailable`` with the package's name.
"""

import asyncio
import concurrent.futures
import logging
import threading

_logger = logging.getLogger(__name__)

PACKAGE = "nats-py"
CONNECT_TIMEOUT = 2
REQUEST_TIMEOUT = 5


class NatsUnavailable(RuntimeError):
    """nats-py is not installed."""


class NatsLinkError(RuntimeError):
    """NATS could not be reached, or did not answer in time."""


def nats_module():
    """The ``nats`` package, or NatsUnavailable naming the one to install."""
    try:
        import nats  # noqa: PLC0415 - optional dependency, see the module docstring
        import nats.js.errors  # noqa: F401, PLC0415
    except ImportError:
        raise NatsUnavailable(
            f"The Python package {PACKAGE} is not installed (pip install {PACKAGE})."
        ) from None
    return nats


def nats_available():
    try:
        nats_module()
    except NatsUnavailable:
        return False
    return True


def parse_servers(value):
    """The server URLs of a comma- or space-separated setting."""
    return [url for url in (value or "").replace(",", " ").split() if url]


class NatsLink:
    """A NATS client on its own event loop thread (see the module docstring).

    ``options``: ``servers`` (list of URLs), and optionally ``user``,
    ``password``, ``token``, ``creds_file``, ``name``."""

    def __init__(self, options):
        self.nats = nats_module()
        self.options = dict(options)
        if not self.options.get("servers"):
            raise NatsLinkError("No NATS server is configured.")
        self.nc = None
        self.js = None
        # what users of the link keep per connection (subscriptions, stream
        # facts), forgotten when it connects again
        self.state = {}
        self._connecting = asyncio.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever,
            name=f"live_nats_link:{self.options.get('name') or 'link'}",
            daemon=True,
        )
        self._thread.start()

    # -- calls from other threads --------------------------------------

    def run(self, coro_fn, timeout, *args):
        """Run ``coro_fn(self, *args)`` on the link's loop and return its
        result; NatsLinkError when it takes more than ``timeout`` seconds (the
        coroutine is then cancelled)."""
        if self._loop.is_closed():
            raise NatsLinkError("The NATS link is closed.")
        future = asyncio.run_coroutine_threadsafe(coro_fn(self, *args), self._loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise NatsLinkError(
                f"NATS did not answer within {timeout:g} seconds."
            ) from None

    def close(self, timeout=3):
        """Close the connection and stop the loop thread (bounded)."""
        if self._loop.is_closed():
            return
        try:
            self.run(NatsLink._disconnect, timeout)
        except Exception:  # noqa: BLE001 - closing what may already be broken
            _logger.debug("closing the NATS link", exc_info=True)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self._loop.close()

    # -- coroutines (on the link's loop) ---------------------------------

    @property
    def connected(self):
        return bool(self.nc and self.nc.is_connected)

    async def ensure(self):
        """Connect if not connected; returns the JetStream context."""
        if self.connected:
            return self.js
        async with self._connecting:
            if self.connected:
                return self.js
            return await self._connect()

    async def _connect(self):
        await self._disconnect()
        self.state = {}
        errors = []
        for url in self.options["servers"]:
            nc = self.nats.NATS()
            kwargs = {
                "servers": [url],
                "name": self.options.get("name") or "odoo-live-messaging",
                "allow_reconnect": False,
                "max_reconnect_attempts": 0,
                "connect_timeout": CONNECT_TIMEOUT,
                "ping_interval": 20,
                "max_outstanding_pings": 3,
                "error_cb": self._error_cb,
            }
            if self.options.get("creds_file"):
                kwargs["user_credentials"] = self.options["creds_file"]
            if self.options.get("user"):
                kwargs["user"] = self.options["user"]
                kwargs["password"] = self.options.get("password") or ""
            if self.options.get("token"):
                kwargs["token"] = self.options["token"]
            try:
                await asyncio.wait_for(nc.connect(**kwargs), CONNECT_TIMEOUT + 1)
            except Exception as exc:  # noqa: BLE001 - reported, next server
                errors.append(f"{_safe_url(url)}: {_describe(exc)}")
                try:
                    await nc.close()
                except Exception:  # noqa: BLE001
                    _logger.debug("closing a failed NATS connection", exc_info=True)
                continue
            self.nc = nc
            self.js = nc.jetstream(timeout=REQUEST_TIMEOUT)
            return self.js
        raise NatsLinkError("Could not connect to NATS: " + "; ".join(errors))

    async def _disconnect(self):
        nc, self.nc, self.js = self.nc, None, None
        if nc and not nc.is_closed:
            try:
                await asyncio.wait_for(nc.close(), 2)
            except Exception:  # noqa: BLE001 - the server may be gone already
                _logger.debug("closing the NATS connection", exc_info=True)

    async def _error_cb(self, exc):
        _logger.debug("NATS: %s", _describe(exc))


def _safe_url(url):
    """``url`` without credentials (never echo a password)."""
    if "@" in url:
        scheme, _sep, rest = url.rpartition("://")
        return f"{scheme}://***@{rest.split('@', 1)[1]}" if scheme else "***"
    return url


def _describe(exc):
    text = str(exc) or type(exc).__name__
    return text if len(text) < 300 else text[:300] + "..."


def describe_error(exc):
    """A one-line description of ``exc`` fit for a log or an admin's view."""
    return _describe(exc)
