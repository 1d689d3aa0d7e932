"""Benchmark: whole-course search and the batch optimiser on a synthetic clinic.

The clinic (seeded, so every run is the same): one location in Europe/London, open Mon-Fri
08:00-20:00 and Sat 09:00-17:00, closed on the bank holidays and 24 Dec-2 Jan; 8 practitioners
on early, late and long shifts (3 of them PRP-trained), 4 treatment rooms, 2 consultation
rooms, 3 numbing chairs, 4 pens and 1 centrifuge; 40,000 existing appointments from 1 March
2026 to 28 February 2027 (aftercare check-in calls, skin reviews, consultations, LED aftercare,
microneedling and PRP sessions) on random days, each at a random free start that follows on
from another booking, as a desk books. Both 2026 daylight-saving changes fall inside.

(a) Whole-course search: `search` with 3 alternatives for 200 six-session courses with varied
    earliest dates, windows and preferences, on a calendar whose busy times are indexed (the
    one-off indexing time is printed) but whose days have not been looked at yet; p50/p95/max
    of the wall time per request. Goal: p95 <= 20 ms.
(b) 500 new courses (3-6 sessions; windows 21-35, 28-42 or 28-56 days; earliest dates spread
    over 180 days; 45% of patients with preferred times or days) placed on that clinic by
    greedy first-fit in arrival order and by the CP-SAT optimiser (2 workers), in the same run.
    Utilisation is counted in treatment visits, because a treatment needs a practitioner, a
    treatment room, a pen and, before it, a numbing chair at once, and free minutes that do
    not line up hold no visit: per week, (90-minute visits that fit in the empty clinic -
    visits that still fit around the existing appointments + the new sessions that week, each
    course at the middle of its windows) / visits that fit in the empty clinic; reported as
    the average the new sessions meet. The per-pool minute figures are printed beside it.
    Goal: the optimiser at least 98% of sessions inside their windows, ahead of greedy,
    within 60 s.

    .venv/bin/python bench/bench_scheduling.py [--requests 200] [--courses 500] [--time-limit 55]
"""

import argparse
import datetime as dt
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace
from zoneinfo import ZoneInfo

from needlepoint.scheduling.batch import BatchResult, greedy
from needlepoint.scheduling.index import DayIndex, bits, lowest_bits
from needlepoint.scheduling.model import (
    AFTERNOONS,
    MORNINGS,
    AppointmentType,
    Calendar,
    Closure,
    CourseRequest,
    Device,
    Interval,
    Practitioner,
    Room,
    Span,
    Step,
    WeeklyHours,
    consultation,
    prp_session,
    treatment_session,
)
from needlepoint.scheduling.optimiser import optimise
from needlepoint.scheduling.search import Need, assign, can_start, search

ZONE = ZoneInfo("Europe/London")
YEAR = (dt.date(2026, 3, 1), dt.date(2027, 2, 28))
SEED = 20260329
CLINIC_HOURS = "mon-fri 08:00-20:00; sat 09:00-17:00"
SHIFTS = {  # id: (hours, PRP-trained)
    "p1": ("mon-fri 08:00-17:00", True),
    "p2": ("mon-fri 11:00-20:00", False),
    "p3": ("mon-thu 08:00-17:00; sat 09:00-17:00", False),
    "p4": ("tue-fri 11:00-20:00; sat 09:00-17:00", True),
    "p5": ("mon,wed,fri 08:00-20:00", False),
    "p6": ("tue,thu 08:00-20:00; sat 09:00-17:00", True),
    "p7": ("mon-fri 08:00-17:00", False),
    "p8": ("mon-fri 11:00-20:00", False),
}
CLOSURES = (
    Closure(dt.date(2026, 4, 3), dt.date(2026, 4, 6), "Easter"),
    Closure(dt.date(2026, 5, 4), dt.date(2026, 5, 4), "bank holiday"),
    Closure(dt.date(2026, 5, 25), dt.date(2026, 5, 25), "bank holiday"),
    Closure(dt.date(2026, 8, 31), dt.date(2026, 8, 31), "bank holiday"),
    Closure(dt.date(2026, 12, 24), dt.date(2027, 1, 2), "Christmas"),
)
MN = frozenset({"microneedling"})
EXISTING: list[tuple[AppointmentType, float]] = [
    (AppointmentType("checkin", "aftercare check-in call", (Step("call", 0, 15, frozenset()),)), 0.28),
    (AppointmentType("review", "skin review", (Step("review", 0, 10, room="consult"),)), 0.50),
    (consultation(minutes=30), 0.10),
    (AppointmentType("led", "LED aftercare", (Step("led", 0, 60, room="treatment"),)), 0.06),
    (treatment_session(), 0.05),
    (prp_session(), 0.01),
]


