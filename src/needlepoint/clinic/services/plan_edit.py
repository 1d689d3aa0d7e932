"""Editing a draft plan within the protocol's limits: the areas the screening left treatable,
each depth under its ceiling unless the medical director allowed more, the number of sessions
and the interval between them (never shorter than the goal's minimum: the skin needs that long
to recover), and the adjuncts the protocol offers for the goal."""

import copy
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.db import transaction

from needlepoint.audit.services import audit_record
from needlepoint.clinic.models import Course, DepthOverride
from needlepoint.clinic.protocol import clinic_protocol
from needlepoint.clinic.services import Blocked, ServiceError, bump_version, require_role, validated
from needlepoint.clinic.services.course_plan import (
    MAX_INTERVAL_DAYS,
    MAX_SESSIONS,
    area_ceiling,
    area_words,
    checked_depth,
    default_adjuncts,
    mm,
    require_draft,
)
from needlepoint.clinic.services.screening import treatable_areas

if TYPE_CHECKING:
    from needlepoint.accounts.models import User


def _override_max(course: Course, area: str) -> float | None:
    found = DepthOverride.objects.filter(course=course, area=area).first()
    return float(found.depth_max_mm) if found else None


def _edited_area(course: Course, item: Mapping[str, Any], treatable: list[str]) -> dict[str, Any]:
    """Return one checked plan area: treatable, 0 < min <= max, and no deeper than the ceiling
    unless the medical director allowed it (an override for this course and area)."""
    area = str(item.get("area", ""))
    if area not in treatable:
        raise ServiceError(
            f"{area_words(area)} is not an area the screening left treatable, so it cannot be planned.",
            field=f"areas.{area}",
        )
    low = checked_depth(item.get("min"), f"areas.{area}.min")
    high = checked_depth(item.get("max"), f"areas.{area}.max")
    if low > high:
        raise ServiceError(
            f"{area_words(area)}: the shallowest depth ({mm(low)}) is more than the deepest ({mm(high)}).",
            field=f"areas.{area}.min",
        )
    ceiling = area_ceiling(course, area)
    allowed = _override_max(course, area)
    if high > ceiling and (allowed is None or high > allowed):
        extra = (
            f" The medical director's override allows up to {mm(allowed)}."
            if allowed is not None
            else " It needs the medical director's override, with a reason."
        )
        raise Blocked(
            f"{area_words(area)}: {mm(high)} is deeper than the protocol's ceiling of "
            f"{mm(ceiling)} for this area.{extra}",
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
    offered = default_adjuncts(course.plan.get("adjuncts", []))
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
    plan: dict[str, Any] = copy.deepcopy(course.plan)
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
def course_edit(
    *, course: Course, actor: "User", expected_version: int, changes: Mapping[str, Any]
) -> Course:
    """Change a draft plan within the protocol's limits and return the course.

    `changes` may hold "areas" (a list of {"area", "min", "max"} in mm: the areas to treat),
    "sessions" ({"count", "interval_min", "interval_max"} in days) and "adjuncts" (the codes
    selected). Refused with the field at fault when a limit is broken, and with StaleEdit when
    someone saved the course since `expected_version`."""
    require_role(actor, clinical=True, doing="edit a plan")
    require_draft(course)
    plan = _edited_plan(course, changes)
    candidate = copy.copy(course)
    candidate.plan = plan
    validated(candidate)
    bump_version(course, expected=expected_version, plan=plan)
    audit_record(
        actor=actor,
        action="change",
        obj=course,
        summary=f"edited plan ({', '.join(sorted(changes))}), version {course.version}",
    )
    return course
