"""What the migration tests share: rows made through a migration state's historical models (the
classes of that moment, not today's), here a practitioner's active course for one patient."""

import datetime as dt
from typing import Any


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
