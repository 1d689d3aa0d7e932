"""The outcome page (a visit's or the course's scores) refusing what is not a number with the
message beside the score, answering 400 and storing nothing (infinity and not-a-number too,
which a float field would otherwise read), listing only the sessions that took place, and
offering the scar grid for the whole face when the course names no area.

Time is frozen at Monday 23 November 2026, 09:00 in London (tests/clock.py); session 1 was
attended the day before and its chart signed."""

import datetime as dt

import pytest
from clinic_helpers import make_course, signed_session
from django.urls import reverse

from clock import FROZEN_NOW
from needlepoint.clinic.models import Outcome, TreatmentSession
from visit_helpers import book_visit

EMPTY = {"kind": "visit", "session": "", "goodman_baron_grade": "", "mmasi": "", "gais": ""}


def outcome_url(course):
    return reverse("clinic:outcome_new", args=[course.pk])


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"mmasi": "inf"}, "mmasi", "Enter a number."),
        ({"mmasi": "nan"}, "mmasi", "Enter a number."),
        ({"mmasi": "1e999"}, "mmasi", "Enter a number."),
        ({"mmasi": "three"}, "mmasi", "Enter a number."),
        ({"goodman_baron_grade": "2.5"}, "goodman_baron_grade", "Enter a whole number."),
        ({"gais": "x"}, "gais", "Enter a whole number."),
    ],
)
def test_it_refuses_a_score_that_is_not_a_number_and_stores_nothing(
    client_for, personas, data, field, message
):
    session = signed_session(personas)
    response = client_for(personas.practitioner).post(
        outcome_url(session.course), EMPTY | {"session": str(session.pk)} | data
    )
    assert (response.status_code, response.context["form"].errors, Outcome.objects.exists()) == (
        400,
        {field: [message]},
        False,
    )


def test_it_lists_only_the_sessions_that_took_place(client_for, personas):
    session = signed_session(personas)
    ahead = TreatmentSession.objects.create(
        course=session.course, patient=session.patient, number=2, practitioner=personas.practitioner
    )
    book_visit(ahead, FROZEN_NOW + dt.timedelta(days=28), by=personas.practitioner)
    response = client_for(personas.practitioner).get(outcome_url(session.course))
    choices = list(response.context["form"].fields["session"].choices)
    assert choices == [("", "None (scores after the course)"), (session.pk, "Session 1 · 22 November 2026")]


def test_it_refuses_scores_filed_under_a_session_still_ahead(client_for, personas):
    session = signed_session(personas)
    ahead = TreatmentSession.objects.create(
        course=session.course, patient=session.patient, number=2, practitioner=personas.practitioner
    )
    book_visit(ahead, FROZEN_NOW + dt.timedelta(days=28), by=personas.practitioner)
    response = client_for(personas.practitioner).post(
        outcome_url(session.course), EMPTY | {"session": str(ahead.pk), "gais": "2"}
    )
    assert (response.status_code, response.context["form"].errors, Outcome.objects.exists()) == (
        400,
        {"session": ["Choose a session that has taken place (its chart is signed)."]},
        False,
    )


def test_it_offers_the_whole_face_when_the_course_names_no_area(client_for, personas):
    course = make_course(personas, status="active", plan={"areas": [], "care": []})
    response = client_for(personas.practitioner).get(outcome_url(course))
    page = response.content.decode()
    assert (response.context["grid"].areas, "scar-face-boxcar" in page, "scar-cheeks-boxcar" in page) == (
        ["face"],
        True,
        False,
    )
