"""Whole-course search: the earliest course, windows, hours, closures, skills, devices, the
numbing chair, preferences and alternatives, on small clinics (Europe/London, summer 2026)."""

import datetime as dt

import pytest
from scheduling_helpers import LONDON, MN, PRP, at, busy, clinic, course_request, violations

from needlepoint.scheduling.errors import SchedulingError
from needlepoint.scheduling.model import (
    AFTERNOONS,
    Closure,
    CourseRequest,
    Device,
    Interval,
    Practitioner,
    Room,
    WeeklyHours,
    device_pool,
    prp_session,
    treatment_session,
)
from needlepoint.scheduling.search import search

MON = dt.date(2026, 6, 1)  # a Monday


def _days(res_course: object) -> list[str]:
    return [s.day.isoformat() for s in res_course.sessions]  # type: ignore[attr-defined]


def _room_busy(days: list[dt.date], start: str = "09:00", end: str = "18:00") -> tuple[Interval, ...]:
    return tuple(busy(d, start, end) for d in days)


def _span(first: str, last: str) -> list[dt.date]:
    a, b = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [a + dt.timedelta(days=n) for n in range((b - a).days + 1)]


def test_it_books_the_earliest_whole_course() -> None:
    cal = clinic()
    res = search(course_request(MON), cal)
    assert res.found and res.why_not == ()
    course = res.course
    assert course is not None
    assert _days(course) == ["2026-06-01", "2026-06-29", "2026-07-27"]
    first = course.sessions[0]
    assert (first.start, first.end) == (at(MON, "09:00"), at(MON, "10:30"))
    assert first.practitioner == "ben"  # the least specialised, keeping Anna's PRP skill free
    assert (first.room, first.devices) == ("t1", ("pen-1",))
    assert first.numbing is not None
    assert (first.numbing.resource, first.numbing.start, first.numbing.end) == (
        "n1",
        at(MON, "09:00"),
        at(MON, "09:30"),
    )
    assert [(s.earliest.isoformat(), s.latest.isoformat()) for s in course.sessions] == [
        ("2026-06-01", "2026-06-29"),
        ("2026-06-29", "2026-07-13"),
        ("2026-07-27", "2026-08-10"),
    ]
    assert violations(course, cal) == []


def test_it_returns_aware_datetimes_in_the_clinic_zone() -> None:
    res = search(course_request(MON), clinic())
    assert res.course is not None
    for s in res.course.sessions:
        assert s.start.tzinfo == LONDON and s.start.utcoffset() == dt.timedelta(hours=1)
        assert all(h.start.tzinfo == LONDON for h in s.holds)


def test_it_keeps_every_session_inside_its_window() -> None:
    room = Room("t1", "treatment", busy=_room_busy(_span("2026-06-29", "2026-07-12")))
    cal = clinic(rooms=(room, Room("n1", "numbing")))
    course = search(course_request(MON), cal).course
    assert course is not None
    assert _days(course) == ["2026-06-01", "2026-07-13", "2026-08-10"]  # 42 days, then 28
    assert violations(course, cal) == []


def test_it_moves_the_first_session_when_a_later_window_is_full() -> None:
    room = Room("t1", "treatment", busy=_room_busy(_span("2026-06-29", "2026-07-13")))
    cal = clinic(rooms=(room, Room("n1", "numbing")))
    course = search(course_request(MON), cal).course
    assert course is not None
    assert _days(course) == ["2026-06-02", "2026-07-14", "2026-08-11"]


def test_it_starts_on_the_slot_grid() -> None:
    cal = clinic(rooms=(Room("t1", "treatment", busy=(busy(MON, "09:00", "09:35"),)), Room("n1", "numbing")))
    course = search(course_request(MON, sessions=1), cal).course
    assert course is not None
    assert course.sessions[0].start == at(MON, "09:15")  # treatment from 09:45, after 09:35


def test_it_keeps_a_visit_inside_one_opening_span() -> None:
    room = Room("t1", "treatment", busy=(busy(MON, "09:00", "11:15"),))
    cal = clinic(hours="mon-fri 09:00-12:00 13:00-18:00", rooms=(room, Room("n1", "numbing")))
    course = search(course_request(MON, sessions=1), cal).course
    assert course is not None
    assert course.sessions[0].start == at(MON, "13:00")  # 10:45 would treat through the lunch closure


def test_it_skips_closures() -> None:
    christmas = Closure(dt.date(2026, 12, 24), dt.date(2027, 1, 2), "Christmas")
    room = Room("t1", "treatment", busy=_room_busy(_span("2026-12-21", "2026-12-23")))
    cal = clinic(rooms=(room, Room("n1", "numbing")), closures=(christmas,))
    course = search(course_request("2026-12-21", sessions=2, lo=7, hi=14), cal).course
    assert course is not None
    assert _days(course) == ["2027-01-04", "2027-01-11"]


