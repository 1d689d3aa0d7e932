"""A course's plan as the web layer reads it: `PlanView.of(course.plan)` turns the stored plan
document (needlepoint.plan/1 JSON) into one typed, read-only value, once, so views, forms and
templates read attributes (`plan.session_count`, `area.depth_max`) instead of dictionary keys.
Pure: no Django."""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PlannedArea:
    """One area to treat and its planned depth range (mm); `ceiling` is the protocol's deepest
    allowed for the area (None when the plan does not carry it)."""

    code: str
    depth_min: float | None
    depth_max: float | None
    ceiling: float | None


@dataclass(frozen=True)
class PlannedAdjunct:
    """An adjunct the protocol offers for the goal, and whether this course uses it."""

    code: str
    name: str
    selected: bool

    @property
    def label(self) -> str:
        return self.name or self.code


@dataclass(frozen=True)
class SessionWindow:
    """The days between which a session should take place."""

    session: int
    earliest: dt.date
    latest: dt.date
    provisional: bool


@dataclass(frozen=True)
class CareStep:
    """A preparation or aftercare instruction, `offset_days` from the session."""

    offset_days: int
    text: str


@dataclass(frozen=True)
class PlanView:
    session_count: int
    interval_min: int
    interval_max: int
    areas: tuple[PlannedArea, ...]
    adjuncts: tuple[PlannedAdjunct, ...]
    schedule: tuple[SessionWindow, ...]
    care: tuple[CareStep, ...]
    expectations: str

    @classmethod
    def of(cls, doc: Mapping[str, Any] | None) -> "PlanView":
        """Read a stored plan document; a part the document lacks reads as empty (0 sessions,
        no areas), never as an error."""
        doc = doc or {}
        sessions = doc.get("sessions") or {}
        interval = sessions.get("interval_days") or {}
        return cls(
            session_count=int(sessions.get("count") or 0),
            interval_min=int(interval.get("min") or 0),
            interval_max=int(interval.get("max") or 0),
            areas=tuple(_area(a) for a in doc.get("areas") or () if a.get("area")),
            adjuncts=tuple(
                PlannedAdjunct(a["code"], a.get("name") or "", bool(a.get("selected")))
                for a in doc.get("adjuncts") or ()
            ),
            schedule=tuple(
                SessionWindow(
                    int(w["session"]),
                    dt.date.fromisoformat(w["earliest"]),
                    dt.date.fromisoformat(w["latest"]),
                    bool(w.get("provisional")),
                )
                for w in doc.get("schedule") or ()
            ),
            care=tuple(CareStep(int(c["offset_days"]), c["text"]) for c in doc.get("care") or ()),
            expectations=str((doc.get("expectations") or {}).get("text") or ""),
        )

    @property
    def area_codes(self) -> list[str]:
        return [a.code for a in self.areas]

    def area(self, code: str) -> PlannedArea | None:
        return next((a for a in self.areas if a.code == code), None)

    @property
    def selected_adjuncts(self) -> list[PlannedAdjunct]:
        return [a for a in self.adjuncts if a.selected]

    @property
    def adjunct_codes(self) -> set[str]:
        return {a.code for a in self.adjuncts}


def _area(doc: Mapping[str, Any]) -> PlannedArea:
    depth = doc.get("depth_mm") or {}
    ceiling = doc.get("ceiling_mm")
    return PlannedArea(
        code=doc["area"],
        depth_min=depth.get("min"),
        depth_max=depth.get("max"),
        ceiling=ceiling,
    )
