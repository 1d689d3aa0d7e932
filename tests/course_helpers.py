"""A course row made directly (`make_course`), shared by the clinic, photo and browser tests."""

import datetime as dt
from typing import Any

from django.utils import timezone

from needlepoint.clinic.models import Course, Intake, Screening


def make_course(
    personas: Any,
    patient: Any = None,
    *,
    status: str = "approved",
    goal: str = "acne_scars",
    plan: dict[str, Any] | None = None,
    start_date: dt.date = dt.date(2026, 12, 1),
    approved_at: dt.datetime | None = None,
    assessment: Any = None,
) -> Course:
    """A course row made directly, on an eligible screening of a new intake (the consultation
    services that propose and approve a course are not what these tests are about): patient A's
    unless `patient` is given, proposed by the practitioner and, past draft, approved by the
    medical director at `approved_at` (now when not given)."""
    patient = patient or personas.record_a
    number = Intake.objects.filter(patient=patient).count() + 1
    intake = Intake.objects.create(
        patient=patient, number=number, data={"schema": "needlepoint.intake/1"}, source="consultation"
    )
    screening = Screening.objects.create(
        patient=patient,
        intake=intake,
        decision="eligible",
        result={},
        protocol_id="default",
        protocol_version="1",
    )
    approved = status != "draft"
    return Course.objects.create(
        patient=patient,
        screening=screening,
        status=status,
        goal=goal,
        plan=plan or {},
        start_date=start_date,
        protocol_id="default",
        protocol_version="1",
        created_by=personas.practitioner,
        assessment=assessment,
        approved_at=(approved_at or timezone.now()) if approved else None,
        approved_by=personas.director if approved else None,
    )
