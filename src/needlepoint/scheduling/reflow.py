"""Moving or cancelling one session of a booked course, and what that does to the later ones.

The course's own holds are treated as free (it is the course being rearranged), everything
else in the calendar as busy. The moved session must fit at its new start and inside its
window after the session before it; each later session is kept where it is while it is still
inside its window after its (possibly moved) predecessor and its resources are still free,
and otherwise moved to the earliest slot of its window, backtracking as the search does.
"""

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from needlepoint.scheduling.booking import CourseBooking, SessionSlot
from needlepoint.scheduling.errors import SchedulingError
from needlepoint.scheduling.explain import dates, explain_window, thing
from needlepoint.scheduling.index import DAY_MINUTES, DayIndex, bits
from needlepoint.scheduling.model import Calendar, Interval
from needlepoint.scheduling.search import Finder, Requirement, Slot, assign, session_slot


@dataclass(frozen=True, slots=True)
class ReflowResult:
    """The course after the change, or why the change cannot be made.

    `kept` and `moved` number the later sessions (as in the original course) that stay and
    that move; a cancelled session leaves the course one session shorter."""

    course: CourseBooking | None
    kept: tuple[int, ...] = ()
    moved: tuple[int, ...] = ()
    why_not: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.course is not None


def reflow(
    course: CourseBooking,
    moved_session_index: int,
    new_start: dt.datetime | None,
    calendar: Calendar,
    *,
    practitioner: str | None = None,
) -> ReflowResult:
    """Return the course with session `moved_session_index` (from 1) moved to `new_start`, or
    cancelled when `new_start` is None, and its later sessions re-checked and re-flowed.

    The moved session goes exactly at `new_start`, the front desk's choice: the slot grid and
    the patient's preferred days and times are not imposed on it, the clinic's hours, the
    resources and its window are. Session 1 may move to any day from the request's first day
    on (its search window only bounds the search); every other session stays inside its
    window after the one before. Re-flowed sessions keep the patient's preferences.

    The moved session prefers its old treating practitioner, or `practitioner` when given: a
    session booked again after a cancellation holds nothing, so the caller names the one the
    patient has been seeing."""
    n = len(course.sessions)
    if not 1 <= moved_session_index <= n:
        raise SchedulingError(f"the course has no session {moved_session_index}", field="session")
    if new_start is not None and new_start.utcoffset() is None:
        raise SchedulingError("the new start must be an aware datetime", field="new_start")
    own = frozenset((h.resource, Interval(h.start, h.end)) for s in course.sessions for h in s.holds)
    finder = Finder(course.request, DayIndex(calendar, ignore=own))
    before = [_slot(finder, s) for s in course.sessions[: moved_session_index - 1]]
    later = [_slot(finder, s) for s in course.sessions[moved_session_index:]]
    if new_start is None:
        return _follow(finder, course, before, later, moved_session_index + 1)
    prefer = practitioner or course.sessions[moved_session_index - 1].practitioner
    moved, why = _place(finder, moved_session_index, new_start, before, prefer)
    if moved is None:
        return ReflowResult(None, why_not=why)
    return _follow(finder, course, [*before, moved], later, moved_session_index + 1)


def _slot(finder: Finder, session: SessionSlot) -> Slot:
    """Return a booked session as a search slot: its day, start minute and units."""
    start = session.start.astimezone(finder.index.zone)
    units = tuple(h.resource for h in session.holds)
    return Slot(start.toordinal(), start.hour * 60 + start.minute, units)


def _place(
    finder: Finder, number: int, new_start: dt.datetime, before: list[Slot], prefer: str | None
) -> tuple[Slot | None, tuple[str, ...]]:
    """Return session `number` at `new_start` with its resources (practitioner `prefer` first),
    or None and why it cannot be there."""
    local = new_start.astimezone(finder.index.zone)
    day, start = local.toordinal(), local.hour * 60 + local.minute
    lo, hi = _window(finder, before)
    if not before and day < lo:
        return None, (f"session 1 cannot be before {dates(lo, lo)}, the first day the plan allows",)
    if not lo <= day <= hi:
        return None, (f"session {number} must be {dates(lo, hi)}" + _after(finder, before),)
    whole = bits(start, start + finder.need.minutes)
    units = assign(finder.need, finder.index.free(day), start, prefer)
    if finder.index.open(day) & whole != whole or units is None:
        return None, _busy_at(finder, day, start, local)
    return Slot(day, start, units), ()


def _window(finder: Finder, before: list[Slot]) -> tuple[int, int]:
    """Return the first and last day the session after `before` may be on."""
    if not before:
        return finder.first, dt.date.max.toordinal()
    days = finder.window(before[-1].day)
    return days.start, days.stop - 1


def _after(finder: Finder, before: list[Slot]) -> str:
    r, prev = finder.request, before[-1].day
    return f" ({r.interval_min}-{r.interval_max} days after session {len(before)} on {dates(prev, prev)})"


