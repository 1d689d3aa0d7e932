"""The proposed course: the planner's plan for the latest screened intake, stored as a draft,
and the limits every later change to it keeps (each area's depth ceiling, the absolute
ceiling, the number of sessions and days between them). Editing the draft is in `plan_edit`;
the director's override and the approval are in `course_approval`."""

import datetime as dt
import json
import math
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction

from needlepoint.audit.services import audit_record
from needlepoint.clinic.models import Assessment, Course, CourseStatus, Intake, Patient, Screening
from needlepoint.clinic.protocol import clinic_protocol, planner, screener
from needlepoint.clinic.selectors import latest_assessment
from needlepoint.clinic.services import ServiceError, require_role, validated
from needlepoint.clinic.services.screening import (
    active_clearances,
    latest_intake,
    latest_screening,
    parse_intake_data,
)
from needlepoint.clinical import scales
from needlepoint.clinical.errors import PlanningError
from needlepoint.clinical.intake import IntakeModel, Scars
from needlepoint.clinical.protocol import ABSOLUTE_MAX_DEPTH_MM
from needlepoint.clinical.screening import Screening as CoreScreening
from needlepoint.clinical.vocab import area_label

if TYPE_CHECKING:
    from needlepoint.accounts.models import User

MAX_SESSIONS = 12  # the protocol schema's bound for a course
MAX_INTERVAL_DAYS = 365


def area_words(code: str) -> str:
    """Return an area's name to start a sentence with ("Forehead")."""
    return area_label(code).capitalize()


def mm(value: float | Decimal) -> str:
    """Return a depth in words ("1.5 mm")."""
    return f"{float(value):g} mm"


def require_draft(course: Course) -> None:
    """Refuse any change to a course that is no longer a draft plan."""
    if course.status != CourseStatus.DRAFT:
        raise ServiceError(
            f"This course is {course.get_status_display().lower()}: an approved "
            "plan can no longer be edited.",
            field="status",
        )


def propose_blockers(intake: Intake | None, screening: Screening | None) -> list[str]:
    """Return, in plain words, why a plan cannot be proposed now (none: it can), given the
    patient's latest intake and latest screening: there must be an intake and its latest
    version must have been screened. (Proposing checks again, and also that the screening
    still matches the protocol and clearances.)"""
    if intake is None:
        return ["There is no intake yet: record one, and it is screened as it is saved."]
    if screening is None or screening.intake_id != intake.pk:
        return [f"Intake version {intake.number} has not been screened yet: screen it first."]
    return []


def _screening_for_plan(patient: Patient) -> tuple[Screening, IntakeModel, CoreScreening]:
    """Return (stored screening, core intake, core screening) for the latest intake, checking
    that screening it again now gives exactly the stored result."""
    screening = latest_screening(patient)
    intake = latest_intake(patient)
    if screening is None or intake is None:
        raise ServiceError("Record and screen an intake before proposing a course.", field="intake")
    if screening.intake_id != intake.pk:
        raise ServiceError(
            f"Intake version {intake.number} has not been screened yet: screen it first.", field="screening"
        )
    core_intake = parse_intake_data(intake.data)
    core = screener().screen(core_intake, active_clearances(patient))
    if core.as_dict() != screening.result:
        raise ServiceError(
            "The stored screening no longer matches the protocol or the "
            "clearances: screen the intake again, then propose.",
            field="screening",
        )
    return screening, core_intake, core


def default_adjuncts(adjuncts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mark each adjunct `selected`: optional ones start unselected, the rest are part of it."""
    return [{**a, "selected": a.get("selected", not a.get("optional", True))} for a in adjuncts]


def _measured(intake: IntakeModel, assessment: Assessment | None) -> IntakeModel:
    """Return the intake the planner reads: the scar counts and Goodman & Baron grade are the
    clinician's measurement, so those of the latest assessment replace any the intake carries
    (an intake from another source may have its own); without an assessed grade the intake's
    are kept."""
    if assessment is None or assessment.goodman_baron_grade is None:
        return intake
    # A count left blank is "not counted" (None): it adds nothing, and a type counted nowhere
    # is not passed on as 0.
    given = {
        area: {t: n for t, n in row.items() if n is not None}
        for area, row in (assessment.scar_counts or {}).items()
    }
    seen = {t for row in given.values() for t in row}
    totals = scales.combine_counts(scales.summarise_by_area(given).values())
    counted = {k: v for k, v in totals.as_dict().items() if k in Scars.model_fields and k in seen}
    scars = Scars(
        goodman_baron_grade=assessment.goodman_baron_grade, **(counted if assessment.scar_counts else {})
    )
    return intake.model_copy(update={"scars": scars})


@transaction.atomic
def course_propose(*, patient: Patient, actor: "User", start_date: dt.date) -> Course:
    """Run the planner on the latest intake and its screening and store the plan as a draft
    course. A plan for a patient the screening blocks is stored too, marked not bookable; it
    cannot be approved."""
    require_role(actor, clinical=True, doing="propose a course")
    if not isinstance(start_date, dt.date):
        raise ServiceError("Give the date the course may start.", field="start_date")
    screening, core_intake, core = _screening_for_plan(patient)
    assessment = latest_assessment(patient)
    try:
        plan = planner().plan(_measured(core_intake, assessment), core, start_date)
    except PlanningError as exc:
        raise ServiceError(exc.message, field=exc.field) from None
    doc = json.loads(json.dumps(plan.as_dict()))  # as stored: lists, not tuples
    doc["adjuncts"] = default_adjuncts(doc["adjuncts"])
    course = Course(
        patient=patient,
        screening=screening,
        assessment=assessment,
        status=CourseStatus.DRAFT,
        goal=plan.goal,
        plan=doc,
        start_date=start_date,
        protocol_id=plan.protocol["id"],
        protocol_version=plan.protocol["version"],
        created_by=actor,
    )
    validated(course).save()
    audit_record(
        actor=actor,
        action="create",
        obj=course,
        summary=f"proposed {plan.goal}: {plan.session_count} sessions, "
        f"{'bookable' if plan.bookable else 'not bookable'}",
    )
    return course


def area_ceiling(course: Course, area: str) -> float:
    """Return the protocol's depth ceiling for `area` (the plan's own record of it, else the
    clinic's protocol); raise ServiceError for an area the protocol does not know."""
    for entry in course.plan.get("areas", []):
        if entry["area"] == area and "ceiling_mm" in entry:
            return float(entry["ceiling_mm"])
    protocol_areas = clinic_protocol().areas
    if area not in protocol_areas:
        raise ServiceError(f"The protocol has no depths for {area_label(area)}.", field=f"areas.{area}")
    return float(protocol_areas[area].ceiling_mm)


def checked_depth(value: Any, name: str) -> float:
    """Return `value` as a depth in mm (2 decimals); raise ServiceError naming `name` unless it is
    a number more than 0 and no deeper than ABSOLUTE_MAX_DEPTH_MM."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ServiceError("Enter the depth in millimetres.", field=name)
    depth = float(value)
    if not math.isfinite(depth) or depth <= 0:
        raise ServiceError("A depth must be more than 0 mm.", field=name)
    if depth > ABSOLUTE_MAX_DEPTH_MM:
        raise ServiceError(f"No area is planned deeper than {mm(ABSOLUTE_MAX_DEPTH_MM)}.", field=name)
    return round(depth, 2)
