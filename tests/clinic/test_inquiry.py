"""The public "Is microneedling for me?" page and the front desk's inquiry queue.

Time is frozen at 22 November 2026, noon in the clinic's zone (Europe/London, GMT that day), so
the dates the page promises are exact."""

import datetime as dt
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse
from inquiry_helpers import CONTACT, HEALTHY, fresh_rate_limit  # noqa: F401 (an autouse fixture)

from needlepoint.audit.models import AuditEvent
from needlepoint.clinic.models import Inquiry, InquiryStatus, Intake, IntakeSource, Patient
from needlepoint.clinic.services import ServiceError
from needlepoint.clinic.services.inquiries import (
    inquiry_close,
    inquiry_convert,
    inquiry_create,
    inquiry_mark_contacted,
)

URL = "/inquiry/"
QUEUE = "/inquiries/"
TODAY = dt.datetime(2026, 11, 22, 12, 0, tzinfo=ZoneInfo("Europe/London"))


def answers(**changes):
    return {**HEALTHY, **changes}


@pytest.fixture(autouse=True)
def frozen_day():
    with time_machine.travel(TODAY, tick=False):
        yield


def _intake(**changes):
    """A stored inquiry's answers (contract shape), as the public page builds them."""
    return {
        "schema": "needlepoint.intake/1",
        "assessed_on": "2026-11-22",
        "patient": {"birth_date": "1990-05-14"},
        "goals": ["acne_scars"],
        "areas": ["cheeks"],
        "pregnancy": "no",
        "conditions": [],
        "medications": [],
        "procedures": [],
        "allergies": [],
        **changes,
    }


def _inquiry(**changes):
    fields = {
        "first_name": "Vera",
        "last_name": "Visitor",
        "email": "vera@example.org",
        "phone": "0207 946 0000",
        "answers": _intake(),
        "consented": True,
    } | changes
    return inquiry_create(**fields)


