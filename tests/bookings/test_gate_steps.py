"""Every step of a course asks the one safety gate: approving, booking, moving, booking again,
the waiting list, charting and recording outcomes each refuse through it, with the gate's code
and words for whoever asks (the front desk never reads a finding's message).

Time is frozen on Wednesday 25 November 2026, 09:00 in London (GMT); the fixture course has 4
sessions 28-60 days apart, its first window from 9 December 2026."""

import datetime as dt
from typing import Any

import pytest
import time_machine
from booking_helpers import BLEEDING, DIABETES, ISOTRETINOIN, LONDON, NOW, local

from needlepoint.bookings.models import Appointment, AppointmentStatus
from needlepoint.bookings.services.book import course_book
from needlepoint.bookings.services.cancel import appointment_cancel
from needlepoint.bookings.services.move import session_move, session_move_options
from needlepoint.bookings.services.preferences import Preferences
from needlepoint.bookings.services.rebook import session_rebook_blockers, session_rebook_options
from needlepoint.bookings.services.search import course_booking_blockers, course_options
from needlepoint.bookings.services.waiting_list import BLOCKED, waiting_list_proposals
from needlepoint.clinic.models import Course, TreatmentSession
from needlepoint.clinic.services import Blocked, ServiceError
from needlepoint.clinic.services.charting import ChartData, chart_save
from needlepoint.clinic.services.course_approval import course_approve
from needlepoint.clinic.services.course_plan import course_propose
from needlepoint.clinic.services.gate import Code, Step, course_blockers, session_blockers, session_due
from needlepoint.clinic.services.outcomes import outcome_record
from needlepoint.clinic.services.rescreen import DayOfAnswers, session_rescreen
from needlepoint.clinic.services.screening import intake_record

BLEEDING_SAYS = "bleeding disorder"
REVIEW = "Needs clinical review — ask the practitioner."


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def rescreen(personas: Any, intake: dict[str, Any], **changes: Any) -> None:
    intake_record(patient=personas.record_a, data={**intake, **changes}, actor=personas.practitioner)


def booked(course: Course, actor: Any) -> list[Appointment]:
    found = course_options(course=course, actor=actor, preferences=Preferences())
    assert found.best is not None, found.why_not or found.blockers
    return course_book(course=course, actor=actor, token=found.best.token)


def test_it_refuses_approval_through_the_gate(personas, intake_a, clinic):
    intake_record(patient=personas.record_a, data={**intake_a, **DIABETES}, actor=personas.practitioner)
    course = course_propose(patient=personas.record_a, actor=personas.practitioner, start_date=NOW.date())
    with pytest.raises(Blocked, match="clearance is still needed") as refused:
        course_approve(course=course, actor=personas.director, expected_version=course.version)
    assert refused.value.extra["reasons"][0].startswith("A doctor's clearance is still needed (diabetes)")
    found = course_blockers(course, Step.APPROVE, day=NOW.date())
    assert [b.code for b in found] == [Code.CLEARANCE_PENDING]
    course.refresh_from_db()
    assert course.status == "draft" and not TreatmentSession.objects.filter(course=course).exists()


def test_it_refuses_booking_in_the_front_desks_words(bookable_course, personas, intake_a):
    token = course_options(
        course=bookable_course, actor=personas.front_desk, preferences=Preferences()
    ).best.token
    rescreen(personas, intake_a, **BLEEDING)
    with pytest.raises(Blocked) as refused:
        course_book(course=bookable_course, actor=personas.front_desk, token=token)
    assert refused.value.message == REVIEW
    assert refused.value.extra["codes"] == ["contraindicated"]
    assert BLEEDING_SAYS not in refused.value.message
    assert not Appointment.objects.filter(course=bookable_course).exists()
    found = course_options(course=bookable_course, actor=personas.practitioner, preferences=Preferences())
    assert BLEEDING_SAYS in found.blockers[0]


def test_it_refuses_a_move_before_a_deferral_ends(bookable_course, personas, intake_a):
    first = booked(bookable_course, personas.front_desk)[0]
    new_start = first.starts_at + dt.timedelta(days=1)
    preview = session_move_options(appointment=first, actor=personas.front_desk, new_start=new_start)
    assert preview.ok
    rescreen(personas, intake_a, **ISOTRETINOIN)  # stopped 1 Sep 2026: wait until 1 March 2027
    refused = session_move_options(appointment=first, actor=personas.front_desk, new_start=new_start)
    assert not refused.ok and refused.why_not == ("Not before 1 March 2027.",)
    with pytest.raises(Blocked, match="Not before 1 March 2027") as blocked:
        session_move(
            appointment=first, actor=personas.front_desk, token=preview.token, expected_version=first.version
        )
    assert blocked.value.extra["codes"] == ["deferred_until"]
    first.refresh_from_db()
    assert first.starts_at != new_start
    clinical = session_move_options(appointment=first, actor=personas.practitioner, new_start=new_start)
    assert clinical.why_not[0].startswith("Treatment has to wait: session 1 cannot be before 1 March 2027.")
    assert "isotretinoin" in clinical.why_not[0].lower()


