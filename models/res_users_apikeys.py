import hashlib
import threading
from collections import OrderedDict

from odoo import api, models
from odoo.tools import SQL

from odoo.addons.base.models.res_users import INDEX_SIZE, KEY_CRYPT_CONTEXT

from ..bus import control

# sha256(key) -> (key id, stored pbkdf2 hash), per database. pbkdf2 costs a few
# milliseconds per check, too much for every API request and websocket
# message; the cache only spares the hash: each use still reads the key's row.
_VERIFIED_KEYS = OrderedDict()
_VERIFIED_KEYS_MAX = 4096
_VERIFIED_KEYS_LOCK = threading.Lock()


class ResUsersApikeys(models.Model):
    _inherit = "res.users.apikeys"

    def _live_valid_key_sql(self, where):
        # the rules of Odoo's own check: a global (or "rpc") key, not expired,
        # of an active user
        return SQL(
            """
            SELECT k.id, k.user_id, k.name, k.key
              FROM res_users_apikeys k
              JOIN res_users u ON u.id = k.user_id
             WHERE u.active
               AND (k.scope IS NULL OR k.scope = 'rpc')
               AND (k.expiration_date IS NULL
                    OR k.expiration_date >= now() AT TIME ZONE 'utc')
               AND %s
            """,
            where,
        )

    @api.model
    def _live_check_api_key(self, key):
        """Identify an API key sent by an external app.

        Returns ``{"id", "user_id", "name"}`` for a valid key (scope NULL or
        ``rpc``, not expired, of an active user), ``None`` otherwise. A key
        seen before is not hashed again, but its row is read every time, so a
        removed or expired key, or a deactivated user, is refused at once."""
        if not isinstance(key, str) or len(key) <= INDEX_SIZE or len(key) > 512:
            return None
        digest = hashlib.sha256(key.encode()).hexdigest()
        cache_key = (self.env.cr.dbname, digest)
        with _VERIFIED_KEYS_LOCK:
            cached = _VERIFIED_KEYS.get(cache_key)
        if cached:
            key_id, stored = cached
            self.env.cr.execute(self._live_valid_key_sql(SQL("k.id = %s", key_id)))
            row = self.env.cr.fetchone()
            if row and row[3] == stored:
                with _VERIFIED_KEYS_LOCK:
                    _VERIFIED_KEYS.move_to_end(cache_key)
                return {"id": row[0], "user_id": row[1], "name": row[2]}
            with _VERIFIED_KEYS_LOCK:
                _VERIFIED_KEYS.pop(cache_key, None)
            return None
        self.env.cr.execute(
            self._live_valid_key_sql(SQL("k.index = %s", key[:INDEX_SIZE]))
        )
        for key_id, user_id, name, stored in self.env.cr.fetchall():
            if KEY_CRYPT_CONTEXT.verify(key, stored):
                with _VERIFIED_KEYS_LOCK:
                    _VERIFIED_KEYS[cache_key] = (key_id, stored)
                    while len(_VERIFIED_KEYS) > _VERIFIED_KEYS_MAX:
                        _VERIFIED_KEYS.popitem(last=False)
                return {"id": key_id, "user_id": user_id, "name": name}
        return None

    @api.model
    def _live_key_is_valid(self, key_id, user_id):
        """Whether the key ``key_id`` of ``user_id`` may still be used: one
        cheap query, for sessions opened with a key (app websockets)."""
        self.env.cr.execute(
            self._live_valid_key_sql(
                SQL("k.id = %s AND k.user_id = %s", key_id, user_id)
            )
        )
        return bool(self.env.cr.fetchone())

    @api.model
    def _live_valid_keys(self, key_ids):
        """Which of ``key_ids`` may still be used, in one query, for the
        dispatcher's leases of app websockets: ``{key id: (user id,
        expiration date or None)}``."""
        if not key_ids:
            return {}
        self.env.cr.execute(
            SQL(
                """
                SELECT k.id, k.user_id, k.expiration_date
                  FROM res_users_apikeys k
                  JOIN res_users u ON u.id = k.user_id
                 WHERE u.active
                   AND (k.scope IS NULL OR k.scope = 'rpc')
                   AND (k.expiration_date IS NULL
                        OR k.expiration_date >= now() AT TIME ZONE 'utc')
                   AND k.id IN %s
                """,
                tuple(key_ids),
            )
        )
        return {row[0]: (row[1], row[2]) for row in self.env.cr.fetchall()}

    def unlink(self):
        # the sockets opened with these keys close at once, in every process
        # sudo: res.users.apikeys - whose keys they are, to check their sockets
        control.notify(self.env, validity=self.sudo().user_id.ids)
        return super().unlink()
