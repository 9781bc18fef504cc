from odoo import models


class LiveRecordMixin(models.AbstractModel):
    """Makes a model's list and kanban views live.

    Inherit it (``_name = "purchase.order"`` and ``_inherit = ["purchase.order",
    "live.record.mixin"]``) and every change of the model's records (created,
    updated, deleted; by the UI, RPC, REST, a cron or a recompute) is pushed
    once per transaction to the users who have a list or kanban view of the
    model open and may read the records; their views refresh themselves.
    Changes are also published on the topic named after the model
    (``purchase.order``) when it exists and has subscribers.

    No JavaScript is needed per model. Models can also be made live without
    code, in Settings (Live Messaging > Administration > Live Screens).

    Override points, on the model:

    - ``_live_event(operation, changed)``: the topic event payload;
    - ``_live_ignored_fields``: columns whose change alone pushes nothing.
    """

    _name = "live.record.mixin"
    _description = "Live Messaging Live Screens Mixin"

    _live_records = True
