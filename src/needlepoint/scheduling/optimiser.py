"""The batch optimiser: many courses placed at once with OR-Tools CP-SAT.

The model decides the day of each session; the time of day is left to an exact booking pass.
Candidate days are days on which the fast search finds a slot on the calendar as it stands
(the patient's weekdays and times included): for session 1 the first `days_per_session` of its
window and a few after it (a late first session is outside its window but lets the rest of
the course keep theirs, which is how the clinic would count it); for each later session the
first few days of the window each candidate day of the session before opens; and the days
greedy first-fit chose. A course is placed as a prefix of its sessions, each later one
`interval_min`..`interval_max` days after the one before.

Capacity is counted per day and per part of the day: for each patient time window W (the
whole day for patients without one) and each union U of at most two windows, the sessions of
one visit type whose window lies inside U are at most the visits of that type that fit inside
U on that day — found by packing visits first-fit into the calendar, or greedy's own count
there when that is higher (it is a witness that so many fit). Sessions of all types together
are held to the largest of those counts. These are the conditions a real booking of the day
must meet, so the model stays small (one Boolean per session and candidate day) and close.

Lexicographic by weights, in one solve: each session inside its window weighs more than all
the days late there can be, so the solver places the most sessions inside their windows first
and only then the earliest (fewest days past each session's earliest reachable day); greedy's
result is the hint. The chosen days are then booked exactly, day by day, the narrowest
patient times and the most demanding visits first; a session whose day turns out full moves
to another day that keeps both its neighbours inside their windows, courses left short are
completed as greedy does, and a course still outside a window is searched again whole once
everything else is booked. If all that is no better than greedy, greedy's courses are
returned: the optimiser is never worse than first-fit.

Why days and parts of days rather than start times: a model with one Boolean per candidate
start (a few per day, 15-minute slots, counts per pool and slot) had ten times the variables
for 500 courses and in 60 s on 2 cores did not get back to greedy's own quality; the
day-level model solves near its bound in seconds and leaves the minutes to exact booking.
"""

import itertools
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from needlepoint.scheduling.batch import BatchResult, complete, greedy, occupy, result, vacate
from needlepoint.scheduling.booking import CourseBooking
from needlepoint.scheduling.index import DayIndex, lowest_bits, run_starts
from needlepoint.scheduling.model import AppointmentType, Calendar, CourseRequest
from needlepoint.scheduling.search import Finder, Need, Slot, assign, can_start

NeedKey = tuple[AppointmentType, str | None]
Part = tuple[int, int]  # (day ordinal, time mask of a window or union of windows)


LATE_FIRST = 6  # late days offered to a first session, so the rest of its course can follow
LATE_HORIZON = 120  # how far past its window a late first session is looked for
PER_DAY = 3  # days offered to a session for each candidate day of the one before


@dataclass(frozen=True, slots=True)
class Session:
    """Session `number` (from 1) of course `course`, with its candidate days, their cost (days
    past the earliest day the session could reach) and whether each is inside the window
    (always, but for the late days of a first session)."""

    course: int
    number: int
    days: tuple[int, ...]
    costs: tuple[int, ...]
    inside: tuple[bool, ...]


def optimise(
    requests: Sequence[CourseRequest],
    calendar: Calendar,
    *,
    time_limit_s: float = 60.0,
    workers: int = 2,
    days_per_session: int = 12,
) -> BatchResult:
    """Return the courses for `requests` placed together by CP-SAT (see the module docstring).

    `time_limit_s` bounds the whole call, greedy hint and exact booking included: the solver
    gets what is left once the model is built, less a little for the booking."""
    t0 = time.perf_counter()
    warm = greedy(requests, calendar)
    needs = {(r.appointment, r.practitioner): Need(r.appointment, calendar, r.practitioner) for r in requests}
    finders = [Finder(r, calendar.day_index, needs[r.appointment, r.practitioner]) for r in requests]
    sessions = [
        _sessions(i, f, c, days_per_session)
        for i, (f, c) in enumerate(zip(finders, warm.courses, strict=True))
    ]
    model = CourseModel(finders, sessions, warm.courses)
    reserve = 0.5 + 0.001 * sum(r.sessions for r in requests)  # booking 2,000 sessions takes ~0.3 s
    status = model.solve(max(0.5, time_limit_s - (time.perf_counter() - t0) - reserve), workers)
    courses = _book(requests, calendar, needs, model.chosen())
    found = result("optimiser", requests, courses, time.perf_counter() - t0, status)
    if found.sessions_inside <= warm.sessions_inside:
        return result("optimiser", requests, warm.courses, time.perf_counter() - t0, f"{status}; greedy kept")
    return found


