"""Consent: versioned texts, the signing service (course status, typed name, drawn signature,
one consent per course and version, the database's refusal to change it), the gate on starting a
course, tablet signing in the clinic and the signed record for clinical staff."""

import pytest
from clinic_helpers import SIGNATURE, data_url, make_course, png
from django.db import IntegrityError, InternalError, OperationalError, transaction
from django.urls import reverse

from needlepoint.audit.models import AuditEvent
from needlepoint.clinic.models import Consent, ConsentText, Course, TreatmentSession
from needlepoint.clinic.selectors import consent_for_course, course_can_start, require_consent
from needlepoint.clinic.services import Blocked, ServiceError
from needlepoint.clinic.services.consent import (
    DEFAULT_CONSENT,
    consent_sign,
    consent_text_publish,
    current_consent_text,
    ensure_default_consent_text,
)
from needlepoint.clinic.signature import check_signature

REFUSED = (IntegrityError, InternalError, OperationalError)


@pytest.fixture
def text(db):
    return ensure_default_consent_text()


@pytest.fixture
def course(personas):
    return make_course(personas)


def sign(course, text, personas, **changes):
    args = {
        "course": course,
        "consent_text": text,
        "typed_name": "Anna Alvarez",
        "signature_png": SIGNATURE,
        "channel": "portal",
        "actor": personas.patient_a,
        "ip": "203.0.113.7",
    } | changes
    return consent_sign(**args)


# -- consent texts ---------------------------------------------------------------------------------


def test_it_publishes_the_default_text_once(db):
    first = ensure_default_consent_text()
    assert (first.version, first.treatment) == ("1", "microneedling")
    assert ensure_default_consent_text().pk == first.pk
    assert ConsentText.objects.count() == 1
    assert AuditEvent.objects.filter(action="create", object_type="clinic.consenttext").count() == 1


def test_it_says_in_plain_words_what_the_default_text_covers():
    body = DEFAULT_CONSENT["body"].lower()
    for words in (
        "redness",
        "swelling",
        "infection",
        "hyperpigmentation",
        "tram-track",
        "cold sore",
        "granulomatous",
        "at least 3 months",
        "alternatives",
        "stop the course at any time",
    ):
        assert words in body, words


def test_it_makes_the_latest_published_version_current_and_keeps_the_old_one(personas, text):
    newer = consent_text_publish(
        treatment="microneedling",
        version="2",
        title="Consent v2",
        body="New wording.",
        actor=personas.director,
    )
    assert current_consent_text().pk == newer.pk
    old = ConsentText.objects.get(pk=text.pk)
    assert (old.version, old.body) == ("1", DEFAULT_CONSENT["body"])
    assert current_consent_text("laser") is None


def test_it_refuses_to_publish_a_version_twice(personas, text):
    with pytest.raises(ServiceError) as exc:
        consent_text_publish(
            treatment="microneedling", version="1", title="Changed", body="Other.", actor=personas.director
        )
    assert exc.value.field == "version"
    assert "never changed" in exc.value.message
    assert ConsentText.objects.get(pk=text.pk).title == DEFAULT_CONSENT["title"]


def test_it_refuses_an_empty_text(personas):
    with pytest.raises(ServiceError) as exc:
        consent_text_publish(
            treatment="microneedling", version="9", title="T", body="  ", actor=personas.director
        )
    assert exc.value.field == "body"
    assert not ConsentText.objects.exists()


# -- signing (service) -----------------------------------------------------------------------------


def test_it_signs_an_approved_course_and_audits_it(personas, course, text):
    consent = sign(course, text, personas)
    assert (consent.patient, consent.consent_text, consent.channel, consent.ip) == (
        personas.record_a,
        text,
        "portal",
        "203.0.113.7",
    )
    assert (consent.witnessed_by, consent.signature_png) == (None, SIGNATURE)
    event = AuditEvent.objects.get(action="sign")
    assert (event.actor, event.object_id, event.patient_id) == (
        personas.patient_a,
        str(consent.pk),
        personas.record_a.pk,
    )


def test_it_signs_an_active_course_too(personas, text):
    assert sign(make_course(personas, status="active"), text, personas).pk


