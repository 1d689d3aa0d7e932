"""Outcomes at each visit and after the course (Goodman & Baron grade, scar counts, mMASI,
patient-rated GAIS), validated by the clinical scales, and completing a course.

An outcome is dated by the visit it belongs to: scores at a visit carry the day of that session's
appointment and are refused for a session that has not taken place; scores after the course carry
the day they were recorded. A scar count left blank is "not counted" (None), never 0: a 0 would
read as a cleared scar."""

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from needlepoint.accounts.models import User
from needlepoint.audit.services import audit_record
from needlepoint.bookings.models import AppointmentStatus
from needlepoint.clinic.models import (
    Course,
    CourseStatus,
    Outcome,
    OutcomeKind,
    SessionStatus,
    TreatmentSession,
)
from needlepoint.clinic.selectors import course_summary
from needlepoint.clinic.services import ServiceError, gate, require_role, validated
from needlepoint.clinic.services.chart_rules import booked_appointment, visit_day
from needlepoint.clinical import scales
from needlepoint.clinical.errors import ScaleError
from needlepoint.words import human_date

# Outcomes are also recorded after completion (the safety gate lets a completed course have
# them): the result is judged 3-12 months after the last session [S40].


def _scale(field: str, check: Any, value: Any) -> Any:
    """Return what a scale's check returns; turn its ScaleError into a ServiceError on `field`
    (the scales' messages name the item and the value, e.g. "GAIS score must be 1-5, got 0")."""
    try:
        return check(value)
    except ScaleError as exc:
        message = str(exc)
        raise ServiceError(message[:1].upper() + message[1:] + ".", field=field) from None


def _checked_mmasi(value: Any) -> float | None:
    if value is None:
        return None
    low, high = scales.MMASI_RANGE
    ok = (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and low <= value <= high
    )
    if not ok:
        raise ServiceError(f"mMASI must be a number from {low} to {high}, got {value!r}.", field="mmasi")
    return float(value)


def _checked_scar_counts(counts: Mapping[str, Mapping[str, int | None]] | None) -> dict[str, Any]:
    """Return {area: {type: count or None}} with every scar type present, a type not given (or
    given as None) being "not counted" (None, never 0); an area with nothing counted is left
    out. Raise naming the entry when a count is not a whole number >= 0 or a type is unknown."""
    if not counts:
        return {}
    if not isinstance(counts, Mapping) or not all(isinstance(v, Mapping) for v in counts.values()):
        raise ServiceError("Scar counts must be given per area and scar type.", field="scar_counts")
    given = {area: {t: n for t, n in row.items() if n is not None} for area, row in counts.items()}
    as_counted = {area: {t: 0 if n is None else n for t, n in row.items()} for area, row in counts.items()}
    _scale("scar_counts", scales.summarise_by_area, as_counted)  # the types and areas
    _scale("scar_counts", scales.summarise_by_area, given)  # the counts themselves
    return {area: {t: row.get(t) for t in scales.SCAR_TYPES} for area, row in given.items() if row}


def took_place(session: TreatmentSession) -> bool:
    """Whether the session has happened: its chart is signed or its visit was attended."""
    if session.status == SessionStatus.SIGNED:
        return True
    appointment = booked_appointment(session)
    return appointment is not None and appointment.status == AppointmentStatus.ATTENDED


def _taken_on(course: Course, session: TreatmentSession | None, kind: str) -> dt.date:
    """Return the day the scores belong to: the day of the session's visit, or today for
    scores after the course; raise when that visit has not taken place."""
    if kind == OutcomeKind.COURSE_END:
        if not course.sessions.filter(status=SessionStatus.SIGNED).exists():
            raise ServiceError(
                "No session of this course has taken place yet: scores after the "
                "course come after its sessions.",
                field="kind",
            )
        return timezone.localdate()
    if session is None:
        raise ServiceError("Choose the visit (session) the scores were taken at.", field="session")
    if not took_place(session):
        raise ServiceError(
            f"Session {session.number} has not taken place yet (its chart is not "
            "signed): record its scores at the visit, once the session has been "
            "given.",
            field="session",
        )
    day = visit_day(session)
    if day is None:  # a session signed before visits were booked: the day it was signed
        day = timezone.localdate(session.signed_at) if session.signed_at else timezone.localdate()
    return day


def _check_course(course: Course, session: TreatmentSession | None) -> None:
    """Refuse a session of another course or a cancelled one; then ask the safety gate (the
    course approved, under way or completed, and the visit's day reached)."""
    if session is not None and session.course_id != course.pk:
        raise ServiceError("That session belongs to another course.", field="session")
    if session is not None and session.status == SessionStatus.CANCELLED:
        raise ServiceError(
            "That session was cancelled; choose the visit the scores were taken at.", field="session"
        )
    found = (
        gate.session_blockers(session, gate.Step.OUTCOME)
        if session is not None
        else gate.course_blockers(course, gate.Step.OUTCOME, day=timezone.localdate())
    )
    gate.refuse(found, gate.Audience.CLINICAL)


