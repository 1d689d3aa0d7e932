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
from needlepoint.clinical.screening import BLOCKING, Screening
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
    treatable = set(plan.screening.treatable_areas)
    return [
        f.code
        for f in plan.screening.findings
        if f.decision in BLOCKING and (f.areas is None or not treatable or treatable.intersection(f.areas))
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


_NONE_PRESENT: frozenset[str] = frozenset()


class _GoalPlan(NamedTuple):
    """What a plan for one goal takes from the protocol, worked out once per Planner."""

    goal: Goal
    sessions: int  # the count unless the scar grade gives another
    by_grade: dict[int, int]
    areas: dict[str, AreaPlan]
    adjuncts: tuple[dict[str, Any], ...]
    expectations: dict[str, Any]
    # each session's window from the first session's day (number, earliest, latest), for the
    # largest count the goal can have: session 1 spans max - min, session n starts n - 1 minimal
    # intervals after the first and ends one maximal interval after the session before
    offsets: tuple[tuple[int, dt.timedelta, dt.timedelta], ...]


class Planner:
    """Proposes courses with one protocol; build once, plan many.

    What depends only on the protocol (depth per goal and area, adjuncts, expectations, session
    counts and the shape of the schedule, the ordered care timeline) is worked out once here;
    `plan` adds what depends on the patient."""

    def __init__(self, protocol: Protocol):
        self.protocol = protocol
        self._care_items = tuple(sorted(protocol.care, key=lambda c: c.offset_days))
        self._conditional = frozenset(c.when for c in protocol.care if c.when != "always")
        self._care_cache: dict[frozenset[str], tuple[tuple[CareItem, ...], dt.timedelta]] = {}
        self._goals = {g: _goal_plan(protocol, goal) for g, goal in protocol.goals.items()}
        self._ref = protocol.ref
        # schedules by (first day, goal, count, provisional): windows are immutable, and the
        # patients assessed on one day mostly share their first day (a bounded memo)
        self._schedules: dict[tuple[dt.date, str, int, bool], tuple[SessionWindow, ...]] = {}

    def plan(self, intake: IntakeModel, screening: Screening, start: dt.date) -> Plan:
        """Return the proposed course for `intake`, first session no earlier than `start`."""
        code = intake.goals[0]
        g = self._goals.get(code) or self._goal(code)  # (the call only to refuse an unknown goal)
        care, lead = self._care(screening)
        grade = intake.scars.goodman_baron_grade if intake.scars else None
        count = g.by_grade.get(grade, g.sessions) if grade else g.sessions
        first = max(start, intake.assessed_on) + lead
        if screening.earliest_date is not None:
            first = max(first, screening.earliest_date)
        provisional = screening.decision == "defer" and screening.earliest_date is None
        key = (first, code, count, provisional)
        schedule = self._schedules.get(key)
        if schedule is None:
            if len(self._schedules) >= 4096:
                self._schedules.clear()
            schedule = self._schedules[key] = _schedule(first, g.offsets[:count], provisional)
        others = (
            () if len(intake.goals) == 1 else tuple([o for o in dict.fromkeys(intake.goals) if o != code])
        )
        # the fields as declared, built by tuple.__new__ (see _schedule)
        return tuple.__new__(
            Plan,
            (
                screening,
                code,
                others,
                count,
                g.goal.interval_days.min,
                g.goal.interval_days.max,
                tuple([g.areas[a] for a in screening.treatable_areas]),
                g.adjuncts,
                schedule,
                care,
                g.expectations,
                self._ref,
            ),
        )

    def _goal(self, code: str) -> _GoalPlan:
        g = self._goals.get(code)
        if g is None:
            raise PlanningError(f"the protocol has no plan for goal {code!r}", field="goals.0")
        return g

    def _care(self, screening: Screening) -> tuple[tuple[CareItem, ...], dt.timedelta]:
        """Return the care items that apply, always-items and those whose finding is present,
        ordered by offset, with the preparation lead they ask before the first session (both
        worked out once per combination of present findings)."""
        codes = [f.code for f in screening.findings if f.code in self._conditional]
        present = frozenset(codes) if codes else _NONE_PRESENT
        found = self._care_cache.get(present)
        if found is None:
            care = tuple(c for c in self._care_items if c.when == "always" or c.when in present)
            lead = -min(0, care[0].offset_days) if care else 0  # care is ordered by offset
            found = self._care_cache[present] = (care, dt.timedelta(days=lead))
        return found


def _goal_plan(protocol: Protocol, goal: Goal) -> _GoalPlan:
    by_grade = {int(k): v for k, v in goal.sessions.by_goodman_baron_grade.items()}
    lo, hi = goal.interval_days.min, goal.interval_days.max
    most = max([goal.sessions.count, *by_grade.values()])
    offsets = [(1, dt.timedelta(0), dt.timedelta(days=hi - lo))]
    offsets += [
        (n, dt.timedelta(days=(n - 1) * lo), dt.timedelta(days=(n - 2) * lo + hi)) for n in range(2, most + 1)
    ]
    return _GoalPlan(
        goal=goal,
        sessions=goal.sessions.count,
        by_grade=by_grade,
        areas={a: _area_plan(protocol, goal, a) for a in protocol.areas},
        adjuncts=tuple(_adjunct_doc(protocol, c) for c in goal.adjuncts),
        expectations={
            "text": goal.expectations.text,
            "review_after_days": goal.expectations.review_after_days,
            "sources": goal.expectations.sources,
        },
        offsets=tuple(offsets),
    )


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
    first: dt.date, offsets: tuple[tuple[int, dt.timedelta, dt.timedelta], ...], provisional: bool
) -> tuple[SessionWindow, ...]:
    """Each session's window, from the first session's day and the goal's offsets. The windows
    are built by tuple.__new__ (fields as declared): a NamedTuple's own __new__ is a Python
    function, a frame per window."""
    new = tuple.__new__
    return tuple([new(SessionWindow, (n, first + lo, first + hi, provisional)) for n, lo, hi in offsets])