@pytest.mark.parametrize("status", ["draft", "completed", "cancelled"])
def test_it_refuses_a_course_that_is_not_approved(personas, text, status):
    with pytest.raises(ServiceError) as exc:
        sign(make_course(personas, status=status), text, personas)
    assert exc.value.field == "course"
    assert "approved" in exc.value.message
    assert not Consent.objects.exists()


@pytest.mark.parametrize("typed", ["anna alvarez", "  ANNA   Alvarez ", "Anna\tAlvarez"])
def test_it_accepts_the_name_in_any_case_and_spacing(personas, course, text, typed):
    assert sign(course, text, personas, typed_name=typed).typed_name == " ".join(typed.split())


@pytest.mark.parametrize("typed", ["Anna", "Alvarez Anna", "Ben Brown", ""])
def test_it_refuses_a_typed_name_that_is_not_the_patients(personas, course, text, typed):
    with pytest.raises(ServiceError) as exc:
        sign(course, text, personas, typed_name=typed)
    assert exc.value.field == "typed_name"
    assert not Consent.objects.exists()
    assert not AuditEvent.objects.filter(action="sign").exists()


@pytest.mark.parametrize(
    ("signature", "words"),
    [
        ("", "drawn signature is needed"),
        ("   ", "drawn signature is needed"),
        ("hello", "could not be read"),
        ("data:image/jpeg;base64,/9j/4AAQ", "could not be read"),
        ("data:image/png;base64,!!!notbase64", "could not be read"),
        (data_url(b"GIF89a" + bytes(100)), "could not be read"),
        (data_url(png()[:-20]), "could not be read"),
        (data_url(png(strokes=())), "blank or too small"),
        (data_url(png(strokes=((50, 10, 14),))), "blank or too small"),
        ("data:image/png;base64," + "A" * 300_000, "too large"),
    ],
)
def test_it_refuses_a_missing_or_garbage_signature(personas, course, text, signature, words):
    with pytest.raises(ServiceError) as exc:
        sign(course, text, personas, signature_png=signature)
    assert exc.value.field == "signature_png"
    assert words in exc.value.message
    assert not Consent.objects.exists()


@pytest.mark.parametrize("filters", [(0,), (1,), (2,), (3,), (4,), (0, 1, 2, 3, 4)])
def test_it_reads_every_png_row_filter(filters):
    small = {"width": 200, "height": 60, "filters": filters}
    check_signature(data_url(png(strokes=((20, 10, 150), (40, 30, 60)), **small)))
    with pytest.raises(ServiceError):
        check_signature(data_url(png(strokes=(), **small)))
    with pytest.raises(ServiceError):  # a short dash is not a signature
        check_signature(data_url(png(strokes=((20, 10, 30),), **small)))


def test_it_reads_an_opaque_rgb_drawing_and_refuses_a_blank_white_one():
    small = {"width": 200, "height": 60, "colour": 2, "filters": (4, 1, 3)}
    check_signature(data_url(png(strokes=((20, 10, 150),), **small)))
    with pytest.raises(ServiceError):
        check_signature(data_url(png(strokes=(), **small)))


def test_it_refuses_a_huge_image_before_decoding_it():
    with pytest.raises(ServiceError) as exc:
        check_signature(data_url(png(declared=(40_000, 20_000))))
    assert "larger than a signature box can be" in exc.value.message


def test_it_refuses_a_second_signing_cleanly(personas, course, text):
    sign(course, text, personas)
    with pytest.raises(ServiceError) as exc:
        sign(course, text, personas)
    assert "already been signed" in exc.value.message
    assert Consent.objects.count() == 1


def test_it_has_the_database_refuse_a_second_consent_for_the_same_version(personas, course, text):
    first = sign(course, text, personas)
    with pytest.raises(IntegrityError), transaction.atomic():
        Consent.objects.create(
            patient=first.patient,
            course=course,
            consent_text=text,
            typed_name="Anna Alvarez",
            signature_png=SIGNATURE,
            channel="tablet",
        )


def test_it_refuses_a_superseded_text(personas, course, text):
    consent_text_publish(
        treatment="microneedling", version="2", title="v2", body="Newer.", actor=personas.director
    )
    with pytest.raises(ServiceError) as exc:
        sign(course, text, personas)
    assert exc.value.field == "consent_text"
    assert "newer version" in exc.value.message


