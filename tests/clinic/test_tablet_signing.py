"""Clinic tablet signing: a member of staff hands the tablet over for one course's consent and
the session opens nothing but the signing page (staff pages, the patient list, the admin, the
portal and htmx partials all redirect there, with `Cache-Control: no-store`); the patient signs
and is asked to hand the tablet back; a wrong staff password keeps the lock, the fifth ends the
session, the right one lifts it. Each step is in the audit trail."""

import pytest
from clinic_helpers import SIGNATURE, make_course
from django.urls import reverse

from needlepoint.audit.models import AuditEvent
from needlepoint.clinic.models import Consent
from needlepoint.clinic.services.consent import ensure_default_consent_text

PASSWORD = "correct horse battery"
SIGN = "/tablet/sign/"
RETURN = "/tablet/return/"


@pytest.fixture
def text(db):
    return ensure_default_consent_text()


@pytest.fixture
def course(personas):
    return make_course(
        personas,
        plan={
            "sessions": {"count": 3, "interval_days": {"min": 28, "max": 42}},
            "areas": [{"area": "cheeks", "depth_mm": {"min": 1.0, "max": 1.5}}],
            "notes": "SECRET-CLINICAL-NOTE",
        },
    )


@pytest.fixture
def tablet(client_for, personas, course, text):
    """The front desk's signed-in tablet, handed to the patient for `course`."""
    client = client_for(personas.front_desk)
    response = client.post(reverse("clinic:consent_tablet", args=[course.pk]))
    assert (response.status_code, response["Location"]) == (302, SIGN)
    return client


def sign(client, text):
    return client.post(
        SIGN, {"consent_text": text.pk, "typed_name": "Anna Alvarez", "signature_png": SIGNATURE}
    )


def test_it_shows_staff_what_the_patient_will_see_before_handing_over(client_for, personas, course, text):
    response = client_for(personas.front_desk).get(reverse("clinic:consent_tablet", args=[course.pk]))
    page = response.content.decode()
    assert (response.status_code, "Hand the tablet to the patient" in page, "3 sessions" in page) == (
        200,
        True,
        True,
    )
    assert "no-store" in response["Cache-Control"]


def test_it_sends_every_other_address_to_the_signing_page(tablet, personas, course):
    staff_urls = [
        "/",
        reverse("clinic:dashboard"),
        reverse("clinic:patient_list"),
        reverse("clinic:patient_detail", args=[course.patient_id]),
        reverse("clinic:consultation_course", args=[course.patient_id, course.pk]),
        reverse("clinic:consent_tablet", args=[course.pk]),
        "/admin/",
        "/portal/",
        reverse("portal:consent_sign", args=[course.pk]),
        "/consent-texts/",
    ]
    for url in staff_urls:
        response = tablet.get(url)
        assert (url, response.status_code, response["Location"]) == (url, 302, SIGN)
        assert "no-store" in response["Cache-Control"]
    posted = tablet.post(reverse("clinic:patient_list"), {"q": "x"})
    assert (posted.status_code, posted["Location"]) == (302, SIGN)


def test_it_sends_htmx_partials_to_the_signing_page(tablet):
    response = tablet.get(reverse("clinic:patient_list"), headers={"HX-Request": "true"})
    assert (response.status_code, response["HX-Redirect"], response.content) == (200, SIGN, b"")


def test_it_shows_only_what_the_patient_needs(tablet, personas, course, text):
    response = tablet.get(SIGN)
    page = response.content.decode()
    assert (response.status_code, "no-store" in response["Cache-Control"]) == (200, True)
    assert (text.title in page, "Cheeks: needles 1 to 1.5 mm deep." in page, "Anna Alvarez" in page) == (
        True,
    ) * 3
    for staff_link in (reverse("clinic:dashboard"), reverse("clinic:patient_list"), "Sign out", "SECRET"):
        assert staff_link not in page
    assert 'name="password"' in page


