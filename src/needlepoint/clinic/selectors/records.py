"""What the consultation pages read of a patient (intakes, clearances, courses, the latest
assessment and screening), a course's consent, and which sessions are booked."""

from django.db.models import QuerySet

from needlepoint.bookings.models import Appointment
from needlepoint.clinic.models import (
    APPROVED_COURSE_STATUSES,
    VISIT_STATUSES,
    Assessment,
    Clearance,
    Consent,
    Course,
    Intake,
    Patient,
    Screening,
    TreatmentSession,
)
from needlepoint.clinic.services import Blocked


def patient_intakes(patient: Patient) -> QuerySet[Intake]:
    """Return the patient's intake versions, newest first."""
    return Intake.objects.filter(patient=patient).select_related("created_by").order_by("-number")


def patient_clearances(patient: Patient) -> QuerySet[Clearance]:
    """Return the patient's clearances (revoked ones too), newest first."""
    return (
        Clearance.objects.filter(patient=patient)
        .select_related("given_by", "revoked_by")
        .order_by("-given_at", "-id")
    )


def patient_courses(patient: Patient) -> QuerySet[Course]:
    """Return the patient's courses, newest first."""
    return (
        Course.objects.filter(patient=patient)
        .select_related("created_by", "approved_by")
        .order_by("-created_at", "-id")
    )


def latest_assessment(patient: Patient) -> Assessment | None:
    """Return the patient's latest skin and scar assessment, or None."""
    return (
        Assessment.objects.filter(patient=patient)
        .select_related("assessed_by")
        .order_by("-assessed_at", "-id")
        .first()
    )


def latest_screening_detail(patient: Patient) -> Screening | None:
    """Return the patient's latest screening with who made it and its intake, or None."""
    return (
        Screening.objects.filter(patient=patient)
        .select_related("created_by", "intake")
        .order_by("-created_at", "-id")
        .first()
    )


def consent_for_course(course: Course) -> Consent | None:
    """Return the course's most recent signed consent (to whichever text version), or None.
    A signature stays valid when a newer text version is published later (see
    `services.consent`)."""
    return (
        Consent.objects.filter(course=course)
        .select_related("consent_text")
        .order_by("-signed_at", "-id")
        .first()
    )


def course_can_start(course: Course) -> bool:
    """True when the course is approved or under way and the patient has signed consent."""
    return course.status in APPROVED_COURSE_STATUSES and consent_for_course(course) is not None


def require_consent(course: Course) -> Consent:
    """Return the course's signed consent; raise Blocked if there is none (no session may start
    without it)."""
    consent = consent_for_course(course)
    if consent is None:
        raise Blocked(
            "This course has no signed consent: the patient must sign the consent (in the "
            "portal or on the clinic's tablet) before the first session.",
            field="consent",
        )
    return consent


def booked_session_ids(sessions: QuerySet[TreatmentSession]) -> set[int]:
    """Return the ids of `sessions` that have an appointment on the calendar (one query)."""
    return set(
        Appointment.objects.filter(session__in=sessions, status__in=VISIT_STATUSES).values_list(
            "session_id", flat=True
        )
    )
