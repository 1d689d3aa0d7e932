"""Session charting: the day-of re-screen, the chart, signing, and addenda after signing.

A session is charted only on the day of its booked appointment (clinic's zone), when its course
is approved (or under way), the patient has signed consent, and a day-of re-screen done today for
this session does not block treatment. Before that day nothing is written; after it, a late entry
is allowed and the chart says so (who, when). Every time on the chart falls on the day of the
visit and none is in the future. A chart is saved whole (all-or-nothing) against the version the
practitioner opened, so a stale save is refused, never merged. Signing locks it: the services
refuse every later change and the database triggers (migration 0002) refuse it too; later notes
are addenda."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Model
from django.utils import timezone

from needlepoint.audit.services import audit_record
from needlepoint.bookings.models import Appointment
from needlepoint.clinic.models import (
    Addendum,
    AdverseEvent,
    AreaTreatment,
    Course,
    CourseStatus,
    DepthOverride,
    Device,
    Intake,
    IntakeSource,
    Screening,
    SessionStatus,
    Severity,
    TreatmentSession,
)
from needlepoint.clinic.services import Blocked, ServiceError, StaleEdit, bump_version, gate
from needlepoint.clinic.services.screening import intake_create, screening_run
from needlepoint.clinical.gate import Facts, blockers
from needlepoint.clinical.screening import BLOCKING
from needlepoint.clinical.vocab import area_label

END_POINTS = {"pinpoint_bleeding": "Pinpoint bleeding", "erythema": "Even erythema (redness)"}
PLATELET_ADJUNCTS = {"prp": "PRP", "prf": "PRF"}
MAX_PASSES = 20
MAX_PLATELET_ML = Decimal("20")
CHARTABLE_COURSE = (CourseStatus.APPROVED, CourseStatus.ACTIVE)
PREGNANCY_ANSWERS = {  # the day-of answer -> the intake's pregnancy code
    "no": "no",
    "trying": "trying",
    "breastfeeding": "breastfeeding",
    "pregnant": "pregnant",
    "possibly_pregnant": "pregnant",  # cautious: treated as pregnant until ruled out
}


# ---- the day of the visit ----------------------------------------------------------------------


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


def _long_date(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def _require_on_the_day(session: TreatmentSession, today: dt.date) -> dt.date:
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
        _require_on_the_day(session, timezone.localdate())
    except ServiceError as exc:
        return exc
    return None


def _late_entry(session: TreatmentSession, day: dt.date, today: dt.date, actor: Any) -> dict[str, Any]:
    """Return the fields marking the chart "entered late" (when, by whom) the first time it is
    written after the day of its visit; nothing on the day itself or once marked."""
    if today <= day or session.entered_late_at is not None:
        return {}
    return {"entered_late_at": timezone.now(), "entered_late_by": actor}


# ---- the day-of re-screen ----------------------------------------------------------------------


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
def session_rescreen(*, session: TreatmentSession, answers: DayOfAnswers, actor: Any) -> Screening:
    """Screen the patient again on the day of `session`: store a new intake version (the latest
    one, assessed on the day of the visit, with the answers) and its screening as the session's
    day-of screening. Refused before that day or for a session not booked; after it, the chart
    is marked entered late. Returns the screening; when it defers, contraindicates or waits on
    a clearance, the session becomes "blocked" (and is freed again by a later re-screen that
    does not block)."""
    _require_clinician(actor)
    TreatmentSession.objects.select_for_update().filter(pk=session.pk).first()
    session.refresh_from_db()
    _refuse_if_closed(session)
    _require_course_open(session.course)
    today = timezone.localdate()
    day = _require_on_the_day(session, today)
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
    late = _late_entry(session, day, today, actor)
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


def block_reasons(screening: Screening | None) -> list[str]:
    """Return, in clinical staff's words, why the safety gate will not let `screening` (a
    day-of re-screen) be treated on (empty when it does): contraindicated, deferred or waiting
    on a clearance, each with its findings' messages."""
    if screening is None:
        return []
    facts = Facts(**gate.screening_facts(screening), cleared=frozenset(screening.cleared_codes))
    found = blockers(gate.Step.TREAT, timezone.localdate(screening.created_at), facts)
    return gate.words(found, gate.Audience.CLINICAL)


# ---- the chart ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaRow:
    area: str
    depth_mm: Decimal
    passes: int


