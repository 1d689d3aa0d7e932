"""Placing many courses at once (the waiting list): the result, and greedy first-fit.

Both batch methods place every session they can. A session is inside its window when its date
is within its window after the session before it as placed (session 1: within the request's
first-session window); a session no window can take is placed late — the earliest day after
its window opens — and the next windows count from where it landed, as they would in the
clinic. The figure that matters is the share of requested sessions inside their windows.
"""

import time
from collections.abc import Sequence
from dataclasses import dataclass

from needlepoint.scheduling.booking import CourseBooking
from needlepoint.scheduling.index import DayIndex
from needlepoint.scheduling.model import Calendar, CourseRequest
from needlepoint.scheduling.search import Finder, Slot

LATE_DAYS = 366  # how far past its window opening a session may be placed late


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Courses in request order (None: not even a first session could be placed), with counts.

    `status` says how the result was reached (e.g. "greedy", or the CP-SAT status)."""

    method: str
    courses: tuple[CourseBooking | None, ...]
    sessions_requested: int
    sessions_placed: int
    sessions_inside: int
    solve_seconds: float
    status: str = ""

    @property
    def inside_share(self) -> float:
        """The share of requested sessions placed inside their windows (0..1)."""
        return self.sessions_inside / self.sessions_requested if self.sessions_requested else 1.0


def greedy(requests: Sequence[CourseRequest], calendar: Calendar) -> BatchResult:
    """Return the courses booked first-fit in arrival order: each request gets the earliest
    whole course `search` finds on the calendar as booked so far; a request with none gets its
    sessions one by one, each as early as possible (see `complete`)."""
    t0 = time.perf_counter()
    index = DayIndex(calendar)
    courses = []
    for request in requests:
        finder = Finder(request, index)
        slots = finder.course(finder.first_days()) or complete(finder, [])
        courses.append(book(finder, slots))
    return result("greedy", requests, courses, time.perf_counter() - t0, "greedy")


def complete(finder: Finder, placed: list[Slot]) -> list[Slot]:
    """Return `placed` followed by slots for the remaining sessions on the finder's index.

    Whenever the rest of the course fits inside its windows it is taken whole; otherwise the
    next session goes on the earliest day from its window's opening that has a slot (inside the
    window if the window has one, late if not) and the rest is tried again after it."""
    out = list(placed)
    while len(out) < finder.request.sessions:
        number = len(out) + 1
        prefer = finder.main_of(out[0]) if out else None
        rest = finder.chain(number, out[-1].day, prefer) if out else finder.course(finder.first_days())
        if rest is not None:
            return out + rest
        opens = finder.window(out[-1].day).start if out else finder.first
        late = (finder.first_fit(d, prefer) for d in range(opens, opens + LATE_DAYS))
        slot = next(filter(None, late), None)
        if slot is None:
            break
        out.append(slot)
    return out


def book(finder: Finder, slots: list[Slot]) -> CourseBooking | None:
    """Mark `slots` taken on the finder's index and return them as a course (None if empty)."""
    occupy(finder, slots)
    return finder.booking(slots) if slots else None


def vacate(finder: Finder, slots: list[Slot]) -> None:
    """Give back what `occupy` took for `slots` on the finder's index."""
    for slot in slots:
        for req, unit in zip(finder.need.reqs, slot.units, strict=True):
            start = slot.start + req.offset
            finder.index.release(slot.day, unit, start, start + req.minutes)


def occupy(finder: Finder, slots: list[Slot]) -> None:
    """Mark the units of `slots` taken, step by step, on the finder's index."""
    for slot in slots:
        for req, unit in zip(finder.need.reqs, slot.units, strict=True):
            start = slot.start + req.offset
            finder.index.occupy(slot.day, unit, start, start + req.minutes)


def result(
    method: str,
    requests: Sequence[CourseRequest],
    courses: Sequence[CourseBooking | None],
    seconds: float,
    status: str,
) -> BatchResult:
    """Return the batch result with its counts worked out from the courses."""
    sessions = [s for c in courses if c is not None for s in c.sessions]
    return BatchResult(
        method,
        tuple(courses),
        sum(r.sessions for r in requests),
        len(sessions),
        sum(s.inside_window for s in sessions),
        seconds,
        status,
    )
