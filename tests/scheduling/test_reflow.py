"""Moving or cancelling one session re-checks the later ones against their windows and
re-flows them, keeping those still valid; or says why the change cannot be made."""

import datetime as dt

import pytest
from scheduling_helpers import at, busy, clinic, course_request, violations

from needlepoint.scheduling.booking import CourseBooking
from needlepoint.scheduling.errors import SchedulingError
from needlepoint.scheduling.model import Calendar, Room
from needlepoint.scheduling.reflow import reflow
from needlepoint.scheduling.search import search

MON = dt.date(2026, 6, 1)


def _booked(cal: Calendar | None = None) -> tuple[CourseBooking, Calendar]:
    """Return the course 1 Jun, 29 Jun, 27 Jul (09:00, Ben) and the calendar holding it."""
    cal = cal or clinic()
    course = search(course_request(MON), cal).course
    assert course is not None
    return course, cal.with_busy(course.busy())


def _starts(course: CourseBooking | None) -> list[str]:
    assert course is not None
    return [s.start.strftime("%Y-%m-%d %H:%M") for s in course.sessions]


def test_it_keeps_later_sessions_that_are_still_inside_their_windows() -> None:
    course, cal = _booked()
    res = reflow(course, 2, at("2026-06-29", "14:00"), cal)
    assert res.ok and res.why_not == ()
    assert _starts(res.course) == ["2026-06-01 09:00", "2026-06-29 14:00", "2026-07-27 09:00"]
    assert (res.kept, res.moved) == ((3,), ())
    assert res.course is not None and res.course.sessions[2] == course.sessions[2]


def test_it_moves_a_later_session_its_window_no_longer_holds() -> None:
    course, cal = _booked()
    res = reflow(course, 2, at("2026-07-06", "11:00"), cal)
    assert _starts(res.course) == ["2026-06-01 09:00", "2026-07-06 11:00", "2026-08-03 09:00"]
    assert (res.kept, res.moved) == ((), (3,))
    assert res.course is not None
    assert [(s.earliest.isoformat(), s.latest.isoformat()) for s in res.course.sessions[1:]] == [
        ("2026-06-29", "2026-07-13"),
        ("2026-08-03", "2026-08-17"),
    ]
    assert violations(res.course, clinic()) == []


def test_it_moves_a_later_session_past_a_new_booking() -> None:
    course, cal = _booked()
    cal = cal.with_busy({"t1": (busy("2026-08-03", "09:00", "18:00"),)})
    res = reflow(course, 2, at("2026-07-06", "11:00"), cal)
    assert _starts(res.course)[2] == "2026-08-04 09:00"


def test_it_may_move_a_session_over_its_own_old_time() -> None:
    course, cal = _booked()
    res = reflow(course, 1, at(MON, "09:15"), cal)
    assert _starts(res.course) == ["2026-06-01 09:15", "2026-06-29 09:00", "2026-07-27 09:00"]
    assert res.kept == (2, 3)


def test_it_refuses_a_move_outside_the_window() -> None:
    course, cal = _booked()
    res = reflow(course, 2, at("2026-07-20", "09:00"), cal)
    assert not res.ok and res.course is None
    assert res.why_not == ("session 2 must be 29 Jun-13 Jul 2026 (28-42 days after session 1 on 1 Jun 2026)",)


def test_it_refuses_a_move_onto_a_booked_room() -> None:
    course, cal = _booked()
    cal = cal.with_busy({"t1": (busy("2026-06-30", "14:00", "15:00"),)})
    res = reflow(course, 2, at("2026-06-30", "14:00"), cal)
    assert res.why_not == ("no treatment room free at 14:00 on 30 Jun 2026",)


def test_it_refuses_a_move_outside_opening_hours() -> None:
    course, cal = _booked()
    res = reflow(course, 2, at("2026-06-30", "17:00"), cal)
    assert res.why_not == ("the clinic is not open for the whole visit at 17:00 on 30 Jun 2026",)


def test_it_says_why_the_later_sessions_cannot_follow() -> None:
    full = tuple(busy(dt.date(2026, 8, 3) + dt.timedelta(days=n), "09:00", "18:00") for n in range(15))
    room = Room("t1", "treatment", busy=full)
    course, cal = _booked(clinic(rooms=(room, Room("n1", "numbing"))))
    res = reflow(course, 2, at("2026-07-06", "11:00"), cal)
    assert not res.ok
    assert res.why_not == (
        "the clinic is not open on Sundays",
        "no treatment room free within the window of session 3 (3-17 Aug 2026)",
    )


def test_it_closes_up_the_course_when_a_session_is_cancelled() -> None:
    course, cal = _booked()
    res = reflow(course, 2, None, cal)
    # session 3 becomes session 2: inside 28-42 days of session 1, on the slot session 2 freed
    assert _starts(res.course) == ["2026-06-01 09:00", "2026-06-29 09:00"]
    assert (res.kept, res.moved) == ((), (3,))


def test_it_keeps_the_rest_when_the_first_session_is_cancelled() -> None:
    course, cal = _booked()
    res = reflow(course, 1, None, cal)
    assert _starts(res.course) == ["2026-06-29 09:00", "2026-07-27 09:00"]
    assert res.kept == (2, 3)


def test_it_refuses_an_unknown_session_or_a_naive_time() -> None:
    course, cal = _booked()
    with pytest.raises(SchedulingError, match="no session 4"):
        reflow(course, 4, at(MON, "10:00"), cal)
    with pytest.raises(SchedulingError, match="aware"):
        reflow(course, 2, dt.datetime(2026, 6, 30, 10, 0), cal)


def test_it_moves_the_last_session_alone() -> None:
    course, cal = _booked()
    res = reflow(course, 3, at("2026-08-05", "15:00"), cal)
    assert _starts(res.course) == ["2026-06-01 09:00", "2026-06-29 09:00", "2026-08-05 15:00"]
    assert (res.kept, res.moved) == ((), ())


def test_it_lets_the_first_session_move_past_its_search_window() -> None:
    course, cal = _booked()
    res = reflow(course, 1, at("2026-07-15", "09:00"), cal)  # 44 days after the first day allowed
    assert _starts(res.course) == ["2026-07-15 09:00", "2026-08-12 09:00", "2026-09-09 09:00"]
    assert res.moved == (2, 3)
    assert res.course is not None and res.course.sessions[0].latest == dt.date(2026, 7, 15)
    assert reflow(course, 1, at("2026-05-29", "09:00"), cal).why_not == (
        "session 1 cannot be before 1 Jun 2026, the first day the plan allows",
    )


def test_it_keeps_the_treating_practitioner_when_it_re_flows() -> None:
    course, cal = _booked()
    assert {s.practitioner for s in course.sessions} == {"ben"}
    res = reflow(course, 2, at("2026-07-06", "11:00"), cal)
    assert res.course is not None
    assert [s.practitioner for s in res.course.sessions] == ["ben", "ben", "ben"]


def test_it_explains_a_move_onto_a_busy_practitioner() -> None:
    course, cal = _booked()
    taken = (busy("2026-06-30", "14:00", "16:00"),)
    cal = cal.with_busy({"ben": taken, "anna": taken})
    res = reflow(course, 2, at("2026-06-30", "14:00"), cal)
    assert res.why_not == ("no microneedling-trained practitioner free at 14:00 on 30 Jun 2026",)
