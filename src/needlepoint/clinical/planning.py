"""Course planning: from an intake, its screening and a start date to a proposed course.

The plan treats only the areas the screening left treatable, with depths from the protocol for
the goal and area (never beyond the area's ceiling), a session count by goal and severity, an
interval window, adjuncts, the preparation/day-of/aftercare timeline and expectations. A plan
for a patient the screening blocks is still produced, marked not bookable.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any, NamedTuple

from needlepoint.clinical.errors import PlanningError
from needlepoint.clinical.intake import IntakeModel
from needlepoint.clinical.protocol import CareItem, Goal, Protocol
from needlepoint.clinical.screening import Screening
from needlepoint.clinical.vocab import PLAN_SCHEMA


@dataclass(frozen=True, slots=True)
class AreaPlan:
    area: str
    depth_min: float
    depth_max: float
    ceiling: float
    sources: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "area": self.area,
            "depth_mm": {"min": self.depth_min, "max": self.depth_max},
            "ceiling_mm": self.ceiling,
            "sources": list(self.sources),
        }


class SessionWindow(NamedTuple):
    session: int
    earliest: dt.date
    latest: dt.date
    provisional: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "session": self.session,
            "earliest": self.earliest.isoformat(),
            "latest": self.latest.isoformat(),
            "provisional": self.provisional,
        }


class Plan(NamedTuple):
    """A proposed course; `bookable` is False whenever the screening blocks treatment."""

    screening: Screening
    goal: str
    other_goals: tuple[str, ...]
    session_count: int
    interval_min: int
    interval_max: int
    areas: tuple[AreaPlan, ...]
    adjuncts: tuple[dict[str, Any], ...]
    schedule: tuple[SessionWindow, ...]
    care: tuple[CareItem, ...]
    expectations: dict[str, Any]
    protocol: dict[str, str]

    @property
    def bookable(self) -> bool:
        return self.screening.bookable and bool(self.areas)

    def as_dict(self) -> dict[str, Any]:
        """Return the plan in the contract's JSON shape (needlepoint.plan/1)."""
        return {
            "schema": PLAN_SCHEMA,
            "bookable": self.bookable,
            "blocked_by": _blocked_by(self),
            "screening": self.screening.as_dict(),
            "goal": self.goal,
            "other_goals": list(self.other_goals),
            "sessions": {
                "count": self.session_count,
                "interval_days": {"min": self.interval_min, "max": self.interval_max},
            },
            "areas": [a.as_dict() for a in self.areas],
            "adjuncts": [dict(a) for a in self.adjuncts],
            "schedule": [s.as_dict() for s in self.schedule],
            "care": [dict(_care_doc(c)) for c in self.care],
            "expectations": dict(self.expectations),
            "protocol": dict(self.protocol),
        }


def _blocked_by(plan: Plan) -> list[str]:
    blocking = ("contraindicated", "defer", "needs_clearance")
    treatable = set(plan.screening.treatable_areas)
    return [
        f.code
        for f in plan.screening.findings
        if f.decision in blocking and (f.areas is None or not treatable or treatable.intersection(f.areas))
    ]


_CARE_DOCS: dict[int, tuple[CareItem, dict[str, Any]]] = {}


def _care_doc(c: CareItem) -> dict[str, Any]:
    """Return the JSON shape of a care item, built once per item (items are immutable)."""
    cached = _CARE_DOCS.get(id(c))
    if cached is not None and cached[0] is c:
        return cached[1]
    out: dict[str, Any] = {"offset_days": c.offset_days, "code": c.code, "text": c.text, "sources": c.sources}
    if c.duration_days is not None:
        out["duration_days"] = c.duration_days
    _CARE_DOCS[id(c)] = (c, out)
    return out