def empty_clinic() -> Calendar:
    practitioners = tuple(
        Practitioner(
            pid, f"Practitioner {pid[1:]}", MN | ({"prp_draw"} if prp else set()), WeeklyHours.parse(hours)
        )
        for pid, (hours, prp) in SHIFTS.items()
    )
    rooms = (
        *(Room(f"t{n}", "treatment") for n in range(1, 5)),
        *(Room(f"c{n}", "consult") for n in (1, 2)),
        *(Room(f"n{n}", "numbing") for n in range(1, 4)),
    )
    devices = (*(Device(f"pen-{n}", "pen") for n in range(1, 5)), Device("centrifuge-1", "centrifuge"))
    return Calendar(ZONE, WeeklyHours.parse(CLINIC_HOURS), practitioners, rooms, devices, CLOSURES)


def populate(empty: Calendar, count: int, rng: random.Random) -> Calendar:
    """Return the clinic holding `count` appointments, each at a random free start."""
    index = DayIndex(empty)
    days = [d for d in range(YEAR[0].toordinal(), YEAR[1].toordinal() + 1) if index.open(d)]
    staffed = [sum(m.bit_count() for m in index.working(d).values()) for d in days]  # busier days
    kinds = [(Need(a, empty), w) for a, w in EXISTING]
    grids = {15: sum(1 << m for m in range(0, 1440, 15)), 30: sum(1 << m for m in range(0, 1440, 30))}
    busy: dict[str, list[Interval]] = defaultdict(list)
    placed = 0
    while placed < count:
        need = rng.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
        day = rng.choices(days, staffed)[0]
        grid = grids[15 if need.minutes < 30 else 30]
        starts = list(lowest_bits(can_start(need, index.free(day), grid & index.open(day))))
        if not starts:
            continue
        start = rng.choice([m for m in starts if _next_to_booking(need, index.free(day), m)] or starts)
        units = assign(need, index.free(day), start, rng.choice(empty.practitioners).id)
        if units is None:
            continue
        for req, unit in zip(need.reqs, units, strict=True):
            a, b = start + req.offset, start + req.offset + req.minutes
            index.occupy(day, unit, a, b)
            busy[unit].append(Interval(_at(day, a), _at(day, b)))
        placed += 1
    return empty.with_busy(busy)


def _next_to_booking(need: Need, free: Mapping[str, int], start: int) -> bool:
    """Return whether a visit at `start` would follow straight on from a booking or the start
    of someone's hours: a desk books that way, so free time stays in long stretches."""
    return any(
        free[rid] >> (start + r.offset) & 1 and not free[rid] >> (start + r.offset - 1) & 1
        for r in need.reqs
        for rid in r.pool
    )


