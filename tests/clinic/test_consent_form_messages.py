"""The consent signing page (the clinic's tablet) refusing a bad form with the message beside
the field at fault, answering 400 and storing no consent: no typed name, a missing or garbled
consent-text id, no drawing. After a refusal about the name the drawing is kept so it need not
be drawn again; after a refusal about the drawing it is cleared.

Time is frozen at Monday 23 November 2026, 09:00 in London (tests/clock.py)."""

import pytest
from clinic_helpers import SIGNATURE, make_course
from django.urls import reverse

from needlepoint.clinic.forms.consent import TEXT_MISSING
from needlepoint.clinic.models import Consent
from needlepoint.clinic.services.consent import ensure_default_consent_text


@pytest.fixture
def text(db):
    return ensure_default_consent_text()


@pytest.fixture
def course(personas):
    return make_course(personas)


def post_tablet(client_for, personas, course, **changes):
    data = {"consent_text": "", "typed_name": "Anna Alvarez", "signature_png": SIGNATURE} | changes
    client = client_for(personas.front_desk)
    client.post(reverse("clinic:consent_tablet", args=[course.pk]))  # hand the tablet over
    return client.post(reverse("clinic:tablet_sign"), data)


def test_it_asks_for_the_typed_name_and_keeps_the_drawing(client_for, personas, course, text):
    response = post_tablet(client_for, personas, course, consent_text=text.pk, typed_name="  ")
    context = response.context
    assert (response.status_code, context["form"].errors, context["signature_value"]) == (
        400,
        {"typed_name": ["Type the patient's full name."]},
        SIGNATURE,
    )
    assert ("Type the patient&#x27;s full name." in response.content.decode(), Consent.objects.exists()) == (
        True,
        False,
    )


@pytest.mark.parametrize("posted", ["", "abc"])
def test_it_asks_to_reload_when_the_text_id_is_missing_or_garbled(client_for, personas, course, text, posted):
    response = post_tablet(client_for, personas, course, consent_text=posted)
    assert (response.status_code, response.context["form"].errors, Consent.objects.exists()) == (
        400,
        {"consent_text": [TEXT_MISSING]},
        False,
    )
    assert "Reload the page and sign again." in response.content.decode()


def test_it_clears_the_drawing_when_the_drawing_is_what_was_refused(client_for, personas, course, text):
    response = post_tablet(client_for, personas, course, consent_text=text.pk, signature_png="hello")
    errors = response.context["form"].errors
    assert (response.status_code, list(errors), response.context["signature_value"]) == (
        400,
        ["signature_png"],
        "",
    )
    assert ("could not be read" in errors["signature_png"][0], Consent.objects.exists()) == (True, False)
