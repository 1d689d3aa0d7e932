"""The safety gate (`needlepoint.clinical.gate`) fed from the clinic's records: the course's
latest screening, the patient's clearances, the course's consent and plan, and for a session
the day its booked appointment falls on in the clinic's zone. Every step that leads to
treatment asks here; the answer is said in the words of whoever asks (the front desk never
reads a finding)."""

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from needlepoint.accounts.models import User
from needlepoint.clinic.models import Clearance, Course, Screening, TreatmentSession
from needlepoint.clinic.selectors import consent_for_course
from needlepoint.clinic.services import Blocked, clinic_today
from needlepoint.clinic.services.screening import latest_screening
from needlepoint.clinical.gate import Audience, Blocker, Code, Facts, Step, blockers
from needlepoint.clinical.rules import Finding

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from needlepoint.bookings.models import Appointment

__all__ = [
    "Audience",
    "Blocker",
    "Code",
    "Step",
    "audience_of",
    "course_blockers",
    "refuse",
    "screening_facts",
    "session_blockers",
    "session_due",
    "words",
]


def _finding(data: dict[str, Any]) -> Finding:
    until = data.get("until")
    areas = data.get("areas")
    return Finding(
        code=str(data.get("code", "")),
        decision=str(data.get("decision", "")),
        until=dt.date.fromisoformat(until) if until else None,
        areas=tuple(areas) if areas is not None else None,
        message=str(data.get("message", "")),
        rule=str(data.get("rule", "")),
        sources=tuple(data.get("sources", ())),
        cleared=bool(data.get("cleared")),
    )


def screening_facts(screening: Screening) -> dict[str, Any]:
    """Return the gate's screening facts of a stored screening (decision, date, findings, the
    areas it leaves treatable)."""
    result = screening.result or {}
    areas: dict[str, str] = result.get("areas", {})
    return {
        "decision": screening.decision,
        "earliest_date": screening.earliest_date,
        "findings": tuple(_finding(f) for f in result.get("findings", [])),
        "treatable_areas": tuple(a for a, d in areas.items() if d != "contraindicated"),
    }


def _clearances(course: Course) -> tuple[frozenset[str], frozenset[str]]:
    """Return (the finding codes cleared, those whose clearance was revoked and not given again)."""
    rows = list(
        Clearance.objects.filter(patient_id=course.patient_id).values_list("finding_code", "revoked_at")
    )
    cleared = frozenset(code for code, revoked in rows if revoked is None)
    revoked = frozenset(code for code, when in rows if when is not None) - cleared
    return cleared, revoked


def _facts(
    course: Course, screening: Screening | None, *, due: dt.date | None = None, session: int | None = None
) -> Facts:
    plan_areas = tuple(a["area"] for a in (course.plan or {}).get("areas", []) if a.get("area"))
    judged = screening_facts(screening) if screening is not None else {}
    cleared, revoked = _clearances(course)
    return Facts(
        **judged,
        cleared=cleared,
        revoked=revoked,
        consent_signed=consent_for_course(course) is not None,
        plan_areas=plan_areas,
        status=course.status,
        status_words=course.get_status_display().lower(),
        due=due,
        session=session,
    )


def course_blockers(
    course: Course, step: Step, *, day: dt.date | None = None, session: int | None = None
) -> list[Blocker]:
    """Return what the gate says against `step` for `course` on `day`, judged on the patient's
    latest screening (the course's own when there is none)."""
    screening = latest_screening(course.patient) or course.screening
    return blockers(step, day, _facts(course, screening, session=session))


def session_due(session: TreatmentSession) -> dt.date | None:
    """Return the day `session` is booked for, in its location's zone (None: not booked)."""
    from needlepoint.bookings.core_adapter import location_zone  # the booking app builds on this one

    visit: Appointment | None = session.visit  # the session's live appointment, read as everywhere else
    if visit is None:
        return None
    starts: dt.datetime = visit.starts_at
    return starts.astimezone(location_zone(visit.location)).date()


def session_blockers(
    session: TreatmentSession, step: Step, *, screening: Screening | None = None, day: dt.date | None = None
) -> list[Blocker]:
    """Return what the gate says against treating `session` (judged on `screening`, the
    day-of re-screen; None: the screening is not judged) or recording its outcomes, on `day`
    (today in the clinic's zone when not given)."""
    facts = _facts(session.course, screening, due=session_due(session), session=session.number)
    return blockers(step, day or clinic_today(), facts)


type Reader = User | AnonymousUser | None
"""Whoever asks the gate: a signed-in user, or nobody (who reads the front desk's words)."""


def audience_of(actor: Reader) -> Audience:
    """Return whose words `actor` reads: clinical staff, a patient, or the front desk (anyone
    else, the most discreet)."""
    if isinstance(actor, User) and actor.is_clinical:
        return Audience.CLINICAL
    if isinstance(actor, User) and actor.is_patient:
        return Audience.PATIENT
    return Audience.FRONT_DESK


def words(found: Sequence[Blocker], actor: Reader | Audience) -> list[str]:
    """Return the blockers in the words `actor` (or an Audience) may read, each once."""
    audience = actor if isinstance(actor, Audience) else audience_of(actor)
    return list(dict.fromkeys(b.words(audience) for b in found))


FIELDS = {
    Code.NOT_APPROVED: "course",
    Code.CONSENT_MISSING: "consent",
    Code.NOT_YET_DUE: "session",
    Code.AREA_NOT_ALLOWED: "areas",
}


def refuse(found: Sequence[Blocker], actor: Reader | Audience, *, field: str | None = None) -> None:
    """Raise Blocked with every blocker in `actor`'s words (and their codes in `extra`);
    do nothing when there is none."""
    if not found:
        return
    said = words(found, actor)
    raise Blocked(
        " ".join(said),
        field=FIELDS.get(found[0].code, "screening") if field is None else field,
        extra={"reasons": said, "codes": [str(b.code) for b in found]},
    )