def _sessions(course: int, finder: Finder, warm: CourseBooking | None, n: int) -> list[Session]:
    """Return the sessions of one course with their candidate days, and greedy's days among them.

    Session 1: the first `n` days of its window with a slot, then the first few after it (a
    late first session still lets the rest of the course keep its windows). Each later
    session: for every candidate day of the one before, the first few days of the window it
    opens that have a slot."""
    r, first = finder.request, finder.first_days()
    hinted = {s.number: s.start.toordinal() for s in warm.sessions} if warm else {}
    days = _days_with_slots(finder, first, n)
    late = _days_with_slots(finder, range(first.stop, first.stop + LATE_HORIZON), LATE_FIRST)
    out = [_session(course, 1, days + late, first.start, first, hinted.get(1))]
    for number in range(2, r.sessions + 1):
        prev = out[-1].days
        days = sorted(set().union(*(_days_with_slots(finder, finder.window(p), PER_DAY) for p in prev)))
        opens = finder.window(min(prev)).start if prev else first.start
        reach = range(opens, finder.window(max(prev)).stop if prev else opens)
        out.append(_session(course, number, days, opens, reach, hinted.get(number)))
    return out


def _session(
    course: int, number: int, days: list[int], opens: int, inside: range, hint: int | None
) -> Session:
    """Return a session with `days` (and `hint`, when it can count) as candidates; a day counts
    as inside the window if it lies in `inside` (only session 1 has days that do not)."""
    if hint is not None and hint not in days and (hint in inside or number == 1):
        days = sorted([*days, hint])
    return Session(
        course, number, tuple(days), tuple(d - opens for d in days), tuple(d in inside for d in days)
    )


def _days_with_slots(finder: Finder, days: Iterable[int], n: int) -> list[int]:
    out: list[int] = []
    for d in days:
        if len(out) == n:
            break
        if finder.starts(d):
            out.append(d)
    return out