def _busy_at(finder: Finder, day: int, start: int, local: dt.datetime) -> tuple[str, ...]:
    """Return why a visit cannot start at local minute `start` of `day`."""
    when = f"{local:%H:%M} on {dates(day, day)}"
    whole = bits(start, start + finder.need.minutes)
    if start + finder.need.minutes > DAY_MINUTES or finder.index.open(day) & whole != whole:
        return (f"the clinic is not open for the whole visit at {when}",)
    free = finder.index.free(day)
    missing = [thing(r) for r in finder.need.reqs if not _any_free(free, r, start)]
    if missing:
        return tuple(f"no {m} free at {when}" for m in dict.fromkeys(missing))
    return (f"no one set of practitioner, rooms and devices is free together at {when}",)


def _any_free(free: Mapping[str, int], req: Requirement, start: int) -> bool:
    want = bits(start + req.offset, start + req.offset + req.minutes)
    return any(free[rid] & want == want for rid in req.pool)


def _follow(
    finder: Finder, course: CourseBooking, fixed: list[Slot], later: list[Slot], first_number: int
) -> ReflowResult:
    """Return the course with `fixed` sessions as they are and `later` re-checked after them.

    `first_number` is the original number of the first of `later`."""
    chosen = _keep_or_move(finder, fixed[-1].day if fixed else None, later)
    if chosen is None:
        return ReflowResult(None, why_not=_why_not(finder, fixed, later))
    kept = tuple(first_number + i for i, (a, b) in enumerate(zip(later, chosen, strict=True)) if a == b)
    moved = tuple(first_number + i for i, (a, b) in enumerate(zip(later, chosen, strict=True)) if a != b)
    return ReflowResult(_booking(finder, course, [*fixed, *chosen]), kept, moved)


def _keep_or_move(
    finder: Finder, prev: int | None, later: list[Slot], dead: set[tuple[int, int | None]] | None = None
) -> list[Slot] | None:
    """Return slots for `later` after a session on day `prev`: each kept if still valid, else
    the earliest in its window (depth-first, remembering dead ends, like the search); None
    when there are none. `prev` None means the first session was cancelled."""
    if not later:
        return []
    dead = set() if dead is None else dead
    if (len(later), prev) in dead:
        return None
    for slot in _options(finder, prev, later[0]):
        rest = _keep_or_move(finder, slot.day, later[1:], dead)
        if rest is not None:
            return [slot, *rest]
    dead.add((len(later), prev))
    return None


def _options(finder: Finder, prev: int | None, old: Slot) -> Iterator[Slot]:
    """Yield the places for a session that was at `old`: there first, while still valid, then
    the earliest slot of each day of its window, its old practitioner preferred."""
    if prev is None:  # it becomes the first session: any day from the plan's first day
        days = range(finder.first, max(old.day, finder.first + finder.request.first_within_days) + 1)
    else:
        days = finder.window(prev)
    keep = old.day in days and _still_free(finder, old)
    if keep:
        yield old
    practitioner = old.units[finder.need.main] if finder.need.main is not None else None
    for day in days:
        found = finder.first_fit(day, practitioner)
        if found is not None and not (keep and found.day == old.day):
            yield found


def _still_free(finder: Finder, slot: Slot) -> bool:
    """Return whether every unit of `slot` is still free (and on duty) for its step."""
    if len(slot.units) != len(finder.need.reqs):  # the calendar no longer matches the booking
        return False
    free = finder.index.free(slot.day)
    for req, unit in zip(finder.need.reqs, slot.units, strict=True):
        want = bits(slot.start + req.offset, slot.start + req.offset + req.minutes)
        if free.get(unit, 0) & want != want:
            return False
    return True


def _why_not(finder: Finder, fixed: list[Slot], later: list[Slot]) -> tuple[str, ...]:
    """Return why the later sessions cannot follow: the window of the first of them that
    cannot be placed, explained day by day."""
    number = len(fixed) + 1
    prev = fixed[-1].day if fixed else None
    for slot in later:
        days = finder.window(prev) if prev is not None else range(finder.first, slot.day + 1)
        keep = slot.day in days and _still_free(finder, slot)
        if not keep and not any(finder.first_fit(d) for d in days):
            return explain_window(finder, number, days.start, days.stop - 1)
        prev, number = slot.day, number + 1
    return (f"the sessions after session {len(fixed)} cannot all be placed inside their windows",)


def _booking(finder: Finder, course: CourseBooking, slots: list[Slot]) -> CourseBooking:
    """Return the course made of `slots`: session 1 keeps its window (widened to its day when
    the front desk moved it later), each later one's window follows the one before."""
    req = finder.request
    first = course.sessions[0]
    lo, hi = first.earliest.toordinal(), max(first.latest.toordinal(), slots[0].day if slots else 0)
    sessions = []
    for n, slot in enumerate(slots, 1):
        sessions.append(session_slot(finder.need, finder.index.zone, slot, n, lo, hi))
        lo, hi = slot.day + req.interval_min, slot.day + req.interval_max
    return CourseBooking(req, tuple(sessions))
