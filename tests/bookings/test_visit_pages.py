"""The visit's status on the day and week calendars, the dashboard and the course's appointments;
the front desk's "Arrived" and "Did not attend" buttons; the arrival time (numbing) the patient
was given beside the treatment time in the practitioner's column.

Time starts frozen on Wednesday 25 November 2026, 09:00 in London (GMT); the fixture course's
first session is on Wednesday 9 December 2026: numbing from 09:00, treatment 09:30-10:30."""

from typing import Any

import pytest
import time_machine
from booking_helpers import NOW, local
from django.urls import reverse

from needlepoint.bookings.models import Appointment
from needlepoint.bookings.services.cancel import appointment_cancel

DAY = "2026-12-09"


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def calendar(client: Any, **params: Any) -> str:
    response = client.get(reverse("bookings:calendar"), {"date": DAY, **params})
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_the_practitioner_the_arrival_time_beside_the_treatment(booked, client_for, personas):
    page = calendar(client_for(personas.practitioner))
    assert '09:30\u201310:30</span> <span class="arrival">arrives 09:00</span>' in page
    rooms = calendar(client_for(personas.practitioner), by="room")
    assert rooms.count("arrives 09:00") == 1  # the treatment room; not the numbing chair


def test_it_marks_arrival_from_the_dashboard_and_shows_it_on_the_calendars(
    booked, client_for, personas, frozen
):
    frozen.move_to(local(2026, 12, 9, 8, 50))
    desk = client_for(personas.front_desk)
    board = desk.get(reverse("clinic:dashboard"))
    assert [a.pk for a in board.context["board"].today.rows] == [booked[0].pk]
    url = reverse("bookings:appointment_arrived", args=[booked[0].pk])
    assert url in board.content.decode()
    done = desk.post(url, {"version": 1, "next": reverse("clinic:dashboard")})
    assert done.status_code == 302 and done["Location"] == reverse("clinic:dashboard")
    assert Appointment.objects.get(pk=booked[0].pk).status == "arrived"
    assert 'visit-arrived">Arrived</span>' in desk.get(reverse("clinic:dashboard")).content.decode()
    assert 'visit-arrived">Arrived</span>' in calendar(desk)
    week = desk.get(
        reverse("bookings:calendar_week"), {"date": DAY, "who": f"practitioner:{personas.practitioner.pk}"}
    ).content.decode()
    assert 'visit-arrived">Arrived</span>' in week


def test_it_says_why_a_mark_is_refused_and_changes_nothing(booked, client_for, personas):
    desk = client_for(personas.front_desk)
    refused = desk.post(
        reverse("bookings:appointment_arrived", args=[booked[0].pk]), {"version": 1}, follow=True
    )
    assert "a patient is marked arrived only on the day of the visit" in refused.content.decode()
    assert Appointment.objects.get(pk=booked[0].pk).status == "booked"


def test_it_refuses_a_patient_and_a_visitor_marks(booked, client_for, personas, client, frozen):
    frozen.move_to(local(2026, 12, 9, 9, 20))
    for name in ("appointment_arrived", "appointment_no_show"):
        url = reverse(f"bookings:{name}", args=[booked[0].pk])
        assert client_for(personas.patient_a).post(url).status_code == 404
        assert client.post(url).status_code == 302  # to sign in
    assert Appointment.objects.get(pk=booked[0].pk).status == "booked"


def test_it_records_a_no_show_from_the_course_page(booked, client_for, personas, frozen, bookable_course):
    frozen.move_to(local(2026, 12, 9, 9, 20))
    desk = client_for(personas.front_desk)
    page = reverse("bookings:course_appointments", args=[bookable_course.pk])
    assert reverse("bookings:appointment_no_show", args=[booked[0].pk]) in desk.get(page).content.decode()
    desk.post(reverse("bookings:appointment_no_show", args=[booked[0].pk]), {"version": 1, "next": page})
    after = desk.get(page).content.decode()
    assert 'visit-no_show">Did not attend</span>' in after
    assert "Book a new time" in after  # the session can be booked again
    assert "09:00 was missed: the patient did not come." in after
    assert 'visit-no_show">Did not attend</span>' in calendar(desk)


def test_it_shows_a_late_cancellation_only_with_the_cancelled_visits(booked, client_for, personas, frozen):
    frozen.move_to(local(2026, 12, 8, 15, 0))
    appointment_cancel(appointment=booked[0], actor=personas.front_desk, reason="Unwell", expected_version=1)
    desk = client_for(personas.front_desk)
    assert "Unwell" not in calendar(desk) and "cancelled late" not in calendar(desk)
    assert "— cancelled late" in calendar(desk, cancelled="on")


def test_it_keeps_the_calendar_query_count_with_statuses(
    booked, client_for, personas, frozen, django_assert_max_num_queries
):
    frozen.move_to(local(2026, 12, 9, 8, 50))
    desk = client_for(personas.front_desk)
    with django_assert_max_num_queries(12):
        calendar(desk)