def test_it_keeps_an_earlier_signature_valid_after_a_new_version(personas, course, text):
    first = sign(course, text, personas)
    newer = consent_text_publish(
        treatment="microneedling", version="2", title="v2", body="Newer.", actor=personas.director
    )
    assert consent_for_course(course) == first
    assert course_can_start(course)
    second = sign(course, newer, personas)
    assert consent_for_course(course) == second


def test_it_lets_only_the_patient_sign_in_the_portal(personas, course, text):
    for actor in (personas.patient_b, personas.front_desk):
        with pytest.raises(ServiceError) as exc:
            sign(course, text, personas, actor=actor)
        assert exc.value.field == "channel"
    with pytest.raises(ServiceError):
        sign(course, text, personas, channel="tablet", actor=personas.patient_a)
    with pytest.raises(ServiceError):
        sign(course, text, personas, channel="email")
    assert not Consent.objects.exists()


def test_it_refuses_to_update_a_signed_consent_in_the_database(personas, course, text):
    consent = sign(course, text, personas)
    with pytest.raises(REFUSED), transaction.atomic():
        Consent.objects.filter(pk=consent.pk).update(typed_name="Someone Else")
    consent.typed_name = "Someone Else"
    with pytest.raises(REFUSED), transaction.atomic():
        consent.save()
    assert Consent.objects.get(pk=consent.pk).typed_name == "Anna Alvarez"


def test_it_lets_a_course_start_only_with_a_signed_consent(personas, course, text):
    assert not course_can_start(course)
    with pytest.raises(Blocked) as exc:
        require_consent(course)
    assert "no signed consent" in exc.value.message
    assert exc.value.field == "consent"
    consent = sign(course, text, personas)
    assert course_can_start(course)
    assert require_consent(course) == consent


def test_it_does_not_let_a_cancelled_course_start_even_with_consent(personas, course, text):
    sign(course, text, personas)
    Course.objects.filter(pk=course.pk).update(status="cancelled")
    course.refresh_from_db()
    assert not course_can_start(course)


# -- tablet signing in the clinic ------------------------------------------------------------------


def tablet_url(course):
    return reverse("clinic:consent_tablet", args=[course.pk])


SIGN_URL = "/tablet/sign/"


def handed_over(client, course):
    """`client` (staff) hands the tablet over for `course` and returns it, now locked."""
    assert client.post(tablet_url(course)).status_code == 302
    return client


def test_it_shows_the_front_desk_the_consent_text_but_no_clinical_notes(client_for, personas, course, text):
    Course.objects.filter(pk=course.pk).update(plan={"notes": "SECRET-CLINICAL-NOTE"})
    TreatmentSession.objects.create(
        course=course, patient=course.patient, number=1, notes="SECRET-SESSION-NOTE"
    )
    response = handed_over(client_for(personas.front_desk), course).get(SIGN_URL)
    page = response.content.decode()
    assert response.status_code == 200
    assert text.title in page
    assert "version 1" in page
    assert "Anna Alvarez" in page
    assert "SECRET" not in page
    assert 'class="signature-pad"' in page
    assert "needlepoint/signature.js" in page
    assert AuditEvent.objects.filter(
        action="view", object_type="clinic.course", actor=personas.front_desk
    ).exists()


def test_it_signs_on_the_tablet_handed_over_by_the_front_desk(client_for, personas, course, text):
    client = handed_over(client_for(personas.front_desk), course)
    response = client.post(
        SIGN_URL,
        {"consent_text": text.pk, "typed_name": "Anna Alvarez", "signature_png": SIGNATURE},
        REMOTE_ADDR="198.51.100.4",
    )
    assert (response.status_code, response["Location"]) == (302, SIGN_URL)
    consent = Consent.objects.get()
    assert (consent.channel, consent.witnessed_by, consent.ip) == (
        "tablet",
        personas.front_desk,
        "198.51.100.4",
    )
    assert AuditEvent.objects.filter(action="sign", actor=personas.front_desk).exists()
    page = client.get(SIGN_URL).content.decode()
    assert "hand the tablet back" in page
    assert "Your consent is signed" in page
    assert 'name="typed_name"' not in page
    assert reverse("clinic:consent_detail", args=[consent.pk]) not in page  # front desk: no link


