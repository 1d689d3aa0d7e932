"""Booking screens: book a whole course (preferences, preview with windows, alternatives,
confirm), the course's appointments, rescheduling with what else moves, cancelling, the list of
courses waiting to be booked, and the day and week calendars.

Personas: patient A (whose course it is), patient B, front desk, practitioner, medical director,
anonymous. Only staff reach these pages; everyone else is sent to sign in (anonymous) or gets
404 (patients, even for their own course).

The clock is frozen on Monday 1 March 2027, 07:00 in London (GMT), before the clinic opens."""

import datetime as dt
import re
import zoneinfo
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from needlepoint.audit.models import AuditEvent
from needlepoint.bookings.models import Appointment, AppointmentStatus, Hold
from needlepoint.bookings.services.book import course_book
from needlepoint.bookings.services.cancel import appointment_cancel
from needlepoint.bookings.services.preferences import Preferences
from needlepoint.bookings.services.search import course_options
from needlepoint.clinic.models import TreatmentSession

LONDON = zoneinfo.ZoneInfo("Europe/London")
NOW = dt.datetime(2027, 3, 1, 7, 0, tzinfo=dt.UTC)
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def frozen_clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _book(course: Any, actor: Any, **wishes: Any) -> list[Appointment]:
    options = course_options(course=course, actor=actor, preferences=Preferences(**wishes))
    assert options.best is not None, options
    return course_book(course=course, actor=actor, token=options.best.token)


def _consent(course: Any, personas: Any) -> Any:
    from needlepoint.clinic.demo import signature_png
    from needlepoint.clinic.services.consent import consent_sign, ensure_default_consent_text

    consent_sign(
        course=course,
        consent_text=ensure_default_consent_text(),
        typed_name=str(course.patient),
        signature_png=signature_png(course.patient.pk),
        channel="tablet",
        actor=personas.front_desk,
    )
    course.refresh_from_db()
    return course


@pytest.fixture
def booked(bookable_course: Any, personas: Any) -> list[Appointment]:
    """Patient A's course booked whole by the front desk, earliest course, any day or time."""
    return _book(bookable_course, personas.front_desk)


def _local(t: dt.datetime) -> dt.datetime:
    return t.astimezone(LONDON)


# ---------------------------------------------------------------------------------------------
# Who may open what
# ---------------------------------------------------------------------------------------------


def _pages(course: Any, appointment: Any) -> list[str]:
    return [
        reverse("bookings:course_book", args=[course.pk]),
        reverse("bookings:course_appointments", args=[course.pk]),
        reverse("bookings:appointment_reschedule", args=[appointment.pk]),
        reverse("bookings:appointment_cancel", args=[appointment.pk]),
        reverse("bookings:to_book"),
        reverse("bookings:calendar"),
        reverse("bookings:calendar_week"),
    ]


def test_it_sends_anonymous_visitors_to_sign_in_on_every_booking_page(client, bookable_course, booked):
    for url in _pages(bookable_course, booked[1]):
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/accounts/login/"), url


@pytest.mark.parametrize("who", ["patient_a", "patient_b"])
def test_it_answers_404_to_patients_even_for_their_own_course(
    client_for, personas, bookable_course, booked, who
):
    client = client_for(getattr(personas, who))
    for url in _pages(bookable_course, booked[1]):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"token": "x", "version": 1, "reason": "x"}).status_code in (404, 405), url
    assert Appointment.objects.filter(status=AppointmentStatus.BOOKED).count() == len(booked)


@pytest.mark.parametrize("who", ["front_desk", "practitioner", "director"])
def test_it_opens_every_booking_page_to_clinic_staff(client_for, personas, bookable_course, booked, who):
    client = client_for(getattr(personas, who))
    for url in _pages(bookable_course, booked[1]):
        assert client.get(url).status_code == 200, url


def test_it_answers_404_for_an_appointment_or_course_that_does_not_exist(client_for, personas, clinic):
    client = client_for(personas.front_desk)
    for name in ("course_book", "course_appointments", "appointment_reschedule", "appointment_cancel"):
        url = reverse(f"bookings:{name}", args=[9999])
        assert client.get(url).status_code == 404, url


