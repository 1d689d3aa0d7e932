"""The batch optimiser and greedy first-fit on small waiting lists: no double booking, counts
that add up, and the optimiser never behind greedy — ahead where arrival order misleads it."""

import datetime as dt

from scheduling_helpers import MN, at, busy, clinic, course_request, violations

from needlepoint.scheduling.batch import BatchResult, greedy
from needlepoint.scheduling.booking import CourseBooking
from needlepoint.scheduling.model import (
    AFTERNOONS,
    MORNINGS,
    Calendar,
    Practitioner,
    Room,
    WeeklyHours,
    prp_session,
)
from needlepoint.scheduling.optimiser import optimise

WED = dt.date(2026, 6, 3)


def _one_visit_a_day() -> Calendar:
    """A clinic that takes exactly one 90-minute visit on Wednesdays and Thursdays."""
    ben = Practitioner("ben", "Ben", MN, WeeklyHours.parse("wed,thu 09:00-10:30"))
    return clinic(hours="wed,thu 09:00-10:30", practitioners=(ben,))


def _courses(res: BatchResult) -> list[CourseBooking]:
    return [c for c in res.courses if c is not None]


def _no_double_booking(res: BatchResult, cal: Calendar) -> None:
    courses = _courses(res)
    for i, c in enumerate(courses):
        assert violations(c, cal, courses[i + 1 :], windows=False) == []


def test_it_places_a_flexible_patient_where_a_fussy_one_cannot_go() -> None:
    cal = _one_visit_a_day()
    flexible = course_request(WED, sessions=1, first_within_days=1, patient="A")  # Wednesday or Thursday
    wednesdays = course_request(WED, sessions=1, first_within_days=1, weekdays=frozenset({2}), patient="B")
    first_fit = greedy([flexible, wednesdays], cal)
    assert [c.sessions[0].day.isoformat() for c in _courses(first_fit)] == ["2026-06-03", "2026-06-10"]
    assert (first_fit.sessions_inside, first_fit.inside_share) == (1, 0.5)
    best = optimise([flexible, wednesdays], cal, time_limit_s=5)
    assert [c.sessions[0].day.isoformat() for c in _courses(best)] == ["2026-06-04", "2026-06-03"]
    assert (best.sessions_inside, best.sessions_placed, best.sessions_requested) == (2, 2, 2)
    assert best.method == "optimiser" and "OPTIMAL" in best.status
    _no_double_booking(best, cal)


def test_it_keeps_courses_in_request_order_and_counts_them() -> None:
    cal = clinic()
    batch = [course_request(WED, sessions=3, patient=p) for p in "ABC"]
    for res in (greedy(batch, cal), optimise(batch, cal, time_limit_s=5)):
        assert [c.request.patient for c in _courses(res)] == ["A", "B", "C"]
        assert (res.sessions_requested, res.sessions_placed, res.sessions_inside) == (9, 9, 9)
        assert res.inside_share == 1.0
        assert res.solve_seconds < 5
        _no_double_booking(res, cal)


def test_it_places_late_what_no_window_can_take() -> None:
    cal = _one_visit_a_day()
    batch = [course_request(WED, sessions=2, lo=7, hi=7, first_within_days=0, patient=p) for p in "AB"]
    for res in (greedy(batch, cal), optimise(batch, cal, time_limit_s=5)):
        a, b = _courses(res)
        assert [s.day.isoformat() for s in a.sessions] == ["2026-06-03", "2026-06-10"]
        # B's first session cannot be on 3 June: it goes late, and its second counts from there
        assert [(s.day.isoformat(), s.inside_window) for s in b.sessions] == [
            ("2026-06-04", False),
            ("2026-06-11", True),
        ]
        assert (res.sessions_inside, res.sessions_placed) == (3, 4)


def test_it_never_double_books_a_busy_clinic() -> None:
    rooms = (
        Room("t1", "treatment"),
        Room("t2", "treatment"),
        Room("n1", "numbing"),
        Room("n2", "numbing", busy=(busy(WED, "09:00", "18:00"),)),
    )
    cal = clinic(rooms=rooms)
    batch = [
        course_request(
            WED + dt.timedelta(days=i % 5),
            sessions=2 + i % 3,
            lo=7,
            hi=10,
            first_within_days=3,
            times=((MORNINGS,), (AFTERNOONS,), ())[i % 3],
            appointment=prp_session() if i % 4 == 0 else None,
            patient=str(i),
        )
        for i in range(14)
    ]
    first_fit = greedy(batch, cal)
    best = optimise(batch, cal, time_limit_s=10)
    for res in (first_fit, best):
        _no_double_booking(res, cal)
    assert best.sessions_inside >= first_fit.sessions_inside
    assert best.sessions_placed == first_fit.sessions_placed == sum(r.sessions for r in batch)


def test_it_returns_greedys_courses_when_it_cannot_do_better() -> None:
    cal = clinic()
    batch = [course_request(WED, sessions=2)]
    res = optimise(batch, cal, time_limit_s=5)
    assert res.status.endswith("greedy kept")
    assert res.courses == greedy(batch, cal).courses


def test_it_handles_an_empty_waiting_list() -> None:
    for res in (greedy([], clinic()), optimise([], clinic(), time_limit_s=1)):
        assert (res.courses, res.sessions_requested, res.sessions_placed, res.inside_share) == ((), 0, 0, 1.0)


def test_it_books_the_first_free_start_on_the_chosen_day() -> None:
    cal = clinic()
    res = optimise([course_request(WED, sessions=1), course_request(WED, sessions=1)], cal, time_limit_s=5)
    assert [c.sessions[0].start for c in _courses(res)] == [at(WED, "09:00"), at(WED, "10:00")]
