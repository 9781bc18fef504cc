"""HTTP side of the client: one method per route of ``/live/api/v1``."""

import base64
import json as _json
import os
import random
import re
import time
import uuid
from urllib.parse import quote

import requests

BASE_PATH = "/live/api/v1"
USER_AGENT = "live-messaging-client/1.0"
RETRY_STATUSES = {429, 502, 503, 504}


class ApiError(Exception):
    """An error answered by the API: ``status`` (HTTP), ``code`` (stable,
    e.g. ``forbidden``), ``message``, and ``path`` (the JSON pointer of the
    value at fault, for 400/422) or ``retry_after`` (429)."""

    def __init__(self, status, code, message, path=None, retry_after=None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.path = path
        self.retry_after = retry_after


class AuthError(ApiError):
    """401: the key is missing, wrong, expired or revoked. Never retried."""


class BatchResults(list):
    """The answer to a batch: one result per item, in order (``{"index",
    "status", "message"|"event"}``, or ``{"index", "status", "error"}`` for a
    refused item), with the counts ``created`` (201), ``replayed`` (200: an
    idempotency key already used for the same item) and ``refused``."""

    def __init__(self, results=(), created=0, replayed=0, refused=0):
        super().__init__(results)
        self.created = created
        self.replayed = replayed
        self.refused = refused

    @property
    def ok(self):
        """Whether every item was written (or had been)."""
        return not self.refused

    def extend_shifted(self, other, offset):
        """Add the results of a later chunk, whose indexes start at
        ``offset``."""
        self.extend(dict(result, index=result["index"] + offset) for result in other)
        self.created += other.created
        self.replayed += other.replayed
        self.refused += other.refused


class BatchError(ApiError):
    """422 ``batch_refused``: an item of an atomic batch was refused, and
    nothing was written. ``results`` says which items were refused, and why
    (the others are 424 ``not_written``)."""

    def __init__(self, status, code, message, results, path=None, retry_after=None):
        super().__init__(status, code, message, path=path, retry_after=retry_after)
        self.results = results


def new_client_id():
    """A fresh idempotency key."""
    return uuid.uuid4().hex


_ENTITY_RE = re.compile("&(amp|lt|gt);")
_UNESCAPED = {"amp": "&", "lt": "<", "gt": ">"}


def unescape_body(body):
    """What was typed, from a message's ``body``: the API sends bodies with
    ``&``, ``<`` and ``>`` escaped as entities (and nothing else changed), so
    that they are safe in HTML as they are. One pass: a typed ``&lt;`` comes
    back as ``&lt;``."""
    return _ENTITY_RE.sub(lambda match: _UNESCAPED[match.group(1)], body or "")


class Client:
    """A client of Live Messaging's external-app API.

    ``url`` is the Odoo server (``https://odoo.example.com``), ``key`` an Odoo
    API key of the user the app acts for. ``db`` selects the database on a
    server that hosts several (as the web client's ``?db=`` does).

    Posting and publishing always send an idempotency key (generated when not
    given), so they are retried safely on connection errors, 429 and 5xx:
    a retry returns the first message or event, never a duplicate."""

    def __init__(self, url, key, *, db=None, timeout=30, retries=4, session=None):
        if not url or not key:
            raise ValueError("url and key are required")
        self.url = url.rstrip("/")
        self.key = key
        self.db = db
        self.timeout = timeout
        self.retries = retries
        self.http = session or requests.Session()
        self.http.headers["User-Agent"] = USER_AGENT
        self._db_selected = False
        self._batch_limits = None

    # ------------------------------------------------------------------
    # Plumbing
    # ------------------------------------------------------------------

    @property
    def api_url(self):
        return self.url + BASE_PATH

    @property
    def websocket_url(self):
        scheme, rest = self.url.split("://", 1)
        return f"{'wss' if scheme == 'https' else 'ws'}://{rest}{BASE_PATH}/websocket"

    def auth_headers(self):
        return {"Authorization": f"Bearer {self.key}"}

    def cookie_header(self):
        """The cookie that selects the database (``None`` on a one-database
        server), for the websocket handshake."""
        self._select_db()
        sid = self.http.cookies.get("session_id")
        return f"session_id={sid}" if sid else None

    def _select_db(self):
        if self.db and not self._db_selected:
            # Odoo binds an anonymous session to the database asked for
            self.http.get(
                f"{self.url}/web/login",
                params={"db": self.db},
                timeout=self.timeout,
                allow_redirects=False,
            )
            self._db_selected = True

    def request(
        self, method, path, *, json=None, params=None, headers=None, retry, raw=False
    ):
        """Call the API; returns ``(status, data)``. ``retry``: whether the
        call may be repeated safely (reads, or writes with an idempotency
        key). ``raw``: ``data`` is the ``requests`` response itself (a file),
        errors are raised all the same."""
        self._select_db()
        headers = {**self.auth_headers(), **(headers or {})}
        if json is not None or method not in ("GET", "HEAD"):
            headers["Content-Type"] = "application/json"
        attempts = 1 + (self.retries if retry else 0)
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = self.http.request(
                    method,
                    self.api_url + path,
                    json=json,
                    params=params,
                    headers=headers,
                    timeout=self.timeout,
                )
            except (requests.ConnectionError, requests.Timeout):
                if last:
                    raise
                time.sleep(self._backoff(attempt))
                continue
            if response.status_code in RETRY_STATUSES and not last:
                time.sleep(self._backoff(attempt, response.headers.get("Retry-After")))
                continue
            if raw and response.ok:
                return response.status_code, response
            return response.status_code, self._decode(response)
        raise AssertionError("unreachable")

    @staticmethod
    def _backoff(attempt, retry_after=None):
        if retry_after and retry_after.isdigit():
            return min(float(retry_after), 60.0)
        return min(2**attempt * 0.5, 10.0) * random.uniform(0.5, 1.0)

    @staticmethod
    def _decode(response):
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.ok:
            return data
        error = (data or {}).get("error") if isinstance(data, dict) else None
        error = error or {"code": "http_error", "message": response.reason}
        retry_after = response.headers.get("Retry-After")
        options = {
            "path": error.get("path"),
            "retry_after": int(retry_after)
            if retry_after and retry_after.isdigit()
            else None,
        }
        if isinstance(data, dict) and isinstance(data.get("results"), list):
            raise BatchError(
                response.status_code,
                error.get("code"),
                error.get("message"),
                Client._batch_results(data),
                **options,
            )
        cls = AuthError if response.status_code == 401 else ApiError
        raise cls(
            response.status_code, error.get("code"), error.get("message"), **options
        )

    @staticmethod
    def _batch_results(data):
        return BatchResults(
            data["results"],
            created=data.get("created", 0),
            replayed=data.get("replayed", 0),
            refused=data.get("refused", 0),
        )

    @staticmethod
    def _topic_path(topic):
        # slashes are fine in a topic's path; anything else is encoded
        return "/topics/" + quote(topic, safe="/")

    # ------------------------------------------------------------------
    # Account and rooms
    # ------------------------------------------------------------------

    def me(self):
        """The user the key belongs to."""
        return self.request("GET", "/me", retry=True)[1]

    def rooms(self):
        """The user's rooms, with ``unread``, ``last_message_id``, ``last_seq``."""
        return self.request("GET", "/rooms", retry=True)[1]["rooms"]

    def room(self, room_id):
        return self.request("GET", f"/rooms/{int(room_id)}", retry=True)[1]

    def create_room(self, name, member_ids=(), description=None):
        """Create a group room with the user and ``member_ids``."""
        body = {"type": "group", "name": name, "member_ids": list(member_ids)}
        if description:
            body["description"] = description
        return self.request("POST", "/rooms", json=body, retry=False)[1]

    def direct_room(self, user_id):
        """The direct room with ``user_id`` (created on first use)."""
        body = {"type": "direct", "user_id": int(user_id)}
        return self.request("POST", "/rooms", json=body, retry=True)[1]

    def post(
        self,
        room_id,
        body,
        *,
        client_id=None,
        payload=None,
        mentions=None,
        attachment_ids=None,
    ):
        """Post a message (``body``: the text as typed; the answer's ``body``
        is escaped, see ``unescape_body``); retried safely (same
        ``client_id``: reusing one for another message is a 409
        ``idempotency_mismatch``). ``mentions``: user ids of members it
        mentions; ``attachment_ids``: files uploaded with ``upload`` (then
        ``body`` may be empty)."""
        data = {"body": body, "client_id": client_id or new_client_id()}
        if payload is not None:
            data["payload"] = payload
        if mentions:
            data["mentions"] = [int(user_id) for user_id in mentions]
        if attachment_ids:
            data["attachment_ids"] = [int(aid) for aid in attachment_ids]
        path = f"/rooms/{int(room_id)}/messages"
        return self.request("POST", path, json=data, retry=True)[1]

    def history(self, room_id, *, after=None, before=None, limit=None, query=None):
        """One page: ``{"messages": [...], "has_more": bool}``; with
        ``query``, only the chat messages containing it (see ``search``)."""
        params = {
            k: v
            for k, v in (
                ("after", after),
                ("before", before),
                ("limit", limit),
                ("q", query),
            )
            if v is not None
        }
        path = f"/rooms/{int(room_id)}/messages"
        return self.request("GET", path, params=params, retry=True)[1]

    def iter_history(self, room_id, *, after=0, page_size=100):
        """Every message after ``after`` (a message id; 0: from the start),
        oldest first, page by page."""
        while True:
            page = self.history(room_id, after=after, limit=page_size)
            yield from page["messages"]
            if not page["has_more"] or not page["messages"]:
                return
            after = page["messages"][-1]["id"]

    def mark_read(self, room_id, message_id=None):
        body = {"message_id": message_id} if message_id else {}
        path = f"/rooms/{int(room_id)}/read"
        return self.request("POST", path, json=body, retry=True)[1]

    # ------------------------------------------------------------------
    # Edit, delete, reactions, search
    # ------------------------------------------------------------------

    def edit(self, room_id, message_id, body, *, mentions=None):
        """Change the text of one's own message (within the server's edit
        window); ``mentions`` replaces its mentions when given."""
        data = {"body": body}
        if mentions is not None:
            data["mentions"] = [int(user_id) for user_id in mentions]
        path = f"/rooms/{int(room_id)}/messages/{int(message_id)}"
        return self.request("PATCH", path, json=data, retry=True)[1]

    def delete(self, room_id, message_id):
        """Delete one's own message (it stays in history, marked deleted)."""
        path = f"/rooms/{int(room_id)}/messages/{int(message_id)}"
        return self.request("DELETE", path, retry=True)[1]

    def react(self, room_id, message_id, emoji, *, remove=False):
        """Put (or, with ``remove``, take back) a reaction; idempotent.
        Returns ``{"message_id", "reactions"}``."""
        path = f"/rooms/{int(room_id)}/messages/{int(message_id)}/reactions/" + quote(
            emoji, safe=""
        )
        return self.request("DELETE" if remove else "PUT", path, retry=True)[1]

    def search(self, query, *, room_id=None, before=None, limit=None):
        """One page of the chat messages containing ``query``, oldest first,
        in one room or in all of the user's rooms (then with ``rooms``:
        ``[{id, name}]``). ``before``: a message id, for older hits."""
        if room_id is not None:
            return self.history(room_id, before=before, limit=limit, query=query)
        params = {
            k: v
            for k, v in (("q", query), ("before", before), ("limit", limit))
            if v is not None
        }
        return self.request("GET", "/messages/search", params=params, retry=True)[1]

    # ------------------------------------------------------------------
    # Files
    # ------------------------------------------------------------------

    def upload(self, room_id, file, *, name=None):
        """Upload a file for a message of the room: ``file`` is a path, bytes
        or a binary file object (``name`` defaults to the path's name).
        Returns the attachment (``id``, ``name``, ``mimetype``, ``size``,
        ``is_image``); post it with ``post(..., attachment_ids=[id])`` or use
        ``send_file``. Until posted, only this user can read it."""
        if isinstance(file, bytes | bytearray):
            content = bytes(file)
        elif hasattr(file, "read"):
            content = file.read()
            name = name or os.path.basename(getattr(file, "name", "") or "")
        else:
            with open(file, "rb") as handle:
                content = handle.read()
            name = name or os.path.basename(os.fspath(file))
        if not name:
            raise ValueError("a file name is required")
        data = {"name": name, "data": base64.b64encode(content).decode("ascii")}
        path = f"/rooms/{int(room_id)}/attachments"
        # a retry after a lost answer uploads again: the first copy, never
        # sent, is deleted by the server after a day
        return self.request("POST", path, json=data, retry=True)[1]

    def send_file(self, room_id, file, body="", *, name=None, mentions=None, **kw):
        """Upload ``file`` and post it in the room with ``body`` (may be
        empty): e.g. a delivery photo into a sale order's room."""
        attachment = self.upload(room_id, file, name=name)
        return self.post(
            room_id, body, mentions=mentions, attachment_ids=[attachment["id"]], **kw
        )

    def download(self, room_id, attachment_id):
        """The content (bytes) of a file of the room."""
        path = f"/rooms/{int(room_id)}/attachments/{int(attachment_id)}"
        return self.request("GET", path, retry=True, raw=True)[1].content

    # ------------------------------------------------------------------
    # Topics
    # ------------------------------------------------------------------

    def topics(self):
        return self.request("GET", "/topics", retry=True)[1]["topics"]

    def publish(self, topic, payload, *, idempotency_key=None):
        """Publish an event (a JSON object); retried safely (same key)."""
        headers = {"Idempotency-Key": idempotency_key or new_client_id()}
        path = self._topic_path(topic) + "/publish"
        return self.request("POST", path, json=payload, headers=headers, retry=True)[1]

    def events(self, topic, *, after=None, before=None, limit=None):
        """One page: ``{"events": [...], "has_more": bool}``."""
        params = {
            k: v
            for k, v in (("after", after), ("before", before), ("limit", limit))
            if v is not None
        }
        path = self._topic_path(topic) + "/events"
        return self.request("GET", path, params=params, retry=True)[1]

    def iter_events(self, topic, *, after=0, page_size=100):
        """Every event of ``topic`` after ``after`` (an event id), oldest
        first, page by page."""
        while True:
            page = self.events(topic, after=after, limit=page_size)
            yield from page["events"]
            if not page["has_more"] or not page["events"]:
                return
            after = page["events"][-1]["id"]

    def subscribe(self, topic):
        return self.request("POST", self._topic_path(topic) + "/subscribe", retry=True)[
            1
        ]

    def unsubscribe(self, topic):
        return self.request(
            "POST", self._topic_path(topic) + "/unsubscribe", retry=True
        )[1]

    # ------------------------------------------------------------------
    # Batches
    # ------------------------------------------------------------------

    def batch_limits(self):
        """``{"max_items", "max_bytes"}``: the largest batch the server takes
        (asked once, then remembered)."""
        if self._batch_limits is None:
            self._batch_limits = self.request("GET", "/batch", retry=True)[1]
        return self._batch_limits

    @staticmethod
    def _keyed(item):
        """``item`` with an idempotency key (a new one when it has none): a
        batch is then retried safely, item by item."""
        if not isinstance(item, dict):
            raise TypeError("a batch item is a dict")
        key = "idempotency_key" if "topic" in item else "client_id"
        if item.get(key):
            return item
        return {**item, key: new_client_id()}

    def batch(self, items, *, atomic=False):
        """Post messages and publish events in one request, one transaction.

        ``items``: chat messages ``{"room_id", "body", "client_id"?,
        "payload"?, "mentions"?, "attachment_ids"?}`` and topic events
        ``{"topic", "payload", "idempotency_key"?}``, at most
        ``batch_limits()["max_items"]``. Items without an idempotency key get
        one, so the call is retried safely. Returns ``BatchResults`` (a list of
        one result per item, in order, with ``created``, ``replayed`` and
        ``refused``). Each item is written or refused alone; with ``atomic``,
        all are written or none: a refusal raises ``BatchError`` (its
        ``results`` tell which items were refused)."""
        body = {"items": [self._keyed(item) for item in items], "atomic": atomic}
        data = self.request("POST", "/batch", json=body, retry=True)[1]
        return self._batch_results(data)

    def send_many(self, items, *, atomic=False, max_items=None):
        """``batch`` for any number of items (any iterable, read as it goes):
        sent in batches within the server's limits (items and bytes; at most
        ``max_items`` items each when given). Returns one ``BatchResults``
        for all, indexes counted from the first item. With ``atomic``, each
        batch is atomic on its own: a refused one raises ``BatchError`` (with
        its results, shifted the same way), the batches before it stay
        written."""
        limits = self.batch_limits()
        most = min(max_items or limits["max_items"], limits["max_items"])
        # room for the envelope around the items
        budget = limits["max_bytes"] - 64
        results = BatchResults()
        chunk, size, offset = [], 0, 0

        def flush():
            try:
                answer = self.batch(chunk, atomic=atomic)
            except BatchError as exc:
                shifted = BatchResults()
                shifted.extend_shifted(exc.results, offset)
                exc.results = shifted
                raise
            results.extend_shifted(answer, offset)

        for item in items:
            item = self._keyed(item)
            item_size = len(_json.dumps(item).encode()) + 1
            if chunk and (len(chunk) >= most or size + item_size > budget):
                flush()
                offset += len(chunk)
                chunk, size = [], 0
            chunk.append(item)
            size += item_size
        if chunk:
            flush()
        return results

    def publish_many(self, topic, payloads, *, idempotency_keys=None, atomic=False):
        """Publish every payload of ``payloads`` on ``topic``, in order, in
        as few requests as the server's batch limits allow (see ``send_many``).
        ``idempotency_keys``: one per payload (default: new ones). Returns
        ``BatchResults``: each result's ``event`` (or ``error``)."""
        keys = iter(idempotency_keys) if idempotency_keys is not None else None
        items = (
            {
                "topic": topic,
                "payload": payload,
                "idempotency_key": next(keys) if keys else new_client_id(),
            }
            for payload in payloads
        )
        return self.send_many(items, atomic=atomic)

    # ------------------------------------------------------------------
    # Live
    # ------------------------------------------------------------------

    def listen(self, *, topics=(), rooms=False, **options):
        """A ``Listener``: iterate it to receive the topics' events (and the
        rooms' messages: ``rooms=True`` for all of the user's rooms, or a list
        of room ids) exactly once, in order, across reconnections. See
        ``live_messaging_client.listen.Listener`` for the options."""
        from .listen import Listener

        return Listener(self, topics=topics, rooms=rooms, **options)