@dataclass(frozen=True)
class AdverseEventRow:
    """An adverse event on the chart; `id` names an event already charted (kept, edited)."""

    kind: str
    severity: str
    action: str
    id: int | None = None


@dataclass(frozen=True)
class ChartData:
    """A whole chart as the practitioner saves it; what is not given is saved empty."""

    device: Device | None = None
    cartridge_lot: str = ""
    anaesthetic_on: dt.datetime | None = None
    anaesthetic_off: dt.datetime | None = None
    areas: tuple[AreaRow, ...] = ()
    prp_ml: Decimal | None = None
    prf_ml: Decimal | None = None
    topicals: tuple[str, ...] = ()
    end_point: str = ""
    immediate_reactions: str = ""
    adverse_events: tuple[AdverseEventRow, ...] = ()
    notes: str = ""


def charting_refusal(session: TreatmentSession) -> ServiceError | None:
    """Return why `session` cannot be charted now (an error to show), or None when it can."""
    try:
        _refuse_if_closed(session)
        _require_on_the_day(session, timezone.localdate())
        _require_chartable(session, today_only=True)
    except ServiceError as exc:
        return exc
    return None


@transaction.atomic
def chart_save(
    *, session: TreatmentSession, actor: Any, expected_version: int, data: ChartData
) -> TreatmentSession:
    """Save the whole chart of `session` if nobody saved it since `expected_version`; replaces
    its area rows, keeps adverse events by id. The session is then "in progress" and its course
    "active". Refused before the day of the visit; after it, the chart is marked entered late.
    Returns the session with its new version."""
    _require_clinician(actor)
    session.refresh_from_db()
    _refuse_if_closed(session)
    _require_version(session, expected_version)
    today = timezone.localdate()
    day = _require_on_the_day(session, today)
    _require_chartable(session, today_only=True)
    changes = _session_changes(session, data, day) | _late_entry(session, day, today, actor)
    for key, value in changes.items():
        setattr(session, key, value)
    _clean(session)
    bump_version(session, expected=expected_version, **changes)
    _save_areas(session, data.areas)
    _save_adverse_events(session, data.adverse_events, actor)
    _activate_course(session.course, actor)
    audit_record(
        actor=actor,
        action="change",
        obj=session,
        summary=f"chart saved: {len(data.areas)} area(s), "
        f"{len(data.adverse_events)} adverse event(s)" + ("; entered late" if today > day else ""),
    )
    return session


def _session_changes(session: TreatmentSession, data: ChartData, day: dt.date) -> dict[str, Any]:
    """Return the session's fields for `data`, or raise ServiceError naming the field at fault."""
    _check_device(data.device)
    _check_anaesthetic(data.anaesthetic_on, data.anaesthetic_off, signing=False, day=day)
    _check_areas(session, data.areas)
    if data.end_point and data.end_point not in END_POINTS:
        raise ServiceError("Choose the end-point: pinpoint bleeding or even erythema.", field="end_point")
    _check_adverse_events(session, data.adverse_events)
    return {
        "device": data.device,
        "cartridge_lot": data.cartridge_lot.strip(),
        "anaesthetic_on": data.anaesthetic_on,
        "anaesthetic_off": data.anaesthetic_off,
        "adjuncts": _adjuncts(session.course, data),
        "end_point": data.end_point,
        "immediate_reactions": data.immediate_reactions.strip(),
        "notes": data.notes.strip(),
        "status": SessionStatus.IN_PROGRESS,
    }


def _check_device(device: Device | None) -> None:
    if device is not None and device.kind == "centrifuge":
        raise ServiceError(f"{device} is a centrifuge; choose the microneedling pen used.", field="device")


def _check_anaesthetic(
    on: dt.datetime | None, off: dt.datetime | None, *, signing: bool, day: dt.date
) -> None:
    _check_on_the_day(on, day, "anaesthetic_on", "went on")
    _check_on_the_day(off, day, "anaesthetic_off", "came off")
    if off is not None and on is None:
        raise ServiceError(
            "Give the time the anaesthetic went on before the time it came off.", field="anaesthetic_on"
        )
    if on is not None and off is not None and off < on:
        raise ServiceError(
            "The anaesthetic cannot come off before it went on: check both times.", field="anaesthetic_off"
        )
    if signing and on is not None and off is None:
        raise ServiceError("Give the time the anaesthetic came off before signing.", field="anaesthetic_off")


