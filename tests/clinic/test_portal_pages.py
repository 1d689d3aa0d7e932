"""The patient portal as patient A and patient B side by side: each home page lists the
patient's own courses, sessions and check-in links and nothing of the other's; a consent or
check-in page of the other patient's course or session is 404, exactly like one that does not
exist; each check-in list holds only the patient's own signed sessions.

The clock is frozen (not ticking) at Monday 23 November 2026, 09:00 in London (GMT); Anna's
first session was attended and signed the day before."""

import datetime as dt

import pytest
import time_machine
from clinic_helpers import course_under_way
from django.urls import reverse

from clock import FROZEN_NOW
from needlepoint.clinic.models import TreatmentSession
from visit_helpers import book_visit


@pytest.fixture(autouse=True)
def still():
    with time_machine.travel(FROZEN_NOW, tick=False):
        yield


@pytest.fixture
def two(personas):
    """Anna's acne-scar course with a session signed yesterday; Ben's stretch-mark course."""
    anna = course_under_way(personas, personas.record_a)
    ben = course_under_way(personas, personas.record_b, goal="striae")
    by, when = personas.practitioner, FROZEN_NOW - dt.timedelta(days=1)
    session = TreatmentSession.objects.create(course=anna, patient=anna.patient, number=1, practitioner=by)
    book_visit(session, when, status="attended", by=by)
    TreatmentSession.objects.filter(pk=session.pk).update(
        status="signed", signed_by=by, signed_at=when + dt.timedelta(hours=1)
    )
    return {"anna": anna, "ben": ben, "session": session}


def test_it_lists_on_each_home_page_only_the_patients_own_courses(client_for, personas, two):
    anna = client_for(personas.patient_a).get(reverse("portal:home"))
    ben = client_for(personas.patient_b).get(reverse("portal:home"))
    assert [r.course for r in anna.context["rows"]] == [two["anna"]]
    assert [r.course for r in ben.context["rows"]] == [two["ben"]]
    a_sign = reverse("portal:consent_sign", args=[two["anna"].pk])
    b_sign = reverse("portal:consent_sign", args=[two["ben"].pk])
    anna_page, ben_page = anna.content.decode(), ben.content.decode()
    assert (a_sign in anna_page, b_sign in anna_page) == (True, False)
    assert (b_sign in ben_page, a_sign in ben_page) == (True, False)


def test_it_links_the_check_ins_of_a_signed_session_for_its_patient_only(client_for, personas, two):
    day1 = reverse("portal:checkin_new", args=[two["session"].pk, 1])
    anna = client_for(personas.patient_a).get(reverse("portal:home")).content.decode()
    ben = client_for(personas.patient_b).get(reverse("portal:home")).content.decode()
    assert (day1 in anna, day1 in ben) == (True, False)


def test_it_answers_the_other_patients_consent_page_as_if_it_did_not_exist(client_for, personas, two):
    ben = client_for(personas.patient_b)
    theirs = ben.get(reverse("portal:consent_sign", args=[two["anna"].pk]))
    missing = ben.get(reverse("portal:consent_sign", args=[987654]))
    own = ben.get(reverse("portal:consent_sign", args=[two["ben"].pk]))
    assert (theirs.status_code, missing.status_code, own.status_code) == (404, 404, 200)
    page = theirs.content.decode()
    assert ("<title>Not found" in page, "Anna" in page, "Alvarez" in page) == (True, False, False)


def test_it_refuses_the_other_patients_signature_and_stores_nothing(client_for, personas, two):
    from needlepoint.clinic.models import Consent

    response = client_for(personas.patient_b).post(
        reverse("portal:consent_sign", args=[two["anna"].pk]),
        {"consent_text": "1", "typed_name": "Anna Alvarez", "signature_png": ""},
    )
    assert (response.status_code, Consent.objects.count()) == (404, 0)


@pytest.mark.parametrize("day", [1, 3, 7])
def test_it_answers_the_other_patients_check_in_as_if_it_did_not_exist(client_for, personas, two, day):
    response = client_for(personas.patient_b).get(
        reverse("portal:checkin_new", args=[two["session"].pk, day])
    )
    assert response.status_code == 404


def test_it_lists_only_the_patients_own_signed_sessions_for_check_ins(client_for, personas, two):
    anna = client_for(personas.patient_a).get(reverse("portal:checkin_list")).context["schedule"]
    ben = client_for(personas.patient_b).get(reverse("portal:checkin_list")).context["schedule"]
    assert ([row.session for row in anna], list(ben)) == ([two["session"]], [])
