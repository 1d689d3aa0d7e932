"""The plumbing every clinic service shares (needlepoint.clinic.services): the role check's
refusals in words ("Only ... can ..."), validation turning Django's errors into a ServiceError
naming the field, the optimistic lock (StaleEdit, nothing saved), the HTTP status each error
type answers with, and the clinic's today, taken in the clinic's zone.

The clock is frozen (ticking) at Monday 23 November 2026, 09:00 in London (GMT); one test
travels to 23:30 UTC on 31 May 2026 (00:30 on 1 June in London, BST)."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from needlepoint.clinic import services
from needlepoint.clinic.models import Patient


@pytest.mark.parametrize(
    ("who", "kwargs", "message"),
    [
        ("patient_a", {}, "Only the clinic's staff can book a visit."),
        ("front_desk", {"clinical": True}, "Only the medical director or a practitioner can book a visit."),
        ("practitioner", {"director": True}, "Only the medical director can book a visit."),
        ("front_desk", {"director": True}, "Only the medical director can book a visit."),
    ],
)
def test_it_refuses_a_role_in_words_naming_who_may(personas, who, kwargs, message):
    with pytest.raises(services.ServiceError) as refused:
        services.require_role(getattr(personas, who), doing="book a visit", **kwargs)
    assert (refused.value.message, refused.value.http_status) == (message, 400)


@pytest.mark.parametrize(
    ("who", "kwargs"),
    [
        ("front_desk", {}),
        ("practitioner", {"clinical": True}),
        ("director", {"clinical": True}),
        ("director", {"director": True}),
    ],
)
def test_it_lets_the_roles_through_that_may(personas, who, kwargs):
    assert services.require_role(getattr(personas, who), doing="book a visit", **kwargs) is None


def test_it_names_the_field_at_fault_when_validation_refuses(personas):
    patient = Patient(first_name="", last_name="Cole", birth_date=dt.date(1990, 1, 1))
    with pytest.raises(services.ServiceError) as refused:
        services.validated(patient)
    assert (refused.value.field, refused.value.message) == ("first_name", "This field cannot be blank.")


def test_it_returns_a_valid_object_and_skips_the_fields_excluded(personas):
    patient = Patient(first_name="Cleo", last_name="", birth_date=dt.date(1990, 1, 1))
    assert services.validated(patient, exclude=["last_name"]) is patient


def test_it_saves_when_the_version_is_the_one_read_and_counts_it_up(personas):
    patient = personas.record_a
    services.bump_version(patient, expected=patient.version, phone="07700 900999")
    patient.refresh_from_db()
    assert (patient.phone, patient.version) == ("07700 900999", 2)


def test_it_refuses_a_stale_edit_with_409_and_saves_nothing(personas):
    patient = personas.record_a
    services.bump_version(Patient.objects.get(pk=patient.pk), expected=1, phone="07700 900111")
    with pytest.raises(services.StaleEdit) as refused:
        services.bump_version(patient, expected=1, phone="07700 900222")
    patient.refresh_from_db()
    assert (refused.value.http_status, refused.value.field, patient.phone) == (409, "version", "07700 900111")


def test_it_keeps_extra_detail_on_an_error_and_defaults_it_empty():
    plain = services.ServiceError("No.")
    detailed = services.ServiceError("No.", field="records", extra={"records": ["NP-000001"]})
    assert (plain.field, plain.extra, detailed.extra) == ("", {}, {"records": ["NP-000001"]})
    assert (str(plain), issubclass(services.Blocked, services.ServiceError)) == ("No.", True)


def test_it_takes_today_in_the_clinics_zone_whatever_zone_is_active():
    moment = dt.datetime(2026, 5, 31, 23, 30, tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=False), timezone.override("America/New_York"):
        assert services.clinic_today() == dt.date(2026, 6, 1)
