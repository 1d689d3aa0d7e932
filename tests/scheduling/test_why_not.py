"""When no course fits, the search says why in front-desk words: one test per cause."""

import datetime as dt

from scheduling_helpers import MN, PRP, busy, clinic, course_request

from needlepoint.scheduling.model import (
    EVENINGS,
    MORNINGS,
    Closure,
    Device,
    Practitioner,
    Room,
    WeeklyHours,
    prp_session,
)
from needlepoint.scheduling.search import search

MON = dt.date(2026, 6, 1)


def _every_day(first: str, last: str, start: str, end: str) -> tuple:  # type: ignore[type-arg]
    a, b = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return tuple(busy(a + dt.timedelta(days=n), start, end) for n in range((b - a).days + 1))


def test_it_names_the_closure() -> None:
    christmas = Closure(dt.date(2026, 12, 24), dt.date(2027, 1, 2), "Christmas")
    req = course_request("2026-12-24", sessions=1, first_within_days=9)
    res = search(req, clinic(closures=(christmas,)))
    assert res.why_not == ("the clinic is closed 24 Dec 2026-2 Jan 2027 (Christmas)",)


def test_it_says_no_prp_trained_practitioner_works_on_saturdays() -> None:
    req = course_request(
        MON, sessions=2, appointment=prp_session(), weekdays=frozenset({5}), first_within_days=14
    )
    res = search(req, clinic())
    assert res.why_not == (
        "no PRP-trained practitioner works on Saturdays within the window of session 1 (1-15 Jun 2026)",
        "the patient comes only on Saturdays",
    )


def test_it_says_the_clinic_is_not_open_on_the_patients_day() -> None:
    res = search(course_request(MON, weekdays=frozenset({6})), clinic())
    assert res.why_not == ("the clinic is not open on Sundays", "the patient comes only on Sundays")


def test_it_says_the_hours_are_too_short_for_the_visit() -> None:
    short_saturdays = clinic(hours="mon-fri 09:00-18:00; sat 09:00-10:00")
    res = search(course_request(MON, weekdays=frozenset({5})), short_saturdays)
    assert res.why_not[0] == "the clinic's hours on Saturdays leave no time for a 90-minute visit"


def test_it_says_the_clinic_is_closed_at_the_patients_times() -> None:
    res = search(course_request(MON, times=(EVENINGS,), first_within_days=6), clinic())
    assert res.why_not == (
        "the clinic is not open on Sundays",
        "the clinic is not open for a 90-minute visit in the patient's preferred evenings on Mondays,"
        " Tuesdays, Wednesdays, Thursdays, Fridays and Saturdays",
    )


def test_it_says_no_treatment_room_is_free_in_a_later_window() -> None:
    room = Room("t1", "treatment", busy=_every_day("2026-07-20", "2026-09-30", "09:00", "12:00"))
    cal = clinic(rooms=(room, Room("n1", "numbing")))
    res = search(course_request(MON, lo=28, hi=35, times=(MORNINGS,)), cal)
    assert res.course is None
    assert (
        "no treatment room free on the patient's preferred mornings within the window of session 3"
        " (27 Jul-3 Aug 2026)" in res.why_not
    )
    assert "the clinic is not open on Sundays" in res.why_not


def test_it_says_no_pen_is_free() -> None:
    pen = Device("pen-1", "pen", busy=_every_day("2026-06-01", "2026-06-30", "00:00", "23:59"))
    res = search(course_request(MON, first_within_days=5), clinic(devices=(pen,)))
    assert res.why_not == ("no pen free within the window of session 1 (1-6 Jun 2026)",)


def test_it_says_when_nothing_is_free_at_the_same_time() -> None:
    ben = Practitioner(
        "ben",
        "Ben",
        MN,
        WeeklyHours.parse("mon-fri 09:00-18:00"),
        busy=_every_day("2026-06-01", "2026-06-05", "10:30", "18:00"),
    )
    room = Room("t1", "treatment", busy=_every_day("2026-06-01", "2026-06-05", "09:00", "10:30"))
    cal = clinic(practitioners=(ben,), rooms=(room, Room("n1", "numbing")))
    res = search(course_request(MON, first_within_days=4), cal)
    assert res.why_not == (
        "no time when all of these are free together: numbing chair, microneedling-trained practitioner,"
        " treatment room, pen within the window of session 1 (1-5 Jun 2026)",
    )


def test_it_says_the_clinic_has_no_centrifuge() -> None:
    res = search(course_request(MON, appointment=prp_session()), clinic(devices=(Device("pen-1", "pen"),)))
    assert res.why_not == ("the clinic has no centrifuge",)


def test_it_says_the_named_practitioner_is_not_trained() -> None:
    dora = Practitioner("dora", "Dora", frozenset({"prp_draw"}), WeeklyHours.parse("mon-fri 09:00-18:00"))
    res = search(course_request(MON, practitioner="dora"), clinic(practitioners=(dora,)))
    assert res.why_not == ("Dora is not microneedling-trained",)


def test_it_says_the_named_practitioner_does_not_work_that_day() -> None:
    req = course_request(MON, practitioner="anna", weekdays=frozenset({5}), first_within_days=7)
    res = search(req, clinic())
    assert res.why_not == (
        "Anna does not work on Saturdays within the window of session 1 (1-8 Jun 2026)",
        "the patient comes only on Saturdays",
    )


def test_it_says_the_prp_practitioner_is_booked() -> None:
    anna = Practitioner(
        "anna",
        "Anna",
        PRP,
        WeeklyHours.parse("mon-fri 09:00-18:00"),
        busy=_every_day("2026-06-01", "2026-06-05", "09:00", "18:00"),
    )
    ben = Practitioner("ben", "Ben", MN, WeeklyHours.parse("mon-fri 09:00-18:00"))
    req = course_request(MON, appointment=prp_session(), first_within_days=4, times=(MORNINGS,))
    res = search(req, clinic(practitioners=(anna, ben)))
    assert res.why_not == (
        "no PRP-trained practitioner free on the patient's preferred mornings within the window of session 1"
        " (1-5 Jun 2026)",
    )