def _summary(outcome: Outcome) -> str:
    parts = [
        f"{name} {value}"
        for name, value in (
            ("G&B", outcome.goodman_baron_grade),
            ("mMASI", outcome.mmasi),
            ("GAIS", outcome.gais),
        )
        if value is not None
    ]
    if outcome.scar_counts:
        parts.append(f"scar counts for {len(outcome.scar_counts)} area(s)")
    return f"{outcome.get_kind_display().lower()} ({human_date(outcome.taken_on)}): " + ", ".join(parts)


@transaction.atomic
def outcome_record(
    *,
    course: Course,
    session: TreatmentSession | None = None,
    kind: str,
    goodman_baron_grade: int | None,
    scar_counts: Mapping[str, Mapping[str, int | None]] | None,
    mmasi: float | None,
    gais: int | None,
    actor: User,
) -> Outcome:
    """Record the scores taken at a visit (`kind="visit"` with its `session`, which must have
    taken place; dated by its appointment's day) or after the course (`kind="course_end"`,
    dated today, once a session has taken place). Every score is optional but at least one is
    needed; each is checked by the clinical scales (G&B grade 1-4, scar counts per area and type
    >= 0 or None for "not counted", mMASI 0-24, GAIS 1-5). Returns the saved outcome."""
    require_role(actor, doing="record outcomes", clinical=True)
    _check_course(course, session)
    if kind not in OutcomeKind.values:
        raise ServiceError("Choose when the scores were taken: at a visit or after the course.", field="kind")
    if goodman_baron_grade is not None:
        _scale("goodman_baron_grade", scales.goodman_baron_grade, goodman_baron_grade)
    if gais is not None:
        _scale("gais", scales.gais, gais)
    outcome = Outcome(
        patient_id=course.patient_id,
        course=course,
        session=session,
        kind=kind,
        recorded_by=actor,
        goodman_baron_grade=goodman_baron_grade,
        scar_counts=_checked_scar_counts(scar_counts),
        mmasi=_checked_mmasi(mmasi),
        gais=gais,
    )
    if all(v in (None, {}) for v in (goodman_baron_grade, outcome.scar_counts, outcome.mmasi, gais)):
        raise ServiceError("Enter at least one score.", field="")
    outcome.taken_on = _taken_on(course, session, kind)
    validated(outcome).save()
    audit_record(actor=actor, action="create", obj=outcome, summary=_summary(outcome))
    return outcome


def completion_blockers(course: Course) -> list[str]:
    """Return, in plain words, why the course cannot be completed now (none: it can): it must
    be approved or under way, every session signed or cancelled, and at least one signed."""
    if course.status not in (CourseStatus.APPROVED, CourseStatus.ACTIVE):
        return [
            f"Only an approved or active course can be completed; this one is "
            f"{course.get_status_display().lower()}."
        ]
    states = list(course.sessions.order_by("number").values_list("number", "status"))
    still_open = [str(n) for n, s in states if s not in (SessionStatus.SIGNED, SessionStatus.CANCELLED)]
    if still_open:
        return ["Sign or cancel every session first; still open: session " + ", ".join(still_open) + "."]
    if not any(s == SessionStatus.SIGNED for _, s in states):
        return ["No session of this course was signed; cancel the course instead."]
    return []


@transaction.atomic
def course_complete(*, course: Course, actor: User) -> Course:
    """Mark an approved or active course completed and store its summary (sessions, depths,
    adverse events, check-ins, outcome series and the plain-language text) as JSON. Refused
    while any session is neither signed nor cancelled, or when none was signed."""
    require_role(actor, doing="complete a course", clinical=True)
    locked = Course.objects.select_for_update().get(pk=course.pk)
    reasons = completion_blockers(locked)
    if reasons:
        raise ServiceError(reasons[0], field="status")
    summary = course_summary(locked)
    if not summary.signed:
        raise ServiceError("No session of this course was signed; cancel the course instead.", field="status")
    locked.status = CourseStatus.COMPLETED
    locked.summary = {
        **summary.as_json(),
        "completed_at": timezone.now().isoformat(),
        "completed_by": actor.get_username(),
    }
    locked.version += 1
    validated(locked).save(update_fields=["status", "summary", "version"])
    course.status, course.summary, course.version = locked.status, locked.summary, locked.version
    audit_record(actor=actor, action="change", obj=locked, summary="course completed")
    return course
