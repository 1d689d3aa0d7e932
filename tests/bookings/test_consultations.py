"""Consultations booked in the same calendar as the courses: from the front desk's inquiry queue
(the booking registers the visitor) and from the patient record; the same resource rules (a
practitioner who works then, a consultation room) and the same double-booking guard; the
inquiry is "consultation booked" only with a visit behind it.

Time is frozen on Wednesday 25 November 2026, 09:00 in London (GMT). The clinic (see
conftest): one consultation room; Paula works Monday to Friday 09-17, Maria Tuesday, Thursday
and Saturday mornings."""

import datetime as dt
from typing import Any

import pytest
import time_machine
from booking_helpers import NOW, local
from django.urls import reverse

from needlepoint.audit.models import AuditEvent
from needlepoint.bookings.models import Appointment, Hold
from needlepoint.bookings.services import BookingConflict, ServiceError
from needlepoint.bookings.services.cancel import appointment_cancel
from needlepoint.bookings.services.consultations import consultation_book, consultation_options
from needlepoint.bookings.services.preferences import Preferences
from needlepoint.clinic.models import Inquiry, Patient
from needlepoint.clinic.services.inquiries import inquiry_close, inquiry_create

THURSDAY = dt.date(2026, 11, 26)


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def inquiry(db: Any, intake_a: dict[str, Any]) -> Inquiry:
    return inquiry_create(
        first_name="Iris", last_name="Holm", email="iris@example.invalid", answers=intake_a, consented=True
    )


def first_free(actor: Any, **whom: Any) -> Any:
    options = consultation_options(actor=actor, day=THURSDAY, **whom)
    assert options.proposals, options.why_not
    return options.proposals[0]


def test_it_books_a_consultation_from_an_inquiry_registering_the_visitor(inquiry, personas, clinic):
    proposal = first_free(personas.front_desk, inquiry=inquiry)
    assert proposal.visit.starts_at == local(2026, 11, 26, 9, 0)
    visit = consultation_book(actor=personas.front_desk, token=proposal.token)
    inquiry.refresh_from_db()
    assert inquiry.status == "booked" and inquiry.patient is not None
    assert (visit.patient, visit.inquiry) == (inquiry.patient, inquiry)
    assert (visit.course, visit.session) == (None, None)
    assert (visit.appointment_type, visit.room) == (clinic.consultation, clinic.consult_room)
    assert visit.practitioner in (personas.practitioner, personas.director)
    assert visit.ends_at - visit.starts_at == dt.timedelta(minutes=30)
    assert {h.resource for h in Hold.objects.filter(appointment=visit)} == {
        f"room:{clinic.consult_room.pk}",
        f"practitioner:{visit.practitioner_id}",
    }
    assert AuditEvent.objects.filter(
        object_type="clinic.inquiry", object_id=str(inquiry.pk), summary="status booked: consultation booked"
    ).exists()


def test_it_books_a_registered_patient_and_keeps_to_the_same_rooms_and_people(personas, clinic):
    first = consultation_book(
        actor=personas.front_desk, token=first_free(personas.front_desk, patient=personas.record_a).token
    )
    second = consultation_book(
        actor=personas.front_desk, token=first_free(personas.front_desk, patient=personas.record_b).token
    )
    assert first.starts_at == local(2026, 11, 26, 9, 0)
    assert second.starts_at == local(2026, 11, 26, 9, 30)  # one consultation room: the next free time


def test_it_refuses_a_time_taken_meanwhile_and_books_nothing(personas, clinic, inquiry):
    for_a = first_free(personas.front_desk, patient=personas.record_a)
    for_inquiry = first_free(personas.front_desk, inquiry=inquiry)
    consultation_book(actor=personas.front_desk, token=for_a.token)
    with pytest.raises(BookingConflict):
        consultation_book(actor=personas.front_desk, token=for_inquiry.token)
    inquiry.refresh_from_db()
    assert (inquiry.status, inquiry.patient_id) == ("new", None)  # nothing half-saved
    assert not Patient.objects.filter(first_name="Iris").exists()


def test_it_keeps_to_the_practitioner_and_time_of_day_asked_for(personas, clinic):
    from needlepoint.scheduling import AFTERNOONS, EVENINGS

    def ask(who: Any, when: Any) -> Any:
        return consultation_options(
            actor=personas.front_desk,
            day=THURSDAY,
            patient=personas.record_a,
            preferences=Preferences(times=(when,), practitioner_id=who.pk),
        )

    paula = ask(personas.practitioner, AFTERNOONS).proposals[0].visit
    assert (paula.starts_at, paula.practitioner_id) == (local(2026, 11, 26, 12, 0), personas.practitioner.pk)
    maria = ask(personas.director, EVENINGS)  # Maria works mornings only
    assert maria.proposals == () and maria.why_not


