"""SQLite refuses DELETE on the append-only tables as PostgreSQL does: the audit trail, consents,
addenda and signed charts' rows. Until now their DELETE guards were installed on PostgreSQL
only; this installs the same guards (the lists of audit 0002 and clinic 0002) on SQLite. A
database created after this change already has them from those migrations (a guard is created
only where none of its name exists); PostgreSQL is left as it was."""

from importlib import import_module

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from needlepoint.audit.guards import Guard, install

DELETE_GUARDS: list[Guard] = [
    guard
    for module in (
        "needlepoint.audit.migrations.0002_append_only",
        "needlepoint.clinic.migrations.0002_immutable_records",
    )
    for guard in import_module(module).GUARDS
    if guard.event == "DELETE"
]
_forward, _backward = install(DELETE_GUARDS)


def forward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        _forward(apps, schema_editor)


def backward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        _backward(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only"), ("clinic", "0010_urgent_flags")]
    operations = [migrations.RunPython(forward, backward)]