class _RequestFormInputs(HTMLParser):
    """Collect the name/value pairs of the inputs inside <form id="request-form">."""

    def __init__(self):
        super().__init__()
        self.inside = False
        self.pairs = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == "request-form"
        elif tag == "input" and self.inside and a.get("name") and a.get("type") != "checkbox":
            self.pairs.append((a["name"], a.get("value") or ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def _form_data(pairs):
    data = {}
    for name, value in pairs:
        data.setdefault(name, []).append(value)
    return data


# ---- the public page ----------------------------------------------------------------------------


def test_it_shows_the_questions_to_anonymous_visitors(client, db):
    response = client.get(URL)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Is microneedling for me?" in page
    assert "Type I: White skin. Always burns, never tans" in page  # the phototype in plain words
    assert "Have you taken isotretinoin" in page


def test_it_tells_a_healthy_visitor_microneedling_is_likely_suitable_storing_nothing(
    client, db, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.post(URL, answers())
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-decision="eligible"' in page and "Likely suitable" in page
    assert "Would you like a consultation?" in page
    assert Inquiry.objects.count() == 0 and AuditEvent.objects.count() == 0
    assert "_auth_user_id" not in client.session and not client.session.keys()


def test_it_defers_a_pregnant_visitor_without_a_date(client, db):
    page = client.post(URL, answers(pregnancy="pregnant")).content.decode()
    assert 'data-decision="defer"' in page and "Not yet" in page
    assert "Not before" not in page
    assert "Microneedling is not done during pregnancy" in page


def test_it_asks_for_a_doctors_clearance_for_a_visitor_on_warfarin(client, db):
    page = client.post(URL, answers(medicines="warfarin")).content.decode()
    assert 'data-decision="needs_clearance"' in page
    assert "Needs a doctor&#x27;s clearance" in page
    assert "You take warfarin, which makes you bleed more easily" in page


def test_it_gives_the_first_possible_date_after_recent_isotretinoin(client, db):
    page = client.post(
        URL, answers(isotretinoin="stopped", isotretinoin_last_dose="2026-09-01")
    ).content.decode()
    assert 'data-decision="defer"' in page
    assert "Not before 1 March 2027" in page  # six months after the last dose
    assert "You stopped isotretinoin on 1 September 2026" in page


def test_it_says_why_microneedling_is_not_suitable(client, db):
    page = client.post(URL, answers(conditions=["bleeding"])).content.decode()
    assert 'data-decision="contraindicated"' in page and "Not suitable" in page
    assert "bleeding disorder such as haemophilia" in page


def test_it_lists_every_finding_and_the_areas_that_cannot_be_treated(client, db):
    page = client.post(
        URL,
        answers(
            areas=["cheeks", "eyelids"], conditions=["cold_sores_before"], medicines="tretinoin, mystery pill"
        ),
    ).content.decode()
    assert "These areas cannot be treated: <strong>eyelids</strong>" in page
    assert "Not for this area" in page and 'data-decision="needs_clearance"' in page
    assert "You have had cold sores before" in page
    assert "You use tretinoin, a retinoid" in page
    assert "We do not recognise the medicine &#x27;mystery pill&#x27;" in page


def test_it_reads_recent_treatments_and_sunburn_with_their_dates(client, db):
    page = client.post(
        URL,
        answers(
            peel_date="2026-11-12", peel_depth="superficial", sunburn="recent", sunburn_date="2026-11-18"
        ),
    ).content.decode()
    assert "You had a superficial chemical peel on 12 November 2026" in page
    assert "Sunburnt skin must recover first" in page and "18 November 2026" in page
    assert "Not before 12 December 2026" in page  # the later of the two: 30 days after the peel


@pytest.mark.parametrize(
    ("changes", "question", "message"),
    [
        ({"birth_date": "2027-01-01"}, "Your date of birth", "cannot be in the future"),
        ({"birth_date": "1 Jan"}, "Your date of birth", "Enter a real date."),
        ({"goals": []}, "What would you like to improve?", "Choose at least one thing"),
        ({"areas": ["elbows"]}, "Which areas would you like treated?", "Select a valid choice"),
        ({"isotretinoin": "stopped"}, "Date of your last isotretinoin dose", "Give the date of your last"),
        ({"laser_date": "2026-12-01"}, "Laser treatment: date of the last one", "cannot be in the future"),
        ({"medicines": "x" * 1001}, "Which medicines do you take at the moment?", "at most 1000"),
        ({"skin_diseases": ["eczema"]}, "If so, is it flaring at the moment?", "Say whether"),
    ],
)
def test_it_names_the_question_when_an_answer_is_invalid(client, db, changes, question, message):
    response = client.post(URL, answers(**changes))
    page = response.content.decode()
    assert response.status_code == 400
    assert "Please check these answers" in page
    assert question.replace("'", "&#x27;") in page and message in page
    assert 'id="answer"' not in page


def test_it_stores_nothing_without_consent(client, db):
    data = answers() | CONTACT
    del data["contact-consent"]
    response = client.post(URL, data)
    page = response.content.decode()
    assert response.status_code == 400
    assert "Tick the box to agree that we store your answers" in page
    assert Inquiry.objects.count() == 0 and AuditEvent.objects.count() == 0


def test_it_stores_the_request_with_consent_and_thanks_the_visitor(client, db):
    response = client.post(URL, answers(medicines="warfarin") | CONTACT)
    assert response.status_code == 302 and response["Location"] == URL + "?sent=1"
    inquiry = Inquiry.objects.get()
    assert (inquiry.first_name, inquiry.last_name, inquiry.email, inquiry.phone) == (
        "Vera",
        "Visitor",
        "vera@example.org",
        "+44 20 7946 0000",
    )
    assert inquiry.status == InquiryStatus.NEW and inquiry.consented_at == TODAY
    assert inquiry.answers["assessed_on"] == "2026-11-22"
    assert inquiry.answers["patient"] == {"birth_date": "1990-05-14"}
    assert inquiry.answers["medications"] == [{"name": "warfarin", "status": "current"}]
    assert inquiry.answers["skin"] == {"fitzpatrick": 3}
    assert inquiry.screening["decision"] == "needs_clearance"
    assert inquiry.screening["protocol"]["id"] == "default"
    event = AuditEvent.objects.get()
    assert (event.action, event.object_type, event.actor_label) == ("create", "clinic.inquiry", "anonymous")
    assert "Thank you" in client.get(response["Location"]).content.decode()


def test_it_carries_the_answers_through_the_request_form(client, db):
    shown = client.post(
        URL,
        answers(
            medicines="warfarin, aspirin",
            conditions=["diabetes"],
            allergies=["nickel"],
            other_allergies="Latex gloves",
            botulinum_date="2026-10-01",
        ),
    )
    parser = _RequestFormInputs()
    parser.feed(shown.content.decode())
    data = _form_data(parser.pairs) | {k: v for k, v in CONTACT.items() if k != "step"}
    assert client.post(URL, data).status_code == 302
    stored = Inquiry.objects.get().answers
    assert stored["medications"] == [
        {"name": "warfarin", "status": "current"},
        {"name": "aspirin", "status": "current"},
    ]
    assert stored["conditions"] == [{"code": "diabetes", "status": "active"}]
    assert stored["allergies"] == ["nickel", "latex_gloves"]
    assert stored["procedures"] == [{"code": "botulinum_toxin", "date": "2026-10-01"}]


def test_it_refuses_a_request_without_contact_details_naming_them(client, db):
    data = answers() | CONTACT | {"contact-email": "not-an-email", "contact-first_name": ""}
    page = client.post(URL, data).content.decode()
    assert "Tell us your first name." in page and "Enter a real email address." in page
    assert Inquiry.objects.count() == 0


def test_it_pretends_to_accept_what_a_robot_fills_in_but_stores_nothing(client, db):
    response = client.post(URL, answers() | CONTACT | {"contact-website": "http://spam.example"})
    assert response.status_code == 302
    assert Inquiry.objects.count() == 0 and AuditEvent.objects.count() == 0


@override_settings(NEEDLEPOINT_INQUIRY_REQUESTS_PER_HOUR=2)
def test_it_limits_requests_from_one_address(client, db):
    for _ in range(2):
        assert client.post(URL, answers() | CONTACT).status_code == 302
    response = client.post(URL, answers() | CONTACT)
    assert response.status_code == 400 and "Too many requests" in response.content.decode()
    assert Inquiry.objects.count() == 2


def test_it_refuses_to_store_without_consent_in_the_service_too(db):
    with pytest.raises(ServiceError) as refused:
        _inquiry(consented=False)
    assert refused.value.field == "consent"
    assert Inquiry.objects.count() == 0


def test_it_refuses_answers_the_core_cannot_use_in_the_service(db):
    with pytest.raises(ServiceError) as refused:
        _inquiry(answers=_intake(goals=[]))
    assert refused.value.field == "goals"
    assert Inquiry.objects.count() == 0 and AuditEvent.objects.count() == 0


# ---- the front desk's queue ---------------------------------------------------------------------


def test_it_shows_the_front_desk_the_queue_with_contact_details_and_the_answer_shown(client_for, personas):
    _inquiry(
        answers=_intake(
            medications=[{"name": "isotretinoin", "status": "stopped", "last_taken": "2026-09-01"}]
        )
    )
    response = client_for(personas.front_desk).get(QUEUE)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Vera Visitor" in page and "vera@example.org" in page and "0207 946 0000" in page
    assert 'data-decision="defer"' in page and "not before 1 March 2027" in page
    assert AuditEvent.objects.filter(
        action="view", object_type="clinic.inquiry", actor=personas.front_desk
    ).exists()


def test_it_leaves_closed_inquiries_out_of_the_queue(client_for, personas):
    inquiry_close(inquiry=_inquiry(first_name="Closed"), actor=personas.front_desk)
    _inquiry(first_name="Open")
    page = client_for(personas.practitioner).get(QUEUE).content.decode()
    assert "Open Visitor" in page and "Closed Visitor" not in page


def test_it_refuses_the_queue_to_patients_and_anonymous_visitors(client, client_for, personas):
    _inquiry()
    assert client_for(personas.patient_a).get(QUEUE).status_code == 404
    response = client.get(QUEUE)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_it_pins_the_queues_query_count(client_for, personas, django_assert_num_queries):
    staff = client_for(personas.front_desk)
    for i in range(3):
        _inquiry(email=f"v{i}@example.org")
    # session, user, count, page of inquiries, patients with the same emails, audit event
    with django_assert_num_queries(6):
        assert staff.get(QUEUE).status_code == 200
    for i in range(3, 30):
        _inquiry(email=f"v{i}@example.org")
    with django_assert_num_queries(6):
        assert staff.get(QUEUE).status_code == 200


def test_it_points_out_a_patient_who_already_uses_the_email(client_for, personas):
    _inquiry(email="ANNA@example.org")
    page = client_for(personas.front_desk).get(QUEUE).content.decode()
    assert "A patient record uses this email" in page and "Anna Alvarez" in page


def test_it_marks_an_inquiry_contacted(client_for, personas):
    inquiry = _inquiry()
    response = client_for(personas.front_desk).post(reverse("clinic:inquiry_contacted", args=[inquiry.pk]))
    assert response.status_code == 302
    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.CONTACTED
    assert AuditEvent.objects.filter(
        action="change", object_type="clinic.inquiry", object_id=str(inquiry.pk), summary="status contacted"
    ).exists()


def test_it_swaps_only_the_row_with_htmx(client_for, personas):
    inquiry = _inquiry()
    response = client_for(personas.front_desk).post(
        reverse("clinic:inquiry_contacted", args=[inquiry.pk]), headers={"HX-Request": "true"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert page.strip().startswith(f'<tr id="inquiry-{inquiry.pk}"') and "<html" not in page
    assert "Contacted" in page and "marked as contacted" in page


def test_it_closes_an_inquiry_and_refuses_to_close_it_twice(client_for, personas):
    inquiry = _inquiry()
    staff = client_for(personas.front_desk)
    staff.post(reverse("clinic:inquiry_close", args=[inquiry.pk]))
    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.CLOSED
    again = staff.post(reverse("clinic:inquiry_close", args=[inquiry.pk]), follow=True)
    assert "This inquiry is already closed." in again.content.decode()
    with pytest.raises(ServiceError):
        inquiry_mark_contacted(inquiry=inquiry, actor=personas.front_desk)


def test_it_refuses_queue_actions_to_patients(client_for, personas):
    inquiry = _inquiry()
    patient = client_for(personas.patient_b)
    for name in ("clinic:inquiry_contacted", "clinic:inquiry_close", "clinic:inquiry_convert"):
        assert patient.post(reverse(name, args=[inquiry.pk])).status_code == 404
    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.NEW and inquiry.patient is None
    assert Patient.objects.count() == 2


def test_it_registers_the_visitor_as_a_patient_with_a_first_intake(client_for, personas):
    inquiry = _inquiry()
    response = client_for(personas.front_desk).post(reverse("clinic:inquiry_convert", args=[inquiry.pk]))
    patient = Patient.objects.get(email="vera@example.org")
    assert response.status_code == 302
    assert response["Location"] == reverse("clinic:patient_detail", args=[patient.pk])
    assert (patient.first_name, patient.last_name, patient.birth_date, patient.phone) == (
        "Vera",
        "Visitor",
        dt.date(1990, 5, 14),
        "0207 946 0000",
    )
    assert patient.created_by == personas.front_desk
    intake = Intake.objects.get(patient=patient)
    assert (intake.number, intake.source) == (1, IntakeSource.INQUIRY)
    assert intake.data["goals"] == ["acne_scars"]
    inquiry.refresh_from_db()
    assert inquiry.patient == patient
    events = AuditEvent.objects.filter(actor=personas.front_desk, patient_id=patient.pk)
    assert {(e.action, e.object_type) for e in events} == {
        ("create", "clinic.patient"),
        ("create", "clinic.intake"),
        ("create", "clinic.screening"),
        ("change", "clinic.inquiry"),
    }


def test_it_registers_an_inquiry_only_once(personas):
    inquiry = _inquiry()
    inquiry_convert(inquiry=inquiry, actor=personas.front_desk)
    stale_copy = Inquiry.objects.get(pk=inquiry.pk)
    stale_copy.patient_id = None  # as if loaded before the first registration
    with pytest.raises(ServiceError) as refused:
        inquiry_convert(inquiry=stale_copy, actor=personas.front_desk)
    assert "registered or closed by someone else" in refused.value.message
    assert Patient.objects.filter(email="vera@example.org").count() == 1
    assert Intake.objects.count() == 1


def test_it_refuses_to_register_a_closed_inquiry(client_for, personas):
    inquiry = _inquiry()
    inquiry_close(inquiry=inquiry, actor=personas.front_desk)
    response = client_for(personas.front_desk).post(
        reverse("clinic:inquiry_convert", args=[inquiry.pk]), follow=True
    )
    assert "This inquiry is closed." in response.content.decode()
    assert not Patient.objects.filter(email="vera@example.org").exists()


def test_it_shows_the_registered_visitors_answers_as_intake_one_to_clinicians(client_for, personas):
    patient = inquiry_convert(inquiry=_inquiry(), actor=personas.front_desk)
    page = (
        client_for(personas.practitioner)
        .get(reverse("clinic:patient_detail", args=[patient.pk]))
        .content.decode()
    )
    assert "Public inquiry" in page and "0207 946 0000" in page


def test_it_assesses_on_the_clinics_date_not_utcs(client, db):
    # Britain is on BST (UTC+1) from 29 March to 25 October 2026: 23:30 UTC on 1 July is
    # already 2 July in the clinic.
    with time_machine.travel(dt.datetime(2026, 7, 1, 23, 30, tzinfo=dt.UTC), tick=False):
        assert client.post(URL, answers() | CONTACT).status_code == 302
    assert Inquiry.objects.get().answers["assessed_on"] == "2026-07-02"
