"""18.0.1.1.0: message bodies follow one contract, the text as typed with
``&``, ``<`` and ``>`` escaped as entities (utils/text.py). Bodies stored
before were plain text (markup stripped, those characters left as they were):
escape them once, so that every client shows them as they were stored."""

from odoo.tools import SQL

ESCAPED = "replace(replace(replace({0}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')"


def migrate(cr, version):
    if not version:
        return
    for table, column in (
        ("live_message", "body"),
        ("live_support_session", "first_message"),
    ):
        cr.execute(
            SQL(
                "UPDATE %s SET %s = " + ESCAPED.format("%s") + " WHERE %s ~ '[&<>]'",
                SQL.identifier(table),
                SQL.identifier(column),
                SQL.identifier(column),
                SQL.identifier(column),
            )
        )
