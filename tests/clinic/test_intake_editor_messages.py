"""The consultation's intake editor refusing half-filled rows with the message shown beside the
row (a condition or procedure row with details but no condition or procedure chosen), answering
400 with "not saved" above the form and storing no intake; a row holding only its default
status counts as empty and does not block the save.

Time is frozen at Monday 23 November 2026, 09:00 in London (tests/clock.py); the intake is
assessed the day before."""

import datetime as dt

import pytest
from django.urls import reverse

from clock import FROZEN_TODAY
from needlepoint.clinic.models import Intake

ASSESSED = FROZEN_TODAY - dt.timedelta(days=1)
LAST_MONTH = (FROZEN_TODAY - dt.timedelta(days=30)).isoformat()
NOT_SAVED = "The intake was not saved: correct the fields marked below."


def editor_post(**rows):
    """An adult with acne scars on the cheeks, and the rows given per section."""
    post = {
        "assessed_on": ASSESSED.isoformat(),
        "goal": "acne_scars",
        "areas": ["cheeks"],
        "fitzpatrick": "3",
        "pregnancy": "no",
        "allergies": "",
    }
    for key in ("conditions", "medications", "procedures"):
        given = rows.get(key, [])
        post[f"{key}-TOTAL_FORMS"], post[f"{key}-INITIAL_FORMS"] = str(len(given)), "0"
        for i, row in enumerate(given):
            post |= {f"{key}-{i}-{name}": value for name, value in row.items()}
    return post


def post(client_for, personas, **rows):
    return client_for(personas.practitioner).post(
        reverse("clinic:consultation_intake", args=[personas.record_a.pk]), editor_post(**rows)
    )


@pytest.mark.parametrize(
    ("section", "row", "message"),
    [
        ("conditions", {"status": "active", "severity": "mild"}, "Choose the condition or clear the row."),
        ("conditions", {"status": "history", "date": LAST_MONTH}, "Choose the condition or clear the row."),
        ("procedures", {"date": LAST_MONTH}, "Choose the procedure or clear the row."),
        ("procedures", {"areas": "cheeks"}, "Choose the procedure or clear the row."),
    ],
)
def test_it_refuses_a_row_with_details_but_nothing_chosen(client_for, personas, section, row, message):
    response = post(client_for, personas, **{section: [row]})
    shown = response.context["rows"][section].forms[0].non_field_errors()
    assert (response.status_code, list(shown), response.context["error"]) == (400, [message], NOT_SAVED)
    assert (message in response.content.decode(), Intake.objects.exists()) == (True, False)


def test_it_refuses_a_condition_row_with_a_bad_date_beside_the_date_only(client_for, personas):
    response = post(client_for, personas, conditions=[{"code": "", "status": "active", "date": "32/13/2026"}])
    row = response.context["rows"]["conditions"].forms[0]
    assert (response.status_code, list(row.errors), row.non_field_errors()) == (400, ["date"], [])
    assert not Intake.objects.exists()


def test_it_saves_with_a_row_that_holds_only_its_default_status(client_for, personas):
    response = post(
        client_for,
        personas,
        conditions=[{"code": "", "status": "active"}],
        medications=[{"name": "", "status": "current"}],
    )
    data = Intake.objects.get(patient=personas.record_a).data
    assert (response.status_code, data["conditions"], data["medications"]) == (302, [], [])