def _at(day: int, minute: int) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromordinal(day), dt.time(minute // 60, minute % 60), tzinfo=ZONE)


def preferences(rng: random.Random) -> dict[str, object]:
    """Return a patient's days and times: most take any time, some only mornings, afternoons,
    weekday evenings or three weekdays."""
    pick = rng.random()
    if pick < 0.55:
        return {}
    if pick < 0.67:
        return {"times": (MORNINGS,)}
    if pick < 0.79:
        return {"times": (AFTERNOONS,)}
    if pick < 0.87:
        return {"times": (Span(16 * 60 + 30, 20 * 60, "evenings"),), "weekdays": frozenset(range(5))}
    return {"weekdays": frozenset(rng.sample(range(6), 3))}


def course_request(rng: random.Random, earliest: dt.date, sessions: int, patient: str) -> CourseRequest:
    lo, hi = rng.choice([(28, 42), (28, 42), (21, 35), (28, 56)])
    appointment = prp_session() if rng.random() < 0.15 else treatment_session()
    return CourseRequest(
        appointment,
        sessions,
        lo,
        hi,
        earliest,
        lead_days=rng.choice([0, 7, 14]),
        requested_on=earliest - dt.timedelta(days=rng.randint(0, 14)),
        first_within_days=21,
        patient=patient,
        **preferences(rng),
    )  # type: ignore[arg-type]


def bench_search(clinic: Calendar, n: int, rng: random.Random) -> None:
    requests = [
        course_request(rng, YEAR[0] + dt.timedelta(days=rng.randint(0, 120)), 6, f"s{i}") for i in range(n)
    ]
    for r in requests[:5]:
        search(r, clinic)  # the first calls load code; the measured calendar is a fresh one
    t0 = time.perf_counter()
    calendar = replace(clinic)  # indexes every busy interval by local day again
    print(
        f"(a) calendar of {sum(len(r.busy) for r in calendar.resources)} busy intervals indexed in"
        f" {time.perf_counter() - t0:.2f} s (once per calendar)"
    )
    times, found = [], 0
    for r in requests:
        t0 = time.perf_counter()
        res = search(r, calendar, alternatives=3)
        times.append((time.perf_counter() - t0) * 1000)
        found += res.found
    q = statistics.quantiles(times, n=100)
    print(f"    whole-course search, 6 sessions, 3 alternatives, {n} requests ({found} found a course)")
    print(
        f"    p50 {q[49]:.2f} ms   p95 {q[94]:.2f} ms   max {max(times):.2f} ms"
        f"   goal p95 <= 20 ms: {'met' if q[94] <= 20 else 'NOT met'}"
    )


def batch_requests(rng: random.Random, n: int, spread_days: int) -> list[CourseRequest]:
    start = dt.date(2026, 3, 9)
    return [
        course_request(
            rng, start + dt.timedelta(days=rng.randint(0, spread_days)), rng.randint(3, 6), f"b{i}"
        )
        for i in range(n)
    ]


def visits_that_fit(calendar: Calendar, days: range) -> dict[int, int]:
    """Return, per day, how many 90-minute treatment visits still fit, packed first-fit."""
    index, need = DayIndex(calendar), Need(treatment_session(), calendar)
    out = {}
    for day in days:
        free, starts, count = dict(index.free(day)), index.open(day), 0
        while (units := _first_visit(need, free, starts)) is not None:
            start, held = units
            for req, unit in zip(need.reqs, held, strict=True):
                free[unit] &= ~bits(start + req.offset, start + req.offset + req.minutes)
            count += 1
        out[day] = count
    return out


def _first_visit(need: Need, free: dict[str, int], open_: int) -> tuple[int, tuple[str, ...]] | None:
    grid = sum(1 << m for m in range(0, 1440, 15))
    for start in lowest_bits(can_start(need, free, grid & open_)):
        units = assign(need, free, start, None)
        if units is not None:
            return start, units
    return None


def utilisation(calendar: Calendar, requests: list[CourseRequest]) -> tuple[float, dict[str, float]]:
    """Return the treatment-visit utilisation the batch's sessions meet, and minute figures.

    Per week: (visits that fit in the empty clinic - visits that still fit around the existing
    appointments + the batch's sessions that week, each course at the middle of its windows)
    / visits that fit in the empty clinic; averaged over the batch's sessions. Beside it, per
    pool, (minutes booked + minutes asked) / minutes on duty over the same weeks."""
    nominal = [
        r.first_day.toordinal() + k * (r.interval_min + r.interval_max) // 2
        for r in requests
        for k in range(r.sessions)
    ]
    days = range(min(nominal) - min(nominal) % 7, max(nominal) + 7 - max(nominal) % 7)
    empty, left = visits_that_fit(empty_clinic(), days), visits_that_fit(calendar, days)
    week = {d: (d - days.start) // 7 for d in days}
    cap: dict[int, int] = defaultdict(int)
    free: dict[int, int] = defaultdict(int)
    asked: dict[int, int] = defaultdict(int)
    for d in days:
        cap[week[d]] += empty[d]
        free[week[d]] += left[d]
    for d in nominal:
        asked[week[d]] += 1
    per_week = {w: (cap[w] - free[w] + asked[w]) / cap[w] for w in cap if cap[w]}
    visits = sum(per_week.get(week[d], 1.0) for d in nominal) / len(nominal)
    return visits, _minutes(calendar, requests, days)


def _minutes(calendar: Calendar, requests: list[CourseRequest], days: range) -> dict[str, float]:
    index = DayIndex(calendar)
    pools = {
        "microneedling practitioners": [p.id for p in calendar.practitioners if p.skills >= MN],
        "treatment rooms": [r.id for r in calendar.rooms if r.kind == "treatment"],
        "pens": [d.id for d in calendar.devices if d.kind == "pen"],
        "numbing chairs": [r.id for r in calendar.rooms if r.kind == "numbing"],
    }
    asked = {"microneedling practitioners": 60, "treatment rooms": 60, "pens": 60, "numbing chairs": 30}
    out = {}
    for name, ids in pools.items():
        duty = booked = 0
        for day in days:
            working, free = index.working(day), index.free(day)
            for rid in ids:
                duty += working[rid].bit_count()
                booked += working[rid].bit_count() - free[rid].bit_count()
        out[name] = (booked + sum(r.sessions for r in requests) * asked[name]) / duty
    return out


def report(res: BatchResult) -> str:
    return (
        f"{res.method:<9} inside windows {res.sessions_inside}/{res.sessions_requested}"
        f" = {res.inside_share:.1%}   placed {res.sessions_placed}   time {res.solve_seconds:.1f} s"
        f"   ({res.status})"
    )


def bench_batch(calendar: Calendar, n: int, spread: int, limit: float, rng: random.Random) -> None:
    requests = batch_requests(rng, n, spread)
    visits, minutes = utilisation(calendar, requests)
    sessions = sum(r.sessions for r in requests)
    print(f"(b) {n} new courses, {sessions} sessions, earliest dates spread over {spread} days")
    print(
        f"    utilisation of treatment capacity met by the new sessions: {visits:.1%}"
        " (visits booked or asked / visits that fit, per week)"
    )
    print(
        "    minutes booked or asked / on duty, same weeks: "
        + ", ".join(f"{name} {u:.0%}" for name, u in minutes.items())
    )
    g = greedy(requests, calendar)
    print("    " + report(g))
    o = optimise(requests, calendar, time_limit_s=limit, workers=2)
    print("    " + report(o))
    ok = o.inside_share >= 0.98 and o.sessions_inside > g.sessions_inside and o.solve_seconds <= 60
    verdict = "met" if ok else "NOT met"
    print(f"    goal optimiser >= 98% inside windows, ahead of greedy, within 60 s: {verdict}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--courses", type=int, default=500)
    ap.add_argument("--appointments", type=int, default=40_000)
    ap.add_argument("--spread", type=int, default=180, help="days the courses' earliest dates spread over")
    ap.add_argument("--time-limit", type=float, default=55.0, help="the optimiser's whole budget, seconds")
    ap.add_argument("--skip", choices=["search", "batch"], default=None)
    args = ap.parse_args()
    rng = random.Random(SEED)
    t0 = time.perf_counter()
    clinic = populate(empty_clinic(), args.appointments, rng)
    print(
        f"clinic: {args.appointments} existing appointments, 1 Mar 2026-28 Feb 2027,"
        f" built in {time.perf_counter() - t0:.1f} s"
    )
    if args.skip != "search":
        bench_search(clinic, args.requests, random.Random(SEED + 1))
    if args.skip != "batch":
        bench_batch(clinic, args.courses, args.spread, args.time_limit, random.Random(SEED + 2))


if __name__ == "__main__":
    main()