class CourseModel:
    """The CP-SAT model: x[course][session][day], the windows between consecutive sessions and
    the capacity of each day and part of a day (see the module docstring).

    One objective: each session placed weighs more than all the lateness there can be, so
    the solver places the most sessions first and only then the earliest."""

    def __init__(
        self,
        finders: Sequence[Finder],
        sessions: Sequence[Sequence[Session]],
        warm: Sequence[CourseBooking | None],
    ):
        self.m = cp_model.CpModel()
        self.sessions = sessions
        self.x = [[[self.m.new_bool_var("") for _ in s.days] for s in course] for course in sessions]
        for finder, course, xs in zip(finders, sessions, self.x, strict=True):
            self._windows(finder, course, xs)
        self.parts: dict[Part, list[cp_model.IntVar]] = defaultdict(list)
        on = [_hinted_days(c, course) for c, course in zip(warm, sessions, strict=True)]
        self._capacity(finders, on)
        self._objective()
        self._hint(on)
        self.solver = cp_model.CpSolver()
        self.values: list[int] = []

    def _windows(self, finder: Finder, course: Sequence[Session], xs: list[list[cp_model.IntVar]]) -> None:
        """Each session takes at most one day; session k on day d needs session k-1 on a day
        `interval_min`..`interval_max` before d."""
        r = finder.request
        for vs in xs:
            self.m.add_at_most_one(vs)
        for (prev, pvs), (here, hvs) in itertools.pairwise(zip(course, xs, strict=True)):
            for d, v in zip(here.days, hvs, strict=True):
                self.m.add(
                    v
                    <= sum(
                        pv
                        for p, pv in zip(prev.days, pvs, strict=True)
                        if r.interval_min <= d - p <= r.interval_max
                    )
                )

    def _capacity(self, finders: Sequence[Finder], on: list[dict[int, int]]) -> None:
        """Hold the sessions of each day and part to what fits there (module docstring)."""
        windows = {f.times for f in finders}
        unions = windows | {a | b for a, b in itertools.combinations(windows, 2)}
        groups: dict[tuple[int, int, int], list[cp_model.IntVar]] = defaultdict(list)
        seen: dict[tuple[int, int, int], int] = defaultdict(int)
        for finder, course, xs, days in zip(finders, self.sessions, self.x, on, strict=True):
            inside = [u for u in unions if finder.times & u == finder.times]
            for s, vs in zip(course, xs, strict=True):
                for d, v in zip(s.days, vs, strict=True):
                    for u in inside:
                        groups[d, u, id(finder.need)].append(v)
                        seen[d, u, id(finder.need)] += days.get(s.number) == d
        fits = _Fits(finders)
        caps: dict[Part, int] = defaultdict(int)
        witnessed: dict[Part, int] = defaultdict(int)
        for (day, u, need), vs in groups.items():
            cap = max(fits.count(day, u, need), seen[day, u, need])
            self._at_most(vs, cap)
            self.parts[day, u].extend(vs)
            caps[day, u] = max(caps[day, u], cap)
            witnessed[day, u] += seen[day, u, need]
        for part, vs in self.parts.items():
            self._at_most(vs, max(caps[part], witnessed[part]))

    def _at_most(self, vs: list[cp_model.IntVar], cap: int) -> None:
        if len(vs) > cap:
            self.m.add(sum(vs) <= cap)

    def _objective(self) -> None:
        """Maximise: per session inside its window a weight above all the lateness there can
        be, less the days it is late; a late first session only counts its lateness."""
        terms = [
            (inside, cost, v)
            for course, xs in zip(self.sessions, self.x, strict=True)
            for s, vs in zip(course, xs, strict=True)
            for inside, cost, v in zip(s.inside, s.costs, vs, strict=True)
        ]
        weight = 1 + sum(max(s.costs, default=0) for course in self.sessions for s in course)
        self.m.maximize(sum((weight * inside - cost) * v for inside, cost, v in terms))

    def _hint(self, on: list[dict[int, int]]) -> None:
        """Hint greedy's courses, as far as the model can follow them."""
        for course, xs, days in zip(self.sessions, self.x, on, strict=True):
            for s, vs in zip(course, xs, strict=True):
                for d, v in zip(s.days, vs, strict=True):
                    self.m.add_hint(v, int(days.get(s.number) == d))

    def solve(self, seconds: float, workers: int) -> str:
        """Solve, starting from the last solution (or greedy's); return the status name."""
        if self.values:
            self.m.clear_hints()  # type: ignore[no-untyped-call]
            for v, value in zip(self._every(), self.values, strict=True):
                self.m.add_hint(v, value)
        self.solver.parameters.max_time_in_seconds = seconds
        self.solver.parameters.num_workers = workers
        status = self.solver.status_name(self.solver.solve(self.m))
        if status in ("OPTIMAL", "FEASIBLE"):
            self.values = [int(self.solver.boolean_value(v)) for v in self._every()]
        return str(status)

    def _every(self) -> Iterator[cp_model.IntVar]:
        return (v for course in self.x for vs in course for v in vs)

    def chosen(self) -> list[list[int]]:
        """Return each course's chosen day per session of its placed prefix, in order."""
        values = iter(self.values) if self.values else itertools.repeat(0)
        out = []
        for course in self.sessions:
            picks = [_pick(s.days, values) for s in course]
            out.append([d for d in itertools.takewhile(lambda d: d is not None, picks) if d is not None])
        return out


def _pick(days: tuple[int, ...], values: Iterable[int]) -> int | None:
    """Return the day whose value is set, consuming one value per day."""
    picked = [d for d, v in zip(days, values, strict=False) if v]
    return picked[0] if picked else None


def _hinted_days(course: CourseBooking | None, sessions: Sequence[Session]) -> dict[int, int]:
    """Return session number -> day of greedy's course for as long as the model can take it:
    each day among the session's candidates, every session after the first inside its window."""
    out: dict[int, int] = {}
    for s, candidates in zip(course.sessions if course else (), sessions, strict=False):
        day = s.start.toordinal()
        if day not in candidates.days or (s.number > 1 and not s.inside_window):
            break
        out[s.number] = day
    return out


