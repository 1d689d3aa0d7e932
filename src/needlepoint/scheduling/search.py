"""Whole-course search: the earliest course with every session inside its window.

Sessions of one course are on different days (the minimum interval is at least one day), so
whether session k fits on a day depends on that day alone. The search walks depth-first over
sessions, each on the earliest day of its window with a free slot, backtracks when a later
window has none, and remembers every (session, previous day) it has proven hopeless, so no
day is examined twice for the same session. A day is checked with the bit masks of
`needlepoint.scheduling.index`: first which starts the clinic, the patient's times and each
requirement's pool allow at all, then resources are assigned at those starts only.
"""

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import NamedTuple
from zoneinfo import ZoneInfo

from needlepoint.scheduling.booking import CourseBooking, Hold, SearchResult, SessionSlot
from needlepoint.scheduling.index import (
    DAY_MINUTES,
    DayIndex,
    aware,
    bits,
    grid_bits,
    lowest_bits,
    run_starts,
    spans_bits,
)
from needlepoint.scheduling.model import AppointmentType, Calendar, CourseRequest


@dataclass(frozen=True, slots=True)
class Requirement:
    """One resource a step holds: a unit of `pool` (ids, in the order to try them) for
    [offset, offset + minutes) of the visit. `main` marks the treating practitioner."""

    step: str
    role: str
    kind: str
    pool: tuple[str, ...]
    offset: int
    minutes: int
    skills: frozenset[str] = frozenset()
    main: bool = False
    named: str | None = None


class Need:
    """What one visit of an appointment type needs from one calendar."""

    def __init__(self, appointment: AppointmentType, calendar: Calendar, practitioner: str | None = None):
        self.appointment = appointment
        self.minutes = appointment.minutes
        self.reqs = _requirements(appointment, calendar, practitioner)
        self.main = next((i for i, r in enumerate(self.reqs) if r.main), None)
        self.clash = tuple(
            tuple(j for j in range(i) if _overlap(self.reqs[i], self.reqs[j])) for i in range(len(self.reqs))
        )


def _requirements(
    appointment: AppointmentType, calendar: Calendar, named: str | None
) -> tuple[Requirement, ...]:
    last = max((i for i, s in enumerate(appointment.steps) if s.skills is not None), default=None)
    if named is not None:
        calendar.practitioner(named)  # an unknown id is bad input, not "no slot"
    out: list[Requirement] = []
    for i, step in enumerate(appointment.steps):
        if step.skills is not None:
            pool = _qualified(calendar, step.skills, named if i == last else None)
            out.append(
                Requirement(
                    step.name,
                    "practitioner",
                    "practitioner",
                    pool,
                    step.offset,
                    step.minutes,
                    step.skills,
                    i == last,
                    named if i == last else None,
                )
            )
        if step.room is not None:
            pool = tuple(r.id for r in calendar.rooms if r.kind == step.room)
            out.append(Requirement(step.name, "room", step.room, pool, step.offset, step.minutes))
        for kind in step.devices:
            pool = tuple(d.id for d in calendar.devices if d.kind == kind)
            out.append(Requirement(step.name, "device", kind, pool, step.offset, step.minutes))
    return tuple(out)


def _qualified(calendar: Calendar, skills: frozenset[str], named: str | None) -> tuple[str, ...]:
    """Return the practitioners with `skills` (only `named`, if given), the least specialised
    first so that the rarer skills stay free for the visits that need them."""
    found = [p for p in calendar.practitioners if skills <= p.skills and named in (None, p.id)]
    return tuple(p.id for p in sorted(found, key=lambda p: len(p.skills - skills)))


def _overlap(a: Requirement, b: Requirement) -> bool:
    return a.offset < b.offset + b.minutes and b.offset < a.offset + a.minutes


class Slot(NamedTuple):
    """A visit on day ordinal `day` at local minute `start`, one unit per requirement."""

    day: int
    start: int
    units: tuple[str, ...]


def can_start(need: Need, free: Mapping[str, int], base: int) -> int:
    """Return the starts in `base` at which every requirement has some unit of its pool free
    (each on its own; `assign` then checks that one set of units serves them together)."""
    for req in need.reqs:
        some = 0
        for rid in req.pool:
            some |= run_starts(free[rid], req.minutes)
        base &= some >> req.offset
        if not base:
            break
    return base