def test_it_refuses_a_move_for_a_patient_now_ruled_out(bookable_course, personas, intake_a):
    first = booked(bookable_course, personas.front_desk)[0]
    rescreen(personas, intake_a, **BLEEDING)
    refused = session_move_options(
        appointment=first, actor=personas.front_desk, new_start=first.starts_at + dt.timedelta(days=1)
    )
    assert refused.why_not == (REVIEW,)


def test_it_refuses_booking_again_through_the_gate(bookable_course, personas, intake_a):
    appointments = booked(bookable_course, personas.front_desk)
    last = appointments[-1]
    appointment_cancel(
        appointment=last, actor=personas.front_desk, reason="Patient asked", expected_version=last.version
    )
    rescreen(personas, intake_a, **DIABETES)
    refused = session_rebook_options(
        course=bookable_course, session=last.session, actor=personas.front_desk, new_start=last.starts_at
    )
    assert refused.why_not == (
        "Waiting for a doctor's clearance: needs clinical review — ask the practitioner.",
    )
    assert [b.code for b in session_rebook_blockers(bookable_course)] == [Code.CLEARANCE_PENDING]


def test_it_lists_a_blocked_course_on_the_waiting_list_in_the_front_desks_words(
    bookable_course, personas, intake_a
):
    rescreen(personas, intake_a, **BLEEDING)
    plan = waiting_list_proposals(actor=personas.front_desk)
    (course,) = plan.courses
    assert (course.state, course.reasons) == (BLOCKED, (REVIEW,))


def test_it_refuses_to_chart_a_session_before_its_day(bookable_course, personas):
    first = booked(bookable_course, personas.front_desk)[0]
    session = TreatmentSession.objects.get(pk=first.session_id)
    assert session_due(session) == first.starts_at.astimezone(LONDON).date()
    with pytest.raises(Blocked, match=r"Session 1 is booked for .*: it cannot be charted before") as refused:
        session_rescreen(session=session, answers=DayOfAnswers(), actor=personas.practitioner)
    assert refused.value.extra["codes"] == ["not_yet_due"]
    with pytest.raises(Blocked, match=r"Session 1 is booked for .*: it cannot be charted before") as refused:
        chart_save(
            session=session,
            actor=personas.practitioner,
            expected_version=session.version,
            data=ChartData(notes="started early"),
        )
    assert refused.value.extra["codes"] == ["not_yet_due"]
    session.refresh_from_db()
    assert session.notes == "" and session.status == "planned"


def test_it_refuses_to_chart_a_session_the_day_of_screening_rules_out(bookable_course, personas):
    first = booked(bookable_course, personas.front_desk)[0]
    session = TreatmentSession.objects.get(pk=first.session_id)
    with time_machine.travel(first.starts_at - dt.timedelta(hours=1), tick=False):
        session_rescreen(
            session=session, answers=DayOfAnswers(pregnancy="pregnant"), actor=personas.practitioner
        )
        session.refresh_from_db()
        with pytest.raises(Blocked, match=r"Today's re-screen blocks this session\. Treatment has to wait"):
            chart_save(
                session=session,
                actor=personas.practitioner,
                expected_version=session.version,
                data=ChartData(notes="treated"),
            )
    session.refresh_from_db()
    assert session.status == "blocked" and session.notes == ""


def test_it_refuses_outcomes_for_a_visit_that_has_not_happened(bookable_course, personas):
    first = booked(bookable_course, personas.front_desk)[0]
    session = TreatmentSession.objects.get(pk=first.session_id)
    with pytest.raises(Blocked, match="cannot be given outcomes before that day") as refused:
        outcome_record(
            course=bookable_course,
            session=session,
            kind="visit",
            goodman_baron_grade=2,
            scar_counts=None,
            mmasi=None,
            gais=None,
            actor=personas.practitioner,
        )
    assert refused.value.extra["codes"] == ["not_yet_due"]
    # On the day the gate lets it through; the visit must still have taken place (its chart
    # signed), which tests/clinic/test_aftercare.py follows to the recorded outcome.
    with time_machine.travel(first.starts_at + dt.timedelta(hours=2), tick=False):
        assert session_blockers(session, Step.OUTCOME) == []
        with pytest.raises(ServiceError, match="has not taken place yet"):
            outcome_record(
                course=bookable_course,
                session=session,
                kind="visit",
                goodman_baron_grade=2,
                scar_counts=None,
                mmasi=None,
                gais=None,
                actor=personas.practitioner,
            )


def test_it_books_when_the_gate_lets_it(bookable_course, personas):
    assert course_booking_blockers(bookable_course) == []
    appointments = booked(bookable_course, personas.front_desk)
    assert len(appointments) == 4 and all(a.status == AppointmentStatus.BOOKED for a in appointments)
    assert local(2026, 12, 9).date() <= appointments[0].starts_at.date()