def test_it_refuses_a_patient_a_day_gone_by_and_a_closed_inquiry(personas, clinic, inquiry):
    with pytest.raises(ServiceError, match="Only the clinic's staff"):
        consultation_options(actor=personas.patient_a, day=THURSDAY, patient=personas.record_a)
    with pytest.raises(ServiceError, match="that day has passed"):
        consultation_options(actor=personas.front_desk, day=dt.date(2026, 11, 24), patient=personas.record_a)
    token = first_free(personas.front_desk, inquiry=inquiry).token
    inquiry_close(inquiry=inquiry, actor=personas.front_desk)
    with pytest.raises(ServiceError, match="closed"):
        consultation_book(actor=personas.front_desk, token=token)
    assert not Appointment.objects.exists()
    with pytest.raises(ServiceError, match="Only the clinic's staff"):
        consultation_book(actor=personas.patient_a, token=token)


def test_it_puts_the_inquiry_back_in_the_queue_when_its_consultation_is_cancelled(personas, clinic, inquiry):
    token = first_free(personas.front_desk, inquiry=inquiry).token
    visit = consultation_book(actor=personas.front_desk, token=token)
    appointment_cancel(
        appointment=visit, actor=personas.front_desk, reason="Rang to cancel", expected_version=1
    )
    inquiry.refresh_from_db()
    assert inquiry.status == "contacted"  # "consultation booked" only with a visit behind it


# ---- the pages ------------------------------------------------------------------------------------


URL = reverse("bookings:consultation_book")


def test_it_offers_booking_from_the_queue_and_books_from_the_page(client_for, personas, clinic, inquiry):
    desk = client_for(personas.front_desk)
    queue = desk.get(reverse("clinic:inquiry_queue")).content.decode()
    assert f"{URL}?inquiry={inquiry.pk}" in queue
    page = desk.get(URL, {"inquiry": inquiry.pk, "day": THURSDAY.isoformat()})
    assert page.status_code == 200
    proposal = page.context["options"].proposals[0]
    assert "Thu 26 Nov 2026, 09:00\u201309:30" in page.content.decode()
    done = desk.post(URL, {"inquiry": inquiry.pk, "token": proposal.token, "day": THURSDAY.isoformat()})
    assert done.status_code == 302 and done["Location"].endswith("?date=2026-11-26")
    inquiry.refresh_from_db()
    assert inquiry.status == "booked"
    calendar = desk.get(done["Location"]).content.decode()
    assert "Iris Holm" in calendar and "Consultation" in calendar


def test_it_books_from_the_patient_record(client_for, personas, clinic):
    desk = client_for(personas.front_desk)
    record = desk.get(reverse("clinic:patient_detail", args=[personas.record_a.pk])).content.decode()
    assert f"{URL}?patient={personas.record_a.pk}" in record
    page = desk.get(URL, {"patient": personas.record_a.pk, "day": "2026-11-26", "times": "afternoons"})
    token = page.context["options"].proposals[0].token
    assert desk.post(URL, {"patient": personas.record_a.pk, "token": token}).status_code == 302
    record = desk.get(reverse("clinic:patient_detail", args=[personas.record_a.pk])).content.decode()
    assert "Thu 26 Nov 2026 12:00" in record


def test_it_shows_a_patient_and_a_visitor_nothing(client_for, personas, clinic, inquiry, client):
    assert client_for(personas.patient_a).get(URL, {"patient": personas.record_a.pk}).status_code == 404
    assert client_for(personas.patient_a).get(URL, {"inquiry": inquiry.pk}).status_code == 404
    assert client.get(URL, {"inquiry": inquiry.pk}).status_code == 302  # to sign in


def test_it_says_what_is_wrong_with_a_damaged_token_and_books_nothing(client_for, personas, clinic):
    desk = client_for(personas.front_desk)
    refused = desk.post(URL, {"patient": personas.record_a.pk, "token": "x", "day": "2026-11-26"})
    assert refused.status_code == 400
    assert "could not be read" in refused.content.decode()
    assert not Appointment.objects.exists()


def test_it_says_the_time_booked_in_words_and_answers_409_for_a_time_taken_meanwhile(
    client_for, personas, clinic, inquiry
):
    desk = client_for(personas.front_desk)
    for_inquiry = first_free(personas.front_desk, inquiry=inquiry)
    page = desk.get(URL, {"patient": personas.record_a.pk, "day": THURSDAY.isoformat()})
    token = page.context["options"].proposals[0].token
    done = desk.post(URL, {"patient": personas.record_a.pk, "token": token}, follow=True)
    assert f"Consultation booked for {personas.record_a} on Thursday 26 November 2026 at 09:00." in done.text

    taken = desk.post(URL, {"inquiry": inquiry.pk, "token": for_inquiry.token, "day": THURSDAY.isoformat()})
    assert (taken.status_code, Appointment.objects.count()) == (409, 1)
    assert "Nothing was booked" in taken.text
