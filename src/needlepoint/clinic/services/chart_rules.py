"""When a session may be re-screened, charted and signed: the day of its booked visit (in the
clinic's zone; before it nothing is written, after it an entry is marked late), its course
approved or under way, the chart not signed or cancelled nor changed since it was opened, and
the safety gate's answer on the day-of re-screen. Every charting service asks here."""

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from needlepoint.bookings.models import Appointment
from needlepoint.clinic.models import (
    APPROVED_COURSE_STATUSES,
    Course,
    Screening,
    SessionStatus,
    TreatmentSession,
)
from needlepoint.clinic.services import Blocked, ServiceError, StaleEdit, clinic_today, gate
from needlepoint.clinical.gate import Facts, blockers
from needlepoint.words import human_when

if TYPE_CHECKING:
    from needlepoint.accounts.models import User


def booked_appointment(session: TreatmentSession) -> Appointment | None:
    """Return the session's visit: its appointment while booked, arrived or attended (None when
    it has none, or it was cancelled or missed)."""
    visit: Appointment | None = session.visit
    return visit


def visit_day(session: TreatmentSession) -> dt.date | None:
    """Return the day of the session's visit (its booked appointment's date in the clinic's
    zone), or None when it is not booked."""
    appointment = booked_appointment(session)
    return timezone.localdate(appointment.starts_at) if appointment else None


def require_on_the_day(session: TreatmentSession, today: dt.date) -> dt.date:
    """Return the day of the session's visit; raise Blocked when the session is not booked or
    its day has not come. A day that has passed is allowed (a late entry, marked as such)."""
    day = visit_day(session)
    if day is None:
        raise Blocked(
            f"Session {session.number} has no booked appointment: book it first. A "
            "session is re-screened, charted and signed on the day of its appointment.",
            field="appointment",
        )
    # The safety gate's rule for the visit's day alone (no screening judged here).
    not_due = blockers(gate.Step.TREAT, today, Facts(due=day, session=session.number))
    gate.refuse(not_due, gate.Audience.CLINICAL, field="appointment")
    return day


def day_refusal(session: TreatmentSession) -> ServiceError | None:
    """Return why `session` cannot be re-screened or charted today because of its day (not
    booked, or not due yet), or None."""
    try:
        require_on_the_day(session, clinic_today())
    except ServiceError as exc:
        return exc
    return None


def late_entry(session: TreatmentSession, day: dt.date, today: dt.date, actor: "User") -> dict[str, Any]:
    """Return the fields marking the chart "entered late" (when, by whom) the first time it is
    written after the day of its visit; nothing on the day itself or once marked."""
    if today <= day or session.entered_late_at is not None:
        return {}
    return {"entered_late_at": timezone.now(), "entered_late_by": actor}


def block_reasons(screening: Screening | None) -> list[str]:
    """Return, in clinical staff's words, why the safety gate will not let `screening` (a
    day-of re-screen) be treated on (empty when it does): contraindicated, deferred or waiting
    on a clearance, each with its findings' messages."""
    if screening is None:
        return []
    facts = Facts(**gate.screening_facts(screening), cleared=frozenset(screening.cleared_codes))
    found = blockers(gate.Step.TREAT, timezone.localdate(screening.created_at), facts)
    return gate.words(found, gate.Audience.CLINICAL)


def require_started(session: TreatmentSession) -> None:
    """Refuse to sign a session as done before its appointment has begun."""
    appointment = booked_appointment(session)
    if appointment is not None and timezone.now() < appointment.starts_at:
        at = timezone.localtime(appointment.starts_at)
        raise Blocked(
            f"Session {session.number}'s appointment starts at {at:%H:%M}: sign the "
            "chart once the treatment has been given, not before.",
            field="appointment",
        )


def refuse_if_closed(session: TreatmentSession) -> None:
    """Refuse any change to a signed chart (an addendum is the way) or a cancelled session."""
    if session.status == SessionStatus.SIGNED:
        when = (
            f" on {human_when(session.signed_at, timezone.get_current_timezone())}"
            if session.signed_at
            else ""
        )
        raise ServiceError(
            f"This chart was signed{when} and can no longer be changed. Add an addendum instead.",
            field="status",
        )
    if session.status == SessionStatus.CANCELLED:
        raise ServiceError("This session was cancelled; it cannot be charted.", field="status")


def require_version(session: TreatmentSession, expected: int) -> None:
    """Raise StaleEdit when someone saved the chart since version `expected` was opened."""
    if session.version != expected:
        raise StaleEdit(
            "Someone else saved this chart after you opened it. Reload the page to "
            "see their changes, then make yours again.",
            field="version",
        )


def require_course_open(course: Course) -> None:
    """Raise Blocked unless the session's course is approved or under way."""
    if course.status not in APPROVED_COURSE_STATUSES:
        raise Blocked(
            f"The course is {course.get_status_display().lower()}; only an approved course can be treated.",
            field="course",
        )


BEFORE_RESCREEN = (gate.Code.NOT_APPROVED, gate.Code.CONSENT_MISSING, gate.Code.NOT_YET_DUE)
"""What the gate says before any re-screen is looked at."""


def require_chartable(session: TreatmentSession, *, today_only: bool) -> None:
    """Raise Blocked unless the safety gate lets the session be treated today: the course
    approved or active, consent signed, the day it is booked for reached, and a day-of
    re-screen (done today, when `today_only`) that does not block it."""
    screening = session.day_of_screening
    fresh = screening is not None and not (
        today_only and timezone.localdate(screening.created_at) != clinic_today()
    )
    found = gate.session_blockers(session, gate.Step.TREAT, screening=screening if fresh else None)
    gate.refuse([b for b in found if b.code in BEFORE_RESCREEN], gate.Audience.CLINICAL)
    if screening is None or not fresh:
        raise Blocked("Do today's re-screen with the patient before charting.", field="screening")
    if found or session.status == SessionStatus.BLOCKED:
        raise Blocked(blocked_message(screening), field="screening")
    for check in CHART_CHECKS:
        check(session)


CHART_CHECKS: list[Callable[[TreatmentSession], None]] = []
"""Further checks before a session is charted or signed, each raising Blocked in words: added
by the apps built on the clinic when Django starts (the photos app: before photos taken, or
waived), so that the clinic app imports none of them."""


def blocked_message(screening: Screening) -> str:
    """Return, in clinical staff's words, why the re-screen blocks the session and until when."""
    reasons = " ".join(block_reasons(screening)) or "The re-screen does not allow treatment."
    return f"Today's re-screen blocks this session. {reasons}"
