"""The patient's check-in (aftercare services' `check_in_submit`, and the portal pages) refusing
what it cannot record: a day other than 1, 3 and 7, a warning sign it does not know, a score
that is not a whole number from 0 to 10 (nothing stored, no flag raised); the warning signs are
stored in the clinic's order whatever order they came in; a patient login without a record and
staff get 404 on the portal's check-in pages.

The clock is frozen (not ticking) at Monday 23 November 2026, 09:00 in London (GMT); the
session was signed the day before, so day 1 is due today."""

import pytest
import time_machine
from clinic_helpers import signed_session
from django.test import TestCase
from django.urls import reverse

from clock import FROZEN_NOW
from needlepoint.clinic.models import CheckIn, Flag
from needlepoint.clinic.services import ServiceError
from needlepoint.clinic.services import aftercare as services

CALM = {"redness": 3, "swelling": 3, "pain": 3, "warning_signs": [], "note": ""}


@pytest.fixture
def session(personas):
    """Anna's first session, attended and signed yesterday."""
    with time_machine.travel(FROZEN_NOW, tick=False):
        return signed_session(personas)


def submit(session, personas, **changes):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.check_in_submit(
            session=session, actor=personas.patient_a, **{"day": 1, **CALM, **changes}
        )


@pytest.mark.parametrize("day", [0, 2, 14])
def test_it_refuses_a_day_that_is_not_a_check_in_day(personas, session, day):
    with pytest.raises(ServiceError) as refused:
        submit(session, personas, day=day)
    assert (refused.value.field, refused.value.message) == (
        "day",
        "Check-ins are on days 1, 3 and 7 after a session.",
    )
    assert CheckIn.objects.count() == 0


def test_it_refuses_a_warning_sign_it_does_not_know_and_raises_no_flag(personas, session):
    with pytest.raises(ServiceError) as refused:
        submit(session, personas, warning_signs=["fever", "itchy elbow"])
    assert (refused.value.field, refused.value.message) == (
        "warning_signs",
        "Unknown warning sign(s): itchy elbow.",
    )
    assert (CheckIn.objects.count(), Flag.objects.count()) == (0, 0)


@pytest.mark.parametrize("score", [-1, 11, 2.5, True, "3"])
def test_it_refuses_a_score_that_is_not_a_whole_number_from_0_to_10(personas, session, score):
    with pytest.raises(ServiceError) as refused:
        submit(session, personas, pain=score)
    assert (refused.value.field, CheckIn.objects.count()) == ("pain", 0)


def test_it_stores_warning_signs_in_the_clinics_order_once_each(personas, session):
    from needlepoint.clinic.services.aftercare import WARNING_SIGNS

    given = [*reversed(WARNING_SIGNS[:3]), WARNING_SIGNS[0]]
    check_in = submit(session, personas, warning_signs=given)
    assert check_in.warning_signs == list(WARNING_SIGNS[:3])


def test_it_refuses_another_patients_check_in_in_the_service(personas, session):
    with pytest.raises(ServiceError) as refused:
        services.check_in_submit(session=session, actor=personas.patient_b, day=1, **CALM)
    assert (refused.value.field, CheckIn.objects.count()) == ("session", 0)


def test_it_gives_a_patient_login_without_a_record_404_on_the_check_in_pages(client_for, personas, session):
    from needlepoint.accounts.models import Role, User

    stray = User.objects.create_user(username="stray", password="correct horse battery", role=Role.PATIENT)
    client = client_for(stray)
    assert client.get(reverse("portal:checkin_list")).status_code == 404
    assert client.get(reverse("portal:checkin_new", args=[session.pk, 1])).status_code == 404


@pytest.mark.parametrize("who", ["front_desk", "practitioner", "director"])
def test_it_gives_staff_404_on_the_portals_check_in_list(client_for, personas, who):
    assert client_for(getattr(personas, who)).get(reverse("portal:checkin_list")).status_code == 404
