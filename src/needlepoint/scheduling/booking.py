"""What a search proposes: every session of a course with the resources it holds and when."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from needlepoint.scheduling.model import CourseRequest, Interval


@dataclass(frozen=True, slots=True)
class Hold:
    """One resource held by one step of a session: `role` is "practitioner", "room" or "device",
    `kind` the room or device kind ("treatment", "numbing", "pen") or "practitioner"."""

    step: str
    role: str
    kind: str
    resource: str
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True, slots=True)
class SessionSlot:
    """Session `number` (from 1) of a course, inside its window `earliest`..`latest` (dates)."""

    number: int
    start: dt.datetime
    end: dt.datetime
    holds: tuple[Hold, ...]
    earliest: dt.date
    latest: dt.date

    @property
    def day(self) -> dt.date:
        """The session's date on the clinic's calendar."""
        return self.start.date()

    @property
    def inside_window(self) -> bool:
        return self.earliest <= self.day <= self.latest

    @property
    def practitioner(self) -> str | None:
        """The treating practitioner: the one of the visit's last step that needs one."""
        return next((h.resource for h in reversed(self.holds) if h.role == "practitioner"), None)

    @property
    def room(self) -> str | None:
        """The room of the visit's last step that needs one that is not a numbing chair."""
        return next(
            (h.resource for h in reversed(self.holds) if h.role == "room" and h.kind != "numbing"), None
        )

    @property
    def devices(self) -> tuple[str, ...]:
        return tuple(h.resource for h in self.holds if h.role == "device")

    @property
    def numbing(self) -> Hold | None:
        """The numbing chair and when the patient sits in it, if the visit has numbing."""
        return next((h for h in self.holds if h.role == "room" and h.kind == "numbing"), None)


@dataclass(frozen=True, slots=True)
class CourseBooking:
    """A whole course proposed for `request`: one slot per session, in order."""

    request: CourseRequest
    sessions: tuple[SessionSlot, ...]

    @property
    def first_day(self) -> dt.date:
        return self.sessions[0].day

    def busy(self) -> dict[str, tuple[Interval, ...]]:
        """Return the intervals the course holds, by resource (for `Calendar.with_busy`)."""
        out: dict[str, list[Interval]] = defaultdict(list)
        for s in self.sessions:
            for h in s.holds:
                out[h.resource].append(Interval(h.start, h.end))
        return {rid: tuple(ivs) for rid, ivs in out.items()}


@dataclass(frozen=True, slots=True)
class SearchResult:
    """The earliest whole course and up to N alternatives, or why none fits."""

    course: CourseBooking | None
    alternatives: tuple[CourseBooking, ...] = ()
    why_not: tuple[str, ...] = ()

    @property
    def found(self) -> bool:
        return self.course is not None
