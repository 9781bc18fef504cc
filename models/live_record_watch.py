import json
import logging
import re
from collections import defaultdict

from psycopg2 import OperationalError

from odoo import SUPERUSER_ID, api, fields, models, tools
from odoo.tools import SQL, split_every

_logger = logging.getLogger(__name__)

# A web client sends a heartbeat every HEARTBEAT seconds while a live view is
# open; a watcher silent for WATCH_TTL seconds (closed tab, lost network) is
# ignored, and garbage-collected by the autovacuum.
HEARTBEAT = 60
WATCH_TTL = 180
# a tab has a handful of live views at most; this only bounds abuse
MAX_MODELS_PER_CALL = 20
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
PRECOMMIT_KEY = "live_messaging.records"
# topic events are stored and pushed by chunks, so a burst (an import) gives
# bus messages of a bounded size
EVENT_CHUNK = 100
MAGIC_FIELDS = frozenset(models.LOG_ACCESS_COLUMNS) | {"id", "display_name"}


class LiveRecordWatch(models.Model):
    """Who has a live view (list, kanban) of which model open right now.

    The web client registers each open view of a live model here, sends a
    heartbeat every minute and removes it when the view closes; a watcher whose
    heartbeat stopped (tab closed, laptop asleep) expires after a few minutes.

    This model is also the dispatcher of live record changes: the ``base`` hooks
    hand it the records created, updated or deleted in the transaction
    (``_live_collect``); one precommit callback per transaction then pushes ids
    to the watchers allowed to read them, and publishes events on the topic named
    after the model when it has subscribers. When nobody watches and nobody is
    subscribed, nothing is collected at all (``_live_listened_models``)."""

    _name = "live.record.watch"
    _description = "Live Messaging Screen Watcher"
    _log_access = False
    _rec_name = "res_model"

    user_id = fields.Many2one(
        "res.users", required=True, ondelete="cascade", index=True, readonly=True
    )
    res_model = fields.Char("Model", required=True, index=True, readonly=True)
    token = fields.Char(
        required=True, readonly=True, help="Random id of the browser tab."
    )
    company_ids = fields.Json(
        "Companies",
        readonly=True,
        help="Ids of the companies active in the tab: changes of other companies' "
        "records do not reload the view.",
    )
    heartbeat = fields.Datetime(required=True, index=True, readonly=True)

    _sql_constraints = [
        (
            "user_token_model_unique",
            "UNIQUE(user_id, token, res_model)",
            "A tab watches a model once.",
        ),
    ]

    # ------------------------------------------------------------------
    # Web client API
    # ------------------------------------------------------------------

    @api.model
    def live_watch(self, model_names, token):
        """Register (or keep alive) the current user's open live views of
        ``model_names`` in the browser tab ``token``. Called when a view opens
        and then every ``heartbeat`` seconds.

        Returns ``{"models": [...], "heartbeat": seconds}``: the models that are
        actually live for the user (a live model they may read); the client
        stops asking for the others."""
        token = self._check_token(token)
        user = self.env.user
        if not isinstance(model_names, list | tuple) or not user._is_internal():
            return {"models": [], "heartbeat": HEARTBEAT}
        accepted = [
            name
            for name in dict.fromkeys(model_names[:MAX_MODELS_PER_CALL])
            if isinstance(name, str) and self._is_live_for_user(name)
        ]
        if accepted:
            # models nobody watched until now: every process must start
            # collecting their changes (see _live_listened_models)
            self.env.cr.execute(
                SQL(
                    "SELECT DISTINCT res_model FROM live_record_watch"
                    " WHERE res_model = ANY(%s::varchar[])",
                    accepted,
                )
            )
            first_watch = set(accepted) - {row[0] for row in self.env.cr.fetchall()}
            companies = json.dumps(sorted(self.env.companies.ids))
            self.env.cr.execute(
                SQL(
                    """
                    INSERT INTO live_record_watch
                        (user_id, token, res_model, company_ids, heartbeat)
                    SELECT %(uid)s, %(token)s, name, %(companies)s::jsonb,
                           NOW() AT TIME ZONE 'UTC'
                      FROM unnest(%(names)s::varchar[]) AS name
                    ON CONFLICT (user_id, token, res_model) DO UPDATE
                       SET heartbeat = EXCLUDED.heartbeat,
                           company_ids = EXCLUDED.company_ids
                    """,
                    uid=user.id,
                    token=token,
                    companies=companies,
                    names=accepted,
                )
            )
            self.invalidate_model()
            if first_watch:
                self.env.registry.clear_cache()
        return {"models": accepted, "heartbeat": HEARTBEAT}

    @api.model
    def live_unwatch(self, model_names, token):
        """Forget the current user's live views of ``model_names`` in tab
        ``token`` (the view closed)."""
        token = self._check_token(token)
        if isinstance(model_names, list | tuple) and model_names:
            self.env.cr.execute(
                SQL(
                    "DELETE FROM live_record_watch WHERE user_id = %s AND token = %s"
                    " AND res_model = ANY(%s::varchar[])",
                    self.env.uid,
                    token,
                    [name for name in model_names if isinstance(name, str)],
                )
            )
            self.invalidate_model()
        return True

    @api.model
    def _check_token(self, token):
        if not isinstance(token, str) or not TOKEN_RE.match(token):
            raise ValueError("invalid live view token")
        return token

    @api.model
    def _is_live_for_user(self, model_name):
        Model = self.env.get(model_name)
        return (
            Model is not None
            and Model._live_records
            and not Model._abstract
            and not Model._transient
            and Model.has_access("read")
        )

    @api.autovacuum
    def _gc_expired_watchers(self):
        self.env.cr.execute(
            SQL(
                "DELETE FROM live_record_watch WHERE heartbeat < "
                "NOW() AT TIME ZONE 'UTC' - make_interval(secs => %s)",
                WATCH_TTL,
            )
        )
        if self.env.cr.rowcount:
            self.invalidate_model()
            # models nobody watches any more: their writes stop collecting
            self.env.registry.clear_cache()

    # ------------------------------------------------------------------
    # Who listens
    # ------------------------------------------------------------------

    @api.model
    @tools.ormcache()
    def _live_listened_models(self):
        """The models somebody may listen to: with a registered watcher (even an
        expired one, until garbage-collected) or with a subscribed record topic
        named after them. Cached in every process; the cache is cleared when a
        model gets its first watcher or a record topic its subscribers (see
        ``live_watch``, ``live.topic.subscription``), so the write path of an
        unwatched model costs a set lookup and no query."""
        self.env.cr.execute(
            SQL(
                """
                SELECT res_model FROM live_record_watch
                 UNION
                SELECT topic.res_model
                  FROM live_topic topic
                 WHERE topic.active
                   AND topic.res_model = topic.name
                   AND EXISTS (SELECT 1 FROM live_topic_subscription sub
                                WHERE sub.topic_id = topic.id)
                """
            )
        )
        return frozenset(row[0] for row in self.env.cr.fetchall())

    @api.model
    def _live_watchers(self, model_names):
        """``{model: {user_id: company ids}}`` of the fresh watchers of
        ``model_names`` who are active users; the companies of one user's tabs
        are merged, then restricted to the companies the user still has."""
        self.env.cr.execute(
            SQL(
                """
                SELECT watch.res_model, watch.user_id, watch.company_ids
                  FROM live_record_watch watch
                  JOIN res_users users ON users.id = watch.user_id
                 WHERE watch.res_model = ANY(%s::varchar[])
                   AND watch.heartbeat >
                       NOW() AT TIME ZONE 'UTC' - make_interval(secs => %s)
                   AND users.active
                """,
                list(model_names),
                WATCH_TTL,
            )
        )
        watchers = defaultdict(lambda: defaultdict(set))
        for model_name, user_id, company_ids in self.env.cr.fetchall():
            watchers[model_name][user_id].update(company_ids or [])
        Users = self.env["res.users"]
        for users in watchers.values():
            for user_id, company_ids in users.items():
                allowed = set(Users.browse(user_id)._get_company_ids())
                users[user_id] = sorted((company_ids & allowed) or allowed)
        return watchers

    @api.model
    def _live_topic(self, model_name):
        """The record topic named after ``model_name`` if it has subscribers."""
        # sudo: live.topic - events are filtered per subscriber when pushed
        topic = (
            self.env["live.topic"]
            .sudo()
            .search(
                [("name", "=", model_name), ("res_model", "=", model_name)], limit=1
            )
        )
        return topic if topic.subscription_ids else topic.browse()

    def _user_env(self, user_id, company_ids=None):
        context = {"allowed_company_ids": company_ids} if company_ids else {}
        return self.env(user=user_id, su=False, context=context)

    # ------------------------------------------------------------------
    # Collecting changes (called by the base hooks)
    # ------------------------------------------------------------------

    @api.model
    def _live_collect(self, records, operation, vals_list=None):
        """Note that ``records`` (of a live model) were created, updated (with
        ``vals_list``, the columns written per record) or deleted in this
        transaction; they are pushed once, just before the commit. Deleted
        records are noted before the deletion: who may read them, and their topic
        event, are computed here."""
        if records._name not in self._live_listened_models():
            return
        uid = records.env.uid
        if operation == "created":
            changes = self._live_pending(records._name)
            for record_id in records._ids:
                changes["created"][record_id] = uid
        elif operation == "updated":
            ignored = MAGIC_FIELDS | records._live_ignored_fields
            written = [
                (record_id, vals.keys() - ignored)
                for record_id, vals in zip(records._ids, vals_list, strict=True)
            ]
            if not any(fnames for _record_id, fnames in written):
                return
            changes = self._live_pending(records._name)
            for record_id, fnames in written:
                if fnames:
                    changes["updated"].setdefault(record_id, set()).update(fnames)
                    changes["authors"][record_id] = uid
        elif operation == "deleted":
            changes = self._live_pending(records._name)
            # created and deleted in one transaction: nobody ever saw it; the
            # others existed before and their readers must be told
            known = records.browse(
                [rid for rid in records._ids if rid not in changes["created"]]
            )
            for record_id in records._ids:
                changes["created"].pop(record_id, None)
                changes["updated"].pop(record_id, None)
            if known:
                changes["deleted"].update(self._live_deletion_notes(known, uid))

    def _live_pending(self, model_name):
        data = self.env.cr.precommit.data
        pending = data.get(PRECOMMIT_KEY)
        if pending is None:
            pending = data[PRECOMMIT_KEY] = {}
            self.env.cr.precommit.add(self._live_flush)
        return pending.setdefault(
            model_name, {"created": {}, "updated": {}, "authors": {}, "deleted": {}}
        )

    def _live_deletion_notes(self, records, uid):
        """``{id: {"readers": {user ids}, "subscribers": {user ids}, "event"}}``
        for records about to be deleted: the watchers and the topic subscribers
        who may read each of them now, and the topic event describing it."""
        # sudo: any model - reads the records for the event; what each user may
        # read is checked with their own environment below
        env = self.env(user=SUPERUSER_ID, su=True, context={})
        records = records.with_env(env).exists()
        notes = {
            record_id: {
                "readers": set(),
                "subscribers": set(),
                "event": None,
                "author": uid,
            }
            for record_id in records._ids
        }
        watchers = self.with_env(env)._live_watchers([records._name])
        for user_id, company_ids in watchers.get(records._name, {}).items():
            visible = records.with_env(self._user_env(user_id, company_ids))
            for record_id in visible._filtered_access("read")._ids:
                notes[record_id]["readers"].add(user_id)
        topic = self.with_env(env)._live_topic(records._name)
        if topic:
            for subscription in topic.subscription_ids:
                user = subscription.user_id
                if not topic._can_subscribe(user):
                    continue
                visible = records.with_env(self._user_env(user.id))
                for record_id in visible._filtered_access("read")._ids:
                    notes[record_id]["subscribers"].add(user.id)
            for record in records:
                notes[record.id]["event"] = record._live_event("deleted")
        return notes

    # ------------------------------------------------------------------
    # Pushing (precommit)
    # ------------------------------------------------------------------

    def _live_flush(self):
        """Precommit callback: push what the transaction changed. A failure here
        must not lose the business change being committed, so it is logged and
        its effects are rolled back; concurrency errors are raised so that the
        request is retried as a whole."""
        # sudo: any model - whoever made the change, the push is computed for
        # each watcher and subscriber with their own rights (_user_env)
        env = self.env(user=SUPERUSER_ID, su=True, context={})
        # what is still to flush belongs to this push (a commit flushes before
        # the precommit hooks; tests and other hooks may not)
        env.flush_all()
        pending = self.env.cr.precommit.data.pop(PRECOMMIT_KEY, None)
        if not pending:
            return
        try:
            # a plain savepoint: a flushing one would run the precommit hooks
            # again from inside this one
            with env.cr.savepoint(flush=False):
                self.with_env(env)._live_dispatch(pending)
                env.flush_all()
        except OperationalError:
            raise
        except Exception:
            env.transaction.clear()
            _logger.exception("Live Messaging could not push the record changes")

    def _live_dispatch(self, pending):
        watchers = self._live_watchers([name for name in pending if name in self.env])
        for model_name, changes in pending.items():
            Model = self.env.get(model_name)
            if Model is None:
                continue
            deleted = changes["deleted"]
            # an unlink rolled back to a savepoint left the record alive
            for record_id in Model.browse(list(deleted)).exists()._ids:
                deleted.pop(record_id)
            existing = set(
                Model.browse(list(changes["created"]) + list(changes["updated"]))
                .exists()
                ._ids
            )
            created = [rid for rid in changes["created"] if rid in existing]
            updated = [
                rid
                for rid in changes["updated"]
                if rid in existing and rid not in changes["created"]
            ]
            if model_name in watchers:
                self._live_push_records(
                    Model, watchers[model_name], created, updated, deleted
                )
            topic = self._live_topic(model_name)
            if topic:
                self._live_publish_events(topic, Model, created, updated, changes)

    def _live_push_records(self, Model, watchers, created, updated, deleted):
        """One ``live_messaging/records`` notification per watcher, with only
        the ids that watcher may read (record rules, companies)."""
        Users = self.env["res.users"]
        records = Model.browse(created + updated)
        for user_id, company_ids in watchers.items():
            visible = set(
                records.with_env(self._user_env(user_id, company_ids))
                ._filtered_access("read")
                ._ids
            )
            payload = {
                "model": Model._name,
                "created": sorted(rid for rid in created if rid in visible),
                "updated": sorted(rid for rid in updated if rid in visible),
                "deleted": sorted(
                    rid for rid, note in deleted.items() if user_id in note["readers"]
                ),
            }
            if payload["created"] or payload["updated"] or payload["deleted"]:
                Users.browse(user_id)._bus_send("live_messaging/records", payload)

    def _live_publish_events(self, topic, Model, created, updated, changes):
        """Events on the record topic: one per created, updated or deleted
        record, stored with their sequence numbers and pushed by
        ``live.topic._store_events`` to the subscribers who may read the record
        (for deleted ones: who could read it, kept in a tombstone)."""
        deleted = changes["deleted"]
        tombstones = [
            {
                "res_model": Model._name,
                "res_id": record_id,
                "user_ids": [(6, 0, sorted(note["subscribers"]))],
            }
            for record_id, note in deleted.items()
            if note["subscribers"]
        ]
        if tombstones:
            self.env["live.record.tombstone"].create(tombstones)
        Users = self.env["res.users"]
        values_list = []
        for record in Model.browse(created):
            author = changes["created"][record.id]
            values_list.append((record._live_event("created"), record.id, author))
        for record in Model.browse(updated):
            fnames = changes["updated"][record.id]
            author = changes["authors"].get(record.id)
            values_list.append(
                (record._live_event("updated", fnames), record.id, author)
            )
        for record_id, note in deleted.items():
            if note["event"]:
                values_list.append((note["event"], record_id, note["author"]))
        for chunk in split_every(EVENT_CHUNK, values_list):
            topic._store_events(
                [
                    {
                        "payload": event,
                        "res_id": record_id,
                        "author_id": author,
                        "author_name": Users.browse(author).name if author else False,
                    }
                    for event, record_id, author in chunk
                ]
            )
