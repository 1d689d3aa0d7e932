"""No resource is held twice at once.

PostgreSQL: an exclusion constraint over (resource, [starts_at, ends_at)) for active holds, so
of two transactions racing for one slot exactly one commits. SQLite: triggers refuse an insert
or update that would overlap another active hold of the same resource; writes are serialised
(IMMEDIATE transactions), so the check and the write cannot interleave."""

from django.db import migrations

PG_FORWARD = """
ALTER TABLE bookings_hold ADD CONSTRAINT hold_no_overlap EXCLUDE USING gist (
    resource WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&
) WHERE (active);
"""
PG_BACKWARD = "ALTER TABLE bookings_hold DROP CONSTRAINT IF EXISTS hold_no_overlap;"

SQLITE_CLASH = """
SELECT RAISE(ABORT, 'hold_no_overlap: this resource is already booked at that time')
WHERE NEW.active AND EXISTS (
    SELECT 1 FROM bookings_hold h
    WHERE h.resource = NEW.resource AND h.active AND h.id != NEW.id
      AND h.starts_at < NEW.ends_at AND NEW.starts_at < h.ends_at);
"""
SQLITE_FORWARD = [
    f"CREATE TRIGGER hold_no_overlap_insert BEFORE INSERT ON bookings_hold FOR EACH ROW "
    f"BEGIN {SQLITE_CLASH} END;",
    f"CREATE TRIGGER hold_no_overlap_update BEFORE UPDATE OF resource, starts_at, ends_at, active "
    f"ON bookings_hold FOR EACH ROW BEGIN {SQLITE_CLASH} END;",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS hold_no_overlap_insert;",
    "DROP TRIGGER IF EXISTS hold_no_overlap_update;",
]


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    for sql in [PG_FORWARD] if vendor == "postgresql" else SQLITE_FORWARD if vendor == "sqlite" else []:
        schema_editor.execute(sql)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    for sql in [PG_BACKWARD] if vendor == "postgresql" else SQLITE_BACKWARD if vendor == "sqlite" else []:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("bookings", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