def _check_on_the_day(at: dt.datetime | None, day: dt.date, field: str, what: str) -> None:
    """Refuse a time on the chart that is not on the day of the visit or is still to come."""
    if at is None:
        return
    local = timezone.localtime(at)
    if local.date() != day:
        raise ServiceError(
            f"The anaesthetic {what} at {local:%H:%M} on {_long_date(local.date())}, "
            f"but this session was on {_long_date(day)}: give a time on the day of "
            "the session.",
            field=field,
        )
    if at > timezone.now():
        raise ServiceError(
            f"{local:%H:%M} is still to come: chart the time the anaesthetic {what} once it has happened.",
            field=field,
        )


def area_limits(course: Course) -> dict[str, tuple[Decimal, bool]]:
    """Return, per area of the course's plan, the deepest needle allowed (mm) and whether a
    medical director's override set it: the plan's maximum, or the override's when deeper."""
    limits = {
        a["area"]: (Decimal(str(a["depth_mm"]["max"])), False)
        for a in (course.plan or {}).get("areas", [])
        if a.get("area")
    }
    for o in DepthOverride.objects.filter(course=course, area__in=list(limits)):
        if o.depth_max_mm > limits[o.area][0]:
            limits[o.area] = (o.depth_max_mm, True)
    return limits


def _check_areas(session: TreatmentSession, rows: tuple[AreaRow, ...]) -> None:
    limits = area_limits(session.course)
    today = _day_of_areas(session)
    seen: set[str] = set()
    for i, row in enumerate(rows):
        name = area_label(row.area)
        if row.area not in limits:
            allowed = ", ".join(area_label(a) for a in limits) or "none"
            raise ServiceError(
                f"{name.capitalize()} is not an area of this course's plan (planned: {allowed}).",
                field=f"areas.{i}.area",
            )
        if row.area in seen:
            raise ServiceError(
                f"{name.capitalize()} is charted twice; give it one row.", field=f"areas.{i}.area"
            )
        seen.add(row.area)
        if today.get(row.area) in BLOCKING:
            raise Blocked(
                f"Today's re-screen rules out the {name}: do not treat it today.", field=f"areas.{i}.area"
            )
        _check_depth(i, name, row.depth_mm, limits[row.area])
        if not 1 <= row.passes <= MAX_PASSES:
            raise ServiceError(
                f"Passes for the {name} must be between 1 and {MAX_PASSES}.", field=f"areas.{i}.passes"
            )


def _check_depth(i: int, name: str, depth: Decimal, limit: tuple[Decimal, bool]) -> None:
    field = f"areas.{i}.depth_mm"
    if depth <= 0:
        raise ServiceError(f"The depth for the {name} must be more than 0 mm.", field=field)
    if depth.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ServiceError(f"Give the depth for the {name} to at most two decimals (e.g. 1.25).", field=field)
    top, overridden = limit
    if depth > top:
        why = "the medical director's override" if overridden else "this course's plan"
        raise ServiceError(
            f"{_mm(depth)} mm is deeper than {why} allows for the {name} (at most {_mm(top)} mm).",
            field=field,
        )


def _day_of_areas(session: TreatmentSession) -> dict[str, str]:
    screening = session.day_of_screening
    return dict(screening.result.get("areas", {})) if screening is not None else {}


def _adjuncts(course: Course, data: ChartData) -> dict[str, Any]:
    planned = {a.get("code"): a for a in (course.plan or {}).get("adjuncts", [])}
    out: dict[str, Any] = {}
    for code, label in PLATELET_ADJUNCTS.items():
        ml = getattr(data, f"{code}_ml")
        if ml is None or ml == 0:
            continue
        if code not in planned:
            raise ServiceError(f"{label} is not part of this course's plan.", field=f"{code}_ml")
        if not 0 < ml <= MAX_PLATELET_ML:
            raise ServiceError(
                f"Give the {label} volume in ml, more than 0 and at most {MAX_PLATELET_ML}.",
                field=f"{code}_ml",
            )
        out[f"{code}_ml"] = float(ml)
    allowed = topical_choices(course)
    for code in data.topicals:
        if code not in allowed:
            raise ServiceError(
                f"{code.replace('_', ' ').capitalize()} is not a topical of this "
                "course's plan for use during needling.",
                field="topicals",
            )
    out["topicals"] = list(dict.fromkeys(data.topicals))
    return out


