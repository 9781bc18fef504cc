import hashlib
from datetime import datetime

from odoo import api, models, tools
from odoo.tools import SQL

from odoo.addons.base.models.res_users import INDEX_SIZE, KEY_CRYPT_CONTEXT

from ..bus import control


class _KeyRefused(Exception):
    """Raised inside the cached check so that a refusal is never cached."""


class ResUsersApikeys(models.Model):
    _inherit = "res.users.apikeys"

    def _live_valid_key_sql(self, where):
        # the rules of Odoo's own check: a global (or "rpc") key, not expired,
        # of an active user
        return SQL(
            """
            SELECT k.id, k.user_id, k.name, k.key, k.scope, k.expiration_date
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
        ``rpc``, not expired, of an active user), ``None`` otherwise.

        A successful check is cached per process (``_live_api_key_info``):
        pbkdf2 costs milliseconds, too much for every API request. The
        expiration date is checked at each use; everything else that revokes
        a key clears Odoo's ``default`` ormcache, which every other process
        clears too at its next request (registry signalling): removing a key
        (``unlink`` below), archiving, deleting or changing the groups or the
        password of a user (``res.users.write``/``unlink`` in Odoo)."""
        if not isinstance(key, str) or len(key) <= INDEX_SIZE or len(key) > 512:
            return None
        # the cache is keyed by a digest, never by the key itself
        digest = hashlib.sha256(key.encode()).hexdigest()
        try:
            key_id, user_id, name, _scope, expiration = self._live_api_key_info(
                digest, key
            )
        except _KeyRefused:
            return None
        if expiration and expiration < datetime.utcnow():
            return None
        return {"id": key_id, "user_id": user_id, "name": name}

    @tools.ormcache("digest")
    def _live_api_key_info(self, digest, key):
        """``(key id, user id, name, scope, expiration date)`` of the valid
        key ``key`` (whose sha256 is ``digest``, the cache's key); raises
        ``_KeyRefused`` otherwise, so that refusals are never cached."""
        self.env.cr.execute(
            self._live_valid_key_sql(SQL("k.index = %s", key[:INDEX_SIZE]))
        )
        for key_id, user_id, name, stored, scope, expiration in self.env.cr.fetchall():
            if KEY_CRYPT_CONTEXT.verify(key, stored):
                return key_id, user_id, name, scope, expiration
        raise _KeyRefused()

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
        self.env.cr.execute(self._live_valid_key_sql(SQL("k.id IN %s", tuple(key_ids))))
        # rows: id, user id, name, key hash, scope, expiration date
        return {row[0]: (row[1], row[5]) for row in self.env.cr.fetchall()}

    def unlink(self):
        # the sockets opened with these keys close at once, in every process
        # sudo: res.users.apikeys - whose keys they are, to check their sockets
        control.notify(self.env, validity=self.sudo().user_id.ids)
        res = super().unlink()
        # the checks cached by _live_api_key_info, in every process: only
        # Odoo's "default" cache is signalled across processes (a removal is
        # rare; Odoo clears the same cache when a user's rights change)
        self.env.registry.clear_cache()
        return res