def test_it_lets_the_patient_sign_on_the_tablet_and_asks_for_it_back(tablet, personas, course, text):
    response = sign(tablet, text)
    assert (response.status_code, response["Location"]) == (302, SIGN)
    consent = Consent.objects.get()
    assert (consent.channel, consent.witnessed_by, consent.course_id, consent.copy_intact) == (
        "tablet",
        personas.front_desk,
        course.pk,
        True,
    )
    page = tablet.get(SIGN).content.decode()
    assert ("Please hand the tablet back" in page, 'name="typed_name"' in page) == (True, False)
    assert tablet.get(reverse("clinic:dashboard"))["Location"] == SIGN  # still locked after signing


def test_it_keeps_the_lock_on_a_wrong_password_and_lifts_it_on_the_right_one(tablet, personas, course):
    wrong = tablet.post(RETURN, {"password": "guess"})
    assert (wrong.status_code, "4 tries left" in wrong.content.decode()) == (403, True)
    assert tablet.get(reverse("clinic:dashboard"))["Location"] == SIGN
    right = tablet.post(RETURN, {"password": PASSWORD})
    assert (right.status_code, right["Location"]) == (
        302,
        reverse("clinic:patient_detail", args=[course.patient_id]),
    )
    assert tablet.get(reverse("clinic:dashboard")).status_code == 200
    assert tablet.get(SIGN).status_code == 404  # nothing to sign without a lock
    summaries = list(
        AuditEvent.objects.filter(actor=personas.front_desk, summary__contains="tablet").values_list(
            "summary", flat=True
        )
    )
    assert sorted(s.split(" ")[0] for s in summaries) == ["clinic", "clinic", "wrong"]


def test_it_ends_the_session_after_five_wrong_passwords(tablet, personas):
    for _ in range(4):
        assert tablet.post(RETURN, {"password": "guess"}).status_code == 403
    last = tablet.post(RETURN, {"password": "guess"})
    assert (last.status_code, last["Location"]) == (302, reverse("accounts:login"))
    after = tablet.get(reverse("clinic:dashboard"))
    assert (after.status_code, "/accounts/login/" in after["Location"]) == (302, True)
    assert tablet.post(RETURN, {"password": PASSWORD}).status_code == 302  # signed out: nothing to return
    assert AuditEvent.objects.filter(summary__contains="ended after too many wrong passwords").exists()


def test_it_takes_only_the_password_of_the_staff_member_who_handed_it_over(tablet, personas):
    personas.practitioner.set_password("another password entirely")
    personas.practitioner.save()
    response = tablet.post(RETURN, {"password": "another password entirely"})
    assert response.status_code == 403
    assert tablet.get(reverse("clinic:dashboard"))["Location"] == SIGN


def test_it_refuses_patients_the_hand_over_and_the_tablet_pages(client_for, personas, course, text):
    client = client_for(personas.patient_a)
    assert client.post(reverse("clinic:consent_tablet", args=[course.pk])).status_code == 404
    assert (client.get(SIGN).status_code, client.post(RETURN, {"password": "x"}).status_code) == (404, 404)
    assert client.get("/portal/").status_code == 200  # no lock was started


def test_it_writes_the_hand_over_to_the_audit_trail(tablet, personas, course):
    assert AuditEvent.objects.filter(
        actor=personas.front_desk,
        object_type="clinic.course",
        object_id=str(course.pk),
        summary__contains="handed",
    ).exists()


def test_it_ends_the_handed_over_session_with_the_staff_members_other_sessions(tablet, personas):
    """Handing over starts a new session key; ending the staff member's sessions (a role change,
    a reset second factor) still reaches the tablet."""
    from needlepoint.accounts.services.sessions import sessions_end

    assert sessions_end(user=personas.front_desk) == 1
    response = tablet.get(SIGN)
    assert (response.status_code, response["Location"].startswith("/accounts/login/")) == (302, True)
