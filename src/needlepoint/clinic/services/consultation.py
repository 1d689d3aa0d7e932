"""The consultation: intakes screened as they are recorded, doctors' clearances, the skin and
scar assessment, and the proposed course — edited within the protocol's limits, then approved.

Every state change here is one keyword-only service, atomic, validated before it saves and
written to the audit trail. Scores are always computed here from the scales library, never
taken from the client. The selectors at the end gather what the consultation pages show."""

import copy
import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from needlepoint.audit.services import audit_record
from needlepoint.clinic.models import (
    Assessment,
    Clearance,
    Course,
    CourseStatus,
    Decision,
    DepthOverride,
    Intake,
    IntakeSource,
    Patient,
    Screening,
    SessionStatus,
    TreatmentSession,
)
from needlepoint.clinic.protocol import clinic_protocol, planner, screener
from needlepoint.clinic.services import Blocked, ServiceError, bump_version, gate
from needlepoint.clinic.services.screening import (
    active_clearances,
    intake_create,
    latest_screening,
    parse_intake_data,
    screening_run,
)
from needlepoint.clinical import scales
from needlepoint.clinical.errors import PlanningError
from needlepoint.clinical.intake import IntakeModel, Scars
from needlepoint.clinical.protocol import ABSOLUTE_MAX_DEPTH_MM
from needlepoint.clinical.vocab import area_label

MAX_SESSIONS = 12  # the protocol schema's bound for a course
MAX_INTERVAL_DAYS = 365


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _require_clinical(actor: Any, doing: str) -> None:
    if not getattr(actor, "is_clinical", False):
        raise ServiceError(f"Only the medical director or a practitioner can {doing}.")


def _clean(obj: Model) -> None:
    """Run `full_clean()`, turning Django's ValidationError into the services' ServiceError."""
    try:
        obj.full_clean()
    except ValidationError as exc:
        name, messages = next(iter(exc.message_dict.items()))
        raise ServiceError(" ".join(messages), field="" if name == NON_FIELD_ERRORS else name) from None


def _latest_intake(patient: Patient) -> Intake | None:
    return Intake.objects.filter(patient=patient).order_by("-number").first()


def _label(code: str) -> str:
    return area_label(code).capitalize()


def _mm(value: float | Decimal) -> str:
    return f"{float(value):g} mm"


def treatable_areas(screening: Screening) -> list[str]:
    """Return the areas the screening left treatable (requested, not contraindicated)."""
    areas: dict[str, str] = screening.result.get("areas", {})
    return [a for a, decision in areas.items() if decision != Decision.CONTRAINDICATED]


# ---------------------------------------------------------------------------------------------
# Intake and screening
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def intake_record(*, patient: Patient, data: dict[str, Any], actor: Any) -> Screening:
    """Store `data` as the patient's next intake version (source "consultation") and screen it;
    return the new screening. Old versions are never edited; nothing is stored when the core
    refuses the intake (ServiceError naming the field)."""
    _require_clinical(actor, "record an intake")
    intake = intake_create(patient=patient, data=data, source=IntakeSource.CONSULTATION, actor=actor)
    return screening_run(intake=intake, actor=actor)


@transaction.atomic
def screening_refresh(*, patient: Patient, actor: Any) -> Screening:
    """Screen the patient's latest intake again (after a protocol update or a change of
    clearances) and return the new screening."""
    _require_clinical(actor, "screen an intake")
    intake = _latest_intake(patient)
    if intake is None:
        raise ServiceError("There is no intake to screen yet: record one first.", field="intake")
    return screening_run(intake=intake, actor=actor)


# ---------------------------------------------------------------------------------------------
# Clearances
# ---------------------------------------------------------------------------------------------


def _finding(screening: Screening, code: str) -> dict[str, Any] | None:
    """Return the screening's finding with `code`, preferring one that still needs clearance."""
    found = [f for f in screening.result.get("findings", []) if f["code"] == code]
    pending = [f for f in found if f["decision"] == Decision.NEEDS_CLEARANCE]
    return (pending or found or [None])[0]


