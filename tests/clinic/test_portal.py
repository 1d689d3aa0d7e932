"""The patient portal: the home page (own courses, sessions, consent status) and signing consent
in the portal. Every portal page is for the patient themself: anyone else gets 404.

Session times are shown in the clinic's zone (Europe/London): 1 December 2026 is GMT and
1 June 2026 is BST (UTC+1; the clocks went forward on 29 March 2026)."""

import datetime as dt

import pytest
from clinic_helpers import SIGNATURE, make_course
from django.urls import reverse

from needlepoint.audit.models import AuditEvent
from needlepoint.clinic.models import Consent, TreatmentSession
from needlepoint.clinic.selectors import course_can_start
from needlepoint.clinic.services.consent import (
    consent_sign,
    consent_text_publish,
    ensure_default_consent_text,
)
from visit_helpers import book_visit

HOME = "/portal/"


@pytest.fixture
def text(db):
    return ensure_default_consent_text()


@pytest.fixture
def course(personas):
    return make_course(personas)


def sign_url(course):
    return reverse("portal:consent_sign", args=[course.pk])


def form(text, **changes):
    return {"consent_text": text.pk, "typed_name": "Anna Alvarez", "signature_png": SIGNATURE} | changes


# -- home ------------------------------------------------------------------------------------------


def test_it_has_the_portal_urls():
    assert reverse("portal:home") == HOME
    assert reverse("portal:consent_sign", args=[7]) == "/portal/courses/7/consent/"


def test_it_shows_the_patient_their_own_courses_sessions_and_consent(client_for, personas, course, text):
    first = TreatmentSession.objects.create(course=course, patient=course.patient, number=1)
    book_visit(first, dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC), by=personas.front_desk)
    second = TreatmentSession.objects.create(course=course, patient=course.patient, number=2)
    book_visit(second, dt.datetime(2026, 6, 1, 9, 30, tzinfo=dt.UTC), by=personas.front_desk)
    done = TreatmentSession.objects.create(course=course, patient=course.patient, number=3)
    book_visit(done, dt.datetime(2026, 5, 1, 9, 30, tzinfo=dt.UTC), status="attended", by=personas.front_desk)
    TreatmentSession.objects.filter(pk=done.pk).update(
        status="signed",
        signed_at=dt.datetime(2026, 5, 1, 11, 0, tzinfo=dt.UTC),
        signed_by=personas.practitioner,
    )
    done.refresh_from_db()
    make_course(personas, patient=personas.record_b, goal="melasma")
    response = client_for(personas.patient_a).get(HOME)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Anna Alvarez" in page
    assert "Acne scars" in page
    assert "Approved" in page
    assert "Tue 1 Dec 2026, 09:30" in page  # GMT
    assert "Mon 1 Jun 2026, 10:30" in page  # BST
    assert "Read and sign" in page
    assert sign_url(course) in page
    assert "Done" in page
    assert reverse("portal:checkin_new", args=[done.pk, 1]) in page
    assert reverse("portal:checkin_list") in page
    assert "Ben" not in page
    assert "Melasma" not in page
    assert AuditEvent.objects.filter(
        action="view", actor=personas.patient_a, object_type="clinic.patient", patient_id=personas.record_a.pk
    ).exists()


def test_it_shows_a_signed_consent_and_a_draft_plan_on_the_home_page(client_for, personas, course, text):
    consent_sign(
        course=course,
        consent_text=text,
        typed_name="Anna Alvarez",
        signature_png=SIGNATURE,
        channel="portal",
        actor=personas.patient_a,
    )
    make_course(personas, status="draft", goal="hyperpigmentation")
    page = client_for(personas.patient_a).get(HOME).content.decode()
    assert "Signed on" in page
    assert "Read what you signed" in page
    assert "You can sign once your treatment plan is approved" in page
    assert "Read and sign" not in page


def test_it_tells_a_patient_without_a_course_what_comes_next(client_for, personas):
    page = client_for(personas.patient_b).get(HOME).content.decode()
    assert "no treatment course yet" in page