def test_it_puts_the_calendar_in_the_staff_navigation_only(client_for, personas, clinic):
    calendar = reverse("bookings:calendar")
    assert f'href="{calendar}"' in client_for(personas.front_desk).get(reverse("clinic:dashboard")).text
    assert f'href="{calendar}"' not in client_for(personas.patient_a).get(reverse("portal:home")).text


def test_it_links_booking_from_the_approved_course_page(client_for, personas, bookable_course):
    url = reverse("clinic:consultation_course", args=[bookable_course.patient_id, bookable_course.pk])
    page = client_for(personas.practitioner).get(url).text
    assert reverse("bookings:course_book", args=[bookable_course.pk]) in page
    assert reverse("bookings:course_appointments", args=[bookable_course.pk]) in page


# ---------------------------------------------------------------------------------------------
# Book this course
# ---------------------------------------------------------------------------------------------


def test_it_previews_every_session_with_its_window_practitioner_and_room(
    client_for, personas, bookable_course
):
    response = client_for(personas.front_desk).get(reverse("bookings:course_book", args=[bookable_course.pk]))
    assert response.status_code == 200
    best = response.context["options"].best
    assert len(best.sessions) == bookable_course.sessions.count() == 4
    text = response.text
    assert "Earliest course" in text and "Alternative 1" in text
    for s in best.sessions:
        local = _local(s.starts_at)
        assert f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M}" in text
        e, last = s.window_earliest, s.window_latest
        assert f"{e.day} {e:%b} \N{EN DASH} {last.day} {last:%b %Y}" in text
        assert s.practitioner_name in text and s.room_name in text
    assert text.count('class="badge inside"') >= 4
    assert text.count('name="token"') == 1 + len(response.context["options"].alternatives)
    assert "The first session is at least 14 days from today" in text  # the plan's preparation
    assert AuditEvent.objects.filter(
        actor=personas.front_desk,
        action="view",
        object_type="clinic.course",
        object_id=str(bookable_course.pk),
    ).exists()


def test_it_searches_with_the_patients_preferences(client_for, personas, bookable_course):
    url = reverse("bookings:course_book", args=[bookable_course.pk])
    response = client_for(personas.front_desk).get(url, {"weekdays": ["5"], "times": ["mornings"]})
    assert response.status_code == 200
    best = response.context["options"].best
    assert best is not None
    assert {_local(s.starts_at).weekday() for s in best.sessions} == {5}
    assert all(_local(s.starts_at).hour < 12 for s in best.sessions)
    assert {s.practitioner_id for s in best.sessions} == {personas.director.pk}  # only Maria works Saturdays
    assert (
        'value="5" checked' in response.text
        or 'checked value="5"' in response.text
        or re.search(r'<input[^>]*value="5"[^>]*checked', response.text)
    )


def test_it_says_in_words_why_no_course_fits(client_for, personas, bookable_course):
    url = reverse("bookings:course_book", args=[bookable_course.pk])
    response = client_for(personas.front_desk).get(url, {"weekdays": ["6"]})  # the clinic is shut on Sundays
    assert response.status_code == 200
    options = response.context["options"]
    assert options.best is None and options.why_not
    assert "No whole course fits these preferences" in response.text
    for reason in options.why_not:
        assert reason.replace("'", "&#x27;") in response.text
    assert 'name="token"' not in response.text


