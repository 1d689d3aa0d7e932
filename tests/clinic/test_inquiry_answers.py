"""The public "Is microneedling for me?" page, the answers a visitor can get wrong and how the
rest are stored: an implausible birth year, too many medicines or allergies, a medicine list
without commas, a treatment dated before the visitor was born, a bad phone number (each refused
naming the question, nothing stored); sunburn now, isotretinoin now, a laser's kind and other
allergies as the stored intake records them. Also the front desk's inquiry pages refusing an
inquiry that does not exist, one registered already, and one contacted already.

The clock is frozen (ticking) at Monday 23 November 2026, 09:00 in London (GMT)."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from inquiry_helpers import CONTACT, HEALTHY, fresh_rate_limit  # noqa: F401 (an autouse fixture)

from needlepoint.clinic.models import Inquiry, Patient
from needlepoint.clinic.services import inquiries as services


def ask(client, **changes):
    return client.post(reverse("clinic:inquiry"), {**HEALTHY, **changes})


def store(client, **changes):
    """Send the answers with the contact details and consent; return the stored intake."""
    response = client.post(reverse("clinic:inquiry"), {**HEALTHY, **CONTACT, **changes})
    assert response.status_code == 302, response.content.decode()[:2000]
    return Inquiry.objects.get().answers


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"birth_date": "1899-12-31"}, "Check the year of your date of birth."),
        ({"medicines": ", ".join(f"medicine {n}" for n in range(21))}, "List at most 20 medicines"),
        ({"medicines": "aspirin ibuprofen " + "paracetamol " * 8}, "Separate the medicines with commas."),
        ({"other_allergies": ", ".join(f"pollen {n}" for n in range(11))}, "List at most 10 allergies."),
        ({"peel_date": "1989-06-01"}, "This date is before your date of birth."),
        ({"sunburn": "recent"}, "Give the date of the sunburn."),
    ],
)
def test_it_refuses_an_answer_it_cannot_use_in_plain_words(client, db, changes, message):
    response = ask(client, **changes)
    assert (response.status_code, message in response.content.decode()) == (400, True)
    assert Inquiry.objects.count() == 0


def test_it_refuses_a_phone_number_with_letters_and_stores_nothing(client, db):
    response = client.post(
        reverse("clinic:inquiry"), {**HEALTHY, **CONTACT, "contact-phone": "call me maybe"}
    )
    page = response.content.decode()
    assert (response.status_code, "Use digits, spaces and + ( ) - only." in page) == (400, True)
    assert Inquiry.objects.count() == 0


def test_it_stores_sunburn_now_as_an_active_condition(client, db):
    assert store(client, sunburn="now")["conditions"] == [{"code": "sunburn", "status": "active"}]


def test_it_stores_a_recent_sunburn_with_its_day(client, db):
    answers = store(client, sunburn="recent", sunburn_date="2026-11-18")
    assert answers["conditions"] == [{"code": "sunburn", "status": "history", "date": "2026-11-18"}]


def test_it_stores_isotretinoin_taken_now_once_even_when_also_listed(client, db):
    alone = store(client, isotretinoin="now")["medications"]
    Inquiry.objects.all().delete()
    listed = store(client, isotretinoin="now", medicines="Isotretinoin, doxycycline")["medications"]
    assert alone == [{"name": "isotretinoin", "status": "current"}]
    assert listed == [
        {"name": "Isotretinoin", "status": "current"},
        {"name": "doxycycline", "status": "current"},
    ]


def test_it_stores_a_lasers_kind_and_a_peels_depth_with_their_days(client, db):
    answers = store(
        client,
        laser_date="2026-06-01",
        laser_kind="non_ablative",
        peel_date="2026-05-02",
        peel_depth="medium",
    )
    assert answers["procedures"] == [
        {"code": "chemical_peel", "date": "2026-05-02", "depth": "medium"},
        {"code": "laser", "date": "2026-06-01", "kind": "non_ablative"},
    ]


def test_it_stores_other_allergies_as_codes_once_each(client, db):
    answers = store(client, other_allergies="Latex; latex\nNickel plating, ,  ")
    assert answers["allergies"] == ["latex", "nickel_plating"]


def test_it_stores_a_flaring_skin_disease_as_active(client, db):
    answers = store(client, skin_diseases=["eczema"], skin_disease_flaring="yes")
    assert [c["status"] for c in answers["conditions"]] == ["active"]


@pytest.mark.parametrize(
    "name", ["clinic:inquiry_contacted", "clinic:inquiry_close", "clinic:inquiry_convert"]
)
def test_it_answers_404_for_an_inquiry_that_does_not_exist(client_for, personas, name):
    response = client_for(personas.front_desk).post(reverse(name, args=[424242]))
    assert response.status_code == 404


@pytest.fixture
def inquiry(db):
    answers = {
        "schema": "needlepoint.intake/1",
        "assessed_on": "2026-11-23",
        "patient": {"birth_date": "1990-05-14"},
        "goals": ["acne_scars"],
        "areas": ["cheeks"],
        "pregnancy": "no",
        "conditions": [],
        "medications": [],
        "procedures": [],
        "allergies": [],
    }
    return services.inquiry_create(
        first_name="Vera", last_name="Visitor", email="vera@example.org", answers=answers, consented=True
    )


def said(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_it_refuses_to_register_an_inquiry_twice(client_for, personas, inquiry):
    client = client_for(personas.front_desk)
    client.post(reverse("clinic:inquiry_convert", args=[inquiry.pk]))
    again = client.post(reverse("clinic:inquiry_convert", args=[inquiry.pk]))
    assert (again["Location"], said(again)[-1]) == (
        reverse("clinic:inquiry_queue"),
        "This inquiry is already registered as a patient.",
    )
    assert Patient.objects.filter(last_name="Visitor").count() == 1


def test_it_refuses_to_mark_an_inquiry_contacted_twice(client_for, personas, inquiry):
    client = client_for(personas.front_desk)
    client.post(reverse("clinic:inquiry_contacted", args=[inquiry.pk]))
    again = client.post(reverse("clinic:inquiry_contacted", args=[inquiry.pk]))
    inquiry.refresh_from_db()
    assert ("This inquiry is no longer new." in said(again), inquiry.status) == (True, "contacted")


def test_it_refuses_to_register_an_inquiry_without_a_usable_birth_date(personas, inquiry):
    Inquiry.objects.filter(pk=inquiry.pk).update(answers={"schema": "needlepoint.intake/1", "patient": {}})
    inquiry.refresh_from_db()
    with pytest.raises(services.ServiceError) as refused:
        services.inquiry_convert(inquiry=inquiry, actor=personas.front_desk)
    assert (refused.value.field, refused.value.message) == (
        "birth_date",
        "The inquiry has no usable date of birth.",
    )
    assert not Patient.objects.filter(last_name="Visitor").exists()