def test_it_pins_the_home_page_query_count(client_for, personas, text, django_assert_num_queries):
    client = client_for(personas.patient_a)

    def courses(n):
        for _ in range(n):
            c = make_course(personas)
            for number in (1, 2, 3):
                TreatmentSession.objects.create(course=c, patient=c.patient, number=number)
            consent_sign(
                course=c,
                consent_text=text,
                typed_name="Anna Alvarez",
                signature_png=SIGNATURE,
                channel="portal",
                actor=personas.patient_a,
            )

    courses(1)
    # session, user, own record, audit event, courses, their sessions, their consents (+ texts)
    with django_assert_num_queries(7):
        client.get(HOME)
    courses(3)
    with django_assert_num_queries(7):
        assert client.get(HOME).status_code == 200


@pytest.mark.parametrize("who", ["front_desk", "practitioner", "director"])
def test_it_refuses_staff_in_the_portal(client_for, personas, course, who):
    client = client_for(getattr(personas, who))
    assert client.get(HOME).status_code == 404
    assert client.get(sign_url(course)).status_code == 404


def test_it_refuses_a_patient_user_without_a_record(client_for, personas):
    from needlepoint.accounts.models import Role, User

    orphan = User.objects.create_user(username="olga", password="correct horse battery", role=Role.PATIENT)
    assert client_for(orphan).get(HOME).status_code == 404


def test_it_sends_anonymous_visitors_to_sign_in(client, course):
    for url in (HOME, sign_url(course)):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


# -- signing consent in the portal -----------------------------------------------------------------


def test_it_shows_the_consent_text_and_the_signature_pad(client_for, personas, course, text):
    response = client_for(personas.patient_a).get(sign_url(course))
    page = response.content.decode()
    assert response.status_code == 200
    assert text.title in page
    assert "Consent text version 1" in page
    assert "tram-track" in page
    assert 'class="signature-pad"' in page
    assert 'name="signature_png"' in page
    assert "needlepoint/signature.js" in page
    assert "<noscript>" in page
    assert 'style="' not in page


def test_it_lets_patient_a_sign_their_own_approved_course(client_for, personas, course, text):
    client = client_for(personas.patient_a)
    response = client.post(sign_url(course), form(text), REMOTE_ADDR="203.0.113.9")
    assert (response.status_code, response["Location"]) == (302, HOME)
    consent = Consent.objects.get()
    assert (consent.course, consent.patient, consent.consent_text.version) == (course, personas.record_a, "1")
    assert (consent.channel, consent.ip, consent.typed_name) == ("portal", "203.0.113.9", "Anna Alvarez")
    assert (consent.witnessed_by, consent.signature_png) == (None, SIGNATURE)
    event = AuditEvent.objects.get(action="sign")
    assert (event.actor, event.ip, event.patient_id) == (
        personas.patient_a,
        "203.0.113.9",
        personas.record_a.pk,
    )
    assert course_can_start(course)
    home = client.get(HOME).content.decode()
    assert "your consent is signed" in home
    assert "Signed on" in home


def test_it_shows_what_was_signed_after_signing(client_for, personas, course, text):
    client = client_for(personas.patient_a)
    client.post(sign_url(course), form(text))
    page = client.get(sign_url(course)).content.decode()
    assert "You signed on" in page
    assert "“Anna Alvarez”" in page
    assert 'name="typed_name"' not in page
    assert "signature.js" not in page


def test_it_gives_patient_b_404_on_patient_as_course(client_for, personas, course, text):
    client = client_for(personas.patient_b)
    assert client.get(sign_url(course)).status_code == 404
    response = client.post(sign_url(course), form(text, typed_name="Ben Brown"))
    assert response.status_code == 404
    assert "Anna" not in response.content.decode()
    assert client.get(reverse("portal:consent_sign", args=[course.pk + 100])).status_code == 404
    assert not Consent.objects.exists()


def test_it_refuses_to_sign_a_draft_plan(client_for, personas, text):
    course = make_course(personas, status="draft")
    client = client_for(personas.patient_a)
    page = client.get(sign_url(course)).content.decode()
    assert "still being prepared" in page
    assert 'name="typed_name"' not in page
    response = client.post(sign_url(course), form(text))
    assert response.status_code == 400
    assert "only be signed for an approved course" in response.content.decode()
    assert not Consent.objects.exists()


