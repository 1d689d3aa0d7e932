"""Outcome scores and completing a course (outcomes services) refusing what would make the
record wrong: scores filed under a session of another course or a cancelled one, an unknown
kind of outcome, scar counts not given per area, outcomes by the front desk, and completing a
course none of whose sessions took place (nothing saved, the course stays as it was).

The clock is frozen (not ticking) at Monday 23 November 2026, 09:00 in London (GMT); the
first session was attended and signed the day before."""

import datetime as dt

import pytest
import time_machine
from clinic_helpers import course_under_way

from clock import FROZEN_NOW
from needlepoint.clinic.models import Outcome, TreatmentSession
from needlepoint.clinic.services import ServiceError
from needlepoint.clinic.services import outcomes as services
from visit_helpers import book_visit

SCORES = {"goodman_baron_grade": 3, "scar_counts": None, "mmasi": None, "gais": None}


@pytest.fixture(autouse=True)
def still():
    with time_machine.travel(FROZEN_NOW, tick=False):
        yield


@pytest.fixture
def course(personas):
    return course_under_way(personas)


@pytest.fixture
def signed(personas, course):
    """Session 1, attended and signed yesterday."""
    by = personas.practitioner
    when = FROZEN_NOW - dt.timedelta(days=1)
    s = TreatmentSession.objects.create(course=course, patient=course.patient, number=1, practitioner=by)
    book_visit(s, when, status="attended", by=by)
    TreatmentSession.objects.filter(pk=s.pk).update(
        status="signed", signed_by=by, signed_at=when + dt.timedelta(hours=1)
    )
    s.refresh_from_db()
    return s


def record(course, session, actor, **changes):
    return services.outcome_record(
        course=course, session=session, actor=actor, **{"kind": "visit", **SCORES, **changes}
    )


def refusal(call):
    with pytest.raises(ServiceError) as refused:
        call()
    assert Outcome.objects.count() == 0
    return refused.value.field, refused.value.message


def test_it_records_a_visits_scores_for_a_signed_session(personas, course, signed):
    outcome = record(course, signed, personas.practitioner)
    assert (outcome.goodman_baron_grade, outcome.session, outcome.kind) == (3, signed, "visit")


def test_it_refuses_scores_under_a_session_of_another_course(personas, course, signed):
    other = course_under_way(personas)
    assert refusal(lambda: record(other, signed, personas.practitioner)) == (
        "session",
        "That session belongs to another course.",
    )


def test_it_refuses_scores_under_a_cancelled_session(personas, course, signed):
    cancelled = TreatmentSession.objects.create(
        course=course, patient=course.patient, number=2, status="cancelled"
    )
    assert refusal(lambda: record(course, cancelled, personas.practitioner)) == (
        "session",
        "That session was cancelled; choose the visit the scores were taken at.",
    )


def test_it_refuses_an_outcome_kind_it_does_not_know(personas, course, signed):
    assert refusal(lambda: record(course, signed, personas.practitioner, kind="halfway")) == (
        "kind",
        "Choose when the scores were taken: at a visit or after the course.",
    )


@pytest.mark.parametrize("counts", [{"cheeks": 4}, [("cheeks", {"boxcar": 2})]])
def test_it_refuses_scar_counts_not_given_per_area_and_type(personas, course, signed, counts):
    assert refusal(lambda: record(course, signed, personas.practitioner, scar_counts=counts)) == (
        "scar_counts",
        "Scar counts must be given per area and scar type.",
    )


def test_it_refuses_outcomes_by_the_front_desk(personas, course, signed):
    _field, message = refusal(lambda: record(course, signed, personas.front_desk))
    assert "Only the medical director or a practitioner can record outcomes" in message


def test_it_refuses_to_complete_a_course_none_of_whose_sessions_took_place(personas, course):
    TreatmentSession.objects.create(course=course, patient=course.patient, number=1, status="cancelled")
    with pytest.raises(ServiceError) as refused:
        services.course_complete(course=course, actor=personas.director)
    course.refresh_from_db()
    assert (refused.value.message, course.status, course.summary) == (
        "No session of this course was signed; cancel the course instead.",
        "active",
        None,
    )
