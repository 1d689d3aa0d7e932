"""Daylight-saving changes: a 9:00 visit stays 9:00 on the clinic's wall clock.

Europe/London in 2026: clocks go forward on Sunday 29 March 2026 at 01:00 GMT (01:00-01:59
does not exist that night) and back on Sunday 25 October 2026 at 02:00 BST (01:00-01:59
happens twice)."""

import datetime as dt

from scheduling_helpers import LONDON, MN, clinic, course_request, violations

from needlepoint.scheduling.index import DayIndex, irregular_bits
from needlepoint.scheduling.model import Calendar, Interval, Practitioner, Room, WeeklyHours
from needlepoint.scheduling.reflow import reflow
from needlepoint.scheduling.search import search

SPRING_FORWARD = dt.date(2026, 3, 29)
FALL_BACK = dt.date(2026, 10, 25)
UTC = dt.UTC


def _round_the_clock() -> Calendar:
    nights = Practitioner("nia", "Nia", MN, WeeklyHours.parse("sun 00:00-24:00"))
    return clinic(hours="sun 00:00-24:00", practitioners=(nights,))


def _weekly(earliest: str, sessions: int = 3) -> list[tuple[str, str]]:
    cal = clinic()
    course = search(course_request(earliest, sessions=sessions, lo=7, hi=7), cal).course
    assert course is not None and violations(course, cal) == []
    return [
        (s.start.strftime("%Y-%m-%d %H:%M %Z"), s.start.astimezone(UTC).strftime("%H:%M"))
        for s in course.sessions
    ]


def test_it_keeps_nine_oclock_across_the_spring_change() -> None:
    assert _weekly("2026-03-23") == [
        ("2026-03-23 09:00 GMT", "09:00"),
        ("2026-03-30 09:00 BST", "08:00"),
        ("2026-04-06 09:00 BST", "08:00"),
    ]


def test_it_keeps_nine_oclock_across_the_autumn_change() -> None:
    assert _weekly("2026-10-19", sessions=2) == [
        ("2026-10-19 09:00 BST", "08:00"),
        ("2026-10-26 09:00 GMT", "09:00"),
    ]


def test_it_reads_busy_times_given_in_utc_on_the_local_clock() -> None:
    # 08:00-09:30 UTC on Monday 30 March is 09:00-10:30 BST
    taken = Interval(dt.datetime(2026, 3, 30, 8, 0, tzinfo=UTC), dt.datetime(2026, 3, 30, 9, 30, tzinfo=UTC))
    cal = clinic(rooms=(Room("t1", "treatment", busy=(taken,)), Room("n1", "numbing")))
    course = search(course_request("2026-03-30", sessions=1, first_within_days=0), cal).course
    assert course is not None
    assert course.sessions[0].start == dt.datetime(2026, 3, 30, 10, 0, tzinfo=LONDON)  # treats from 10:30


def test_it_never_books_the_skipped_hour() -> None:
    cal = _round_the_clock()
    course = search(course_request(SPRING_FORWARD, sessions=1, first_within_days=0), cal).course
    assert course is not None
    s = course.sessions[0]
    # 00:00 would run through 01:00-02:00, which does not exist: the first start is 02:00 BST
    assert s.start == dt.datetime(2026, 3, 29, 2, 0, tzinfo=LONDON)
    assert s.start.astimezone(UTC) == dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert s.end - s.start == dt.timedelta(minutes=90)


def test_it_never_books_the_repeated_hour() -> None:
    cal = _round_the_clock()
    course = search(course_request(FALL_BACK, sessions=1, first_within_days=0), cal).course
    assert course is not None
    s = course.sessions[0]
    assert s.start == dt.datetime(2026, 10, 25, 2, 0, tzinfo=LONDON)
    assert s.start.utcoffset() == dt.timedelta(0)
    assert s.end.astimezone(UTC) - s.start.astimezone(UTC) == dt.timedelta(minutes=90)


def test_it_marks_exactly_the_changeover_hours_irregular() -> None:
    hour = ((1 << 60) - 1) << 60  # wall-clock minutes 01:00-01:59
    assert irregular_bits(LONDON, SPRING_FORWARD.toordinal()) == hour
    assert irregular_bits(LONDON, FALL_BACK.toordinal()) == hour
    assert irregular_bits(LONDON, dt.date(2026, 3, 28).toordinal()) == 0
    assert irregular_bits(LONDON, dt.date(2026, 10, 26).toordinal()) == 0
    index = DayIndex(clinic(hours="sun 00:00-24:00"))
    assert index.open(SPRING_FORWARD.toordinal()).bit_count() == 23 * 60


def test_it_reflows_across_the_change_on_the_wall_clock() -> None:
    cal = clinic()
    course = search(course_request("2026-03-16", sessions=3, lo=7, hi=14), cal).course
    assert course is not None
    moved = reflow(course, 2, dt.datetime(2026, 3, 27, 9, 0, tzinfo=LONDON), cal.with_busy(course.busy()))
    assert moved.course is not None
    assert [s.start.strftime("%d %b %H:%M %Z") for s in moved.course.sessions] == [
        "16 Mar 09:00 GMT",
        "27 Mar 09:00 GMT",
        "03 Apr 09:00 BST",
    ]
    assert moved.moved == (3,)