def _check_clearable(screening: Screening | None, finding_code: str) -> Screening:
    if screening is None:
        raise ServiceError("There is no screening yet, so there is nothing to clear.", field="finding_code")
    finding = _finding(screening, finding_code)
    if finding is None:
        raise ServiceError(f"The latest screening has no finding {finding_code!r}.", field="finding_code")
    if finding.get("cleared"):
        raise ServiceError("This finding is already cleared.", field="finding_code")
    if finding["decision"] != Decision.NEEDS_CLEARANCE:
        label = Decision(finding["decision"]).label
        raise Blocked(
            f"This finding is “{label}”: only a finding that needs a doctor's clearance can be cleared.",
            field="finding_code",
        )
    return screening


@transaction.atomic
def clearance_give(*, patient: Patient, finding_code: str, basis: str, actor: Any) -> Clearance:
    """Record a doctor's clearance of a finding that the latest screening marks
    `needs_clearance`, then screen the latest intake again (the finding shows as cleared).
    Any other decision (a contraindication, a deferral) can never be cleared."""
    _require_clinical(actor, "give a clearance")
    basis = (basis or "").strip()
    if not basis:
        raise ServiceError(
            "Say on what basis you give this clearance (for example the "
            "specialist's letter or your examination).",
            field="basis",
        )
    screening = _check_clearable(latest_screening(patient), finding_code)
    if Clearance.objects.filter(patient=patient, finding_code=finding_code, revoked_at__isnull=True).exists():
        raise ServiceError("This finding is already cleared.", field="finding_code")
    clearance = Clearance(
        patient=patient, finding_code=finding_code, basis=basis, screening=screening, given_by=actor
    )
    _clean(clearance)
    try:
        with transaction.atomic():
            clearance.save()
    except IntegrityError:  # someone cleared it at the same moment
        raise ServiceError("This finding is already cleared.", field="finding_code") from None
    audit_record(actor=actor, action="create", obj=clearance, summary=f"clearance of {finding_code}")
    screening_refresh(patient=patient, actor=actor)
    return clearance


@transaction.atomic
def clearance_revoke(*, clearance: Clearance, actor: Any) -> Clearance:
    """Revoke an active clearance and screen the latest intake again (the finding needs a
    clearance once more). Settled by a conditional update: revoking twice is refused."""
    _require_clinical(actor, "revoke a clearance")
    now = timezone.now()
    updated = Clearance.objects.filter(pk=clearance.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=actor
    )
    if updated != 1:
        raise ServiceError("This clearance has already been revoked.", field="clearance")
    clearance.revoked_at, clearance.revoked_by = now, actor
    audit_record(
        actor=actor, action="change", obj=clearance, summary=f"revoked clearance of {clearance.finding_code}"
    )
    if _latest_intake(clearance.patient) is not None:
        screening_refresh(patient=clearance.patient, actor=actor)
    return clearance


# ---------------------------------------------------------------------------------------------
# Assessment
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssessmentScores:
    """What an assessment's inputs score to; `errors` maps a field to a plain message."""

    phototype: int | None = None
    fitzpatrick: scales.FitzpatrickResult | None = None
    goodman_baron: scales.GoodmanBaronGrade | None = None
    scars: dict[str, scales.ScarCounts] = field(default_factory=dict)
    scar_total: scales.ScarCounts = field(default_factory=scales.ScarCounts)
    masi_areas: dict[str, int] = field(default_factory=dict)
    masi: float | None = None
    mmasi: float | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def phototype_roman(self) -> str:
        return scales.PHOTOTYPE_ROMAN[self.phototype - 1] if self.phototype else ""

    @property
    def phototype_description(self) -> str:
        return scales.PHOTOTYPES[self.phototype] if self.phototype else ""

    @property
    def masi_area_rows(self) -> list[tuple[str, int]]:
        """Return (region in words, area score A) for display."""
        return [(r.replace("_", " "), a) for r, a in self.masi_areas.items()]

    @property
    def is_empty(self) -> bool:
        return self.phototype is None and self.goodman_baron is None and not self.scars and self.mmasi is None


