"""The patient record's forms refusing bad input with the message beside the field, answering
400 and saving nothing: registering without a last name or a date of birth, with a date of
birth that is not a date or a name too long; editing without the record's version (a form
from before versions) or with a blank last name, the record left as it was.

Time is frozen at Monday 23 November 2026, 09:00 in London (tests/clock.py)."""

import pytest
from django.urls import reverse

from needlepoint.audit.models import AuditEvent
from needlepoint.clinic.models import Patient

NEW = {"first_name": "Nora", "last_name": "New", "birth_date": "1991-04-03", "email": "", "phone": ""}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"last_name": ""}, "last_name", "Last name is required."),
        ({"last_name": "   "}, "last_name", "Last name is required."),
        ({"birth_date": ""}, "birth_date", "Date of birth is required."),
        ({"birth_date": "1991-02-30"}, "birth_date", "Date of birth: enter a real date."),
        (
            {"first_name": "N" * 101},
            "first_name",
            "Ensure this value has at most 100 characters (it has 101).",
        ),
    ],
)
def test_it_refuses_a_registration_with_the_message_and_saves_nothing(
    client_for, personas, changes, field, message
):
    before = (Patient.objects.count(), AuditEvent.objects.count())
    response = client_for(personas.front_desk).post(reverse("clinic:patient_create"), NEW | changes)
    assert (response.status_code, response.context["form"].errors) == (400, {field: [message]})
    assert (Patient.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"version": ""}, "version", "This field is required."),
        ({"version": "0"}, "version", "Ensure this value is greater than or equal to 1."),
        ({"last_name": ""}, "last_name", "Last name is required."),
    ],
)
def test_it_refuses_an_edit_with_the_message_and_keeps_the_record(
    client_for, personas, changes, field, message
):
    patient = personas.record_a
    data = {
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "birth_date": patient.birth_date.isoformat(),
        "email": patient.email,
        "phone": "07700 900999",
        "version": str(patient.version),
    } | changes
    response = client_for(personas.front_desk).post(reverse("clinic:patient_edit", args=[patient.pk]), data)
    kept = Patient.objects.get(pk=patient.pk)
    assert (response.status_code, response.context["form"].errors, response.context["stale"]) == (
        400,
        {field: [message]},
        False,
    )
    assert (kept.phone, kept.last_name, kept.version) == (patient.phone, patient.last_name, patient.version)
