"""Course planning: from an intake, its screening and a start date to a proposed course.

The plan treats only the areas the screening left treatable, with depths from the protocol for
the goal and area (never beyond the area's ceiling), a session count by goal and severity, an
interval window, adjuncts, the preparation/day-of/aftercare timeline and expectations. A plan
for a patient the screening blocks is still produced, marked not bookable.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

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
        return {"area": self.area, "depth_mm": {"min": self.depth_min, "max": self.depth_max},
                "ceiling_mm": self.ceiling, "sources": list(self.sources)}


@dataclass(frozen=True, slots=True)
class SessionWindow:
    session: int
    earliest: dt.date
    latest: dt.date
    provisional: bool

    def as_dict(self) -> dict[str, Any]:
        return {"session": self.session, "earliest": self.earliest.isoformat(),
                "latest": self.latest.isoformat(), "provisional": self.provisional}


@dataclass(frozen=True, slots=True)
class Plan:
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
            "sessions": {"count": self.session_count,
                         "interval_days": {"min": self.interval_min, "max": self.interval_max}},
            "areas": [a.as_dict() for a in self.areas],
            "adjuncts": list(self.adjuncts),
            "schedule": [s.as_dict() for s in self.schedule],
            "care": [_care_dict(c) for c in self.care],
            "expectations": dict(self.expectations),
            "protocol": dict(self.protocol),
        }


def _blocked_by(plan: Plan) -> list[str]:
    blocking = ("contraindicated", "defer", "needs_clearance")
    treatable = set(plan.screening.treatable_areas)
    return [f.code for f in plan.screening.findings if f.decision in blocking
            and (f.areas is None or treatable.intersection(f.areas))]


def _care_dict(c: CareItem) -> dict[str, Any]:
    out: dict[str, Any] = {"offset_days": c.offset_days, "code": c.code, "text": c.text,
                           "sources": list(c.sources)}
    if c.duration_days is not None:
        out["duration_days"] = c.duration_days
    return out


class Planner:
    """Proposes courses with one protocol; build once, plan many."""

    def __init__(self, protocol: Protocol):
        self.protocol = protocol

    def plan(self, intake: IntakeModel, screening: Screening, start: dt.date) -> Plan:
        """Return the proposed course for `intake`, first session no earlier than `start`."""
        goal_code = intake.goals[0]
        goal = self._goal(goal_code)
        care = self._care(screening)
        return Plan(
            screening=screening,
            goal=goal_code,
            other_goals=tuple(g for g in dict.fromkeys(intake.goals) if g != goal_code),
            session_count=_session_count(goal, intake),
            interval_min=goal.interval_days.min,
            interval_max=goal.interval_days.max,
            areas=tuple(self._area(goal, a) for a in screening.treatable_areas),
            adjuncts=tuple(self._adjunct(code) for code in goal.adjuncts),
            schedule=_schedule(goal, intake, screening, start, care),
            care=care,
            expectations={"text": goal.expectations.text,
                          "review_after_days": goal.expectations.review_after_days,
                          "sources": list(goal.expectations.sources)},
            protocol=self.protocol.ref,
        )

    def _goal(self, code: str) -> Goal:
        try:
            return self.protocol.goals[code]
        except KeyError:
            raise PlanningError(f"the protocol has no plan for goal {code!r}", field="goals.0"
                                ) from None

    def _area(self, goal: Goal, area: str) -> AreaPlan:
        entry = self.protocol.areas[area]
        override = goal.depths.areas.get(area) if goal.depths else None
        depth = override or entry.depth_mm
        sources = goal.depths.sources if override and goal.depths else entry.sources
        top = min(depth.max, entry.ceiling_mm)  # the loader refuses more; this keeps it true
        return AreaPlan(area, min(depth.min, top), top, entry.ceiling_mm, tuple(sources))

    def _adjunct(self, code: str) -> dict[str, Any]:
        a = self.protocol.adjuncts[code]
        return {"code": code, "name": a.name, "optional": a.optional, "timing": a.timing,
                "sources": list(a.sources)}

    def _care(self, screening: Screening) -> tuple[CareItem, ...]:
        found = {f.code for f in screening.findings}
        items = [c for c in self.protocol.care if c.when == "always" or c.when in found]
        return tuple(sorted(items, key=lambda c: c.offset_days))


def _session_count(goal: Goal, intake: IntakeModel) -> int:
    grade = intake.scars.goodman_baron_grade if intake.scars else None
    by_grade = {int(k): v for k, v in goal.sessions.by_goodman_baron_grade.items()}
    return by_grade.get(grade, goal.sessions.count) if grade else goal.sessions.count


def _schedule(goal: Goal, intake: IntakeModel, screening: Screening, start: dt.date,
              care: tuple[CareItem, ...]) -> tuple[SessionWindow, ...]:
    """Each session's window: session 1 after the start, the preparation lead and any deferral;
    each later one inside [previous earliest + min, previous earliest + max]."""
    lead = max([-c.offset_days for c in care if c.offset_days < 0], default=0)
    first = max(start, intake.assessed_on) + dt.timedelta(days=lead)
    if screening.earliest_date is not None:
        first = max(first, screening.earliest_date)
    provisional = screening.decision == "defer" and screening.earliest_date is None
    lo, hi = goal.interval_days.min, goal.interval_days.max
    windows = [SessionWindow(1, first, first + dt.timedelta(days=hi - lo), provisional)]
    for n in range(2, _session_count(goal, intake) + 1):
        prev = windows[-1].earliest
        windows.append(SessionWindow(n, prev + dt.timedelta(days=lo), prev + dt.timedelta(days=hi),
                                     provisional))
    return tuple(windows)