def _phototype(
    direct: Any, answers: Mapping[str, Any] | None, errors: dict[str, str]
) -> tuple[int | None, scales.FitzpatrickResult | None]:
    """Return (phototype, questionnaire result): the questionnaire, when answered, decides; a
    directly entered phototype that disagrees with it is an error, not silently dropped."""
    result = chosen = None
    try:
        chosen = scales.phototype_from_value(direct) if direct is not None else None
    except scales.ScaleError as exc:
        errors["phototype"] = str(exc)
    if answers:
        try:
            result = scales.fitzpatrick_from_questionnaire(answers)
        except scales.ScaleError as exc:
            errors["phototype_answers"] = str(exc)
    if result and chosen and chosen != result.phototype:
        errors["phototype"] = (
            f"The questionnaire gives phototype {result.roman} (total "
            f"{result.total}) but {scales.PHOTOTYPE_ROMAN[chosen - 1]} was "
            "entered: clear one of them."
        )
    return (result.phototype if result else chosen), result


def _goodman_baron(grade: Any, errors: dict[str, str]) -> scales.GoodmanBaronGrade | None:
    if grade is None:
        return None
    try:
        return scales.goodman_baron_grade(grade)
    except scales.ScaleError as exc:
        errors["goodman_baron_grade"] = str(exc)
        return None


def _scars(
    counts: Mapping[str, Mapping[str, Any]] | None, errors: dict[str, str]
) -> dict[str, scales.ScarCounts]:
    if not counts:
        return {}
    try:
        return scales.summarise_by_area(counts)
    except (scales.ScaleError, TypeError) as exc:
        area = next((a for a in counts if f" in {a}" in str(exc)), None)
        errors[f"scar_counts.{area}" if area else "scar_counts"] = str(exc)
        return {}


def _masi_region(values: Mapping[str, Any]) -> scales.MasiRegion:
    return scales.MasiRegion(
        darkness=values.get("darkness"),  # type: ignore[arg-type]
        homogeneity=values.get("homogeneity"),
        area_score=values.get("area_score"),
        area_percent=values.get("area_percent"),
    )


def _masi_error(exc: Exception, errors: dict[str, str]) -> None:
    region = next((r for r in scales.MASI_REGION_WEIGHTS if f" {r}" in str(exc)), None)
    errors[f"masi_regions.{region}" if region else "masi_regions"] = str(exc)


def _masi(
    regions: Mapping[str, Mapping[str, Any]] | None,
    errors: dict[str, str],
) -> tuple[dict[str, int], float | None, float | None]:
    """Return (area score A per region, MASI or None, mMASI or None). MASI is computed only
    when homogeneity is given for the regions; mMASI does not use it."""
    given = {r: v for r, v in (regions or {}).items() if any(x is not None for x in v.values())}
    if not given:
        return {}, None, None
    core = {r: _masi_region(v) for r, v in given.items()}
    try:
        mmasi = scales.mmasi(core)
    except scales.ScaleError as exc:
        _masi_error(exc, errors)
        return {}, None, None
    areas = {
        r: (v.area_score if v.area_score is not None else scales.area_score_from_percent(v.area_percent))  # type: ignore[arg-type]
        for r, v in core.items()
    }
    masi = None
    if any(v.homogeneity is not None for v in core.values()):
        try:
            masi = scales.masi(core)
        except scales.ScaleError as exc:
            _masi_error(exc, errors)
    return areas, masi, mmasi


def assessment_scores(
    *,
    phototype: int | str | None = None,
    phototype_answers: Mapping[str, int] | None = None,
    goodman_baron_grade: int | None = None,
    scar_counts: Mapping[str, Mapping[str, int]] | None = None,
    masi_regions: Mapping[str, Mapping[str, Any]] | None = None,
) -> AssessmentScores:
    """Return the scores of an assessment's inputs, computed with the scales library, with
    every problem found (not only the first) in `errors`. Stores nothing: the live preview and
    `assessment_record` both use it, so what the form shows is what is saved."""
    errors: dict[str, str] = {}
    chosen, questionnaire = _phototype(phototype, phototype_answers, errors)
    scars = _scars(scar_counts, errors)
    areas, masi, mmasi = _masi(masi_regions, errors)
    return AssessmentScores(
        phototype=chosen,
        fitzpatrick=questionnaire,
        goodman_baron=_goodman_baron(goodman_baron_grade, errors),
        scars=scars,
        scar_total=scales.combine_counts(scars.values()),
        masi_areas=areas,
        masi=masi,
        mmasi=mmasi,
        errors=errors,
    )


