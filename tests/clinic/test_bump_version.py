"""The optimistic lock every clinic service shares (`needlepoint.clinic.services.bump_version`:
a stale edit is refused with 409 and saves nothing) and the error type's fields.

The clock is frozen (ticking) at Monday 23 November 2026, 09:00 in London (GMT)."""

import pytest

from needlepoint.clinic import services
from needlepoint.clinic.models import Patient


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
