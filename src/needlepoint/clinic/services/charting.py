"""The chart of a session: pen and cartridge lot, anaesthetic times, each area's depth and
passes, PRP/PRF and topicals from the plan, the end-point, reactions, adverse events and notes.

A chart is saved whole (all-or-nothing) against the version the practitioner opened, so a
stale save is refused, never merged; only on the day of the visit (or later, marked late), and
after a day-of re-screen that lets the session be treated (`chart_rules`). Every time on the
chart falls on the day of the visit and none is in the future. Signing is in `chart_signing`."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from needlepoint.audit.services import audit_record
from needlepoint.clinic.models import (
    AdverseEvent,
    AreaTreatment,
    Course,
    CourseStatus,
    DepthOverride,
    Device,
    SessionStatus,
    Severity,
    TreatmentSession,
)
from needlepoint.clinic.services import (
    Blocked,
    ServiceError,
    bump_version,
    clinic_today,
    require_role,
    validated,
)
from needlepoint.clinic.services.chart_rules import (
    late_entry,
    refuse_if_closed,
    require_chartable,
    require_on_the_day,
    require_version,
)
from needlepoint.clinical.screening import BLOCKING
from needlepoint.clinical.vocab import area_label
from needlepoint.words import human_day

if TYPE_CHECKING:
    from needlepoint.accounts.models import User

END_POINTS = {"pinpoint_bleeding": "Pinpoint bleeding", "erythema": "Even erythema (redness)"}
PLATELET_ADJUNCTS = {"prp": "PRP", "prf": "PRF"}
MAX_PASSES = 20
MAX_PLATELET_ML = Decimal("20")


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
        refuse_if_closed(session)
        require_on_the_day(session, clinic_today())
        require_chartable(session, today_only=True)
    except ServiceError as exc:
        return exc
    return None


@transaction.atomic
def chart_save(
    *, session: TreatmentSession, actor: "User", expected_version: int, data: ChartData
) -> TreatmentSession:
    """Save the whole chart of `session` if nobody saved it since `expected_version`; replaces
    its area rows, keeps adverse events by id. The session is then "in progress" and its course
    "active". Refused before the day of the visit; after it, the chart is marked entered late.
    Returns the session with its new version."""
    require_role(actor, clinical=True, doing="chart a session")
    session.refresh_from_db()
    refuse_if_closed(session)
    require_version(session, expected_version)
    today = clinic_today()
    day = require_on_the_day(session, today)
    require_chartable(session, today_only=True)
    changes = _session_changes(session, data, day) | late_entry(session, day, today, actor)
    for key, value in changes.items():
        setattr(session, key, value)
    validated(session)
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
    check_anaesthetic(data.anaesthetic_on, data.anaesthetic_off, signing=False, day=day)
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


def check_anaesthetic(
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
            f"The anaesthetic {what} at {local:%H:%M} on {human_day(local.date())}, "
            f"but this session was on {human_day(day)}: give a time on the day of "
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
        validated(
            AreaTreatment(session=session, area=row.area, depth_mm=row.depth_mm, passes=row.passes)
        ).save()


def _save_adverse_events(session: TreatmentSession, rows: tuple[AdverseEventRow, ...], actor: "User") -> None:
    keep = {row.id for row in rows if row.id is not None}
    session.adverse_events.exclude(id__in=keep).delete()
    existing = {e.id: e for e in session.adverse_events.all()}
    for row in rows:
        fields = {"kind": row.kind.strip(), "severity": row.severity, "action": row.action.strip()}
        if row.id is None:
            validated(AdverseEvent(session=session, noted_by=actor, **fields)).save()
            continue
        event = existing[row.id]
        if any(getattr(event, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(event, k, v)
            validated(event).save(update_fields=list(fields))


def _activate_course(course: Course, actor: "User") -> None:
    """Mark an approved course "active" once its first session is charted."""
    started = Course.objects.filter(pk=course.pk, status=CourseStatus.APPROVED).update(
        status=CourseStatus.ACTIVE, version=F("version") + 1
    )
    if started:
        course.refresh_from_db(fields=["status", "version"])
        audit_record(actor=actor, action="change", obj=course, summary="course started")


def _mm(value: Decimal) -> str:
    text = f"{value:.2f}".rstrip("0")
    return text + "0" if text.endswith(".") else text