class Planner:
    """Proposes courses with one protocol; build once, plan many.

    What depends only on the protocol (depth per goal and area, adjuncts, expectations, the
    ordered care timeline) is worked out once here; `plan` adds what depends on the patient."""

    def __init__(self, protocol: Protocol):
        self.protocol = protocol
        self._care_items = tuple(sorted(protocol.care, key=lambda c: c.offset_days))
        self._conditional = frozenset(c.when for c in protocol.care if c.when != "always")
        self._care_cache: dict[frozenset[str], tuple[CareItem, ...]] = {}
        self._areas = {
            (g, a): _area_plan(protocol, goal, a)
            for g, goal in protocol.goals.items()
            for a in protocol.areas
        }
        self._adjuncts = {
            g: tuple(_adjunct_doc(protocol, c) for c in goal.adjuncts) for g, goal in protocol.goals.items()
        }
        self._expectations = {
            g: {
                "text": goal.expectations.text,
                "review_after_days": goal.expectations.review_after_days,
                "sources": goal.expectations.sources,
            }
            for g, goal in protocol.goals.items()
        }
        self._ref = protocol.ref
        self._grades = {
            g: {int(k): v for k, v in goal.sessions.by_goodman_baron_grade.items()}
            for g, goal in protocol.goals.items()
        }
        self._intervals = {
            g: (dt.timedelta(days=goal.interval_days.min), dt.timedelta(days=goal.interval_days.max))
            for g, goal in protocol.goals.items()
        }
        self._leads: dict[int, dt.timedelta] = {}

    def plan(self, intake: IntakeModel, screening: Screening, start: dt.date) -> Plan:
        """Return the proposed course for `intake`, first session no earlier than `start`."""
        code = intake.goals[0]
        goal = self._goal(code)
        care = self._care(screening)
        count = self._session_count(code, intake)
        first = self._first_day(intake, screening, start, care)
        provisional = screening.decision == "defer" and screening.earliest_date is None
        # by position, as the fields are declared (built once per intake, on the hot path)
        return Plan(
            screening,
            code,
            tuple([g for g in dict.fromkeys(intake.goals) if g != code]),
            count,
            goal.interval_days.min,
            goal.interval_days.max,
            tuple([self._areas[code, a] for a in screening.treatable_areas]),
            self._adjuncts[code],
            _schedule(first, count, self._intervals[code], provisional),
            care,
            self._expectations[code],
            self._ref,
        )

    def _goal(self, code: str) -> Goal:
        try:
            return self.protocol.goals[code]
        except KeyError:
            raise PlanningError(f"the protocol has no plan for goal {code!r}", field="goals.0") from None

    def _care(self, screening: Screening) -> tuple[CareItem, ...]:
        """Return the care items that apply: always-items and those whose finding is present,
        ordered by offset (cached per combination of present findings)."""
        present = frozenset(f.code for f in screening.findings if f.code in self._conditional)
        care = self._care_cache.get(present)
        if care is None:
            care = tuple(c for c in self._care_items if c.when == "always" or c.when in present)
            self._care_cache[present] = care
        return care

    def _first_day(
        self, intake: IntakeModel, screening: Screening, start: dt.date, care: tuple[CareItem, ...]
    ) -> dt.date:
        """Return the first session's earliest day: after the start, the preparation lead (the
        earliest care item, care being ordered by offset) and any deferral."""
        lead = -min(0, care[0].offset_days) if care else 0
        step = self._leads.get(lead)
        if step is None:
            step = self._leads[lead] = dt.timedelta(days=lead)
        first = max(start, intake.assessed_on) + step
        if screening.earliest_date is not None:
            first = max(first, screening.earliest_date)
        return first

    def _session_count(self, goal: str, intake: IntakeModel) -> int:
        grade = intake.scars.goodman_baron_grade if intake.scars else None
        default = self.protocol.goals[goal].sessions.count
        return self._grades[goal].get(grade, default) if grade else default


def _area_plan(protocol: Protocol, goal: Goal, area: str) -> AreaPlan:
    """Return the planned depth of `area` for `goal`: the goal's own depth where the protocol
    gives one, else the area's default; never deeper than the area's ceiling."""
    entry = protocol.areas[area]
    override = goal.depths.areas.get(area) if goal.depths else None
    depth = override or entry.depth_mm
    sources = goal.depths.sources if override and goal.depths else entry.sources
    top = min(depth.max, entry.ceiling_mm)  # the loader refuses more; this keeps it true
    return AreaPlan(area, min(depth.min, top), top, entry.ceiling_mm, tuple(sources))


def _adjunct_doc(protocol: Protocol, code: str) -> dict[str, Any]:
    a = protocol.adjuncts[code]
    return {
        "code": code,
        "name": a.name,
        "optional": a.optional,
        "timing": a.timing,
        "sources": list(a.sources),
    }


def _schedule(
    first: dt.date, count: int, interval: tuple[dt.timedelta, dt.timedelta], provisional: bool
) -> tuple[SessionWindow, ...]:
    """Each session's window: session 1 from `first`; each later one inside [previous earliest +
    min, previous earliest + max] of the interval."""
    lo, hi = interval
    windows = [SessionWindow(1, first, first + (hi - lo), provisional)]
    day = first
    for n in range(2, count + 1):
        windows.append(SessionWindow(n, day + lo, day + hi, provisional))
        day += lo
    return tuple(windows)
