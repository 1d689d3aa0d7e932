"""The calendar's plain data: spans, weekly hours, closures, appointment types, bookings and
their resources, the error shape, and a consultation booked like any other visit."""

import datetime as dt

import pytest
from scheduling_helpers import at, busy, clinic, course_request, violations

from needlepoint.scheduling import SchedulingError, search
from needlepoint.scheduling.explain import dates, weekday_names
from needlepoint.scheduling.model import (
    MORNINGS,
    Closure,
    Span,
    WeeklyHours,
    consultation,
    prp_session,
    treatment_session,
)
from needlepoint.scheduling.optimiser import _pack
from needlepoint.scheduling.search import Need

MON = dt.date(2026, 6, 1)


def test_it_reads_and_writes_spans() -> None:
    assert Span.parse("09:00-13:30", "mornings") == Span(540, 810, "mornings")
    assert str(Span(540, 810)) == "09:00-13:30"
    assert str(MORNINGS) == "08:00-12:00"
    for bad in ("09:00", "9-13", "13:00-09:00", "09:60-10:00"):
        with pytest.raises(SchedulingError):
            Span.parse(bad)


def test_it_reads_weekday_ranges_across_the_weekend() -> None:
    hours = WeeklyHours.parse("sat-mon 10:00-14:00")
    assert [bool(hours.on(d)) for d in range(7)] == [True, False, False, False, False, True, True]
    with pytest.raises(SchedulingError, match="seven days"):
        WeeklyHours(((),) * 6)


def test_it_keeps_closures_inclusive() -> None:
    c = Closure(dt.date(2026, 12, 24), dt.date(2027, 1, 2), "Christmas")
    assert dt.date(2026, 12, 24) in c and dt.date(2027, 1, 2) in c
    assert dt.date(2027, 1, 3) not in c
    assert clinic(closures=(c,)).closure_on(dt.date(2027, 1, 1)) == c
    with pytest.raises(SchedulingError, match="ends before"):
        Closure(dt.date(2027, 1, 2), dt.date(2026, 12, 24))


def test_it_describes_appointment_types() -> None:
    assert treatment_session().minutes == 90
    assert prp_session().minutes == 90
    assert [s.name for s in prp_session().steps] == ["numbing", "blood draw", "spin", "treatment"]
    assert consultation(minutes=20).minutes == 20
    with pytest.raises(SchedulingError, match="inside the numbing time"):
        prp_session(numbing=20, draw=10, spin=15)


def test_it_gives_each_session_its_resources() -> None:
    course = search(course_request(MON, sessions=1, appointment=prp_session()), clinic()).course
    assert course is not None
    s = course.sessions[0]
    assert (s.practitioner, s.room, s.devices) == ("ben", "t1", ("centrifuge-1", "pen-1"))
    assert [(h.step, h.role, h.kind, h.resource) for h in s.holds] == [
        ("numbing", "room", "numbing", "n1"),
        ("blood draw", "practitioner", "practitioner", "anna"),
        ("spin", "device", "centrifuge", "centrifuge-1"),
        ("treatment", "practitioner", "practitioner", "ben"),
        ("treatment", "room", "treatment", "t1"),
        ("treatment", "device", "pen", "pen-1"),
    ]
    assert s.inside_window and s.day == MON


def test_it_hands_a_booked_course_back_as_busy_times() -> None:
    cal = clinic()
    course = search(course_request(MON, sessions=2), cal).course
    assert course is not None
    held = course.busy()
    assert sorted(held) == ["ben", "n1", "pen-1", "t1"]
    assert [(iv.start, iv.end) for iv in held["n1"]] == [
        (at(MON, "09:00"), at(MON, "09:30")),
        (at("2026-06-29", "09:00"), at("2026-06-29", "09:30")),
    ]
    again = search(course_request(MON, sessions=2), cal.with_busy(held)).course
    assert again is not None and again.sessions[0].start == at(MON, "10:00")
    with pytest.raises(SchedulingError, match="unknown resources"):
        cal.with_busy({"t9": (busy(MON, "09:00", "10:00"),)})


def test_it_books_a_consultation_in_a_consultation_room() -> None:
    cal = clinic()
    course = search(course_request(MON, sessions=1, appointment=consultation()), cal).course
    assert course is not None
    s = course.sessions[0]
    assert (s.start, s.end, s.room, s.practitioner) == (at(MON, "09:00"), at(MON, "09:30"), "c1", "ben")
    assert violations(course, cal) == []


def test_it_gives_errors_in_the_contract_shape() -> None:
    err = SchedulingError("the interval needs 1 <= min <= max days", field="interval")
    assert err.as_dict() == {
        "message": "the interval needs 1 <= min <= max days",
        "extra": {"field": "interval"},
    }


def test_it_writes_dates_and_weekdays_for_people() -> None:
    day = dt.date(2026, 12, 24).toordinal()
    assert dates(day, day) == "24 Dec 2026"
    assert dates(day - 19, day) == "5-24 Dec 2026"
    assert dates(day - 30, day) == "24 Nov-24 Dec 2026"
    assert dates(day, day + 9) == "24 Dec 2026-2 Jan 2027"
    assert weekday_names([5, 0], weekdays=True) == "Mondays and Saturdays"
    assert weekday_names([0, 2, 4], weekdays=True) == "Mondays, Wednesdays and Fridays"
    assert weekday_names([MON.toordinal(), MON.toordinal() + 7]) == "Mondays"


def test_it_counts_the_visits_a_day_holds() -> None:
    cal = clinic()
    need = Need(treatment_session(), cal)
    index = cal.day_index
    starts = sum(1 << m for m in range(0, 1440, 15)) & index.open(MON.toordinal())
    # one treatment room 09:30-18:00 and one chair: 09:00, 10:00, ... 16:00
    assert _pack(need, dict(index.free(MON.toordinal())), starts) == 8
    assert _pack(need, dict(index.free(MON.toordinal() + 6)), starts) == 0  # Sunday