class _Fits:
    """How many visits of one type fit inside a time mask on a day of the calendar as it stands,
    packed first-fit (cached)."""

    def __init__(self, finders: Sequence[Finder]):
        self.index = finders[0].index if finders else None
        self.needs = {id(f.need): f for f in finders}
        self._cache: dict[tuple[int, int, int], int] = {}

    def count(self, day: int, times: int, need: int) -> int:
        key = (day, times, need)
        if key not in self._cache:
            assert self.index is not None
            finder = self.needs[need]
            starts = finder.grid & run_starts(times & self.index.open(day), finder.need.minutes)
            self._cache[key] = _pack(finder.need, dict(self.index.free(day)), starts)
        return self._cache[key]


def _pack(need: Need, free: dict[str, int], base: int) -> int:
    """Return how many visits fit at the starts of `base`, each at the earliest start left."""
    count = 0
    while True:
        found = (
            (s, units)
            for s in lowest_bits(can_start(need, free, base))
            if (units := assign(need, free, s, None)) is not None
        )
        start, units = next(found, (-1, ()))
        if start < 0:
            return count
        for req, unit in zip(need.reqs, units, strict=True):
            free[unit] &= ~(((1 << req.minutes) - 1) << (start + req.offset))
        count += 1
        base &= ~((1 << start) - 1)  # visits go in start order: nothing earlier fits any more


def _book(
    requests: Sequence[CourseRequest],
    calendar: Calendar,
    needs: Mapping[NeedKey, Need],
    chosen: list[list[int]],
) -> list[CourseBooking | None]:
    """Return the courses booked exactly on the chosen days, then completed like greedy's."""
    index = DayIndex(calendar)
    finders = [Finder(r, index, needs[r.appointment, r.practitioner]) for r in requests]
    placed: list[list[Slot]] = [[] for _ in requests]
    broken: set[int] = set()
    order = sorted(
        (day, finders[i].times.bit_count(), -len(finders[i].need.reqs), i, n)
        for i, days in enumerate(chosen)
        for n, day in enumerate(days)
    )
    for day, _, _, course, n in order:  # each day: the narrowest times first, then the most needs
        if course in broken:
            continue
        slot = _book_one(finders[course], placed[course], day, chosen[course][n + 1 : n + 2])
        if slot is None:
            broken.add(course)
            continue
        occupy(finders[course], [slot])
        placed[course].append(slot)
    done = [
        _complete(Finder(r, index, needs[r.appointment, r.practitioner]), p)
        for r, p in zip(requests, placed, strict=True)
    ]
    return [
        _retry(Finder(r, index, needs[r.appointment, r.practitioner]), slots)
        for r, slots in zip(requests, done, strict=True)
    ]


def _complete(finder: Finder, placed: list[Slot]) -> list[Slot]:
    """Return `placed` completed like greedy's courses, the new slots marked taken."""
    slots = complete(finder, placed)
    occupy(finder, slots[len(placed) :])
    return slots


def _book_one(finder: Finder, placed: list[Slot], day: int, after: list[int]) -> Slot | None:
    """Return a slot on `day`, or on another day that keeps the session inside its window after
    the one before and the next chosen one inside its window too; None if there is none."""
    prefer = finder.main_of(placed[0]) if placed else None
    slot = finder.first_fit(day, prefer)
    if slot is not None or not placed:
        return slot
    r = finder.request
    days = finder.window(placed[-1].day)
    if after:  # keep the next chosen session inside its window too
        days = range(
            max(days.start, after[0] - r.interval_max), min(days.stop, after[0] - r.interval_min + 1)
        )
    return next(filter(None, (finder.first_fit(d, prefer) for d in days if d != day)), None)


def _retry(finder: Finder, slots: list[Slot]) -> CourseBooking | None:
    """Return the course, searched again whole around everything else once booked when some
    of its sessions ended up outside their windows (kept as it is if that finds nothing)."""
    course = finder.booking(slots) if slots else None
    if course is None or all(s.inside_window for s in course.sessions):
        return course
    vacate(finder, slots)
    again = finder.course(finder.first_days())
    occupy(finder, again or slots)
    return finder.booking(again) if again else course
