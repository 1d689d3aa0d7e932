"""One person, one record: registering someone who already has a record (same name and date of
birth, or the same email; case, accents and surrounding spaces ignored) offers that record
instead of a second one; a separate record needs a written reason, stored and audited. Staff,
the front desk included, find patients by name, date of birth, email, phone or record number.

Personas: the front desk and clinicians register and search; patients and anonymous visitors
are refused."""

import datetime as dt

import pytest
from django.urls import reverse

from needlepoint.audit.models import AuditEvent
from needlepoint.clinic.models import Inquiry, Intake, Patient, Screening
from needlepoint.clinic.services import ServiceError
from needlepoint.clinic.services.inquiries import inquiry_convert, inquiry_create
from needlepoint.clinic.services.patients import (
    PossibleDuplicate,
    name_key,
    patient_matches,
    patient_register,
)

LIST = "/patients/"
NEW = reverse("clinic:patient_create")
# The fixtures' patient A is Anna Alvarez, born 2 March 1994, anna@example.org.
SAME_PERSON = {
    "first_name": "  ÁNNA ",
    "last_name": "álvarez  ",
    "birth_date": "1994-03-02",
    "email": "",
    "phone": "",
}
ANSWERS = {
    "schema": "needlepoint.intake/1",
    "assessed_on": "2026-11-22",
    "patient": {"birth_date": "1994-03-02"},
    "goals": ["acne_scars"],
    "areas": ["cheeks"],
    "pregnancy": "no",
    "conditions": [],
    "medications": [],
    "procedures": [],
    "allergies": [],
}


def _register(**changes):
    contact = {
        "first_name": "Nora",
        "last_name": "Newman",
        "birth_date": dt.date(1985, 4, 3),
        "email": "nora@example.org",
        "phone": "",
    } | changes
    return contact


# ---- matching -----------------------------------------------------------------------------------


def test_it_compares_names_ignoring_case_accents_and_spaces():
    assert name_key("  José  María ") == name_key("jose maria") == "jose maria"
    assert name_key("Zoë") == name_key("ZOE")
    assert name_key("Ann") != name_key("Anna")


def test_it_matches_on_name_and_birth_date_or_on_email_alone(personas):
    a = personas.record_a
    assert patient_matches(first_name="anna", last_name="ALVAREZ", birth_date=a.birth_date, email="") == [a]
    assert patient_matches(
        first_name="Someone", last_name="Else", birth_date=dt.date(2000, 1, 1), email=" ANNA@example.org "
    ) == [a]
    # the same name born on another day, or the same day with another name, is someone else
    assert (
        patient_matches(first_name="Anna", last_name="Alvarez", birth_date=dt.date(1994, 3, 3), email="")
        == []
    )
    assert patient_matches(first_name="Anne", last_name="Alvarez", birth_date=a.birth_date, email="") == []


# ---- registering from the patient pages ---------------------------------------------------------


def test_it_offers_the_existing_record_instead_of_registering_the_same_person_twice(client_for, personas):
    response = client_for(personas.front_desk).post(NEW, SAME_PERSON)
    page = response.content.decode()
    assert response.status_code == 409
    assert "This person may already have a record" in page
    assert reverse("clinic:patient_detail", args=[personas.record_a.pk]) in page
    assert personas.record_a.record_number in page
    assert "Why a separate record?" in page and "Register a separate record" in page
    assert Patient.objects.count() == 2  # nothing saved


def test_it_offers_the_record_with_the_same_email(client_for, personas):
    data = {
        **SAME_PERSON,
        "first_name": "Benjamin",
        "last_name": "Browne",
        "birth_date": "1970-01-01",
        "email": "BEN@example.org",
    }
    response = client_for(personas.practitioner).post(NEW, data)
    assert response.status_code == 409
    assert reverse("clinic:patient_detail", args=[personas.record_b.pk]) in response.content.decode()
    assert not Patient.objects.filter(first_name="Benjamin").exists()


def test_it_registers_a_separate_record_with_a_written_reason_stored_and_audited(client_for, personas):
    reason = "A different person: same name and birthday, different address and GP."
    response = client_for(personas.front_desk).post(NEW, {**SAME_PERSON, "duplicate_reason": reason})
    second = Patient.objects.exclude(pk__in=[personas.record_a.pk, personas.record_b.pk]).get()
    assert response.status_code == 302
    assert (second.first_name, second.duplicate_of, second.duplicate_reason) == (
        "ÁNNA",
        personas.record_a,
        reason,
    )
    event = AuditEvent.objects.get(action="create", object_type="clinic.patient", patient_id=second.pk)
    assert event.actor == personas.front_desk
    assert personas.record_a.record_number in event.summary and reason in event.summary
    page = (
        client_for(personas.front_desk)
        .get(reverse("clinic:patient_detail", args=[second.pk]))
        .content.decode()
    )
    assert "Separate record" in page and reason in page