def _as_counted(
    given: Mapping[str, Mapping[str, Any]], scars: Mapping[str, scales.ScarCounts]
) -> dict[str, dict[str, int | None]]:
    """Return {area: {scar type: count or None}} for the areas counted: a type left blank is
    "not counted" (None), never 0, which would read as no scar of that type."""
    return {area: {t: given[area].get(t) for t in scales.SCAR_TYPES} for area in scars}


@transaction.atomic
def assessment_record(
    *,
    patient: Patient,
    actor: Any,
    phototype: int | str | None = None,
    phototype_answers: Mapping[str, int] | None = None,
    goodman_baron_grade: int | None = None,
    scar_counts: Mapping[str, Mapping[str, int]] | None = None,
    masi_regions: Mapping[str, Mapping[str, Any]] | None = None,
    notes: str = "",
) -> Assessment:
    """Store a skin and scar assessment with its scores computed here (never trusted from the
    client). Refused as a whole, naming the field, when any input is invalid."""
    _require_clinical(actor, "record an assessment")
    scores = assessment_scores(
        phototype=phototype,
        phototype_answers=phototype_answers,
        goodman_baron_grade=goodman_baron_grade,
        scar_counts=scar_counts,
        masi_regions=masi_regions,
    )
    if scores.errors:
        name, message = next(iter(scores.errors.items()))
        raise ServiceError(message, field=name, extra={"errors": scores.errors})
    if scores.is_empty:
        raise ServiceError(
            "Nothing to record: enter a phototype, a grade, scar counts or the MASI regions.", field=""
        )
    regions = {
        r: {**{k: v for k, v in values.items() if v is not None}, "area": scores.masi_areas[r]}
        for r, values in (masi_regions or {}).items()
        if r in scores.masi_areas
    }
    assessment = Assessment(
        patient=patient,
        assessed_by=actor,
        phototype=scores.phototype,
        phototype_answers=dict(phototype_answers) if phototype_answers else None,
        goodman_baron_grade=scores.goodman_baron.grade if scores.goodman_baron else None,
        scar_counts=_as_counted(scar_counts or {}, scores.scars),
        masi_regions=regions or None,
        masi=scores.masi,
        mmasi=scores.mmasi,
        notes=(notes or "").strip(),
    )
    _clean(assessment)
    assessment.save()
    audit_record(actor=actor, action="create", obj=assessment, summary="skin and scar assessment")
    return assessment


# ---------------------------------------------------------------------------------------------
# Course: propose, edit, override, approve
# ---------------------------------------------------------------------------------------------


def _require_draft(course: Course) -> None:
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


def _screening_for_plan(patient: Patient) -> tuple[Screening, Any, Any]:
    """Return (stored screening, core intake, core screening) for the latest intake, checking
    that screening it again now gives exactly the stored result."""
    screening = latest_screening(patient)
    intake = _latest_intake(patient)
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


def _default_adjuncts(adjuncts: list[dict[str, Any]]) -> list[dict[str, Any]]:
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
def course_propose(*, patient: Patient, actor: Any, start_date: dt.date) -> Course:
    """Run the planner on the latest intake and its screening and store the plan as a draft
    course. A plan for a patient the screening blocks is stored too, marked not bookable; it
    cannot be approved."""
    _require_clinical(actor, "propose a course")
    if not isinstance(start_date, dt.date):
        raise ServiceError("Give the date the course may start.", field="start_date")
    screening, core_intake, core = _screening_for_plan(patient)
    assessment = latest_assessment(patient)
    try:
        plan = planner().plan(_measured(core_intake, assessment), core, start_date)
    except PlanningError as exc:
        raise ServiceError(exc.message, field=exc.field) from None
    doc = json.loads(json.dumps(plan.as_dict()))  # as stored: lists, not tuples
    doc["adjuncts"] = _default_adjuncts(doc["adjuncts"])
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
    _clean(course)
    course.save()
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


