"""What the booking tests share: the clinic's zone, the frozen "now" of the service tests, intake
changes that move a screening, and an approved course built through the consultation services."""

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
ISOTRETINOIN = {"medications": [{"name": "isotretinoin", "status": "stopped", "last_taken": "2026-09-01"}]}
DIABETES = {"conditions": [{"code": "diabetes", "status": "controlled"}]}
BLEEDING = {"conditions": [{"code": "bleeding_disorder", "status": "active"}]}


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


def approved_course(personas: Any, intake: dict[str, Any], patient: Any, *, consent: bool = True) -> Any:
    """An approved course for `patient` (intake recorded, plan proposed from today and approved
    by the medical director), with the consent signed on the tablet when asked."""
    from django.utils import timezone

    from needlepoint.clinic.demo import signature_png
    from needlepoint.clinic.services.consent import consent_sign, ensure_default_consent_text
    from needlepoint.clinic.services.course_approval import course_approve
    from needlepoint.clinic.services.course_plan import course_propose
    from needlepoint.clinic.services.screening import intake_record

    intake_record(patient=patient, data=intake, actor=personas.practitioner)
    course = course_propose(patient=patient, actor=personas.practitioner, start_date=timezone.localdate())
    course = course_approve(course=course, actor=personas.director, expected_version=course.version)
    if consent:
        consent_sign(
            course=course,
            consent_text=ensure_default_consent_text(),
            typed_name=f"{patient.first_name} {patient.last_name}",
            signature_png=signature_png(patient.pk),
            channel="tablet",
            actor=personas.front_desk,
        )
    course.refresh_from_db()
    return course