def test_it_refuses_a_reason_too_short_to_say_anything(client_for, personas):
    response = client_for(personas.front_desk).post(NEW, {**SAME_PERSON, "duplicate_reason": " ok "})
    page = response.content.decode()
    assert response.status_code == 409
    assert "Give the reason for a separate record in a few words" in page
    assert Patient.objects.count() == 2


def test_it_registers_someone_new_at_once(client_for, personas):
    data = {**SAME_PERSON, "first_name": "Nora", "last_name": "Newman", "email": "nora@example.org"}
    response = client_for(personas.front_desk).post(NEW, data)
    nora = Patient.objects.get(email="nora@example.org")
    assert response.status_code == 302 and (nora.duplicate_of, nora.duplicate_reason) == (None, "")


def test_it_refuses_the_same_person_in_the_service_too(personas):
    with pytest.raises(PossibleDuplicate) as refused:
        patient_register(
            **_register(first_name="anna", last_name="alvarez", birth_date=dt.date(1994, 3, 2), email=""),
            actor=personas.practitioner,
        )
    assert refused.value.matches == [personas.record_a]
    assert refused.value.extra == {"records": [personas.record_a.record_number]}
    assert Patient.objects.count() == 2


def test_it_still_refuses_bad_input_before_looking_for_matches(client_for, personas):
    response = client_for(personas.front_desk).post(NEW, {**SAME_PERSON, "birth_date": "2999-01-01"})
    assert response.status_code == 400
    assert "Date of birth cannot be in the future." in response.content.decode()


def test_it_refuses_registration_to_patients_even_with_a_reason(client_for, personas):
    response = client_for(personas.patient_a).post(
        NEW, {**SAME_PERSON, "duplicate_reason": "I want a second record of myself."}
    )
    assert response.status_code == 404
    assert Patient.objects.count() == 2


# ---- registering from an inquiry ----------------------------------------------------------------


def _inquiry(**changes):
    fields = {
        "first_name": "Anna",
        "last_name": "Álvarez",
        "email": "anna.new@example.org",
        "answers": ANSWERS,
        "consented": True,
    } | changes
    return inquiry_create(**fields)


def test_it_offers_the_matching_record_when_registering_an_inquiry(client_for, personas):
    inquiry = _inquiry()
    response = client_for(personas.front_desk).post(reverse("clinic:inquiry_convert", args=[inquiry.pk]))
    page = response.content.decode()
    assert response.status_code == 409
    assert "may already have a record" in page and personas.record_a.record_number in page
    assert "Add the answers to this record" in page
    assert Patient.objects.count() == 2 and not Intake.objects.exists()
    assert Inquiry.objects.get().patient is None