def assign(
    need: Need, free: Mapping[str, int], start: int, prefer: str | None, only: str | None = None
) -> tuple[str, ...] | None:
    """Return one free unit per requirement for a visit at `start`, or None.

    Units are tried in pool order, `prefer` first among practitioners; `only` restricts the
    treating practitioner. Two requirements of one visit that overlap in time never share a unit."""
    chosen: list[str] = []
    for i, req in enumerate(need.reqs):
        want = bits(start + req.offset, start + req.offset + req.minutes)
        taken = {chosen[j] for j in need.clash[i]}
        unit = next(
            (rid for rid in _order(req, prefer, only) if free[rid] & want == want and rid not in taken), None
        )
        if unit is None:
            return None
        chosen.append(unit)
    return tuple(chosen)


def _order(req: Requirement, prefer: str | None, only: str | None) -> Iterable[str]:
    if req.role != "practitioner":
        return req.pool
    if req.main and only is not None:
        return (only,) if only in req.pool else ()
    if prefer in req.pool:
        return (prefer, *(r for r in req.pool if r != prefer))
    return req.pool


class Finder:
    """The search for one request on one calendar; its caches live as long as the search.

    `dead` holds the (session, previous day) pairs proven to lead nowhere; `failures` the
    windows (session, first day, last day) that held no slot at all, for the explanation."""

    def __init__(self, request: CourseRequest, index: DayIndex, need: Need | None = None):
        calendar = index.calendar
        self.request = request
        self.index = index
        self.need = need or Need(request.appointment, calendar, request.practitioner)
        self.grid = grid_bits(calendar.slot_minutes)
        self.times = spans_bits(request.times) if request.times else bits(0, DAY_MINUTES)
        self.pref = run_starts(self.times, self.need.minutes) & self.grid
        self.first = request.first_day.toordinal()
        self.dead: set[tuple[int, int]] = set()
        self.failures: list[tuple[int, int, int]] = []
        self._starts: dict[int, int] = {}

    def first_days(self) -> range:
        """The days session 1 may be on."""
        return range(self.first, self.first + self.request.first_within_days + 1)

    def window(self, prev: int) -> range:
        """The days the session after one on day `prev` may be on."""
        return range(prev + self.request.interval_min, prev + self.request.interval_max + 1)

    def starts(self, day: int) -> int:
        """Return the starts on `day` that the clinic's hours, the patient's days and times and
        each requirement's pool allow (cached; 0 for a day that cannot work)."""
        found = self._starts.get(day)
        if found is None:
            found = 0
            if dt.date.fromordinal(day).weekday() in self.request.weekdays:
                base = self.pref & run_starts(self.index.open(day), self.need.minutes)
                found = can_start(self.need, self.index.free(day), base) if base else 0
            self._starts[day] = found
        return found

    def first_fit(self, day: int, prefer: str | None = None, only: str | None = None) -> Slot | None:
        """Return the earliest slot on `day`, or None."""
        free = self.index.free(day)
        for start in lowest_bits(self.starts(day)):
            units = assign(self.need, free, start, prefer, only)
            if units is not None:
                return Slot(day, start, units)
        return None

    def main_of(self, slot: Slot) -> str | None:
        return slot.units[self.need.main] if self.need.main is not None else None

    def chain(self, number: int, prev: int, prefer: str | None) -> list[Slot] | None:
        """Return the earliest slots for sessions `number`.. after a session on day `prev`."""
        if number > self.request.sessions:
            return []
        if (number, prev) in self.dead:
            return None
        window, seen = self.window(prev), False
        for day in window:
            if number < self.request.sessions and (number + 1, day) in self.dead:
                seen = seen or bool(self.starts(day))
                continue
            slot = self.first_fit(day, prefer)
            if slot is None:
                continue
            seen = True
            rest = self.chain(number + 1, day, prefer or self.main_of(slot))
            if rest is not None:
                return [slot, *rest]
        self._hopeless(number, prev, window, seen)
        return None

    def _hopeless(self, number: int, prev: int, window: range, seen: bool) -> None:
        self.dead.add((number, prev))
        if not seen:
            self.failures.append((number, window.start, window.stop - 1))

    def course(self, days: Iterable[int], only: str | None = None) -> list[Slot] | None:
        """Return the earliest whole course whose first session is on one of `days`."""
        for day in days:
            slot = self.first_fit(day, only, only)
            if slot is None:
                continue
            rest = self.chain(2, day, self.main_of(slot))
            if rest is not None:
                return [slot, *rest]
        return None

    def explain_first_window(self) -> None:
        """Note session 1's window as a failure when none of its days holds a slot."""
        days = self.first_days()
        if not any(self.first_fit(day) for day in days):
            self.failures.append((1, days.start, days.stop - 1))

    def booking(self, slots: list[Slot]) -> CourseBooking:
        """Return the course made of `slots`, each session with its window."""
        zone, req = self.index.zone, self.request
        lo, hi = self.first, self.first + req.first_within_days
        sessions = []
        for n, slot in enumerate(slots, 1):
            sessions.append(session_slot(self.need, zone, slot, n, lo, hi))
            lo, hi = slot.day + req.interval_min, slot.day + req.interval_max
        return CourseBooking(req, tuple(sessions))