def test_it_refuses_a_wrong_typed_name_with_a_clear_message(client_for, personas, course, text):
    response = client_for(personas.patient_a).post(sign_url(course), form(text, typed_name="Ann"))
    page = response.content.decode()
    assert response.status_code == 400
    assert "does not match the name on the patient" in page
    assert "Anna Alvarez" in page
    assert f'value="{SIGNATURE}"' in page  # the drawing is kept
    assert not Consent.objects.exists()
    assert not AuditEvent.objects.filter(action="sign").exists()


def test_it_refuses_an_empty_typed_name(client_for, personas, course, text):
    response = client_for(personas.patient_a).post(sign_url(course), form(text, typed_name=" "))
    assert response.status_code == 400
    assert "Type the patient&#x27;s full name" in response.content.decode()
    assert not Consent.objects.exists()


def test_it_asks_to_reload_when_the_text_is_missing_from_the_form(client_for, personas, course, text):
    data = form(text)
    del data["consent_text"]
    response = client_for(personas.patient_a).post(sign_url(course), data)
    assert response.status_code == 400
    assert "Reload the page and sign again" in response.content.decode()
    assert not Consent.objects.exists()


def test_it_explains_a_drawn_signature_is_needed_without_javascript(client_for, personas, course, text):
    data = form(text)
    del data["signature_png"]  # a browser without JavaScript posts the typed name only
    response = client_for(personas.patient_a).post(sign_url(course), data)
    page = response.content.decode()
    assert response.status_code == 400
    assert "A drawn signature is needed as well as the typed name" in page
    assert not Consent.objects.exists()


@pytest.mark.parametrize(
    "garbage",
    ["data:image/png;base64,bm90IGEgcG5n", "javascript:alert(1)", 'data:image/png;base64,"><script>'],
)
def test_it_refuses_a_garbage_signature_and_does_not_echo_it(client_for, personas, course, text, garbage):
    response = client_for(personas.patient_a).post(sign_url(course), form(text, signature_png=garbage))
    page = response.content.decode()
    assert response.status_code == 400
    assert "could not be read as a drawing" in page
    assert garbage not in page
    assert "<script>" not in page
    assert not Consent.objects.exists()


def test_it_refuses_a_second_signing_cleanly(client_for, personas, course, text):
    client = client_for(personas.patient_a)
    client.post(sign_url(course), form(text))
    response = client.post(sign_url(course), form(text))
    assert response.status_code == 400
    assert "already been signed" in response.content.decode()
    assert Consent.objects.count() == 1


def test_it_asks_to_read_again_when_a_newer_text_was_published_meanwhile(client_for, personas, course, text):
    client = client_for(personas.patient_a)
    assert "version 1" in client.get(sign_url(course)).content.decode()
    newer = consent_text_publish(
        treatment="microneedling",
        version="2",
        title="Consent, 2027",
        body="The new wording.",
        actor=personas.director,
    )
    response = client.post(sign_url(course), form(text))
    page = response.content.decode()
    assert response.status_code == 400
    assert "newer version" in page
    assert "Consent, 2027" in page
    assert f'name="consent_text" value="{newer.pk}"' in page
    assert not Consent.objects.exists()


def test_it_keeps_the_earlier_signature_valid_and_offers_the_new_version(client_for, personas, course, text):
    client = client_for(personas.patient_a)
    client.post(sign_url(course), form(text))
    consent_text_publish(
        treatment="microneedling",
        version="2",
        title="Consent, 2027",
        body="The new wording.",
        actor=personas.director,
    )
    page = client.get(sign_url(course)).content.decode()
    assert "Your signature stays valid for this course" in page
    assert 'name="typed_name"' in page
    assert course_can_start(course)


def test_it_says_when_no_consent_text_is_published(client_for, personas, course):
    page = client_for(personas.patient_a).get(sign_url(course)).content.decode()
    assert "has not published its consent text yet" in page
    assert 'name="typed_name"' not in page