def _override_max(course: Course, area: str) -> float | None:
    found = DepthOverride.objects.filter(course=course, area=area).first()
    return float(found.depth_max_mm) if found else None


def _depth(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ServiceError("Enter the depth in millimetres.", field=name)
    depth = float(value)
    if not math.isfinite(depth) or depth <= 0:
        raise ServiceError("A depth must be more than 0 mm.", field=name)
    if depth > ABSOLUTE_MAX_DEPTH_MM:
        raise ServiceError(f"No area is planned deeper than {_mm(ABSOLUTE_MAX_DEPTH_MM)}.", field=name)
    return round(depth, 2)


def _edited_area(course: Course, item: Mapping[str, Any], treatable: list[str]) -> dict[str, Any]:
    """Return one checked plan area: treatable, 0 < min <= max, and no deeper than the ceiling
    unless the medical director allowed it (an override for this course and area)."""
    area = str(item.get("area", ""))
    if area not in treatable:
        raise ServiceError(
            f"{_label(area)} is not an area the screening left treatable, so it cannot be planned.",
            field=f"areas.{area}",
        )
    low = _depth(item.get("min"), f"areas.{area}.min")
    high = _depth(item.get("max"), f"areas.{area}.max")
    if low > high:
        raise ServiceError(
            f"{_label(area)}: the shallowest depth ({_mm(low)}) is more than the deepest ({_mm(high)}).",
            field=f"areas.{area}.min",
        )
    ceiling = area_ceiling(course, area)
    allowed = _override_max(course, area)
    if high > ceiling and (allowed is None or high > allowed):
        extra = (
            f" The medical director's override allows up to {_mm(allowed)}."
            if allowed is not None
            else " It needs the medical director's override, with a reason."
        )
        raise Blocked(
            f"{_label(area)}: {_mm(high)} is deeper than the protocol's ceiling of "
            f"{_mm(ceiling)} for this area.{extra}",
            field=f"areas.{area}.max",
        )
    old = next((a for a in course.plan.get("areas", []) if a["area"] == area), None)
    sources = old["sources"] if old else list(clinic_protocol().areas[area].sources)
    return {"area": area, "depth_mm": {"min": low, "max": high}, "ceiling_mm": ceiling, "sources": sources}


def _edited_areas(course: Course, items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if not items:
        raise ServiceError("Keep at least one area in the plan.", field="areas")
    names = [str(i.get("area", "")) for i in items]
    if len(set(names)) != len(names):
        raise ServiceError("Each area can be planned only once.", field="areas")
    treatable = treatable_areas(course.screening)
    return [_edited_area(course, item, treatable) for item in items]


def _whole(value: Any, name: str, low: int, high: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ServiceError(f"Enter {what} as a whole number.", field=name)
    if not low <= value <= high:
        raise ServiceError(f"{what.capitalize()} must be between {low} and {high}.", field=name)
    return value


def _edited_sessions(course: Course, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Return the checked session count and interval window. The shortest interval is the
    protocol's minimum for the goal (the skin needs that long to recover); longer is allowed."""
    goal = clinic_protocol().goals.get(course.goal)
    floor = goal.interval_days.min if goal else 14
    count = _whole(changes.get("count"), "sessions.count", 1, MAX_SESSIONS, "the number of sessions")
    low = _whole(
        changes.get("interval_min"),
        "sessions.interval_min",
        floor,
        MAX_INTERVAL_DAYS,
        "the shortest interval (days)",
    )
    high = _whole(
        changes.get("interval_max"),
        "sessions.interval_max",
        1,
        MAX_INTERVAL_DAYS,
        "the longest interval (days)",
    )
    if low > high:
        raise ServiceError(
            f"The shortest interval ({low} days) is longer than the longest ({high} days).",
            field="sessions.interval_min",
        )
    return {"count": count, "interval_days": {"min": low, "max": high}}


def plan_schedule(first: dt.date, count: int, low: int, high: int, provisional: bool) -> list[dict[str, Any]]:
    """Return the session windows as the contract defines them: session 1 from `first` to
    `first + high - low`; each later one inside [previous earliest + low, previous earliest +
    high] (the same rule the core planner applies)."""
    windows = [
        {
            "session": 1,
            "earliest": first.isoformat(),
            "latest": (first + dt.timedelta(days=high - low)).isoformat(),
            "provisional": provisional,
        }
    ]
    for n in range(2, count + 1):
        previous = first + dt.timedelta(days=low * (n - 2))
        windows.append(
            {
                "session": n,
                "earliest": (previous + dt.timedelta(days=low)).isoformat(),
                "latest": (previous + dt.timedelta(days=high)).isoformat(),
                "provisional": provisional,
            }
        )
    return windows


def _edited_adjuncts(course: Course, selected: Sequence[str]) -> list[dict[str, Any]]:
    offered = _default_adjuncts(course.plan.get("adjuncts", []))
    codes = {a["code"] for a in offered}
    unknown = [c for c in selected if c not in codes]
    if unknown:
        raise ServiceError(
            f"{', '.join(unknown)} is not an adjunct the protocol offers for this goal.", field="adjuncts"
        )
    kept = [a["code"] for a in offered if not a.get("optional", True) and a["code"] not in selected]
    if kept:
        raise ServiceError(
            f"{', '.join(kept)} is part of the protocol for this goal and cannot be left out.",
            field="adjuncts",
        )
    return [{**a, "selected": a["code"] in selected} for a in offered]


def _edited_plan(course: Course, changes: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - {"areas", "sessions", "adjuncts"}
    if unknown:
        raise ServiceError(f"Cannot change {', '.join(sorted(unknown))} of a plan.", field="changes")
    plan = copy.deepcopy(course.plan)
    if "areas" in changes:
        plan["areas"] = _edited_areas(course, changes["areas"])
    if "sessions" in changes:
        plan["sessions"] = _edited_sessions(course, changes["sessions"])
        schedule = plan.get("schedule") or [{}]
        first = dt.date.fromisoformat(schedule[0].get("earliest", course.start_date.isoformat()))
        window = plan["sessions"]["interval_days"]
        plan["schedule"] = plan_schedule(
            first,
            plan["sessions"]["count"],
            window["min"],
            window["max"],
            bool(schedule[0].get("provisional")),
        )
    if "adjuncts" in changes:
        plan["adjuncts"] = _edited_adjuncts(course, list(changes["adjuncts"]))
    return plan


@transaction.atomic
def course_edit(*, course: Course, actor: Any, expected_version: int, changes: Mapping[str, Any]) -> Course:
    """Change a draft plan within the protocol's limits and return the course.

    `changes` may hold "areas" (a list of {"area", "min", "max"} in mm: the areas to treat),
    "sessions" ({"count", "interval_min", "interval_max"} in days) and "adjuncts" (the codes
    selected). Refused with the field at fault when a limit is broken, and with StaleEdit when
    someone saved the course since `expected_version`."""
    _require_clinical(actor, "edit a plan")
    _require_draft(course)
    plan = _edited_plan(course, changes)
    candidate = copy.copy(course)
    candidate.plan = plan
    _clean(candidate)
    bump_version(course, expected=expected_version, plan=plan)
    audit_record(
        actor=actor,
        action="change",
        obj=course,
        summary=f"edited plan ({', '.join(sorted(changes))}), version {course.version}",
    )
    return course


@transaction.atomic
def depth_override_give(
    *, course: Course, area: str, depth_max_mm: Decimal | float, reason: str, actor: Any
) -> DepthOverride:
    """Record the medical director's permission to plan `area` of `course` deeper than the
    protocol's ceiling, up to `depth_max_mm`, with a reason. A second override for the same
    area replaces the first (the audit trail keeps both)."""
    if not getattr(actor, "is_medical_director", False):
        raise ServiceError(
            "Only the medical director can allow a depth beyond the protocol's ceiling.", field=""
        )
    _require_draft(course)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("Give the clinical reason for going beyond the ceiling.", field="reason")
    if area not in [a["area"] for a in course.plan.get("areas", [])]:
        raise ServiceError(f"{_label(area)} is not an area of this plan.", field="area")
    try:
        depth = Decimal(str(depth_max_mm)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ServiceError("Enter the depth in millimetres.", field="depth_max_mm") from None
    _depth(depth, "depth_max_mm")
    ceiling = area_ceiling(course, area)
    if float(depth) <= ceiling:
        raise ServiceError(
            f"{_mm(depth)} is within the ceiling of {_mm(ceiling)}: no override is needed.",
            field="depth_max_mm",
        )
    override = DepthOverride.objects.select_for_update().filter(course=course, area=area).first()
    action = "change" if override else "create"
    override = override or DepthOverride(course=course, area=area)
    override.depth_max_mm, override.reason, override.given_by = depth, reason, actor
    override.given_at = timezone.now()
    _clean(override)
    override.save()
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
        gate.course_blockers(course, gate.Step.APPROVE, day=timezone.localdate()), gate.Audience.CLINICAL
    )
    if not areas:
        reasons.append("The plan has no area to treat.")
    overrides = {o.area: float(o.depth_max_mm) for o in course.overrides.all()}
    for entry in course.plan.get("areas", []):
        depth, ceiling = float(entry["depth_mm"]["max"]), area_ceiling(course, entry["area"])
        if depth > ceiling and depth > overrides.get(entry["area"], 0):
            reasons.append(
                f"{_label(entry['area'])} is planned to {_mm(depth)}, beyond the "
                f"ceiling of {_mm(ceiling)}, without the medical director's override."
            )
    return reasons


@transaction.atomic
def course_approve(*, course: Course, actor: Any, expected_version: int) -> Course:
    """Approve a draft course and create its sessions 1..count (planned, not yet scheduled).

    Refused (Blocked, saying why) while the latest screening defers, contraindicates or waits
    for a clearance, or the plan is not bookable or goes beyond a ceiling without override.
    The plan keeps the screening it was approved on."""
    _require_clinical(actor, "approve a course")
    _require_draft(course)
    reasons = approval_blockers(course)
    if reasons:
        found = gate.course_blockers(course, gate.Step.APPROVE, day=timezone.localdate())
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
    _clean(candidate)
    bump_version(course, expected=expected_version, **changes)
    audit_record(actor=actor, action="change", obj=course, summary="approved the course")
    for number in range(1, int(plan["sessions"]["count"]) + 1):
        session = TreatmentSession(
            course=course, patient=course.patient, number=number, status=SessionStatus.PLANNED
        )
        _clean(session)
        session.save()
        audit_record(actor=actor, action="create", obj=session, summary=f"session {number} planned")
    return course


# ---------------------------------------------------------------------------------------------
# Selectors (reads for the consultation pages)
# ---------------------------------------------------------------------------------------------


def patient_intakes(patient: Patient) -> QuerySet[Intake]:
    return Intake.objects.filter(patient=patient).select_related("created_by").order_by("-number")


def patient_clearances(patient: Patient) -> QuerySet[Clearance]:
    return (
        Clearance.objects.filter(patient=patient)
        .select_related("given_by", "revoked_by")
        .order_by("-given_at", "-id")
    )


def patient_courses(patient: Patient) -> QuerySet[Course]:
    return (
        Course.objects.filter(patient=patient)
        .select_related("created_by", "approved_by")
        .order_by("-created_at", "-id")
    )


def latest_assessment(patient: Patient) -> Assessment | None:
    return (
        Assessment.objects.filter(patient=patient)
        .select_related("assessed_by")
        .order_by("-assessed_at", "-id")
        .first()
    )


def latest_screening_detail(patient: Patient) -> Screening | None:
    return (
        Screening.objects.filter(patient=patient)
        .select_related("created_by", "intake")
        .order_by("-created_at", "-id")
        .first()
    )