def test_it_links_clinical_staff_from_the_tablet_to_the_signed_record(client_for, personas, course, text):
    consent = sign(course, text, personas)
    page = client_for(personas.practitioner).get(tablet_url(course)).content.decode()
    assert reverse("clinic:consent_detail", args=[consent.pk]) in page


def test_it_shows_a_wrong_name_on_the_tablet_and_keeps_the_drawing(client_for, personas, course, text):
    response = handed_over(client_for(personas.front_desk), course).post(
        SIGN_URL, {"consent_text": text.pk, "typed_name": "Frank", "signature_png": SIGNATURE}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "does not match the name on the patient" in page
    assert f'value="{SIGNATURE}"' in page
    assert not Consent.objects.exists()


def test_it_refuses_tablet_signing_for_a_draft_course(client_for, personas, text):
    course = make_course(personas, status="draft")
    client = handed_over(client_for(personas.practitioner), course)
    assert 'name="typed_name"' not in client.get(SIGN_URL).content.decode()
    response = client.post(
        SIGN_URL,
        {"consent_text": text.pk, "typed_name": "Anna Alvarez", "signature_png": SIGNATURE},
    )
    assert response.status_code == 400
    assert "only be signed for an approved course" in response.content.decode()
    assert not Consent.objects.exists()


def test_it_refuses_a_stale_or_unknown_text_id_on_the_tablet(client_for, personas, course, text):
    response = handed_over(client_for(personas.front_desk), course).post(
        SIGN_URL, {"consent_text": 99999, "typed_name": "Anna Alvarez", "signature_png": SIGNATURE}
    )
    assert response.status_code == 400
    assert "Reload the page" in response.content.decode()
    assert not Consent.objects.exists()


def test_it_hides_the_tablet_page_from_patients_and_unknown_courses(client_for, personas, course, text):
    assert client_for(personas.patient_a).get(tablet_url(course)).status_code == 404
    assert (
        client_for(personas.patient_a)
        .post(
            tablet_url(course),
            {"consent_text": text.pk, "typed_name": "Anna Alvarez", "signature_png": SIGNATURE},
        )
        .status_code
        == 404
    )
    assert (
        client_for(personas.front_desk)
        .get(reverse("clinic:consent_tablet", args=[course.pk + 100]))
        .status_code
        == 404
    )
    assert not Consent.objects.exists()


def test_it_sends_anonymous_visitors_to_sign_in(client, course, text):
    for url in (tablet_url(course), reverse("clinic:consent_detail", args=[1])):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


# -- the signed record -----------------------------------------------------------------------------


def test_it_shows_clinical_staff_the_signed_record(client_for, personas, course, text):
    consent = sign(course, text, personas)
    for user in (personas.practitioner, personas.director):
        response = client_for(user).get(reverse("clinic:consent_detail", args=[consent.pk]))
        page = response.content.decode()
        assert response.status_code == 200
        assert f'src="{SIGNATURE}"' in page
        assert "Anna Alvarez" in page
        assert "version 1" in page
        assert "Patient portal" in page
        assert "203.0.113.7" in page
        assert AuditEvent.objects.filter(
            action="view", object_type="clinic.consent", object_id=str(consent.pk), actor=user
        ).exists()
    csp = response.headers.get("Content-Security-Policy", "")
    assert "img-src 'self' data:" in csp


def test_it_hides_the_signed_record_from_the_front_desk_and_patients(client_for, personas, course, text):
    consent = sign(course, text, personas)
    url = reverse("clinic:consent_detail", args=[consent.pk])
    for user in (personas.front_desk, personas.patient_a, personas.patient_b):
        assert client_for(user).get(url).status_code == 404
    assert (
        client_for(personas.practitioner)
        .get(reverse("clinic:consent_detail", args=[consent.pk + 1]))
        .status_code
        == 404
    )
    assert not AuditEvent.objects.filter(action="view", object_type="clinic.consent").exists()
