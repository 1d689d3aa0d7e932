"""The booking pages' reads: what each returns, and how many queries it takes (pinned: a page
must not read one row per appointment)."""

import datetime as dt
from typing import Any

from booking_helpers import LONDON, approved_course
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from needlepoint.bookings import selectors
from needlepoint.bookings.models import FeedToken
from needlepoint.bookings.services.cancel import appointment_cancel


def _local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(LONDON).date()


# ---- lists and choices -------------------------------------------------------------------------


def test_locations_and_practitioners_are_one_query_each(clinic, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert [loc.name for loc in selectors.locations()] == ["Main clinic"]
    with django_assert_num_queries(1):
        profiles = selectors.active_practitioners()
        names = [(p.user.get_full_name(), p.location.name) for p in profiles]  # no more queries
    assert len(names) == 2 and {loc for _, loc in names} == {"Main clinic"}


def test_clinical_staff_are_the_active_clinical_roles(personas, django_assert_num_queries):
    with django_assert_num_queries(1):
        people = list(selectors.clinical_staff())
    assert {p.pk for p in people} == {personas.practitioner.pk, personas.director.pk}


def test_live_feed_tokens_leave_out_the_revoked_and_read_once(
    bookable_course, personas, django_assert_num_queries
):
    from needlepoint.bookings.services.feeds import feed_token_create, feed_token_revoke

    kept, _ = feed_token_create(actor=personas.front_desk, course=bookable_course)
    gone, _ = feed_token_create(actor=personas.front_desk, course=bookable_course)
    feed_token_revoke(actor=personas.front_desk, token=gone)
    with django_assert_num_queries(1):
        tokens = selectors.live_feed_tokens(FeedToken.objects.filter(course=bookable_course))
        makers = [t.created_by.username for t in tokens]
    assert ([t.pk for t in tokens], makers) == ([kept.pk], [personas.front_desk.username])


# ---- courses waiting to be booked --------------------------------------------------------------


def test_courses_to_book_lists_unbooked_courses_in_one_query(
    bookable_course, unconsented_course, django_assert_num_queries
):
    with django_assert_num_queries(1):
        courses = selectors.courses_to_book()
        rows = [(c.pk, c.consented, c.any_booked, str(c.patient)) for c in courses]
    assert [(pk, consented, any_booked) for pk, consented, any_booked, _ in rows] == [
        (bookable_course.pk, True, False),
        (unconsented_course.pk, False, False),
    ]


def test_a_course_booked_whole_is_no_longer_waiting(booked, bookable_course, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert bookable_course.pk not in [c.pk for c in selectors.courses_to_book()]


# ---- a course's appointments -------------------------------------------------------------------


def test_course_appointments_reads_four_queries_however_many_visits(
    booked, bookable_course, personas, django_assert_num_queries
):
    with django_assert_num_queries(4):
        found = selectors.course_appointments(bookable_course)
        numbers = [a.session.number for a in found.appointments if a.session]
        numbers += [r.appointment.session.number for r in found.reminders if r.appointment.session]
    assert (len(found.appointments), len(found.booked), found.missing) == (len(booked), len(booked), [])
    assert sorted(set(numbers)) == [1, 2, 3, 4]

    last = booked[-1]
    appointment_cancel(appointment=last, actor=personas.front_desk, reason="away", expected_version=1)
    with django_assert_num_queries(4):
        found = selectors.course_appointments(bookable_course)
    assert (len(found.appointments), len(found.booked)) == (len(booked), len(booked) - 1)
    assert [(s.number, a.pk if a else None) for s, a in found.missing] == [(last.session.number, last.pk)]
    assert (found.preferences, found.kept_preferences) == ("", True)


def test_course_booked_count_counts_live_visits_only(booked, bookable_course, personas):
    appointment_cancel(appointment=booked[0], actor=personas.front_desk, reason="away", expected_version=1)
    assert selectors.course_booked_count(bookable_course) == len(booked) - 1


# ---- the calendar ------------------------------------------------------------------------------


def test_calendar_grid_reads_two_queries_whatever_the_day_holds(booked, clinic, django_assert_num_queries):
    day = _local_day(booked[0].starts_at)
    resources = selectors.calendar_resources(clinic.location, "room")
    with django_assert_num_queries(2):
        busy = selectors.calendar_grid(location=clinic.location, day=day, resources=resources)
    with django_assert_num_queries(2):
        empty = selectors.calendar_grid(
            location=clinic.location, day=day + dt.timedelta(days=1), resources=resources
        )
    assert (busy.count > 0, empty.count) == (True, 0)
    assert [c.label for c in busy.columns] == [r.label for r in resources]


def test_calendar_resources_are_one_query_and_named_like_holds(clinic, personas, django_assert_num_queries):
    with django_assert_num_queries(1):
        people = selectors.calendar_resources(clinic.location, "practitioner")
    with django_assert_num_queries(1):
        rooms = selectors.calendar_resources(clinic.location, "room")
    assert {r.key for r in people} == {
        f"practitioner:{personas.practitioner.pk}",
        f"practitioner:{personas.director.pk}",
    }
    assert f"room:{clinic.treatment_rooms[0].pk}" in {r.key for r in rooms}


def test_the_week_is_one_resource_with_days_in_words(booked, clinic, personas):
    day = _local_day(booked[0].starts_at)
    resources = selectors.calendar_resources(clinic.location, "practitioner")
    paula = f"practitioner:{personas.practitioner.pk}"
    grid = selectors.calendar_grid(
        location=clinic.location, day=day, resources=resources, who=paula, week=True
    )
    monday = day - dt.timedelta(days=day.weekday())
    assert (grid.who, grid.first, grid.last) == (paula, monday, monday + dt.timedelta(days=6))
    assert grid.columns[0].label == f"Monday {monday.day} {monday:%B %Y}"  # never "Mon 07 Dec"
    assert [c.label.split()[0] for c in grid.columns] == [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
    ]  # the clinic never opens on Sunday: left out when nothing is on it
    assert grid.count >= 1


def test_an_unknown_resource_in_the_week_falls_back_to_the_first(clinic):
    resources = selectors.calendar_resources(clinic.location, "room")
    grid = selectors.calendar_grid(
        location=clinic.location, day=dt.date(2026, 12, 9), resources=resources, who="room:0", week=True
    )
    assert (grid.who, grid.who_label) == (resources[0].key, resources[0].label)


# ---- the pages read the same number of queries however many rows they show --------------------


def _queries(client: Any, url: str, **params: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


def test_the_calendar_page_reads_as_much_for_a_busy_day_as_for_an_empty_one(booked, client_for, personas):
    desk = client_for(personas.front_desk)
    day = _local_day(booked[0].starts_at)
    busy = _queries(desk, reverse("bookings:calendar"), date=day.isoformat())
    empty = _queries(desk, reverse("bookings:calendar"), date=(day + dt.timedelta(days=1)).isoformat())
    assert busy == empty


def test_the_waiting_courses_page_reads_as_much_for_two_courses_as_for_one(
    bookable_course, personas, intake_a, client_for
):
    desk = client_for(personas.front_desk)
    one = _queries(desk, reverse("bookings:to_book"))
    approved_course(personas, intake_a, personas.record_b, consent=False)
    assert _queries(desk, reverse("bookings:to_book")) == one