def test_it_shows_only_the_preview_to_htmx(client_for, personas, bookable_course):
    url = reverse("bookings:course_book", args=[bookable_course.pk])
    response = client_for(personas.front_desk).get(url, {"times": ["afternoons"]}, headers=HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="proposals">')
    assert "<html" not in response.text and "Earliest course" in response.text


def test_it_refuses_bad_preferences_with_a_clear_message(client_for, personas, bookable_course):
    url = reverse("bookings:course_book", args=[bookable_course.pk])
    response = client_for(personas.front_desk).get(url, {"weekdays": ["9"], "practitioner": "abc"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.text
    assert 'name="token"' not in response.text


def test_it_shows_what_stands_in_the_way_of_a_course_without_consent(
    client_for, personas, unconsented_course
):
    url = reverse("bookings:course_book", args=[unconsented_course.pk])
    response = client_for(personas.front_desk).get(url)
    assert response.status_code == 200
    assert "This course cannot be booked yet" in response.text
    assert "has not signed the consent" in response.text
    assert 'name="token"' not in response.text
    response = client_for(personas.front_desk).post(url, {"token": "anything"})
    assert response.status_code == 400
    assert not Appointment.objects.filter(course=unconsented_course).exists()


def test_it_books_the_whole_course_and_shows_its_appointments(client_for, personas, bookable_course):
    client = client_for(personas.front_desk)
    url = reverse("bookings:course_book", args=[bookable_course.pk])
    proposal = client.get(url).context["options"].best
    response = client.post(url, {"token": proposal.token})
    assert response.status_code == 302
    assert response["Location"] == reverse("bookings:course_appointments", args=[bookable_course.pk])
    booked = list(Appointment.objects.filter(course=bookable_course).order_by("starts_at"))
    assert [a.starts_at for a in booked] == [s.starts_at for s in proposal.sessions]
    assert [a.session.number for a in booked] == [1, 2, 3, 4]
    assert all(a.created_by == personas.front_desk for a in booked)
    page = client.get(response["Location"])
    first = _local(booked[0].starts_at)
    assert (
        f"Booked 4 sessions for Anna Alvarez: the first on {first:%A} {first.day} {first:%B %Y} at "
        f"{first:%H:%M}." in page.text
    )
    assert page.text.count("Reschedule</a>") == 4


def test_it_answers_409_and_searches_again_when_another_course_took_a_slot(
    client_for, personas, bookable_course, unconsented_course
):
    client = client_for(personas.front_desk)
    url = reverse("bookings:course_book", args=[bookable_course.pk])
    shown = client.get(url, {"weekdays": ["0", "1", "2", "3", "4"]}).context["options"].best
    other = _consent(unconsented_course, personas)  # patient B's course, same plan, same earliest slots
    _book(other, personas.front_desk, weekdays=frozenset(range(5)))
    response = client.post(url, {"token": shown.token, "weekdays": ["0", "1", "2", "3", "4"]})
    assert response.status_code == 409
    assert "Nothing was booked: Someone else has just booked one of these times." in response.text
    fresh = response.context["options"].best
    assert fresh is not None and fresh.token != shown.token
    assert not Appointment.objects.filter(course=bookable_course).exists()
    assert not Hold.objects.filter(appointment__course=bookable_course).exists()
    assert client.post(url, {"token": fresh.token}).status_code == 302  # the fresh search books


def test_it_refuses_to_book_a_course_twice(client_for, personas, bookable_course):
    client = client_for(personas.front_desk)
    url = reverse("bookings:course_book", args=[bookable_course.pk])
    token = client.get(url).context["options"].best.token
    assert client.post(url, {"token": token}).status_code == 302
    response = client.post(url, {"token": token})
    assert response.status_code == 400
    assert "already booked" in response.text
    assert Appointment.objects.filter(course=bookable_course).count() == 4


def test_it_refuses_a_damaged_or_missing_token(client_for, personas, bookable_course):
    client = client_for(personas.front_desk)
    url = reverse("bookings:course_book", args=[bookable_course.pk])
    response = client.post(url, {"token": "not-a-token"})
    assert response.status_code == 400
    assert "could not be read" in response.text
    response = client.post(url, {})
    assert response.status_code == 400
    assert "Pick one of the proposals" in response.text
    assert not Appointment.objects.exists()


# ---------------------------------------------------------------------------------------------
# The course's appointments and the waiting list
# ---------------------------------------------------------------------------------------------


def test_it_lists_the_courses_appointments_in_a_fixed_number_of_queries(
    client_for, personas, bookable_course, booked, django_assert_num_queries
):
    client = client_for(personas.front_desk)
    url = reverse("bookings:course_appointments", args=[bookable_course.pk])
    with django_assert_num_queries(8):
        response = client.get(url)
    assert response.status_code == 200
    for a in booked:
        local = _local(a.starts_at)
        assert f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M}" in response.text
    assert "Book sessions</a>" not in response.text


def test_it_shows_the_messages_the_patient_is_sent_and_what_became_of_them(
    client_for, personas, bookable_course, booked
):
    from needlepoint.bookings.models import Reminder

    url = reverse("bookings:course_appointments", args=[bookable_course.pk])
    reminders = list(Reminder.objects.filter(appointment__course=bookable_course).order_by("due_at", "id"))
    assert reminders, "booking schedules the patient's messages"
    page = client_for(personas.front_desk).get(url).text
    table = page.split('aria-label="Messages to the patient"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr") == 1 + len(reminders)
    for r in reminders:
        assert r.subject.replace("'", "&#x27;") in table
    assert "Cancelled" not in table and "not delivered" not in page
    Reminder.objects.filter(pk=reminders[0].pk).update(status="failed")
    client_for(personas.front_desk).post(
        reverse("bookings:appointment_cancel", args=[booked[-1].pk]),
        {"reason": "Patient is travelling", "version": booked[-1].version},
    )
    page = client_for(personas.front_desk).get(url).text
    table = page.split('aria-label="Messages to the patient"', 1)[1].split("</table>", 1)[0]
    assert "1 not delivered" in page and "Not delivered" in table
    cancelled = Reminder.objects.filter(appointment=booked[-1], status="cancelled").count()
    assert cancelled and table.count('class="cancelled"') == cancelled


def test_it_lists_courses_waiting_to_be_booked_until_they_are(
    client_for, personas, bookable_course, unconsented_course, django_assert_num_queries
):
    client = client_for(personas.front_desk)
    with django_assert_num_queries(4):
        response = client.get(reverse("bookings:to_book"))
    assert response.status_code == 200
    courses = {c.pk: c for c in response.context["courses"]}
    assert set(courses) == {bookable_course.pk, unconsented_course.pk}
    assert courses[bookable_course.pk].consented and not courses[unconsented_course.pk].consented
    assert reverse("bookings:course_book", args=[bookable_course.pk]) in response.text
    assert reverse("bookings:waiting_list_plan") in response.text  # all of them at once
    _book(bookable_course, personas.front_desk)
    response = client.get(reverse("bookings:to_book"))
    assert [c.pk for c in response.context["courses"]] == [unconsented_course.pk]


# ---------------------------------------------------------------------------------------------
# Reschedule
# ---------------------------------------------------------------------------------------------


def _three_weeks_later(appointment: Appointment) -> dict[str, str]:
    new = _local(appointment.starts_at) + dt.timedelta(days=21)
    return {"date": new.date().isoformat(), "time": f"{new:%H:%M}"}


def test_it_shows_the_sessions_window_before_moving_it(client_for, personas, booked):
    second = booked[1]
    url = reverse("bookings:appointment_reschedule", args=[second.pk])
    response = client_for(personas.front_desk).get(url)
    assert response.status_code == 200
    e, last = second.window_earliest, second.window_latest
    window = f"Window for this session: {e:%a} {e.day} {e:%b %Y} to {last:%a} {last.day} {last:%b %Y}."
    assert window in response.text
    assert f'min="{e.isoformat()}"' in response.text and f'max="{last.isoformat()}"' in response.text
    assert AuditEvent.objects.filter(
        actor=personas.front_desk, action="view", object_type="bookings.appointment", object_id=str(second.pk)
    ).exists()


def test_it_previews_a_move_and_highlights_what_else_moves(client_for, personas, booked):
    second = booked[1]
    url = reverse("bookings:appointment_reschedule", args=[second.pk])
    response = client_for(personas.front_desk).get(url, _three_weeks_later(second))
    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview.ok
    assert [s.number for s in preview.sessions] == [2, 3, 4]
    assert [s.moves for s in preview.sessions] == [True, True, True]  # 3 and 4 must follow session 2
    assert response.text.count('<tr class="moves">') == 3
    assert "Confirm the move" in response.text
    second.refresh_from_db()
    assert second.starts_at == booked[1].starts_at  # a preview changes nothing


def test_it_moves_the_session_and_the_later_ones_on_confirm(client_for, personas, bookable_course, booked):
    client = client_for(personas.front_desk)
    second = booked[1]
    url = reverse("bookings:appointment_reschedule", args=[second.pk])
    asked = _three_weeks_later(second)
    preview = client.get(url, asked).context["preview"]
    response = client.post(url, {"token": preview.token, "version": second.version, **asked})
    assert response.status_code == 302
    assert response["Location"] == reverse("bookings:course_appointments", args=[bookable_course.pk])
    after = {a.session.number: a for a in Appointment.objects.filter(course=bookable_course)}
    assert [after[n].starts_at for n in (2, 3, 4)] == [s.starts_at for s in preview.sessions]
    assert after[1].starts_at == booked[0].starts_at
    assert _local(after[2].starts_at).date().isoformat() == asked["date"]
    page = client.get(response["Location"]).text
    assert "Moved: session 2 now" in page


def test_it_refuses_a_move_made_from_a_stale_page(client_for, personas, booked):
    client = client_for(personas.front_desk)
    second = booked[1]
    url = reverse("bookings:appointment_reschedule", args=[second.pk])
    asked = _three_weeks_later(second)
    first_preview = client.get(url, asked).context["preview"]
    other = {
        "date": (dt.date.fromisoformat(asked["date"]) + dt.timedelta(days=1)).isoformat(),
        "time": asked["time"],
    }
    second_preview = client.get(url, other).context["preview"]
    confirmed = client.post(url, {"token": second_preview.token, "version": second.version, **other})
    assert confirmed.status_code == 302
    moved_to = Appointment.objects.get(pk=second.pk).starts_at
    response = client.post(url, {"token": first_preview.token, "version": second.version, **asked})
    assert response.status_code == 409
    assert "Nothing was moved: Someone else changed this appointment after you opened it." in response.text
    assert Appointment.objects.get(pk=second.pk).starts_at == moved_to


def test_it_says_why_a_move_outside_the_window_cannot_be_made(client_for, personas, booked):
    second = booked[1]
    url = reverse("bookings:appointment_reschedule", args=[second.pk])
    too_late = second.window_latest + dt.timedelta(days=14)
    response = client_for(personas.front_desk).get(url, {"date": too_late.isoformat(), "time": "10:00"})
    assert response.status_code == 200
    preview = response.context["preview"]
    assert not preview.ok and preview.why_not
    assert "This move is not possible" in response.text and "Confirm the move" not in response.text


def test_it_asks_again_for_a_date_and_time_it_cannot_read(client_for, personas, booked):
    url = reverse("bookings:appointment_reschedule", args=[booked[1].pk])
    response = client_for(personas.front_desk).get(url, {"date": "31/02", "time": ""})
    assert response.status_code == 400
    assert "New date: enter a real date." in response.text
    assert "New start time: pick a time." in response.text


def test_it_answers_409_when_a_slot_of_the_move_was_taken_meanwhile(
    client_for, personas, booked, unconsented_course
):
    client = client_for(personas.front_desk)
    second = booked[1]
    url = reverse("bookings:appointment_reschedule", args=[second.pk])
    asked = _three_weeks_later(second)
    preview = client.get(url, asked).context["preview"]
    taken = preview.sessions[0]
    # Test data: another visit written straight to the calendar between preview and confirm, as a
    # concurrent booking would (the race itself is tested against the services on PostgreSQL).
    blocker = Appointment.objects.create(
        patient=unconsented_course.patient,
        appointment_type=booked[0].appointment_type,
        location=second.location,
        starts_at=taken.starts_at,
        ends_at=taken.ends_at,
        practitioner_id=taken.practitioner_id,
        created_by=personas.front_desk,
    )
    Hold.objects.create(
        appointment=blocker,
        resource=f"practitioner:{taken.practitioner_id}",
        role="practitioner",
        kind="practitioner",
        step="consultation",
        starts_at=taken.starts_at,
        ends_at=taken.ends_at,
    )
    response = client.post(url, {"token": preview.token, "version": second.version, **asked})
    assert response.status_code == 409
    assert "Someone else has just booked one of these times." in response.text
    assert Appointment.objects.get(pk=second.pk).starts_at == second.starts_at


# ---------------------------------------------------------------------------------------------
# Cancel
# ---------------------------------------------------------------------------------------------


def test_it_cancels_an_appointment_with_a_reason(client_for, personas, bookable_course, booked):
    client = client_for(personas.front_desk)
    last = booked[-1]
    url = reverse("bookings:appointment_cancel", args=[last.pk])
    assert "Reason for cancelling" in client.get(url).text
    response = client.post(url, {"reason": "", "version": last.version})
    assert response.status_code == 400
    assert "Say why the appointment is cancelled." in response.text
    assert not Appointment.objects.get(pk=last.pk).is_cancelled
    response = client.post(url, {"reason": "Patient travelling", "version": last.version})
    assert response.status_code == 302
    last.refresh_from_db()
    assert last.is_cancelled and last.cancel_reason == "Patient travelling"
    page = client.get(reverse("bookings:course_appointments", args=[bookable_course.pk])).text
    assert "Cancelled the appointment of" in page and "Patient travelling" in page
    again = client.get(url)
    assert again.status_code == 302  # a cancelled appointment cannot be cancelled or moved again


def test_it_refuses_a_cancellation_from_a_stale_page(client_for, personas, booked):
    client = client_for(personas.front_desk)
    last = booked[-1]
    url = reverse("bookings:appointment_cancel", args=[last.pk])
    response = client.post(url, {"reason": "Ill", "version": last.version - 1 if last.version > 1 else 99})
    assert response.status_code == 409
    assert "Someone else changed this record" in response.text
    assert not Appointment.objects.get(pk=last.pk).is_cancelled


# ---------------------------------------------------------------------------------------------
# Calendars
# ---------------------------------------------------------------------------------------------


def _calendar(client: Any, name: str, **params: Any) -> Any:
    return client.get(reverse(name), params)


def test_it_shows_the_day_by_practitioner_with_names_times_and_types(client_for, personas, booked):
    first = booked[0]
    day = _local(first.starts_at).date()
    response = _calendar(client_for(personas.front_desk), "bookings:calendar", date=day.isoformat())
    assert response.status_code == 200
    text = response.text
    assert "Paula" in text and "Maria" in text  # a column per practitioner
    assert "Anna Alvarez" in text and "Microneedling session, session 1" in text
    treatment = first.holds.get(step="treatment", role="practitioner")
    assert f"{_local(treatment.starts_at):%H:%M}\N{EN DASH}{_local(treatment.ends_at):%H:%M}" in text
    assert f'rowspan="{60 // 15}"' in text  # the treatment spans an hour of 15-minute rows
    assert AuditEvent.objects.filter(actor=personas.front_desk, object_type="bookings.calendar").exists()


def test_it_shows_the_day_by_room_with_the_numbing_chair(client_for, personas, clinic, booked):
    first = booked[0]
    day = _local(first.starts_at).date()
    response = _calendar(
        client_for(personas.practitioner), "bookings:calendar", date=day.isoformat(), by="room"
    )
    assert response.status_code == 200
    assert clinic.numbing_chairs[0].name in response.text and "(numbing)" in response.text


def test_it_keeps_clinical_notes_off_the_calendar(client_for, personas, booked):
    # Test data: a note charted on the session (no service exists for a bare note).
    TreatmentSession.objects.filter(pk=booked[0].session_id).update(notes="Confidential: history of keloids")
    day = _local(booked[0].starts_at).date()
    for who in (personas.front_desk, personas.practitioner):
        text = _calendar(client_for(who), "bookings:calendar", date=day.isoformat()).text
        assert "Anna Alvarez" in text and "keloids" not in text


def test_it_navigates_day_by_day_and_week_by_week(client_for, personas, booked):
    client = client_for(personas.front_desk)
    day = _local(booked[0].starts_at).date()
    response = _calendar(client, "bookings:calendar", date=day.isoformat())
    assert response.context["prev_url"].endswith(f"date={(day - dt.timedelta(days=1)).isoformat()}")
    assert response.context["next_url"].endswith(f"date={(day + dt.timedelta(days=1)).isoformat()}")
    week = _calendar(
        client,
        "bookings:calendar_week",
        date=day.isoformat(),
        who=f"practitioner:{booked[0].practitioner_id}",
    )
    assert week.status_code == 200
    monday = day - dt.timedelta(days=day.weekday())
    assert f"Week of {monday.day} {monday:%b %Y}" in week.text
    assert "date=" + (day + dt.timedelta(days=7)).isoformat() in week.context["next_url"]
    assert "Sun " not in week.text  # the clinic never opens on Sundays and nothing is on
    assert "Anna Alvarez" in week.text


def test_it_hides_cancelled_visits_unless_asked_and_strikes_them_through(client_for, personas, booked):
    client = client_for(personas.front_desk)
    first = booked[0]
    appointment_cancel(
        appointment=first, actor=personas.front_desk, reason="Flu", expected_version=first.version
    )
    day = _local(first.starts_at).date().isoformat()
    assert "Anna Alvarez" not in _calendar(client, "bookings:calendar", date=day).text
    shown = _calendar(client, "bookings:calendar", date=day, cancelled="on").text
    assert "Anna Alvarez" in shown and 'class="visit cancelled"' in shown


def test_it_explains_a_bad_date_and_shows_today(client_for, personas, clinic):
    response = _calendar(client_for(personas.front_desk), "bookings:calendar", date="2027-02-30")
    assert response.status_code == 400
    assert "Date: enter a real date (YYYY-MM-DD). Showing today instead." in response.text
    assert "Monday 1 March 2027" in response.text


def test_it_swaps_only_the_calendar_for_htmx(client_for, personas, clinic):
    response = client_for(personas.front_desk).get(reverse("bookings:calendar"), headers=HTMX)
    assert response.text.lstrip().startswith('<div id="calendar">') and "<html" not in response.text


@pytest.mark.parametrize("name", ["bookings:calendar", "bookings:calendar_week"])
@pytest.mark.parametrize("by", ["practitioner", "room"])
def test_it_reads_the_calendar_in_a_fixed_number_of_queries(
    client_for, personas, bookable_course, unconsented_course, django_assert_num_queries, name, by
):
    client = client_for(personas.front_desk)
    first = _book(bookable_course, personas.front_desk)[0]
    day = _local(first.starts_at).date().isoformat()
    who = f"practitioner:{first.practitioner_id}" if by == "practitioner" else f"room:{first.room_id}"
    with django_assert_num_queries(7):
        one = _calendar(client, name, date=day, by=by, who=who)
    _book(_consent(unconsented_course, personas), personas.front_desk)  # more appointments that week
    with django_assert_num_queries(7):
        two = _calendar(client, name, date=day, by=by, who=who)
    assert two.context["grid"].count > one.context["grid"].count > 0


def test_it_puts_the_errors_into_the_htmx_fragments(client_for, personas, bookable_course, booked):
    client = client_for(personas.front_desk)
    url = reverse("bookings:course_book", args=[bookable_course.pk])
    response = client.get(url, {"weekdays": ["9"]}, headers=HTMX)
    assert response.text.lstrip().startswith('<div id="proposals">')
    assert "Days the patient can come: Select a valid choice." in response.text
    url = reverse("bookings:appointment_reschedule", args=[booked[1].pk])
    response = client.get(url, {"date": "", "time": "10:00"}, headers=HTMX)
    assert response.text.lstrip().startswith('<div id="move">')
    assert "New date: pick a date." in response.text


def test_it_shows_the_kept_preferences_and_forgets_them_on_request(
    client_for, personas, bookable_course, booked
):
    from needlepoint.bookings.models import CoursePreferences

    CoursePreferences.objects.filter(course=bookable_course).update(
        weekdays=[0, 2], times=[[720, 1020, "afternoons"]], practitioner=personas.practitioner
    )
    url = reverse("bookings:course_appointments", args=[bookable_course.pk])
    forget = reverse("bookings:course_preferences_forget", args=[bookable_course.pk])
    desk = client_for(personas.front_desk)
    page = desk.get(url).text
    assert "the patient prefers Mondays and Wednesdays, afternoons, with Paula" in page
    assert f'action="{forget}"' in page

    assert client_for(personas.patient_a).post(forget).status_code == 404  # not for patients
    assert desk.get(forget).status_code == 405  # a change is a POST
    assert CoursePreferences.objects.filter(course=bookable_course).exists()
    response = desk.post(forget)
    assert response.status_code == 302 and response["Location"] == url
    assert not CoursePreferences.objects.filter(course=bookable_course).exists()
    assert AuditEvent.objects.filter(
        actor=personas.front_desk,
        action="change",
        object_type="clinic.course",
        object_id=str(bookable_course.pk),
        summary__contains="preferences",
    ).exists()
    assert "prefers" not in desk.get(url).text
