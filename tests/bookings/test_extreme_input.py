"""Days and record numbers at the edges of what a computer can count: a calendar, a reschedule
or rebooking preview, a consultation search or an audit search asked for 1 January 0001,
31 December 9999 or a patient number beyond 64 bits answers with its page and a message saying
what can be asked, never a server error; the clinic's own range (1800 to 2200) is still served.

Personas: patient A (whose course is booked), front desk, medical director, patients refused.
The clock is frozen on Wednesday 25 November 2026, 09:00 in London (the booking tests' clock);
patient A's course is booked whole and its second visit cancelled, to be booked again."""

from typing import Any

import pytest
import time_machine
from booking_helpers import NOW
from django.urls import reverse

from needlepoint.audit.models import AuditEvent
from needlepoint.bookings.models import Appointment
from needlepoint.bookings.services.book import course_book
from needlepoint.bookings.services.cancel import appointment_cancel
from needlepoint.bookings.services.preferences import Preferences
from needlepoint.bookings.services.search import course_options

RANGE = "from 1 January 1800 to 31 December 2200 only"
HTMX = {"HTTP_HX_REQUEST": "true"}
HUGE = str(2**63)


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def booked(bookable_course: Any, personas: Any) -> list[Appointment]:
    """Patient A's course booked whole, its second visit cancelled (to be booked again)."""
    found = course_options(course=bookable_course, actor=personas.front_desk, preferences=Preferences())
    assert found.best is not None
    booked = course_book(course=bookable_course, actor=personas.front_desk, token=found.best.token)
    appointment_cancel(
        appointment=booked[1],
        actor=personas.front_desk,
        reason="patient unwell",
        expected_version=booked[1].version,
    )
    return booked


def pages(booked, personas, day):
    """(who may open it, url, query) for every page that reads a day from its query."""
    return [
        ("front_desk", reverse("bookings:calendar"), {"date": day}),
        ("front_desk", reverse("bookings:calendar_week"), {"date": day}),
        (
            "front_desk",
            reverse("bookings:appointment_reschedule", args=[booked[2].pk]),
            {"date": day, "time": "10:00"},
        ),
        (
            "front_desk",
            reverse("bookings:session_rebook", args=[booked[1].session_id]),
            {"date": day, "time": "10:00"},
        ),
        ("front_desk", reverse("bookings:consultation_book"), {"patient": personas.record_a.pk, "day": day}),
        ("director", reverse("clinic:audit_search"), {"date_from": day}),
        ("director", reverse("clinic:audit_search"), {"date_to": day}),
    ]


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1799-12-31", "2201-01-01"])
@pytest.mark.parametrize("extra", [{}, HTMX], ids=["page", "htmx"])
def test_it_answers_a_day_out_of_range_with_the_page_and_the_range(client_for, personas, booked, day, extra):
    for who, url, query in pages(booked, personas, day):
        response = client_for(getattr(personas, who)).get(url, query, **extra)
        assert (response.status_code in (200, 400), RANGE in response.content.decode()) == (True, True), (
            url,
            query,
            response.status_code,
        )


@pytest.mark.parametrize("day", ["1800-01-01", "2200-12-31"])
def test_it_still_serves_the_first_and_last_day_of_the_range(client_for, personas, booked, day):
    for who, url, query in pages(booked, personas, day):
        response = client_for(getattr(personas, who)).get(url, query)
        assert (response.status_code < 500, RANGE in response.content.decode()) == (True, False), (url, query)


@pytest.mark.parametrize("extra", [{}, HTMX], ids=["page", "htmx"])
def test_it_answers_a_patient_number_beyond_64_bits_on_the_audit_search(client_for, personas, extra):
    events = AuditEvent.objects.count()
    response = client_for(personas.director).get(
        reverse("clinic:audit_search"), {"patient_id": HUGE}, **extra
    )
    assert (response.status_code, "No patient with that number." in response.content.decode()) == (200, True)
    assert AuditEvent.objects.count() == events  # nothing was searched, so no search is recorded


def test_it_still_searches_the_audit_trail_by_a_real_patient_number(client_for, personas):
    response = client_for(personas.director).get(
        reverse("clinic:audit_search"), {"patient_id": personas.record_a.pk, "date_to": "2200-12-31"}
    )
    assert (response.status_code, "No patient with that number." in response.content.decode()) == (200, False)


@pytest.mark.parametrize("who", ["patient_a", "practitioner", "front_desk"])
def test_it_still_refuses_the_audit_search_to_everyone_but_the_director(client_for, personas, who):
    response = client_for(getattr(personas, who)).get(
        reverse("clinic:audit_search"), {"date_to": "9999-12-31"}
    )
    assert response.status_code == 404


def test_it_still_refuses_the_calendar_to_patients_whatever_the_day(client_for, personas, bookable_course):
    response = client_for(personas.patient_a).get(reverse("bookings:calendar"), {"date": "9999-12-31"})
    assert response.status_code == 404
