"""Batch publishing: many chat messages and topic events in one request.

A batch is one transaction: every room and topic it names is locked up front,
in a fixed order (rooms, then topics, each by id), so that batches touching the
same rooms in any order wait for each other instead of deadlocking; then each
item is written through the ordinary paths (``live.room._post_message``,
``live.topic._publish``), with the ordinary rules and rights, in a savepoint of
its own. A refused item is rolled back alone, sequence numbers included (they
stay gapless); with ``atomic``, one refusal rolls back the whole batch. The bus
notifications of the batch leave on commit, in one NOTIFY (Odoo's bus sends one
per transaction)."""

from contextlib import contextmanager

from psycopg2 import IntegrityError

from odoo import _, api, models
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.tools import SQL

PARAM_MAX_ITEMS = "live_messaging.batch_max_items"
PARAM_MAX_BYTES = "live_messaging.batch_max_bytes"
DEFAULT_MAX_ITEMS = 1000
DEFAULT_MAX_BYTES = 4 * 1024 * 1024


class _RollBack(Exception):
    """Leaves the savepoint of an atomic batch that was refused."""


def _copy(value):
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, set):
        return set(value)
    return value


def _restore(data, saved):
    """Put ``data`` (a ``cr.precommit.data``) back as it was in ``saved``,
    containers in place: the hooks registered meanwhile stay, and find nothing
    of what was rolled back. A list added meanwhile is emptied, not removed:
    the bus's hook takes its list without a default."""
    for key, value in list(data.items()):
        if key not in saved:
            if isinstance(value, list):
                value.clear()
            else:
                del data[key]
            continue
        before = saved[key]
        if isinstance(value, list):
            value[:] = before
        elif isinstance(value, dict | set):
            value.clear()
            value.update(before)
        else:
            data[key] = before


class _PlainMessages:
    """The chat messages of a batch that may be written together: new ones
    (no client id already used), with no mention and no file, to a room the
    caller may post in. They are checked as ``live.room._post_message``
    checks them when taken, and wait to be written, per room, in order."""

    def __init__(self, publish, items, rooms, author_app):
        self.env = publish.env
        self.items = items
        self.rooms = rooms
        self.author_app = author_app
        self.can_post = {}
        self.pending = {}
        self.used = self._used_client_ids()

    def _used_client_ids(self):
        """``{(room id, client id)}`` already used by the caller, in one
        query; the batch's own are added as they are taken."""
        pairs = {
            (item["room_id"], item["client_id"])
            for item in self.items
            if "topic" not in item
            and item.get("client_id")
            and isinstance(self.rooms.get(item["room_id"]), models.BaseModel)
        }
        if not pairs:
            return set()
        self.env["live.message"].flush_model(["room_id", "author_id", "client_id"])
        self.env.cr.execute(
            SQL(
                """
                SELECT room_id, client_id FROM live_message
                 WHERE author_id = %s AND room_id IN %s AND client_id IN %s
                """,
                self.env.uid,
                tuple({room_id for room_id, _client_id in pairs}),
                tuple({client_id for _room_id, client_id in pairs}),
            )
        )
        return set(self.env.cr.fetchall())

    def _check_can_post(self, room):
        if room.id not in self.can_post:
            try:
                room._check_can_post()
                self.can_post[room.id] = None
            except UserError as exc:
                self.can_post[room.id] = exc
        refusal = self.can_post[room.id]
        if refusal is not None:
            raise type(refusal)(*refusal.args)

    def take(self, index, item):
        """Whether ``item`` is a plain message, checked and now waiting;
        raises its refusal (nothing was written) when its checks fail."""
        if "topic" in item or item.get("mentions") or item.get("attachment_ids"):
            return False
        room = self.rooms[item["room_id"]]
        client_id = item.get("client_id") or False
        if not isinstance(room, models.BaseModel) or (
            client_id and (room.id, client_id) in self.used
        ):
            return False
        self._check_can_post(room)
        values = room._live_message_values(
            item["body"],
            payload=item.get("payload"),
            client_id=client_id,
            author=self.env.user,
            author_app=self.author_app,
        )
        if client_id:
            self.used.add((room.id, client_id))
        self.pending.setdefault(room, []).append((index, values))
        return True

    def pop(self):
        pending, self.pending = self.pending, {}
        return pending


