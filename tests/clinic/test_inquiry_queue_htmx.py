"""The front desk's inquiry queue answering its row buttons: with htmx, only the inquiry's row
(its new state, a notice when it leaves the queue, or the refusal in the row, never a whole
page); without htmx, a redirect to the queue with the message; the buttons accept POST only.

Time is frozen at Monday 23 November 2026, 09:00 in London (tests/clock.py)."""

import pytest
from django.urls import reverse

from clock import FROZEN_TODAY
from needlepoint.audit.models import AuditEvent
from needlepoint.clinic.models import Inquiry, InquiryStatus
from needlepoint.clinic.services.inquiries import inquiry_close, inquiry_create

HTMX = {"HX-Request": "true"}


@pytest.fixture
def inquiry(db):
    answers = {
        "schema": "needlepoint.intake/1",
        "assessed_on": FROZEN_TODAY.isoformat(),
        "patient": {"birth_date": "1990-05-14"},
        "goals": ["acne_scars"],
        "areas": ["cheeks"],
        "pregnancy": "no",
        "conditions": [],
        "medications": [],
        "procedures": [],
        "allergies": [],
    }
    return inquiry_create(
        first_name="Vera",
        last_name="Visitor",
        email="vera@example.org",
        phone="0207 946 0000",
        answers=answers,
        consented=True,
    )


def status_of(inquiry):
    return Inquiry.objects.get(pk=inquiry.pk).status


def test_it_answers_a_close_with_htmx_with_a_one_line_notice_in_place_of_the_row(
    client_for, personas, inquiry
):
    response = client_for(personas.front_desk).post(
        reverse("clinic:inquiry_close", args=[inquiry.pk]), headers=HTMX
    )
    page = response.content.decode().strip()
    assert (response.status_code, status_of(inquiry)) == (200, InquiryStatus.CLOSED)
    assert page == (
        f'<tr id="inquiry-{inquiry.pk}"><td colspan="6">'
        '<span role="status">Vera Visitor&#x27;s inquiry is closed.</span></td></tr>'
    )


def test_it_shows_a_refusal_inside_the_row_with_htmx(client_for, personas, inquiry):
    inquiry_close(inquiry=inquiry, actor=personas.front_desk)
    response = client_for(personas.front_desk).post(
        reverse("clinic:inquiry_contacted", args=[inquiry.pk]), headers=HTMX
    )
    page = response.content.decode()
    assert (
        response.status_code,
        page.strip().startswith(f'<tr id="inquiry-{inquiry.pk}"'),
        "<html" in page,
    ) == (
        200,
        True,
        False,
    )
    assert ('<span class="errorlist" role="alert">This inquiry is no longer new.</span>' in page) is True
    assert "marked as contacted" not in page
    assert status_of(inquiry) == InquiryStatus.CLOSED


def test_it_keeps_a_contacted_inquiry_in_the_queue_with_its_buttons(client_for, personas, inquiry):
    client = client_for(personas.front_desk)
    client.post(reverse("clinic:inquiry_contacted", args=[inquiry.pk]), headers=HTMX)
    again = client.post(reverse("clinic:inquiry_contacted", args=[inquiry.pk]), headers=HTMX)
    page = again.content.decode()
    assert ("This inquiry is no longer new." in page, "Mark contacted" in page, "Close" in page) == (
        True,
        False,
        True,
    )
    changes = AuditEvent.objects.filter(action="change", object_type="clinic.inquiry").count()
    assert (status_of(inquiry), changes) == (InquiryStatus.CONTACTED, 1)


def test_it_redirects_a_refusal_without_htmx_with_the_message(client_for, personas, inquiry):
    inquiry_close(inquiry=inquiry, actor=personas.front_desk)
    client = client_for(personas.front_desk)
    response = client.post(reverse("clinic:inquiry_contacted", args=[inquiry.pk]))
    queue = client.get(response["Location"]).content.decode()
    assert (response.status_code, response["Location"]) == (302, reverse("clinic:inquiry_queue"))
    assert "This inquiry is no longer new." in queue


@pytest.mark.parametrize("name", ["clinic:inquiry_contacted", "clinic:inquiry_close"])
def test_it_accepts_only_post_on_the_row_buttons(client_for, personas, inquiry, name):
    response = client_for(personas.front_desk).get(reverse(name, args=[inquiry.pk]))
    assert (response.status_code, response["Allow"], status_of(inquiry)) == (405, "POST", InquiryStatus.NEW)


def test_it_answers_404_for_an_inquiry_that_does_not_exist(client_for, personas, inquiry):
    response = client_for(personas.front_desk).post(
        reverse("clinic:inquiry_close", args=[inquiry.pk + 1000]), headers=HTMX
    )
    assert (response.status_code, status_of(inquiry)) == (404, InquiryStatus.NEW)
