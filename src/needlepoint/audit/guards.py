"""Database triggers that refuse what must never happen, for SQLite and PostgreSQL.

INSERTs, UPDATEs and DELETEs are refused alike on both databases. Emptying the whole database
on purpose (`django-admin flush`, the test runner between transactional tests) still works:
PostgreSQL does it with TRUNCATE, which row triggers do not see, and on SQLite the project's
backend (`needlepoint.web.sqlite_backend`) sets the DELETE triggers aside for the flush alone.

On SQLite a trigger is created only if none of its name exists, so a migration can install a
guard an earlier migration may already have installed (audit 0003 adds the DELETE triggers
that migrations before it left out on SQLite)."""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


@dataclass(frozen=True)
class Guard:
    name: str
    table: str
    event: str  # INSERT | UPDATE | DELETE
    when: str  # SQL condition on OLD/NEW rows ("" = always)
    message: str


def _sqlite(g: Guard) -> tuple[str, str]:
    when = f"WHEN {g.when}" if g.when else ""
    create = (
        f"CREATE TRIGGER IF NOT EXISTS {g.name} BEFORE {g.event} ON {g.table} FOR EACH ROW {when} "
        f"BEGIN SELECT RAISE(ABORT, '{g.message}'); END;"
    )
    return create, f"DROP TRIGGER IF EXISTS {g.name};"


def _postgres(g: Guard) -> tuple[str, str]:
    # PostgreSQL allows no subquery in a trigger's WHEN, so the condition lives in the function.
    fn = f"{g.name}_fn"
    row = "OLD" if g.event == "DELETE" else "NEW"
    create = (
        f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN IF {g.when or 'TRUE'} THEN RAISE EXCEPTION '{g.message}' "
        f"USING ERRCODE = 'integrity_constraint_violation'; END IF; RETURN {row}; END $$; "
        f"CREATE TRIGGER {g.name} BEFORE {g.event} ON {g.table} FOR EACH ROW "
        f"EXECUTE FUNCTION {fn}();"
    )
    return create, f"DROP TRIGGER IF EXISTS {g.name} ON {g.table}; DROP FUNCTION IF EXISTS {fn}();"


def _statements(vendor: str, guards: list[Guard], *, forward: bool) -> list[str]:
    make = _sqlite if vendor == "sqlite" else _postgres
    return [make(g)[0 if forward else 1] for g in guards]


type Migrate = Callable[[StateApps, BaseDatabaseSchemaEditor], None]


def install(guards: list[Guard]) -> tuple[Migrate, Migrate]:
    """Return (forward, backward) functions for migrations.RunPython installing `guards`."""

    def forward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        for sql in _statements(schema_editor.connection.vendor, guards, forward=True):
            schema_editor.execute(sql)

    def backward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        for sql in _statements(schema_editor.connection.vendor, guards, forward=False):
            schema_editor.execute(sql)

    return forward, backward