def topical_choices(course: Course) -> dict[str, str]:
    """Return the plan's topicals for use during needling (code -> name); PRP/PRF are charted
    by volume, and adjuncts for between sessions are never applied during needling."""
    return {
        a["code"]: a.get("name") or a["code"]
        for a in (course.plan or {}).get("adjuncts", [])
        if a.get("code") and a["code"] not in PLATELET_ADJUNCTS and a.get("timing", "during") == "during"
    }


def _check_adverse_events(session: TreatmentSession, rows: tuple[AdverseEventRow, ...]) -> None:
    known = set(session.adverse_events.values_list("id", flat=True))
    for i, row in enumerate(rows):
        if not row.kind.strip():
            raise ServiceError("Say what the adverse event was.", field=f"adverse_events.{i}.kind")
        if row.severity not in Severity.values:
            raise ServiceError(
                "Choose the severity: mild, moderate or severe.", field=f"adverse_events.{i}.severity"
            )
        if not row.action.strip():
            raise ServiceError(
                "Say what was done about the adverse event.", field=f"adverse_events.{i}.action"
            )
        if row.id is not None and row.id not in known:
            raise ServiceError("That adverse event is not on this chart.", field=f"adverse_events.{i}.kind")


def _save_areas(session: TreatmentSession, rows: tuple[AreaRow, ...]) -> None:
    session.areas.all().delete()
    for row in rows:
        _create(AreaTreatment(session=session, area=row.area, depth_mm=row.depth_mm, passes=row.passes))


