"""The public "Is microneedling for me?" page refusing bad answers and bad contact details with
the exact message the visitor reads next to the question, answering 400 and storing nothing:
missing answers, dates in the future or before birth, too many medicines or allergies, a
medicine list without commas, a missing last name, email or a phone with letters.

Time is frozen at Monday 23 November 2026, 09:00 in London (tests/clock.py); every date here is
derived from that day."""

import datetime as dt

import pytest
from inquiry_helpers import CONTACT, fresh_rate_limit  # noqa: F401 (an autouse fixture)
from inquiry_helpers import HEALTHY as SHARED_HEALTHY

from clock import FROZEN_TODAY
from needlepoint.audit.models import AuditEvent
from needlepoint.clinic.models import Inquiry

URL = "/inquiry/"
BORN = dt.date(1990, 5, 14)
YESTERDAY = FROZEN_TODAY - dt.timedelta(days=1)
TOMORROW = FROZEN_TODAY + dt.timedelta(days=1)

HEALTHY = {k: v for k, v in SHARED_HEALTHY.items() if k != "fitzpatrick"} | {
    "birth_date": BORN.isoformat(),
    "areas": ["cheeks"],
}


def refused(client, data, form="form"):
    """Post the page; return its status, the errors of `form` and whether anything was stored."""
    response = client.post(URL, data)
    stored = Inquiry.objects.exists() or AuditEvent.objects.exists()
    return response.status_code, response.context[form].errors, stored


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"birth_date": ""}, "birth_date", "Tell us your date of birth."),
        ({"birth_date": "1899-01-01"}, "birth_date", "Check the year of your date of birth."),
        ({"pregnancy": ""}, "pregnancy", "Choose one answer."),
        ({"sunburn": ""}, "sunburn", "Choose one answer."),
        ({"isotretinoin": ""}, "isotretinoin", "Choose one answer."),
        ({"areas": []}, "areas", "Choose at least one area."),
        ({"sunburn": "recent"}, "sunburn_date", "Give the date of the sunburn."),
        (
            {"sunburn": "recent", "sunburn_date": TOMORROW.isoformat()},
            "sunburn_date",
            "This date cannot be in the future.",
        ),
        ({"sunburn": "recent", "sunburn_date": "31/31/2026"}, "sunburn_date", "Enter a real date."),
        (
            {"peel_date": (BORN - dt.timedelta(days=1)).isoformat()},
            "peel_date",
            "This date is before your date of birth.",
        ),
        (
            {"isotretinoin": "stopped", "isotretinoin_last_dose": TOMORROW.isoformat()},
            "isotretinoin_last_dose",
            "This date cannot be in the future.",
        ),
        (
            {"medicines": ", ".join(f"medicine {n}" for n in range(21))},
            "medicines",
            "List at most 20 medicines; the clinic will ask about the rest.",
        ),
        ({"medicines": "warfarin aspirin " * 7}, "medicines", "Separate the medicines with commas."),
        (
            {"other_allergies": ", ".join(f"allergen {n}" for n in range(11))},
            "other_allergies",
            "List at most 10 allergies.",
        ),
    ],
)
def test_it_refuses_a_bad_answer_with_its_message_and_stores_nothing(client, db, changes, field, message):
    assert refused(client, HEALTHY | changes) == (400, {field: [message]}, False)


def test_it_accepts_twenty_medicines_and_ten_allergies_the_limits_themselves(client, db):
    data = HEALTHY | {
        "medicines": ", ".join(f"medicine {n}" for n in range(20)),
        "other_allergies": ", ".join(f"allergen {n}" for n in range(10)),
        "sunburn": "recent",
        "sunburn_date": YESTERDAY.isoformat(),
    }
    response = client.post(URL, data)
    assert (response.status_code, response.context["form"].errors) == (200, {})


def test_it_counts_a_repeated_medicine_once_against_the_limit(client, db):
    twice = ", ".join(f"medicine {n}" for n in range(20))
    response = client.post(URL, HEALTHY | {"medicines": f"{twice}; {twice}"})
    medicines = [m["name"] for m in response.context["form"].intake()["medications"]]
    assert (response.status_code, len(medicines)) == (200, 20)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"contact-last_name": ""}, "last_name", "Tell us your last name."),
        ({"contact-email": ""}, "email", "Tell us your email, so the clinic can reply."),
        ({"contact-phone": "call me maybe"}, "phone", "Use digits, spaces and + ( ) - only."),
    ],
)
def test_it_refuses_bad_contact_details_with_their_message_and_stores_nothing(
    client, db, changes, field, message
):
    status, errors, stored = refused(client, HEALTHY | CONTACT | changes, form="contact")
    assert (status, errors, stored) == (400, {field: [message]}, False)


def test_it_shows_the_contact_message_on_the_page(client, db):
    page = client.post(URL, HEALTHY | CONTACT | {"contact-email": ""}).content.decode()
    assert "Tell us your email, so the clinic can reply." in page
