"""Django's SQLite backend, with one change: emptying the whole database (`django-admin flush`,
or the test runner between transactional tests) passes the triggers that refuse DELETE on the
append-only tables (`needlepoint.audit.guards`), while any other DELETE is still refused.

PostgreSQL empties tables with TRUNCATE, which row triggers do not see; SQLite has no TRUNCATE,
so Django's flush deletes every row. The flush here drops the DELETE triggers, deletes, and
creates the same triggers again (their SQL read from the database at the time), all in the
flush's one transaction: no moment exists where another connection could delete a guarded row."""

import re
from collections.abc import Sequence
from typing import Any

from django.db.backends.sqlite3 import base, operations

DELETE_TRIGGER = re.compile(r"\b(BEFORE|AFTER|INSTEAD\s+OF)\s+DELETE\b", re.IGNORECASE)


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(
        self, style: Any, tables: Sequence[str], *, reset_sequences: bool = False, allow_cascade: bool = False
    ) -> list[str]:
        deletes = super().sql_flush(
            style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        if not deletes:
            return deletes
        triggers = self.delete_triggers()
        drops = [f"DROP TRIGGER {self.quote_name(name)};" for name, _sql in triggers]
        return [*drops, *deletes, *(f"{sql};" for _name, sql in triggers)]

    def delete_triggers(self) -> list[tuple[str, str]]:
        """The database's DELETE triggers as (name, CREATE statement)."""
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
            rows = cursor.fetchall()
        return [(name, sql) for name, sql in rows if DELETE_TRIGGER.search(sql.split(" ON ", 1)[0])]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
