"""What the migration tests share: `migrate` to a state and get its historical models (the
classes of that moment, not today's), a fixture leaving the database at the latest state
(`back_to_the_latest`, used by importing it), and rows made through those models, here a
practitioner's active course for one patient."""

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


@pytest.fixture(autouse=True)
def back_to_the_latest() -> Any:
    """Leave the database migrated to the latest state, whatever happened."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def migrate(targets: list[tuple[str, str]]) -> Any:
    """Migrate to `targets` and return that state's historical models."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def historical_course(apps: Any, *, at: dt.datetime) -> tuple[Any, Any, Any]:
    """Return (practitioner, patient, course): an active course started and approved at `at`."""
    paula = apps.get_model("accounts", "User").objects.create(username="paula-m", role="practitioner")
    patient = apps.get_model("clinic", "Patient").objects.create(
        first_name="Anna", last_name="Old", birth_date=dt.date(1990, 1, 1)
    )
    intake = apps.get_model("clinic", "Intake").objects.create(
        patient=patient, number=1, source="consultation", data={}
    )
    screening = apps.get_model("clinic", "Screening").objects.create(
        patient=patient, intake=intake, decision="eligible", result={}, protocol_id="d", protocol_version="1"
    )
    course = apps.get_model("clinic", "Course").objects.create(
        patient=patient,
        screening=screening,
        status="active",
        goal="acne_scars",
        plan={},
        start_date=at.date(),
        protocol_id="d",
        protocol_version="1",
        created_by=paula,
        approved_at=at,
        approved_by=paula,
    )
    return paula, patient, course