def _save_adverse_events(session: TreatmentSession, rows: tuple[AdverseEventRow, ...], actor: Any) -> None:
    keep = {row.id for row in rows if row.id is not None}
    session.adverse_events.exclude(id__in=keep).delete()
    existing = {e.id: e for e in session.adverse_events.all()}
    for row in rows:
        fields = {"kind": row.kind.strip(), "severity": row.severity, "action": row.action.strip()}
        if row.id is None:
            _create(AdverseEvent(session=session, noted_by=actor, **fields))
            continue
        event = existing[row.id]
        if any(getattr(event, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(event, k, v)
            _clean(event)
            event.save(update_fields=list(fields))


def _activate_course(course: Course, actor: Any) -> None:
    """Mark an approved course "active" once its first session is charted."""
    started = Course.objects.filter(pk=course.pk, status=CourseStatus.APPROVED).update(
        status=CourseStatus.ACTIVE, version=F("version") + 1
    )
    if started:
        course.refresh_from_db(fields=["status", "version"])
        audit_record(actor=actor, action="change", obj=course, summary="course started")


# ---- signing and addenda -----------------------------------------------------------------------


@transaction.atomic
def chart_sign(*, session: TreatmentSession, actor: Any, expected_version: int) -> TreatmentSession:
    """Sign the chart of `session` as `actor`, locking it for good. Requires the day of the visit
    (or later: a late entry, marked) and its appointment's start time to have come, at least one
    area, the pen and cartridge lot used, and anaesthetic times on that day. Returns the
    session."""
    _require_clinician(actor)
    session.refresh_from_db()
    _refuse_if_closed(session)
    _require_version(session, expected_version)
    today = timezone.localdate()
    day = _require_on_the_day(session, today)
    _require_started(session)
    _require_chartable(session, today_only=False)
    if session.status != SessionStatus.IN_PROGRESS or not session.areas.exists():
        raise ServiceError("Chart at least one area (depth and passes) before signing.", field="areas")
    if session.device_id is None:
        raise ServiceError("Record the pen used before signing.", field="device")
    if not session.cartridge_lot:
        raise ServiceError(
            "Record the cartridge lot before signing: it is how a faulty batch is traced.",
            field="cartridge_lot",
        )
    _check_anaesthetic(session.anaesthetic_on, session.anaesthetic_off, signing=True, day=day)
    changes = {
        "status": SessionStatus.SIGNED,
        "signed_at": timezone.now(),
        "signed_by": actor,
        **_late_entry(session, day, today, actor),
    }
    for key, value in changes.items():
        setattr(session, key, value)
    _clean(session)
    bump_version(session, expected=expected_version, **changes)
    audit_record(
        actor=actor,
        action="sign",
        obj=session,
        summary=f"chart of session {session.number} signed" + ("; entered late" if today > day else ""),
    )
    _mark_attended(session, actor)
    return session


def _mark_attended(session: TreatmentSession, actor: Any) -> None:
    """The visit took place: its appointment is attended (see bookings.visits)."""
    from needlepoint.bookings.services.visits import appointment_attended  # bookings builds on the clinic app

    appointment_attended(session=session, actor=actor)


@transaction.atomic
def addendum_add(*, session: TreatmentSession, text: str, actor: Any) -> Addendum:
    """Add a note to a signed chart (the chart itself stays as signed). Returns the addendum."""
    _require_clinician(actor)
    text = text.strip()
    if not text:
        raise ServiceError("Write the addendum before saving it.", field="text")
    session.refresh_from_db()
    if session.status != SessionStatus.SIGNED:
        raise ServiceError(
            "Addenda are for signed charts; while the chart is open, write in its notes.", field="text"
        )
    addendum = _create(Addendum(session=session, text=text, written_by=actor))
    audit_record(
        actor=actor,
        action="create",
        obj=addendum,
        patient_id=session.patient_id,
        summary=f"addendum to session {session.number}",
    )
    return addendum


# ---- shared checks -----------------------------------------------------------------------------


def _require_started(session: TreatmentSession) -> None:
    """Refuse to sign a session as done before its appointment has begun."""
    appointment = booked_appointment(session)
    if appointment is not None and timezone.now() < appointment.starts_at:
        at = timezone.localtime(appointment.starts_at)
        raise Blocked(
            f"Session {session.number}'s appointment starts at {at:%H:%M}: sign the "
            "chart once the treatment has been given, not before.",
            field="appointment",
        )


def _require_clinician(actor: Any) -> None:
    if not getattr(actor, "is_clinical", False):
        raise ServiceError("Only the medical director or a practitioner can chart a session.")


def _refuse_if_closed(session: TreatmentSession) -> None:
    if session.status == SessionStatus.SIGNED:
        when = timezone.localtime(session.signed_at).strftime("%d %b %Y %H:%M")
        raise ServiceError(
            f"This chart was signed on {when} and can no longer be changed. Add an addendum instead.",
            field="status",
        )
    if session.status == SessionStatus.CANCELLED:
        raise ServiceError("This session was cancelled; it cannot be charted.", field="status")


def _require_version(session: TreatmentSession, expected: int) -> None:
    if session.version != expected:
        raise StaleEdit(
            "Someone else saved this chart after you opened it. Reload the page to "
            "see their changes, then make yours again.",
            field="version",
        )


def _require_course_open(course: Course) -> None:
    if course.status not in CHARTABLE_COURSE:
        raise Blocked(
            f"The course is {course.get_status_display().lower()}; only an approved course can be treated.",
            field="course",
        )


def _require_chartable(session: TreatmentSession, *, today_only: bool) -> None:
    """Raise Blocked unless the safety gate lets the session be treated today: the course
    approved or active, consent signed, the day it is booked for reached, and a day-of
    re-screen (done today, when `today_only`) that does not block it."""
    screening = session.day_of_screening
    fresh = screening is not None and not (
        today_only and timezone.localdate(screening.created_at) != timezone.localdate()
    )
    found = gate.session_blockers(session, gate.Step.TREAT, screening=screening if fresh else None)
    gate.refuse([b for b in found if b.code in BEFORE_RESCREEN], gate.Audience.CLINICAL)
    if screening is None or not fresh:
        raise Blocked("Do today's re-screen with the patient before charting.", field="screening")
    if found or session.status == SessionStatus.BLOCKED:
        raise Blocked(blocked_message(screening), field="screening")


BEFORE_RESCREEN = (gate.Code.NOT_APPROVED, gate.Code.CONSENT_MISSING, gate.Code.NOT_YET_DUE)


def blocked_message(screening: Screening) -> str:
    """Return, in clinical staff's words, why the re-screen blocks the session and until when."""
    reasons = " ".join(block_reasons(screening)) or "The re-screen does not allow treatment."
    return f"Today's re-screen blocks this session. {reasons}"


def _clean(obj: Model) -> None:
    try:
        obj.full_clean()
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ServiceError(" ".join(messages), field="" if field == "__all__" else field) from None


def _create[M: Model](obj: M) -> M:
    _clean(obj)
    obj.save()
    return obj


def _mm(value: Decimal) -> str:
    text = f"{value:.2f}".rstrip("0")
    return text + "0" if text.endswith(".") else text