def test_it_books_inside_the_practitioners_hours_and_numbs_before_they_start() -> None:
    ben = Practitioner("ben", "Ben", MN, WeeklyHours.parse("mon-fri 13:00-18:00"))
    cal = clinic(practitioners=(ben,))
    session = search(course_request(MON, sessions=1), cal).course.sessions[0]  # type: ignore[union-attr]
    # numbing needs a chair, not the practitioner: the patient arrives at 12:30
    assert session.start == at(MON, "12:30")
    assert [(h.step, h.resource, h.start) for h in session.holds if h.role == "practitioner"] == [
        ("treatment", "ben", at(MON, "13:00"))
    ]


def test_it_lets_the_next_patient_numb_while_the_room_is_in_use() -> None:
    cal = clinic()
    first = search(course_request(MON, sessions=1), cal).course
    assert first is not None
    second = search(course_request(MON, sessions=1), cal.with_busy(first.busy())).course
    assert second is not None
    s = second.sessions[0]
    assert s.start == at(MON, "10:00")  # in the chair 10:00-10:30 while t1 treats until 10:30
    assert s.numbing is not None and (s.numbing.start, s.numbing.end) == (at(MON, "10:00"), at(MON, "10:30"))
    assert [(h.resource, h.start) for h in s.holds if h.role == "room" and h.kind == "treatment"] == [
        ("t1", at(MON, "10:30"))
    ]
    assert violations(second, cal, others=(first,)) == []


def test_it_gives_prp_only_to_a_prp_trained_practitioner() -> None:
    cal = clinic()
    course = search(course_request(MON, sessions=2, appointment=prp_session()), cal).course
    assert course is not None
    for s in course.sessions:
        draws = [h.resource for h in s.holds if h.step == "blood draw"]
        assert draws == ["anna"]
        assert [h.resource for h in s.holds if h.step == "spin"] == ["centrifuge-1"]
    assert violations(course, cal) == []


def _prp_clinic(centrifuges: int) -> object:
    practitioners = (
        Practitioner("anna", "Anna", PRP, WeeklyHours.parse("mon-fri 09:00-18:00")),
        Practitioner("carl", "Carl", PRP, WeeklyHours.parse("mon-fri 09:00-18:00")),
    )
    rooms = (Room("t1", "treatment"), Room("t2", "treatment"), Room("n1", "numbing"), Room("n2", "numbing"))
    return clinic(
        practitioners=practitioners,
        rooms=rooms,
        devices=(*device_pool("pen", 2), *device_pool("centrifuge", centrifuges)),
    )


@pytest.mark.parametrize(("centrifuges", "second_start"), [(1, "09:15"), (2, "09:00")])
def test_it_shares_the_centrifuge(centrifuges: int, second_start: str) -> None:
    cal = _prp_clinic(centrifuges)
    req = course_request(MON, sessions=1, appointment=prp_session())
    first = search(req, cal).course  # type: ignore[arg-type]
    assert first is not None and first.sessions[0].start == at(MON, "09:00")
    second = search(req, cal.with_busy(first.busy())).course  # type: ignore[attr-defined]
    assert second is not None
    assert second.sessions[0].start == at(MON, second_start)
    assert violations(second, cal, others=(first,)) == []  # type: ignore[arg-type]


def test_it_deals_pooled_device_bookings_to_units() -> None:
    pens = device_pool("pen", 2, busy=[busy(MON, "09:00", "12:00"), busy(MON, "10:00", "11:00")])
    assert [d.id for d in pens] == ["pen-1", "pen-2"]
    assert [len(d.busy) for d in pens] == [1, 1]
    with pytest.raises(SchedulingError, match="more than 1 pen units busy"):
        device_pool("pen", 1, busy=[busy(MON, "09:00", "12:00"), busy(MON, "10:00", "11:00")])


def test_it_keeps_to_the_patients_days_and_times() -> None:
    cal = clinic()
    req = course_request(MON, weekdays=frozenset({2}), times=(AFTERNOONS,))
    course = search(req, cal).course
    assert course is not None
    for s in course.sessions:
        assert s.day.weekday() == 2
        assert at(s.day, "12:00") <= s.start and s.end <= at(s.day, "17:00")
    assert _days(course) == ["2026-06-03", "2026-07-01", "2026-07-29"]
    assert course.sessions[0].start == at("2026-06-03", "12:00")


def test_it_counts_the_preparation_lead_from_the_request_day() -> None:
    req = course_request(MON, sessions=1, requested_on=dt.date(2026, 5, 25), lead_days=14)
    assert req.first_day == dt.date(2026, 6, 8)
    course = search(req, clinic()).course
    assert course is not None and _days(course) == ["2026-06-08"]
    assert course_request(MON, lead_days=3).first_day == dt.date(2026, 6, 4)