def test_it_adds_the_inquiry_to_the_existing_record_and_screens_it(client_for, personas):
    inquiry = _inquiry()
    response = client_for(personas.front_desk).post(
        reverse("clinic:inquiry_convert", args=[inquiry.pk]), {"patient": personas.record_a.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("clinic:patient_detail", args=[personas.record_a.pk])
    assert Patient.objects.count() == 2
    intake = Intake.objects.get(patient=personas.record_a)
    assert intake.source == "inquiry" and Screening.objects.get(intake=intake).decision == "eligible"
    assert Inquiry.objects.get().patient == personas.record_a
    assert AuditEvent.objects.filter(
        object_type="clinic.inquiry", action="change", summary__contains=personas.record_a.record_number
    ).exists()


def test_it_refuses_to_add_an_inquiry_to_a_record_that_does_not_match(client_for, personas):
    inquiry = _inquiry()
    response = client_for(personas.front_desk).post(
        reverse("clinic:inquiry_convert", args=[inquiry.pk]), {"patient": personas.record_b.pk}, follow=True
    )
    assert "do not match this inquiry" in response.content.decode()
    assert not Intake.objects.exists() and Inquiry.objects.get().patient is None
    with pytest.raises(ServiceError, match="do not match"):
        inquiry_convert(inquiry=inquiry, existing=personas.record_b, actor=personas.front_desk)


def test_it_answers_404_for_a_record_that_does_not_exist(client_for, personas):
    inquiry = _inquiry()
    response = client_for(personas.front_desk).post(
        reverse("clinic:inquiry_convert", args=[inquiry.pk]), {"patient": "99999"}
    )
    assert response.status_code == 404
    assert not Intake.objects.exists()


def test_it_registers_the_visitor_separately_with_a_reason(client_for, personas):
    inquiry = _inquiry()
    reason = "Not the same Anna: different mother's maiden name and phone."
    staff = client_for(personas.front_desk)
    short = staff.post(reverse("clinic:inquiry_convert", args=[inquiry.pk]), {"duplicate_reason": "no"})
    assert short.status_code == 409 and "at least 10 characters" in short.content.decode()
    response = staff.post(reverse("clinic:inquiry_convert", args=[inquiry.pk]), {"duplicate_reason": reason})
    new = Patient.objects.get(email="anna.new@example.org")
    assert response.status_code == 302
    assert (new.duplicate_of, new.duplicate_reason) == (personas.record_a, reason)
    assert Screening.objects.filter(patient=new).count() == 1


def test_it_refuses_the_inquiry_choice_to_patients(client_for, personas):
    inquiry = _inquiry()
    response = client_for(personas.patient_a).post(
        reverse("clinic:inquiry_convert", args=[inquiry.pk]), {"patient": personas.record_a.pk}
    )
    assert response.status_code == 404
    assert not Intake.objects.exists()


def test_it_screens_a_registered_inquiry_at_once(personas):
    answers = {**ANSWERS, "patient": {"birth_date": "1980-01-01"}, "pregnancy": "pregnant"}
    inquiry = _inquiry(first_name="Pia", last_name="Pregnant", email="pia@example.org", answers=answers)
    patient = inquiry_convert(inquiry=inquiry, actor=personas.front_desk)
    screening = Screening.objects.get(patient=patient)
    assert screening.intake == Intake.objects.get(patient=patient)
    assert screening.decision == inquiry.screening["decision"] == "defer"
    assert screening.created_by == personas.front_desk


# ---- finding patients ---------------------------------------------------------------------------


@pytest.fixture
def phone_book(personas):
    a, b = personas.record_a, personas.record_b
    Patient.objects.filter(pk=a.pk).update(phone="07700 900123")
    Patient.objects.filter(pk=b.pk).update(phone="+44 (0)161-496-0000")
    return a, b


@pytest.mark.parametrize(
    ("q", "found", "not_found"),
    [
        ("1994-03-02", "Alvarez, Anna", "Brown"),
        ("2/3/1994", "Alvarez, Anna", "Brown"),
        ("09.07.1988", "Brown, Ben", "Alvarez"),
        ("ben@example.org", "Brown, Ben", "Alvarez"),
        ("07700900123", "Alvarez, Anna", "Brown"),
        ("900 123", "Alvarez, Anna", "Brown"),
        ("0161 496", "Brown, Ben", "Alvarez"),
        ("brown 1988-07-09", "Brown, Ben", "Alvarez"),
    ],
)
def test_it_finds_patients_by_birth_date_email_or_phone(
    client_for, personas, phone_book, q, found, not_found
):
    page = client_for(personas.front_desk).get(LIST, {"q": q}).content.decode()
    assert found in page and not_found not in page


def test_it_finds_a_patient_by_record_number_and_shows_it(client_for, personas):
    b = personas.record_b
    staff = client_for(personas.front_desk)
    for q in (b.record_number, b.record_number.lower(), f"NP{b.pk}"):
        page = staff.get(LIST, {"q": q}).content.decode()
        assert "Brown, Ben" in page and "Alvarez" not in page, q
    assert b.record_number == f"NP-{b.pk:06d}"
    record = staff.get(reverse("clinic:patient_detail", args=[b.pk])).content.decode()
    assert f"Record {b.record_number}" in record


def test_it_explains_a_date_that_does_not_exist(client_for, personas):
    response = client_for(personas.front_desk).get(LIST, {"q": "31/02/1994"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "“31/02/1994” is not a real date" in page and "Alvarez" not in page
    live = client_for(personas.front_desk).get(LIST, {"q": "31/02/1994"}, headers={"HX-Request": "true"})
    assert live.status_code == 200 and "is not a real date" in live.content.decode()  # htmx swaps it


def test_it_shows_the_front_desk_contact_details_only_in_the_results(client_for, personas, phone_book):
    page = client_for(personas.front_desk).get(LIST, {"q": "07700"}).content.decode()
    assert "07700 900123" in page and "anna@example.org" in page
    assert "consultation" not in page.lower() and "screening" not in page.lower()


def test_it_refuses_the_search_to_patients(client_for, personas):
    assert client_for(personas.patient_a).get(LIST, {"q": "1988-07-09"}).status_code == 404


@pytest.mark.parametrize("q", ["07700", "1994-03-02", "record number", "alvarez anna@example.org"])
def test_it_pins_the_search_query_count(client_for, personas, phone_book, django_assert_num_queries, q):
    if q == "record number":  # patient A's (ids are not reused between tests on PostgreSQL)
        q = f"NP-{personas.record_a.pk:06d}"
    staff = client_for(personas.front_desk)
    # session, user, count, page of patients, audit event: however many patients match
    with django_assert_num_queries(5):
        assert staff.get(LIST, {"q": q}).status_code == 200
    for i in range(30):
        Patient.objects.create(
            first_name=f"Anna{i}",
            last_name="Alvarez",
            phone=f"07700 90{i:04}",
            birth_date=dt.date(1994, 3, 2),
            email=f"anna{i}@example.org",
        )
    with django_assert_num_queries(5):
        assert staff.get(LIST, {"q": q}).status_code == 200
