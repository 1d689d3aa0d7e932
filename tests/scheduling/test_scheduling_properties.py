"""Property tests: on generated clinics (random hours, skills, rooms, devices, closures and busy
times in two zones, across the 2026 daylight-saving changes) a course the search returns never
breaks a rule: no double booking of any resource, inside opening and working hours, off the
closures, on the patient's days and times, every gap inside its window. Re-flows and batches
keep the same rules. The checker (`scheduling_helpers.violations`) shares no code with the
search."""

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from scheduling_helpers import MN, PRP, violations

from needlepoint.scheduling.batch import greedy
from needlepoint.scheduling.model import (
    AFTERNOONS,
    EVENINGS,
    MORNINGS,
    Calendar,
    Closure,
    CourseRequest,
    Device,
    Interval,
    Practitioner,
    Room,
    Span,
    WeeklyHours,
    prp_session,
    treatment_session,
)
from needlepoint.scheduling.optimiser import optimise
from needlepoint.scheduling.reflow import reflow
from needlepoint.scheduling.search import search

ZONES = (ZoneInfo("Europe/London"), ZoneInfo("America/New_York"))
STARTS = (dt.date(2026, 3, 16), dt.date(2026, 10, 19))  # the weeks before the 2026 changes
SETTINGS = settings(max_examples=120, deadline=None)


@st.composite
def day_spans(draw: st.DrawFn) -> tuple[Span, ...]:
    """One or two spans on the quarter hour, or none (a day off)."""
    if draw(st.integers(0, 4)) == 0:
        return ()
    start = draw(st.integers(6 * 4, 12 * 4)) * 15
    end = min(1440, start + draw(st.integers(8, 40)) * 15)
    if draw(st.booleans()) and end < 1440 - 120:
        later = end + draw(st.integers(2, 8)) * 15
        return Span(start, end), Span(later, min(1440, later + draw(st.integers(8, 24)) * 15))
    return (Span(start, end),)


@st.composite
def weeks(draw: st.DrawFn) -> WeeklyHours:
    return WeeklyHours(tuple(draw(day_spans()) for _ in range(7)))


@st.composite
def busy_times(draw: st.DrawFn, zone: ZoneInfo, around: dt.date) -> tuple[Interval, ...]:
    """Up to 12 intervals in the 8 weeks from `around`, off the grid, given in the zone or UTC."""
    out = []
    for _ in range(draw(st.integers(0, 12))):
        day = around + dt.timedelta(days=draw(st.integers(0, 55)))
        minute = draw(st.integers(0, 1439))
        start = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=zone).astimezone(dt.UTC)
        end = start + dt.timedelta(minutes=draw(st.integers(5, 300)))  # in UTC: wall-clock sums skip DST
        in_zone = draw(st.booleans())
        out.append(
            Interval(start.astimezone(zone), end.astimezone(zone)) if in_zone else Interval(start, end)
        )
    return tuple(out)


@st.composite
def clinics(draw: st.DrawFn) -> tuple[Calendar, dt.date]:
    zone, around = draw(st.sampled_from(ZONES)), draw(st.sampled_from(STARTS))
    practitioners = tuple(
        Practitioner(
            f"p{n}",
            f"P{n}",
            draw(st.sampled_from([MN, MN, PRP, frozenset({"prp_draw"})])),
            draw(weeks()),
            draw(busy_times(zone, around)),
        )
        for n in range(draw(st.integers(1, 3)))
    )
    kinds = ["treatment"] * draw(st.integers(1, 2)) + ["numbing"] * draw(st.integers(0, 2))
    rooms = tuple(Room(f"r{n}", kind, busy=draw(busy_times(zone, around))) for n, kind in enumerate(kinds))
    device_kinds = ["pen"] * draw(st.integers(0, 2)) + ["centrifuge"] * draw(st.integers(0, 1))
    devices = tuple(
        Device(f"d{n}", kind, draw(busy_times(zone, around))) for n, kind in enumerate(device_kinds)
    )
    closures = tuple(
        Closure(a, a + dt.timedelta(days=draw(st.integers(0, 5))))
        for a in draw(st.lists(st.dates(around, around + dt.timedelta(days=50)), max_size=2))
    )
    return Calendar(zone, draw(weeks()), practitioners, rooms, devices, closures), around


@st.composite
def requests(draw: st.DrawFn, around: dt.date) -> CourseRequest:
    lo = draw(st.integers(1, 10))
    appointment = draw(
        st.sampled_from([treatment_session(), treatment_session(numbing=0, treatment=45), prp_session()])
    )
    return CourseRequest(
        appointment,
        draw(st.integers(1, 4)),
        lo,
        lo + draw(st.integers(0, 10)),
        around + dt.timedelta(days=draw(st.integers(0, 20))),
        first_within_days=draw(st.integers(0, 14)),
        weekdays=frozenset(draw(st.sets(st.integers(0, 6), min_size=1))),
        times=tuple(draw(st.sets(st.sampled_from([MORNINGS, AFTERNOONS, EVENINGS])))),
    )


@SETTINGS
@given(st.data())
def test_it_never_returns_a_course_that_breaks_a_rule(data: st.DataObject) -> None:
    calendar, around = data.draw(clinics())
    request = data.draw(requests(around))
    res = search(request, calendar, alternatives=2)
    if res.course is None:
        assert res.why_not and all(isinstance(w, str) and w for w in res.why_not)
        return
    assert res.why_not == ()
    for course in (res.course, *res.alternatives):
        assert len(course.sessions) == request.sessions
        assert violations(course, calendar) == []
    firsts = [(c.first_day, c.sessions[0].practitioner) for c in (res.course, *res.alternatives)]
    assert len(set(firsts)) == len(firsts)
    assert all(res.course.first_day <= c.first_day for c in res.alternatives)


@SETTINGS
@given(st.data())
def test_it_never_reflows_into_a_broken_course(data: st.DataObject) -> None:
    calendar, around = data.draw(clinics())
    request = data.draw(requests(around))
    course = search(request, calendar, alternatives=0).course
    if course is None:
        return
    number = data.draw(st.integers(1, len(course.sessions)))
    old = course.sessions[number - 1].start
    new_start = (
        None
        if data.draw(st.integers(0, 4)) == 0
        else old
        + dt.timedelta(days=data.draw(st.integers(-3, 12)), minutes=15 * data.draw(st.integers(-8, 8)))
    )
    res = reflow(course, number, new_start, calendar.with_busy(course.busy()))
    if res.course is None:
        assert res.why_not
        return
    assert len(res.course.sessions) == len(course.sessions) - (new_start is None)
    assert violations(res.course, calendar, first_window=False, preferences=False) == []
    assert res.course.sessions[: number - 1] == course.sessions[: number - 1]
    assert set(res.kept) | set(res.moved) == set(range(number + 1, len(course.sessions) + 1))


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_it_never_double_books_in_a_batch(data: st.DataObject) -> None:
    calendar, around = data.draw(clinics())
    batch = data.draw(st.lists(requests(around), min_size=1, max_size=5))
    first_fit = greedy(batch, calendar)
    best = optimise(batch, calendar, time_limit_s=5)
    for res in (first_fit, best):
        courses = [c for c in res.courses if c is not None]
        for i, course in enumerate(courses):
            assert violations(course, calendar, courses[i + 1 :], windows=False) == []
        assert res.sessions_inside == sum(s.inside_window for c in courses for s in c.sessions)
        assert res.sessions_requested == sum(r.sessions for r in batch)
    assert best.sessions_inside >= first_fit.sessions_inside
