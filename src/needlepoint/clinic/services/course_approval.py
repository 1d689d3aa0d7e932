"""Approving a course: the medical director's permission to plan an area deeper than the
protocol's ceiling (with a reason), the reasons a draft cannot be approved yet (the safety gate,
the plan's screening still current, every depth within its ceiling or override), and the
approval itself, which creates the course's sessions."""

import copy
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from needlepoint.audit.services import audit_record
from needlepoint.clinic.models import Course, CourseStatus, DepthOverride, SessionStatus, TreatmentSession
from needlepoint.clinic.services import (
    Blocked,
    ServiceError,
    bump_version,
    clinic_today,
    gate,
    require_role,
    validated,
)
from needlepoint.clinic.services.course_plan import area_ceiling, area_words, checked_depth, mm, require_draft
from needlepoint.clinic.services.screening import latest_screening

if TYPE_CHECKING:
    from needlepoint.accounts.models import User


@transaction.atomic
def depth_override_give(
    *, course: Course, area: str, depth_max_mm: Decimal | float, reason: str, actor: "User"
) -> DepthOverride:
    """Record the medical director's permission to plan `area` of `course` deeper than the
    protocol's ceiling, up to `depth_max_mm`, with a reason. A second override for the same
    area replaces the first (the audit trail keeps both)."""
    require_role(actor, director=True, doing="allow a depth beyond the protocol's ceiling")
    require_draft(course)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("Give the clinical reason for going beyond the ceiling.", field="reason")
    if area not in [a["area"] for a in course.plan.get("areas", [])]:
        raise ServiceError(f"{area_words(area)} is not an area of this plan.", field="area")
    try:
        depth = Decimal(str(depth_max_mm)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ServiceError("Enter the depth in millimetres.", field="depth_max_mm") from None
    checked_depth(depth, "depth_max_mm")
    ceiling = area_ceiling(course, area)
    if float(depth) <= ceiling:
        raise ServiceError(
            f"{mm(depth)} is within the ceiling of {mm(ceiling)}: no override is needed.",
            field="depth_max_mm",
        )
    override = DepthOverride.objects.select_for_update().filter(course=course, area=area).first()
    action = "change" if override else "create"
    override = override or DepthOverride(course=course, area=area)
    override.depth_max_mm, override.reason, override.given_by = depth, reason, actor
    override.given_at = timezone.now()
    validated(override).save()
    audit_record(
        actor=actor,
        action=action,
        obj=override,
        patient_id=course.patient_id,
        summary=f"depth override {area} up to {depth} mm",
    )
    return override


def approval_blockers(course: Course) -> list[str]:
    """Return, in plain words, every reason the course cannot be approved now (none: it can).

    Judged on the patient's latest screening: it must be on the same intake and protocol as
    the plan; the safety gate must let the course be approved today (no contraindication,
    deferral or clearance waiting, every planned area still treatable), in clinical staff's
    words; every planned area must be within its ceiling (or the director's override)."""
    screening = latest_screening(course.patient)
    if screening is None:
        return ["There is no screening for this patient."]
    if screening.intake_id != course.screening.intake_id:
        return ["The intake has changed since this plan was proposed: propose a new plan."]
    if (screening.protocol_id, screening.protocol_version) != (course.protocol_id, course.protocol_version):
        return ["The protocol has changed since this plan was proposed: propose a new plan."]
    areas = [a["area"] for a in course.plan.get("areas", [])]
    reasons = gate.words(
        gate.course_blockers(course, gate.Step.APPROVE, day=clinic_today()), gate.Audience.CLINICAL
    )
    if not areas:
        reasons.append("The plan has no area to treat.")
    overrides = {o.area: float(o.depth_max_mm) for o in course.overrides.all()}
    for entry in course.plan.get("areas", []):
        depth, ceiling = float(entry["depth_mm"]["max"]), area_ceiling(course, entry["area"])
        if depth > ceiling and depth > overrides.get(entry["area"], 0):
            reasons.append(
                f"{area_words(entry['area'])} is planned to {mm(depth)}, beyond the "
                f"ceiling of {mm(ceiling)}, without the medical director's override."
            )
    return reasons


@transaction.atomic
def course_approve(*, course: Course, actor: "User", expected_version: int) -> Course:
    """Approve a draft course and create its sessions 1..count (planned, not yet scheduled).

    Refused (Blocked, saying why) while the latest screening defers, contraindicates or waits
    for a clearance, or the plan is not bookable or goes beyond a ceiling without override.
    The plan keeps the screening it was approved on."""
    require_role(actor, clinical=True, doing="approve a course")
    require_draft(course)
    reasons = approval_blockers(course)
    if reasons:
        found = gate.course_blockers(course, gate.Step.APPROVE, day=clinic_today())
        raise Blocked(
            " ".join(reasons), field="", extra={"reasons": reasons, "codes": [str(b.code) for b in found]}
        )
    screening = latest_screening(course.patient)
    assert screening is not None  # approval_blockers refuses otherwise
    plan = {**course.plan, "screening": screening.result, "bookable": True, "blocked_by": []}
    changes = {
        "status": CourseStatus.APPROVED,
        "approved_at": timezone.now(),
        "approved_by": actor,
        "screening": screening,
        "plan": plan,
    }
    candidate = copy.copy(course)
    for key, value in changes.items():
        setattr(candidate, key, value)
    validated(candidate)
    bump_version(course, expected=expected_version, **changes)
    audit_record(actor=actor, action="change", obj=course, summary="approved the course")
    for number in range(1, int(plan["sessions"]["count"]) + 1):
        session = TreatmentSession(
            course=course, patient=course.patient, number=number, status=SessionStatus.PLANNED
        )
        validated(session).save()
        audit_record(actor=actor, action="create", obj=session, summary=f"session {number} planned")
    return course
