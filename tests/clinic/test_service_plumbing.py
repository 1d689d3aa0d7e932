"""The plumbing every clinic service shares (`needlepoint.clinic.services`): validation into a
ServiceError naming the field, the role check and the clinic's today."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import override_settings

from needlepoint.clinic.models import Patient
from needlepoint.clinic.services import ServiceError, clinic_today, require_role, validated

pytestmark = pytest.mark.django_db


def nameless(**fields):
    return Patient(first_name="", last_name="Alvarez", birth_date=dt.date(1990, 5, 17), **fields)


def test_it_returns_a_valid_record_unchanged():
    patient = Patient(first_name="Anna", last_name="Alvarez", birth_date=dt.date(1990, 5, 17))
    assert validated(patient) is patient


def test_it_names_the_first_field_at_fault_with_djangos_message():
    with pytest.raises(ServiceError) as exc:
        validated(nameless())
    assert (exc.value.field, exc.value.message) == ("first_name", "This field cannot be blank.")


def test_labelled_puts_the_fields_label_before_its_first_message():
    with pytest.raises(ServiceError) as exc:
        validated(nameless(email="not an email"), exclude=["first_name"], labelled=True)
    assert (exc.value.field, exc.value.message) == ("email", "Email: Enter a valid email address.")


def test_it_leaves_out_the_excluded_fields():
    assert validated(nameless(), exclude=["first_name"]).last_name == "Alvarez"


@pytest.mark.parametrize(("labelled", "message"), [(False, "Too old. Check the year."), (True, "Too old.")])
def test_a_fault_of_the_whole_record_names_no_field(labelled, message):
    patient = Patient(first_name="Anna", last_name="Alvarez", birth_date=dt.date(1990, 5, 17))

    def clean():
        raise ValidationError(["Too old.", "Check the year."])

    patient.clean = clean
    with pytest.raises(ServiceError) as exc:
        validated(patient, labelled=labelled)
    assert (exc.value.field, exc.value.message) == ("", message)


@pytest.mark.parametrize(
    ("who", "rule", "refusal"),
    [
        (
            "front_desk",
            {"clinical": True},
            "Only the medical director or a practitioner can chart a session.",
        ),
        ("practitioner", {"director": True}, "Only the medical director can chart a session."),
        ("patient_a", {}, "Only the clinic's staff can chart a session."),
        ("patient_a", {"clinical": True}, "Only the medical director or a practitioner can chart a session."),
    ],
)
def test_require_role_refuses_in_words(personas, who, rule, refusal):
    with pytest.raises(ServiceError) as exc:
        require_role(getattr(personas, who), doing="chart a session", **rule)
    assert exc.value.message == refusal


@pytest.mark.parametrize(
    ("who", "rule"),
    [("front_desk", {}), ("practitioner", {"clinical": True}), ("director", {"director": True})],
)
def test_require_role_lets_the_role_through(personas, who, rule):
    require_role(getattr(personas, who), doing="chart a session", **rule)


@override_settings(TIME_ZONE="Pacific/Auckland")
def test_clinic_today_is_the_day_in_the_clinics_zone():
    with time_machine.travel(dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC), tick=False):
        assert clinic_today() == dt.date(2026, 12, 2)  # already tomorrow in Auckland
