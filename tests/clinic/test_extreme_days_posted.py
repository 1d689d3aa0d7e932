"""Days at the edges of the calendar typed into the forms that are posted: the public inquiry
(a visitor's date of birth and the dates of recent events), registering a patient and the
consultation's intake. Each answers with its page and a message, never a server error, and
stores nothing; a real answer is still taken.

Personas: an anonymous visitor (the inquiry), front desk (registers), practitioner (intake).
The clock is frozen as always (Monday 23 November 2026, 09:00 London)."""

import pytest
from django.urls import reverse
from inquiry_helpers import CONTACT, HEALTHY, fresh_rate_limit  # noqa: F401  (a fixture)
from test_intake_editor_rows import editor_post

from needlepoint.clinic.models import Inquiry, Intake, Patient

EDGES = ["0001-01-01", "9999-12-31"]


@pytest.mark.parametrize("day", EDGES)
@pytest.mark.parametrize(
    "changes",
    [
        lambda day: {"birth_date": day},
        lambda day: {"sunburn": "recent", "sunburn_date": day},
        lambda day: {"peel_date": day},
    ],
    ids=["birth", "sunburn", "peel"],
)
def test_the_inquiry_answers_a_day_at_the_edge_with_a_message(client, db, day, changes):
    response = client.post(reverse("clinic:inquiry"), {**HEALTHY, **CONTACT, **changes(day)})
    assert response.status_code == 400
    assert Inquiry.objects.count() == 0


def test_the_inquiry_still_takes_real_answers(client, db):
    response = client.post(reverse("clinic:inquiry"), {**HEALTHY, **CONTACT, "peel_date": "2019-06-01"})
    assert (response.status_code, Inquiry.objects.count()) == (302, 1)


@pytest.mark.parametrize("day", EDGES)
def test_registering_a_patient_answers_a_birth_date_at_the_edge_with_a_message(client_for, personas, day):
    post = {"first_name": "Vera", "last_name": "Visitor", "birth_date": day, "email": "", "phone": ""}
    response = client_for(personas.front_desk).post(reverse("clinic:patient_create"), post)
    assert (response.status_code, Patient.objects.count()) == (400, 2)


@pytest.mark.parametrize("day", EDGES)
@pytest.mark.parametrize(
    "rows",
    [
        lambda day: {"conditions": [{"code": "tattoo", "status": "active", "date": day}]},
        lambda day: {"procedures": [{"code": "chemical_peel", "date": day}]},
    ],
    ids=["condition", "procedure"],
)
def test_the_intake_editor_answers_a_day_at_the_edge_with_a_message(client_for, personas, day, rows):
    url = reverse("clinic:consultation_intake", args=[personas.record_a.pk])
    response = client_for(personas.practitioner).post(url, editor_post(**rows(day)))
    assert (
        response.status_code,
        "from 1 January 1800 to 31 December 2200 only" in response.content.decode(),
    ) == (
        400,
        True,
    )
    assert not Intake.objects.exists()


def test_the_intake_editor_still_refuses_a_patient(client_for, personas):
    url = reverse("clinic:consultation_intake", args=[personas.record_a.pk])
    assert client_for(personas.patient_a).post(url, editor_post()).status_code == 404
