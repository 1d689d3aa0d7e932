"""The day-of re-screen: before a session is charted, the patient answers the day-of questions
(new medicines, sunburn, cold sore, pregnancy, breakout, any other condition); the answers make
the patient's next intake version, which is screened as the session's day-of screening. A
screening that stops treatment blocks the session until a later re-screen frees it."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from django.db import transaction

from needlepoint.audit.services import audit_record
from needlepoint.clinic.models import Course, Intake, IntakeSource, Screening, SessionStatus, TreatmentSession
from needlepoint.clinic.services import ServiceError, bump_version, clinic_today, require_role
from needlepoint.clinic.services.chart_rules import (
    late_entry,
    refuse_if_closed,
    require_course_open,
    require_on_the_day,
)
from needlepoint.clinic.services.screening import intake_create, screening_run

if TYPE_CHECKING:
    from needlepoint.accounts.models import User

PREGNANCY_ANSWERS = {  # the day-of answer -> the intake's pregnancy code
    "no": "no",
    "trying": "trying",
    "breastfeeding": "breastfeeding",
    "pregnant": "pregnant",
    "possibly_pregnant": "pregnant",  # cautious: treated as pregnant until ruled out
}


@dataclass(frozen=True)
class DayOfAnswers:
    """The answers to the day-of questions. `sunburn` is "no", "now" or "recent" (in the last two
    weeks, on `sunburn_date`); `pregnancy` is a key of PREGNANCY_ANSWERS; `other_condition` is a
    condition code of the intake vocabulary (or ""), located by `other_condition_where`
    ("treatment_areas", "elsewhere" or "unsure")."""

    new_medicines: tuple[str, ...] = ()
    sunburn: Literal["no", "now", "recent"] = "no"
    sunburn_date: dt.date | None = None
    cold_sore: bool = False
    pregnancy: str = "no"
    breakout: bool = False
    other_condition: str = ""
    other_condition_where: Literal["treatment_areas", "elsewhere", "unsure"] = "unsure"


@transaction.atomic
def session_rescreen(*, session: TreatmentSession, answers: DayOfAnswers, actor: "User") -> Screening:
    """Screen the patient again on the day of `session`: store a new intake version (the latest
    one, assessed on the day of the visit, with the answers) and its screening as the session's
    day-of screening. Refused before that day or for a session not booked; after it, the chart
    is marked entered late. Returns the screening; when it defers, contraindicates or waits on
    a clearance, the session becomes "blocked" (and is freed again by a later re-screen that
    does not block)."""
    require_role(actor, clinical=True, doing="chart a session")
    TreatmentSession.objects.select_for_update().filter(pk=session.pk).first()
    session.refresh_from_db()
    refuse_if_closed(session)
    require_course_open(session.course)
    today = clinic_today()
    day = require_on_the_day(session, today)
    latest = Intake.objects.filter(patient=session.patient).order_by("-number").first()
    if latest is None:
        raise ServiceError(
            "This patient has no intake on file to re-screen from. Record the consultation intake first.",
            field="",
        )
    data = day_of_intake(latest, answers, today=day, treatment_areas=plan_areas(session.course))
    intake = intake_create(patient=session.patient, data=data, source=IntakeSource.DAY_OF, actor=actor)
    screening = screening_run(intake=intake, actor=actor)
    status = _status_after_rescreen(session, screening)
    late = late_entry(session, day, today, actor)
    bump_version(session, expected=session.version, day_of_screening=screening, status=status, **late)
    audit_record(
        actor=actor,
        action="change",
        obj=session,
        summary=f"day-of re-screen: {screening.decision}"
        + ("; session blocked" if status == SessionStatus.BLOCKED else "")
        + ("; entered late" if today > day else ""),
    )
    return screening


def _status_after_rescreen(session: TreatmentSession, screening: Screening) -> str:
    if screening.is_blocking:
        return SessionStatus.BLOCKED
    if session.status != SessionStatus.BLOCKED:
        return session.status
    return SessionStatus.IN_PROGRESS if session.areas.exists() else SessionStatus.PLANNED


def day_of_intake(
    latest: Intake, answers: DayOfAnswers, *, today: dt.date, treatment_areas: list[str]
) -> dict[str, Any]:
    """Return the next intake (contract shape): `latest` assessed `today`, with the answers.

    The answers are the truth about today for what they ask: a cold sore, breakout in the
    treatment areas or sunburn reported as active before and answered "no" now is kept as
    history (an undated sunburn is dated to the assessment that reported it, as the protocol
    counts it); new medicines and conditions are appended; pregnancy is replaced."""
    old = latest.data
    conditions = [
        _settled(c, answers, old["assessed_on"], treatment_areas) for c in old.get("conditions", [])
    ]
    conditions += _new_conditions(answers, today, treatment_areas)
    return {
        **old,
        "assessed_on": today.isoformat(),
        "areas": list(dict.fromkeys([*old.get("areas", []), *treatment_areas])),
        "pregnancy": PREGNANCY_ANSWERS.get(answers.pregnancy, answers.pregnancy),
        "conditions": conditions,
        "medications": _medications(old.get("medications", []), answers.new_medicines),
    }


def _settled(
    c: dict[str, Any], answers: DayOfAnswers, assessed_on: str, treatment_areas: list[str]
) -> dict[str, Any]:
    """Return condition `c` as history when today's answers say it is no longer active."""
    if c.get("status", "active") != "active":
        return c
    code = c.get("code")
    in_areas = c.get("areas") is None or bool(set(c["areas"]) & set(treatment_areas))
    if code == "herpes_simplex" and not answers.cold_sore:
        return {**c, "status": "history"}
    if code == "acne" and not answers.breakout and in_areas:
        return {**c, "status": "history"}
    if code == "sunburn" and answers.sunburn == "no":
        return {**c, "status": "history", "date": c.get("date") or assessed_on}
    return c


def _new_conditions(
    answers: DayOfAnswers, today: dt.date, treatment_areas: list[str]
) -> list[dict[str, Any]]:
    day = today.isoformat()
    out: list[dict[str, Any]] = []
    if answers.sunburn == "now":
        out.append({"code": "sunburn", "status": "active", "date": day})
    elif answers.sunburn == "recent":
        if answers.sunburn_date is None or answers.sunburn_date > today:
            raise ServiceError("Give the day of the sunburn (today or earlier).", field="sunburn_date")
        out.append({"code": "sunburn", "status": "history", "date": answers.sunburn_date.isoformat()})
    if answers.cold_sore:
        out.append({"code": "herpes_simplex", "status": "active", "date": day})
    if answers.breakout:
        out.append({"code": "acne", "status": "active", "date": day, "areas": treatment_areas})
    if answers.other_condition:
        where = {"treatment_areas": treatment_areas, "elsewhere": []}
        other: dict[str, Any] = {"code": answers.other_condition, "status": "active", "date": day}
        if answers.other_condition_where in where:
            other["areas"] = where[answers.other_condition_where]
        out.append(other)
    return out


def _medications(old: list[dict[str, Any]], names: Iterable[str]) -> list[dict[str, Any]]:
    current = {str(m.get("name", "")).casefold() for m in old if m.get("status") != "stopped"}
    added = [n.strip() for n in names if n.strip() and n.strip().casefold() not in current]
    return [*old, *({"name": n, "status": "current"} for n in dict.fromkeys(added))]


def plan_areas(course: Course) -> list[str]:
    """Return the areas of the course's plan, in the plan's order."""
    return [a["area"] for a in (course.plan or {}).get("areas", []) if a.get("area")]