def test_it_keeps_the_first_sessions_practitioner_when_the_time_allows() -> None:
    ben = Practitioner(
        "ben", "Ben", MN, WeeklyHours.parse("mon-sat 09:00-18:00"), busy=(busy(MON, "09:00", "12:00"),)
    )
    anna = Practitioner("anna", "Anna", PRP, WeeklyHours.parse("mon-fri 09:00-18:00"))
    cal = clinic(practitioners=(ben, anna))
    course = search(course_request(MON), cal).course
    assert course is not None
    # Ben comes first for a treatment, but Anna treated session 1 and is free for the others
    assert [s.practitioner for s in course.sessions] == ["anna", "anna", "anna"]
    assert [s.start for s in course.sessions] == [
        at(MON, "09:00"),
        at("2026-06-29", "09:00"),
        at("2026-07-27", "09:00"),
    ]


def test_it_prefers_an_earlier_time_to_the_same_practitioner() -> None:
    ben = Practitioner(
        "ben",
        "Ben",
        MN,
        WeeklyHours.parse("mon-sat 09:00-18:00"),
        busy=(busy("2026-06-29", "09:00", "12:00"),),
    )
    anna = Practitioner("anna", "Anna", PRP, WeeklyHours.parse("mon-fri 09:00-18:00"))
    course = search(course_request(MON), clinic(practitioners=(ben, anna))).course
    assert course is not None
    assert [s.practitioner for s in course.sessions] == ["ben", "anna", "ben"]


def test_it_books_a_named_practitioner_only() -> None:
    course = search(course_request(MON, practitioner="anna"), clinic()).course
    assert course is not None
    assert [s.practitioner for s in course.sessions] == ["anna"] * 3
    with pytest.raises(SchedulingError, match="no practitioner 'zoe'"):
        search(course_request(MON, practitioner="zoe"), clinic())


def test_it_offers_alternatives_on_other_days_and_with_other_practitioners() -> None:
    cal = clinic()
    res = search(course_request(MON), cal, alternatives=3)
    assert res.course is not None
    firsts = [(c.first_day.isoformat(), c.sessions[0].practitioner) for c in (res.course, *res.alternatives)]
    assert firsts == [
        ("2026-06-01", "ben"),
        ("2026-06-02", "ben"),
        ("2026-06-01", "anna"),
        ("2026-06-03", "ben"),
    ]
    assert all(violations(c, cal) == [] for c in res.alternatives)
    assert search(course_request(MON), cal, alternatives=0).alternatives == ()


def test_it_finds_nothing_rather_than_a_broken_course() -> None:
    cal = clinic(rooms=(Room("n1", "numbing"),))
    res = search(course_request(MON), cal)
    assert res.course is None and res.alternatives == ()
    assert res.why_not == ("the clinic has no treatment room",)  # nothing else matters then


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("sessions", {"sessions": 0}),
        ("interval", {"lo": 10, "hi": 5}),
        ("interval", {"lo": 0, "hi": 5}),
        ("weekdays", {"weekdays": frozenset({7})}),
        ("lead_days", {"lead_days": -1}),
    ],
)
def test_it_refuses_a_malformed_request(field: str, kwargs: dict[str, object]) -> None:
    with pytest.raises(SchedulingError) as err:
        course_request(MON, **kwargs)  # type: ignore[arg-type]
    assert err.value.field == field
    assert err.value.as_dict()["extra"] == {"field": field}


def test_it_refuses_naive_datetimes_and_bad_hours() -> None:
    with pytest.raises(SchedulingError, match="aware"):
        Interval(dt.datetime(2026, 6, 1, 9), dt.datetime(2026, 6, 1, 10))
    with pytest.raises(SchedulingError, match="not a time of day"):
        WeeklyHours.parse("mon 09:00-25:00")
    with pytest.raises(SchedulingError, match="weekdays"):
        WeeklyHours.parse("monday 09:00-12:00")
    with pytest.raises(SchedulingError, match="overlap"):
        WeeklyHours.parse("mon 09:00-12:00 11:00-13:00")
    with pytest.raises(SchedulingError, match="unique"):
        clinic(devices=(Device("t1", "pen"),))


def test_it_reads_weekly_hours() -> None:
    hours = WeeklyHours.parse("mon-wed 09:00-12:30 13:30-18:00; fri,sat 10:00-14:00; sun-mon 08:00-09:00")
    assert [str(s) for s in hours.on(0)] == ["08:00-09:00"]  # named twice: the last entry wins
    assert [str(s) for s in hours.on(1)] == ["09:00-12:30", "13:30-18:00"]
    assert hours.on(3) == ()
    assert [str(s) for s in hours.on(6)] == ["08:00-09:00"]
    assert str(WeeklyHours.parse("sat 09:00-24:00").on(5)[0]) == "09:00-24:00"


def test_it_accepts_a_course_request_built_directly() -> None:
    req = CourseRequest(treatment_session(numbing=0, treatment=45), 2, 14, 21, MON)
    course = search(req, clinic()).course
    assert course is not None
    assert [(s.start, s.end) for s in course.sessions] == [
        (at(MON, "09:00"), at(MON, "09:45")),
        (at("2026-06-15", "09:00"), at("2026-06-15", "09:45")),
    ]
    assert course.sessions[0].numbing is None