class LivePublish(models.AbstractModel):
    """Publishing many messages and events at once (``POST /batch``)."""

    _name = "live.publish"
    _description = "Live Messaging Batch Publishing"

    @api.model
    def _batch_limits(self):
        """``{"max_items", "max_bytes"}``: the most items a batch may hold
        (``live_messaging.batch_max_items``, 1000) and the largest request
        body (``live_messaging.batch_max_bytes``, 4 MiB)."""
        Message = self.env["live.message"]
        return {
            "max_items": Message._int_param(PARAM_MAX_ITEMS, DEFAULT_MAX_ITEMS),
            "max_bytes": Message._int_param(PARAM_MAX_BYTES, DEFAULT_MAX_BYTES),
        }

    @api.model
    def _publish_batch(self, items, atomic=False, author_app=False):
        """Write ``items`` as the current user, in order, and return one
        result per item: ``{"index", "status": 201, "message"|"event"}`` (200
        for a replay of an idempotency key), or ``{"index", "refusal": exc}``
        for an item refused by the ordinary rules (``UserError`` and its
        kind: rights, unknown target, validation, idempotency mismatch).

        An item is a chat message ``{"room_id", "body", "client_id"?,
        "payload"?, "mentions"?, "attachment_ids"?}`` or a topic event
        ``{"topic", "payload", "idempotency_key"?}``, well-formed (the API
        checks them against its schema). Without ``atomic``, each item is
        written or refused alone; with it, a refused item rolls the whole batch
        back, and the other results get ``"written": False``."""
        rooms = self._batch_rooms(
            {item["room_id"] for item in items if "topic" not in item}
        )
        topics = self._batch_topics(
            {item["topic"] for item in items if "topic" in item}
        )
        self._batch_lock(rooms, topics)
        plain = _PlainMessages(self, items, rooms, author_app)
        results = [None] * len(items)
        try:
            with self._batch_savepoint():
                for index, item in enumerate(items):
                    try:
                        if plain.take(index, item):
                            continue
                    except UserError as exc:
                        results[index] = {"refusal": exc}
                        continue
                    # a message of its own: the plain ones before it first
                    self._batch_write_plain(plain, results, rooms, topics, author_app)
                    try:
                        with self._batch_savepoint():
                            result = self._batch_item(item, rooms, topics, author_app)
                    except UserError as exc:
                        result = {"refusal": exc}
                    results[index] = result
                self._batch_write_plain(plain, results, rooms, topics, author_app)
                written = set()
                for index, result in enumerate(results):
                    result["index"] = index
                    # the same key twice in a batch: the second is a replay
                    record = result.get("message") or result.get("event")
                    if record is not None:
                        if record["id"] in written:
                            result["status"] = 200
                        written.add(record["id"])
                if atomic and any("refusal" in result for result in results):
                    raise _RollBack
        except _RollBack:
            for result in results:
                if "refusal" not in result:
                    result["written"] = False
        return results

    @api.model
    def _batch_write_plain(self, plain, results, rooms, topics, author_app):
        """Write the plain messages waiting in ``plain`` (new, checked, with
        no mention or file): one INSERT per room. Should one fail (a client id
        a concurrent request just used), they are written one by one, as any
        other item."""
        pending = plain.pop()
        if not pending:
            return
        try:
            with self._batch_savepoint():
                for room, entries in pending.items():
                    _messages, formatted = room._create_messages(
                        [values for _index, values in entries]
                    )
                    for (index, _values), data in zip(entries, formatted, strict=True):
                        results[index] = {"status": 201, "message": data}
        except IntegrityError:
            for entries in pending.values():
                for index, _values in entries:
                    try:
                        with self._batch_savepoint():
                            results[index] = self._batch_item(
                                plain.items[index], rooms, topics, author_app
                            )
                    except UserError as exc:
                        results[index] = {"refusal": exc}

    # ------------------------------------------------------------------
    # Targets: looked up once, locked in a fixed order
    # ------------------------------------------------------------------

    @api.model
    def _batch_rooms(self, room_ids):
        """``{room_id: room}`` for the rooms the caller may read (record rules
        apply), ``{room_id: (exception class, message)}`` for the others: 403
        for a room one may not read, 404 for none, as the single route."""
        Room = self.env["live.room"].with_context(active_test=False)
        ids = sorted(room_ids)
        found = {room.id: room for room in Room.search([("id", "in", ids)])}
        missing = [room_id for room_id in ids if room_id not in found]
        # sudo: live.room - telling a room the caller may not read from none
        hidden = set(Room.sudo().search([("id", "in", missing)]).ids)
        result = dict(found)
        for room_id in missing:
            if room_id in hidden:
                result[room_id] = (AccessError, _("You are not a member of this room."))
            else:
                result[room_id] = (MissingError, _("Room %s does not exist.", room_id))
        return result

    @api.model
    def _batch_topics(self, names):
        """``{name: topic}`` for the topics the caller may see, ``{name:
        None}`` for those that do not exist (yet: an administrator's publish
        creates them), ``{name: (exception class, message)}`` for names no
        topic can have (404, as the single route)."""
        Topic = self.env["live.topic"]
        result = {}
        valid = []
        for name in names:
            try:
                Topic._check_topic_name(name)
            except ValidationError:
                result[name] = (MissingError, _("There is no topic with this name."))
                continue
            valid.append(name)
        found = {topic.name: topic for topic in Topic.search([("name", "in", valid)])}
        for name in valid:
            result[name] = found.get(name)
        return result

    @api.model
    def _batch_lock(self, rooms, topics):
        """Lock the rows of the batch's rooms, then of its topics, each in id
        order, before anything is written: a post takes its room's row anyway
        (its sequence), and two batches naming the same rooms in another order
        would otherwise each hold a row the other waits for."""
        for table, records in (("live_room", rooms), ("live_topic", topics)):
            ids = sorted(
                record.id
                for record in records.values()
                if isinstance(record, models.BaseModel)
            )
            if ids:
                self.env.cr.execute(
                    SQL(
                        "SELECT id FROM %s WHERE id IN %s ORDER BY id "
                        "FOR NO KEY UPDATE",
                        SQL.identifier(table),
                        tuple(ids),
                    )
                )

    @contextmanager
    def _batch_savepoint(self):
        """A savepoint that a refusal rolls back with what it queued for the
        commit (bus notifications), leaving what the items before it queued.
        Odoo's flushing savepoint would clear every precommit hook of the
        transaction on rollback, the notifications of the items already
        written included."""
        cr = self.env.cr
        self.env.flush_all()
        saved = {key: _copy(value) for key, value in cr.precommit.data.items()}
        try:
            with cr.savepoint(flush=False):
                yield
                self.env.flush_all()
        except Exception:
            # what the cache holds (or was about to write) was rolled back
            self.env.transaction.clear()
            _restore(cr.precommit.data, saved)
            raise

    # ------------------------------------------------------------------
    # Items
    # ------------------------------------------------------------------

    @api.model
    def _batch_item(self, item, rooms, topics, author_app):
        """Write one item through the single routes' paths; 201, or 200 for a
        replay of an earlier request (``_publish_batch`` also marks the
        repeats of an earlier item of the batch)."""
        if "topic" in item:
            topic = self._batch_target(topics, item["topic"])
            # sudo: live.message - as live_publish: a replayed event may not be
            # readable through the ORM by its author
            event = topic._publish(
                item["payload"], client_id=item.get("idempotency_key") or False
            ).sudo()
            return {
                "status": 201 if event._live_is_new() else 200,
                "event": event._live_format_posted(),
            }
        room = self._batch_target(rooms, item["room_id"])
        message = room._post_message(
            item["body"],
            client_id=item.get("client_id") or False,
            payload=item.get("payload"),
            author_app=author_app,
            mention_ids=item.get("mentions"),
            attachment_ids=item.get("attachment_ids"),
        )
        return {
            "status": 201 if message._live_is_new() else 200,
            "message": message._live_format_posted(),
        }

    @api.model
    def _batch_target(self, targets, key):
        target = targets[key]
        if isinstance(target, tuple):
            exception, message = target
            raise exception(message)
        if target is None:
            # an unknown topic: an administrator's first publish creates it
            target = self.env["live.topic"]._find_or_create_for_publish(key)
            if not target:
                raise MissingError(_("There is no topic %s.", key))
        return target