def session_slot(need: Need, zone: ZoneInfo, slot: Slot, number: int, lo: int, hi: int) -> SessionSlot:
    """Return session `number` at `slot` with its holds as aware datetimes in `zone`."""
    holds = tuple(
        Hold(
            r.step,
            r.role,
            r.kind,
            unit,
            aware(zone, slot.day, slot.start + r.offset),
            aware(zone, slot.day, slot.start + r.offset + r.minutes),
        )
        for r, unit in zip(need.reqs, slot.units, strict=True)
    )
    start, end = aware(zone, slot.day, slot.start), aware(zone, slot.day, slot.start + need.minutes)
    return SessionSlot(number, start, end, holds, dt.date.fromordinal(lo), dt.date.fromordinal(hi))


def search(request: CourseRequest, calendar: Calendar, *, alternatives: int = 3) -> SearchResult:
    """Return the earliest whole course for `request`, up to `alternatives` others, or why none.

    The course is earliest day by day: session 1 on the first day that lets the whole course
    follow, each later session on the first day of its window that lets the rest follow, each
    visit at the first free start of its day. At that start, later sessions take session 1's
    practitioner when free (the earlier time wins over the same practitioner); otherwise the
    least specialised qualified one, keeping rarer skills (PRP) free. Alternatives take turns:
    a later first day, then another practitioner for session 1."""
    from needlepoint.scheduling.explain import why_not  # explain builds on this module

    finder = Finder(request, calendar.day_index)
    slots = finder.course(finder.first_days())
    if slots is None:
        finder.explain_first_window()
        return SearchResult(None, (), why_not(finder))
    others = _alternatives(finder, slots, alternatives)
    return SearchResult(finder.booking(slots), tuple(finder.booking(s) for s in others))


def _alternatives(finder: Finder, best: list[Slot], n: int) -> list[list[Slot]]:
    """Return up to `n` courses differing from `best` and each other in session 1's day or
    treating practitioner, alternating a later first day and another practitioner."""
    seen = {(best[0].day, finder.main_of(best[0]))}
    out: list[list[Slot]] = []
    sources = [_later_days(finder, best[0].day), _other_practitioners(finder, best)]
    while len(out) < n and sources:
        for source in list(sources):
            found = next((c for c in source if (c[0].day, finder.main_of(c[0])) not in seen), None)
            if found is None:
                sources.remove(source)
                continue
            seen.add((found[0].day, finder.main_of(found[0])))
            out.append(found)
            if len(out) == n:
                break
    return out


def _later_days(finder: Finder, after: int) -> Iterator[list[Slot]]:
    for day in finder.first_days():
        if day > after:
            found = finder.course([day])
            if found is not None:
                yield found


def _other_practitioners(finder: Finder, best: list[Slot]) -> Iterator[list[Slot]]:
    main = finder.need.main
    if main is None:
        return
    for pid in finder.need.reqs[main].pool:
        if pid != finder.main_of(best[0]):
            found = finder.course(finder.first_days(), only=pid)
            if found is not None:
                yield found
