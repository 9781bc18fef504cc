"""Control notifications: changes that the dispatchers of every process and
node must apply to the sockets they hold, in the order of the bus stream.

A control notification is an ordinary ``bus.bus`` row on a channel that no
client can be given: ``[<db>, "live_messaging.control", 0]`` has the shape of
a record channel of a model that does not exist, so neither a client's string
channel (``[<db>, "<string>"]``) nor any ``_build_bus_channel_list`` yields it;
dispatchers intercept its rows and never deliver them, and the legacy path
(``bus.bus._poll``) leaves them out too. Its message is::

    {"type": "live_messaging/control",
     "payload": {"channels": [<uid>, ...], "validity": [<uid>, ...]}}

- ``channels``: these users' live channels changed (membership of a room, a
  topic subscription, an access list, their groups): their open sockets get
  their rooms and topics computed again, with the access rules of
  ``ir.websocket._live_channels``, before the rows after the control row are
  routed.
- ``validity``: these users' sessions or API keys may have been revoked
  (password or login changed, user archived, API key removed): their sockets'
  leases are checked again at once; the revoked ones close with 4001.

The row is put first among the transaction's bus rows, so that it has the
lowest id of them: the notifications of the same transaction ("Carol joined
the room.") are routed with the new subscriptions.

Logouts are not transactional (the logout route may run on a read-only
cursor): they are sent as a plain ``NOTIFY live_messaging_control`` with
``{"db": <db>, "sessions": [<sha256 of the session id>, ...]}``, which
dispatchers apply at once; the lease check (at most 5 seconds) is the
fallback when that NOTIFY is missed.
"""

import hashlib
import json

from odoo.addons.bus.models.bus import json_dump

from .notify import notifier

CONTROL_MODEL = "live_messaging.control"
CONTROL_TYPE = "live_messaging/control"
NOTIFY_CHANNEL = "live_messaging_control"
_PRECOMMIT_KEY = "live_messaging.control"


def control_target(dbname):
    return (dbname, CONTROL_MODEL, 0)


def control_channel(dbname):
    """The control channel as stored in ``bus.bus.channel``."""
    return json_dump(control_target(dbname))


def sid_hash(sid):
    return hashlib.sha256(sid.encode()).hexdigest()


def notify(env, *, channels=(), validity=()):
    """Queue a control notification in ``env``'s transaction: the open
    sockets of the users ``channels`` get their live channels again, those of
    the users ``validity`` have their session or key checked again. Sent at
    commit with the transaction's other bus rows, first among them; nothing
    is sent on rollback."""
    channels, validity = set(channels) - {False}, set(validity) - {False}
    if not channels and not validity:
        return
    cr = env.cr
    # sudo: bus.bus - the bus's own queue of rows, created in sudo at commit
    env["bus.bus"].sudo()._ensure_hooks()
    values = cr.precommit.data["bus.bus.values"]
    entry = cr.precommit.data.get(_PRECOMMIT_KEY)
    if entry is None or not any(value is entry["value"] for value in values):
        # the first control of this batch of rows
        entry = {
            "channels": set(),
            "validity": set(),
            "value": {"channel": control_channel(cr.dbname), "message": ""},
        }
        values.insert(0, entry["value"])
        cr.precommit.data[_PRECOMMIT_KEY] = entry
        cr.postcommit.data["bus.bus.channels"].add(control_target(cr.dbname))
    entry["channels"] |= channels
    entry["validity"] |= validity
    entry["value"]["message"] = json_dump(
        {
            "type": CONTROL_TYPE,
            "payload": {
                "channels": sorted(entry["channels"]),
                "validity": sorted(entry["validity"]),
            },
        }
    )


def notify_logout(dbname, sid):
    """Tell every dispatcher that the session ``sid`` logged out (its sockets
    close at once). A plain NOTIFY: logouts do not write to the database."""
    payload = json.dumps({"db": dbname, "sessions": [sid_hash(sid)]})
    # if it fails, the lease check closes those sockets within seconds
    notifier.notify(NOTIFY_CHANNEL, [payload])
