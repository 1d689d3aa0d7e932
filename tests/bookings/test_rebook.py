"""Booking a new time for a session whose appointment was cancelled: the service (window, re-flow
of the later sessions, blockers, stale and raced confirmations, holds and reminders) and the
screens (who may open them, preview, confirm, 409, the link on the course's appointments).

Time is frozen on Wednesday 25 November 2026, 09:00 in London (GMT). The fixture course has 4
sessions 28-60 days apart, booked on Wed 9 Dec 2026, Wed 6 Jan, Wed 3 Feb and Wed 3 Mar 2027 at
09:00 with Paula (Monday to Friday 09-17); Maria treats on Tuesday, Thursday and Saturday
mornings and, with the fewer skills, is the one the core tries first. A visit is 30 minutes
numbing and 60 minutes treatment. British summer time starts on Sunday 28 March 2027."""

import datetime as dt
from typing import Any

import pytest
import time_machine
from booking_helpers import BLEEDING, DIABETES, ISOTRETINOIN, LONDON, NOW, local
from django.db.models import F
from django.urls import reverse

from needlepoint.audit.models import AuditEvent
from needlepoint.bookings.models import Appointment, AppointmentStatus, Hold, Reminder
from needlepoint.bookings.services import Blocked, BookingConflict, ServiceError, StaleEdit
from needlepoint.bookings.services.book import course_book
from needlepoint.bookings.services.cancel import appointment_cancel
from needlepoint.bookings.services.preferences import Preferences
from needlepoint.bookings.services.rebook import (
    session_rebook,
    session_rebook_blockers,
    session_rebook_options,
    session_rebook_window,
)
from needlepoint.bookings.services.reflow_preview import MovePreview
from needlepoint.bookings.services.search import ProposedSession, course_options
from needlepoint.clinic.models import Course, TreatmentSession

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def starts(sessions: Any) -> list[str]:
    return [s.starts_at.astimezone(LONDON).strftime("%Y-%m-%d %H:%M") for s in sessions]


def changes(preview: MovePreview) -> list[tuple[int, str]]:
    return [(s.number, "new" if s.new else "moves" if s.moves else "stays") for s in preview.sessions]


@pytest.fixture
def booked(bookable_course: Course, personas: Any) -> list[Appointment]:
    """Patient A's course booked whole: the earliest course, any day or time."""
    found = course_options(course=bookable_course, actor=personas.front_desk, preferences=Preferences())
    assert found.best is not None
    booked = course_book(course=bookable_course, actor=personas.front_desk, token=found.best.token)
    assert starts(booked) == ["2026-12-09 09:00", "2027-01-06 09:00", "2027-02-03 09:00", "2027-03-03 09:00"]
    return booked


def cancel(appointment: Appointment, actor: Any) -> TreatmentSession:
    """Cancel `appointment` and return its session, now without a time."""
    appointment_cancel(
        appointment=appointment, actor=actor, reason="patient unwell", expected_version=appointment.version
    )
    return TreatmentSession.objects.get(pk=appointment.session_id)


@pytest.fixture
def second(booked: list[Appointment], personas: Any) -> TreatmentSession:
    """Session 2, its appointment of 6 January cancelled."""
    return cancel(booked[1], personas.front_desk)


def options(course: Course, session: TreatmentSession, when: dt.datetime, actor: Any = None) -> MovePreview:
    return session_rebook_options(course=course, session=session, actor=actor, new_start=when)


def rescreen(personas: Any, intake: dict[str, Any], **changes: Any) -> None:
    """Record a new intake for patient A (the latest screening changes)."""
    from needlepoint.clinic.services.screening import intake_record

    intake_record(patient=personas.record_a, data={**intake, **changes}, actor=personas.practitioner)


def booked_for(session: TreatmentSession) -> Appointment | None:
    return Appointment.objects.filter(session=session, status=AppointmentStatus.BOOKED).first()


def active_holds(course: Course) -> set[int]:
    return set(Hold.objects.filter(appointment__course=course, active=True).values_list("pk", flat=True))


def take(slot: ProposedSession, like: Appointment, patient: Any, actor: Any) -> None:
    """Test data: another patient's visit written straight to the calendar with the practitioner
    of `slot`, between a preview and its confirmation, as a concurrent booking would (the race
    itself is settled by the database constraint, tested in test_races)."""
    blocker = Appointment.objects.create(
        patient=patient,
        appointment_type=like.appointment_type,
        location=like.location,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        practitioner_id=slot.practitioner_id,
        created_by=actor,
    )
    Hold.objects.create(
        appointment=blocker,
        resource=f"practitioner:{slot.practitioner_id}",
        role="practitioner",
        kind="practitioner",
        step="consultation",
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
    )


def due(appointment: Appointment) -> set[dt.datetime]:
    return set(
        Reminder.objects.filter(appointment=appointment, status="scheduled").values_list("due_at", flat=True)
    )


# ---- the service: booking the session again -----------------------------------------------------


def test_it_books_a_cancelled_session_again_with_holds_and_reminders(
    bookable_course, personas, booked, second, clinic
):
    cancelled = Appointment.objects.get(pk=booked[1].pk)
    preview = options(bookable_course, second, local(2027, 1, 6, 14, 0), personas.front_desk)
    assert preview.ok and preview.why_not == () and preview.token
    assert changes(preview) == [(2, "new"), (3, "stays"), (4, "stays")]  # 3 Feb is still 28 days after
    new = preview.sessions[0]
    assert (new.practitioner_name, new.room_name) == ("Paula", "Treatment room 1")
    assert (new.window_earliest, new.window_latest) == (dt.date(2027, 1, 6), dt.date(2027, 2, 7))
    assert booked_for(second) is None  # a preview books nothing

    result = session_rebook(
        course=bookable_course, session=second, actor=personas.front_desk, token=preview.token
    )
    assert len(result) == 1
    appointment = Appointment.objects.get(pk=result[0].pk)
    assert (appointment.session_id, appointment.status, appointment.sequence, appointment.version) == (
        second.pk,
        "booked",
        0,
        1,
    )
    assert appointment.uid != cancelled.uid
    assert appointment.starts_at == local(2027, 1, 6, 14, 0)
    assert (appointment.practitioner, appointment.room, appointment.created_by) == (
        personas.practitioner,
        clinic.treatment_rooms[0],
        personas.front_desk,
    )
    assert (appointment.window_earliest, appointment.window_latest) == (
        dt.date(2027, 1, 6),
        dt.date(2027, 2, 7),
    )
    holds = {
        (h.role, h.step, h.starts_at.astimezone(LONDON).strftime("%H:%M"))
        for h in Hold.objects.filter(appointment=appointment, active=True)
    }
    assert holds == {
        ("room", "numbing", "14:00"),
        ("practitioner", "treatment", "14:30"),
        ("room", "treatment", "14:30"),
        ("device", "treatment", "14:30"),
    }
    session = TreatmentSession.objects.get(pk=second.pk)
    assert (session.visit_at, session.practitioner) == (local(2027, 1, 6, 14, 0), personas.practitioner)
    assert Appointment.objects.get(pk=cancelled.pk).session_id is None  # the link passed to the new one
    assert Reminder.objects.filter(appointment=appointment, status="scheduled").count() >= 3
    later = Appointment.objects.filter(pk__in=[booked[2].pk, booked[3].pk])
    assert {(a.sequence, a.version) for a in later} == {(0, 1)}
    assert AuditEvent.objects.filter(
        action="create",
        object_type="bookings.appointment",
        object_id=str(appointment.pk),
        actor=personas.front_desk,
    ).exists()
    assert AuditEvent.objects.filter(
        action="view",
        object_type="clinic.treatmentsession",
        object_id=str(second.pk),
        actor=personas.front_desk,
    ).exists()


def test_it_reflows_the_later_sessions_the_new_time_pushes_out_of_their_windows(
    bookable_course, personas, booked, second
):
    old_holds = set(Hold.objects.filter(appointment__in=booked[2:], active=True).values_list("pk", flat=True))
    old_due = due(booked[2])
    preview = options(bookable_course, second, local(2027, 1, 7, 10, 0), personas.practitioner)
    # 3 Feb is 27 days after 7 Jan: session 3 moves to the first day of its window, and session 4
    # (3 Mar) is then 27 days after it and follows.
    assert changes(preview) == [(2, "new"), (3, "moves"), (4, "moves")]
    assert starts(preview.sessions) == ["2027-01-07 10:00", "2027-02-04 09:00", "2027-03-04 09:00"]
    assert [(s.window_earliest, s.window_latest) for s in preview.sessions[1:]] == [
        (dt.date(2027, 2, 4), dt.date(2027, 3, 8)),
        (dt.date(2027, 3, 4), dt.date(2027, 4, 5)),
    ]
    assert all(s.inside_window for s in preview.sessions)

    result = session_rebook(
        course=bookable_course, session=second, actor=personas.practitioner, token=preview.token
    )
    assert [a.session.number for a in result] == [2, 3, 4]
    moved = Appointment.objects.filter(pk__in=[booked[2].pk, booked[3].pk]).order_by("starts_at")
    assert starts(moved) == ["2027-02-04 09:00", "2027-03-04 09:00"]
    assert [(a.sequence, a.version) for a in moved] == [(1, 2), (1, 2)]
    assert not Hold.objects.filter(pk__in=old_holds, active=True).exists()
    third = TreatmentSession.objects.get(course=bookable_course, number=3)
    assert third.visit_at == local(2027, 2, 4, 9, 0)
    new_due = due(booked[2])
    assert new_due and new_due != old_due  # the reminders moved with the session
    assert AuditEvent.objects.filter(
        action="change", object_type="bookings.appointment", summary__startswith="moved session 4"
    ).exists()


def test_it_prefers_the_practitioner_the_patient_has_been_seeing(bookable_course, personas, booked, second):
    # Thursday 7 January at 10:00 Maria is free too, and the core would try her first.
    preview = options(bookable_course, second, local(2027, 1, 7, 10, 0), personas.front_desk)
    assert [s.practitioner_name for s in preview.sessions] == ["Paula", "Paula", "Paula"]


def test_it_keeps_the_session_inside_its_window_and_says_why_not(bookable_course, personas, booked, second):
    outside = "session 2 must be 6 Jan-7 Feb 2027 (28-60 days after session 1 on 9 Dec 2026)"
    for when in (local(2027, 2, 10, 10, 0), local(2027, 1, 5, 10, 0)):
        refused = options(bookable_course, second, when, personas.front_desk)
        assert not refused.ok and refused.token == "" and refused.sessions == ()
        assert refused.why_not == (outside,)
    closed = options(bookable_course, second, local(2027, 1, 6, 17, 30), personas.front_desk)
    assert closed.why_not == ("the clinic is not open for the whole visit at 17:30 on 6 Jan 2027",)
    nobody = options(bookable_course, second, local(2027, 1, 6, 16, 30), personas.front_desk)  # Paula: to 17
    assert nobody.why_not == ("no microneedling-trained practitioner free at 16:30 on 6 Jan 2027",)
    past = options(bookable_course, second, local(2026, 11, 24, 10, 0), personas.front_desk)
    assert past.why_not == ("Choose a time from now on: the new time has already passed.",)
    assert booked_for(second) is None


def test_it_describes_the_window_in_words(bookable_course, personas, booked, second):
    window = session_rebook_window(course=bookable_course, session=second)
    assert (window.earliest, window.latest) == (dt.date(2027, 1, 6), dt.date(2027, 2, 7))
    assert window.words == (
        "Session 2 can be booked from 6 January 2027 to 7 February 2027: 28-60 days "
        "after session 1 on 9 December 2026."
    )
    assert window.next_words.startswith(
        "Session 3 is booked for Wednesday 3 February 2027 at 09:00. It stays"
    )
    assert window.cancelled is not None and window.cancelled.pk == booked[1].pk


def test_it_books_session_one_again_from_the_courses_first_day(bookable_course, personas, booked):
    first = cancel(booked[0], personas.front_desk)
    window = session_rebook_window(course=bookable_course, session=first)
    assert (window.earliest, window.latest) == (dt.date(2026, 12, 9), None)
    assert window.words == "Session 1 can be booked from 9 December 2026 on, the first day the plan allows."
    early = options(bookable_course, first, local(2026, 12, 8, 10, 0), personas.front_desk)
    assert early.why_not == ("session 1 cannot be before 9 Dec 2026, the first day the plan allows",)
    preview = options(bookable_course, first, local(2026, 12, 9, 14, 0), personas.front_desk)
    assert changes(preview) == [(1, "new"), (2, "stays"), (3, "stays"), (4, "stays")]
    result = session_rebook(
        course=bookable_course, session=first, actor=personas.front_desk, token=preview.token
    )
    assert starts(result) == ["2026-12-09 14:00"]


def test_it_books_the_first_session_without_a_time_first(bookable_course, personas, booked):
    sessions = [cancel(a, personas.front_desk) for a in booked]
    # Session 3's window follows session 2, which has no time yet: not before it has one.
    with pytest.raises(ServiceError, match="Book a time for session 1 first"):
        options(bookable_course, sessions[2], local(2027, 1, 6, 11, 0), personas.front_desk)
    preview = options(bookable_course, sessions[0], local(2026, 12, 14, 11, 0), personas.front_desk)
    assert changes(preview) == [(1, "new")]
    result = session_rebook(
        course=bookable_course, session=sessions[0], actor=personas.front_desk, token=preview.token
    )
    assert [a.session.number for a in result] == [1]
    assert Appointment.objects.filter(course=bookable_course, status=AppointmentStatus.BOOKED).count() == 1
    with pytest.raises(ServiceError, match="Book a time for session 2 first"):
        options(bookable_course, sessions[2], local(2027, 1, 6, 11, 0), personas.front_desk)


# ---- the service: blockers ----------------------------------------------------------------------


def test_it_never_books_again_for_a_patient_the_screening_now_rules_out(
    bookable_course, personas, booked, second, intake_a
):
    token = options(bookable_course, second, local(2027, 1, 6, 14, 0), personas.front_desk).token
    rescreen(personas, intake_a, **BLEEDING)
    refused = options(bookable_course, second, local(2027, 1, 6, 14, 0), personas.front_desk)
    assert not refused.ok and refused.token == ""
    assert refused.why_not == ("Needs clinical review — ask the practitioner.",)
    clinical = options(bookable_course, second, local(2027, 1, 6, 14, 0), personas.practitioner)
    assert clinical.why_not[0].startswith("The latest screening rules microneedling out")
    holds = active_holds(bookable_course)
    with pytest.raises(Blocked, match="Needs clinical review") as blocked:
        session_rebook(course=bookable_course, session=second, actor=personas.front_desk, token=token)
    assert blocked.value.extra["reasons"] == list(refused.why_not)
    assert booked_for(second) is None
    assert active_holds(bookable_course) == holds
    assert Appointment.objects.get(pk=booked[1].pk).session_id == second.pk  # nothing was released


def test_it_waits_for_a_dated_deferral_and_for_a_clearance(
    bookable_course, personas, booked, second, intake_a
):
    rescreen(personas, intake_a, **ISOTRETINOIN)  # isotretinoin stopped 1 Sep 2026: wait until 1 Mar 2027
    deferred = options(bookable_course, second, local(2027, 1, 6, 14, 0), personas.front_desk)
    assert deferred.why_not == ("Not before 1 March 2027.",)
    told = options(bookable_course, second, local(2027, 1, 6, 14, 0), personas.practitioner)
    assert told.why_not[0].startswith("Treatment has to wait: session 2 cannot be before 1 March 2027.")
    rescreen(personas, intake_a, **DIABETES)
    waiting = options(bookable_course, second, local(2027, 1, 6, 14, 0), personas.practitioner)
    assert waiting.why_not[0].startswith("A doctor's clearance is still needed (diabetes)")
    assert session_rebook_blockers(bookable_course)[0].clinical.startswith("A doctor's clearance")


def test_it_refuses_a_course_that_is_no_longer_approved(bookable_course, personas, booked, second):
    Course.objects.filter(pk=bookable_course.pk).update(status="draft")
    refused = options(bookable_course, second, local(2027, 1, 6, 14, 0), personas.front_desk)
    assert refused.why_not == ("Only an approved course can be booked; this one is “draft plan”.",)


# ---- the service: sessions that cannot be booked again, tokens, races ---------------------------


def test_it_refuses_a_session_that_is_booked_charted_or_someone_elses(
    bookable_course, personas, booked, second, intake_a
):
    still_booked = TreatmentSession.objects.get(pk=booked[2].session_id)
    with pytest.raises(ServiceError, match=r"Session 3 is already booked: reschedule it instead\."):
        options(bookable_course, still_booked, local(2027, 1, 6, 14, 0), personas.front_desk)
    TreatmentSession.objects.filter(pk=second.pk).update(status="in_progress")
    with pytest.raises(ServiceError, match=r"Session 2 is being charted: it cannot be booked again\."):
        options(bookable_course, second, local(2027, 1, 6, 14, 0), personas.front_desk)
    from needlepoint.clinic.services.course_approval import course_approve
    from needlepoint.clinic.services.course_plan import course_propose
    from needlepoint.clinic.services.screening import intake_record

    intake_record(patient=personas.record_b, data=intake_a, actor=personas.practitioner)
    other = course_propose(patient=personas.record_b, actor=personas.practitioner, start_date=NOW.date())
    other = course_approve(course=other, actor=personas.director, expected_version=other.version)
    with pytest.raises(ServiceError, match="belongs to another course"):
        options(other, second, local(2027, 1, 6, 14, 0), personas.front_desk)


def test_it_refuses_patients(bookable_course, personas, booked, second):
    for patient in (personas.patient_a, personas.patient_b):
        with pytest.raises(ServiceError, match="Only the clinic's staff"):
            options(bookable_course, second, local(2027, 1, 6, 14, 0), patient)
        with pytest.raises(ServiceError, match="Only the clinic's staff"):
            session_rebook(course=bookable_course, session=second, actor=patient, token="x")
    assert not AuditEvent.objects.filter(actor=personas.patient_a).exists()


def test_it_refuses_a_token_for_another_session_or_damaged(bookable_course, personas, booked, second):
    third = cancel(booked[2], personas.front_desk)
    token = options(bookable_course, second, local(2027, 1, 6, 14, 0), personas.front_desk).token
    with pytest.raises(ServiceError, match="preview is for another session"):
        session_rebook(course=bookable_course, session=third, actor=personas.front_desk, token=token)
    with pytest.raises(ServiceError, match="could not be read"):
        session_rebook(course=bookable_course, session=second, actor=personas.front_desk, token=token + "x")
    assert booked_for(second) is None and booked_for(third) is None


def test_it_refuses_a_preview_once_a_later_appointment_changed(bookable_course, personas, booked, second):
    preview = options(bookable_course, second, local(2027, 1, 7, 10, 0), personas.front_desk)
    Appointment.objects.filter(pk=booked[3].pk).update(version=F("version") + 1)  # someone touched session 4
    holds = active_holds(bookable_course)
    with pytest.raises(StaleEdit, match="sessions have changed since this preview"):
        session_rebook(course=bookable_course, session=second, actor=personas.front_desk, token=preview.token)
    assert booked_for(second) is None
    assert active_holds(bookable_course) == holds
    assert Appointment.objects.get(pk=booked[2].pk).starts_at == booked[2].starts_at


def test_it_refuses_a_preview_once_the_session_was_booked_by_someone_else(
    bookable_course, personas, booked, second
):
    mine = options(bookable_course, second, local(2027, 1, 6, 14, 0), personas.front_desk)
    theirs = options(bookable_course, second, local(2027, 1, 6, 11, 0), personas.practitioner)
    session_rebook(course=bookable_course, session=second, actor=personas.practitioner, token=theirs.token)
    with pytest.raises(StaleEdit, match="Someone else has booked session 2 meanwhile"):
        session_rebook(course=bookable_course, session=second, actor=personas.front_desk, token=mine.token)
    assert booked_for(second).starts_at == local(2027, 1, 6, 11, 0)


def test_it_leaves_nothing_half_booked_when_the_slot_was_taken_meanwhile(
    bookable_course, personas, booked, second, unconsented_course
):
    preview = options(bookable_course, second, local(2027, 1, 7, 10, 0), personas.front_desk)
    take(preview.sessions[0], booked[0], unconsented_course.patient, personas.front_desk)
    holds, events = active_holds(bookable_course), AuditEvent.objects.count()
    with pytest.raises(BookingConflict, match="Someone else has just booked one of these times"):
        session_rebook(course=bookable_course, session=second, actor=personas.front_desk, token=preview.token)
    assert booked_for(second) is None
    assert active_holds(bookable_course) == holds
    assert TreatmentSession.objects.get(pk=second.pk).visit_at is None
    assert starts(Appointment.objects.filter(pk__in=[a.pk for a in booked[2:]])) == starts(booked[2:])
    assert AuditEvent.objects.count() == events
    again = options(bookable_course, second, local(2027, 1, 7, 10, 0), personas.front_desk)
    assert again.ok and again.sessions[0].practitioner_name == "Maria"  # Paula is taken now


# ---- the screens --------------------------------------------------------------------------------


def rebook_url(session: TreatmentSession) -> str:
    return reverse("bookings:session_rebook", args=[session.pk])


def test_it_sends_anonymous_visitors_to_sign_in(client, second):
    for method in (client.get, client.post):
        response = method(rebook_url(second))
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("who", ["patient_a", "patient_b"])
def test_it_answers_404_to_patients(client_for, personas, bookable_course, second, who):
    client = client_for(getattr(personas, who))
    token = options(bookable_course, second, local(2027, 1, 6, 14, 0), personas.front_desk).token
    assert client.get(rebook_url(second)).status_code == 404
    assert client.get(rebook_url(second), {"date": "2027-01-06", "time": "14:00"}).status_code == 404
    assert client.post(rebook_url(second), {"token": token}).status_code == 404
    assert booked_for(second) is None


@pytest.mark.parametrize("who", ["front_desk", "practitioner", "director"])
def test_it_opens_the_page_to_clinic_staff_with_the_window_in_words(client_for, personas, second, who):
    response = client_for(getattr(personas, who)).get(rebook_url(second))
    assert response.status_code == 200
    assert "Book a new time for session 2 of Anna Alvarez" in response.text
    assert (
        "Session 2 can be booked from 6 January 2027 to 7 February 2027: 28-60 days after session 1 on "
        "9 December 2026."
    ) in response.text
    assert (
        "Its appointment of Wednesday 6 January 2027 at 09:00 was cancelled: patient unwell." in response.text
    )
    assert 'min="2027-01-06"' in response.text and 'max="2027-02-07"' in response.text
    assert AuditEvent.objects.filter(
        actor=getattr(personas, who),
        action="view",
        object_type="clinic.treatmentsession",
        object_id=str(second.pk),
    ).exists()


def test_it_answers_404_for_a_session_that_does_not_exist(client_for, personas, clinic):
    url = reverse("bookings:session_rebook", args=[9999])
    assert client_for(personas.front_desk).get(url).status_code == 404


def test_it_offers_a_new_time_on_the_appointments_after_a_cancel(
    client_for, personas, bookable_course, booked
):
    client = client_for(personas.front_desk)
    page = reverse("bookings:course_appointments", args=[bookable_course.pk])
    assert "Book a new time" not in client.get(page).text
    response = client.post(
        reverse("bookings:appointment_cancel", args=[booked[1].pk]),
        {"reason": "Patient travelling", "version": booked[1].version},
    )
    assert response.status_code == 302
    assert response["Location"] == page + "#rebook"
    text = client.get(page).text
    assert "Session 2 has no time now: book a new time for it below" in text
    assert "1 session without a time" in text
    assert f'href="{rebook_url(TreatmentSession.objects.get(pk=booked[1].session_id))}"' in text
    assert "Book sessions</a>" not in text  # the course is booked: no second whole-course booking
    # With session 3 cancelled too, only session 2 is offered a time: session 3 waits for it.
    client.post(
        reverse("bookings:appointment_cancel", args=[booked[2].pk]),
        {"reason": "Patient travelling", "version": booked[2].version},
    )
    text = client.get(page).text
    assert "2 sessions without a time" in text and "after session 2" in text
    assert f'href="{rebook_url(TreatmentSession.objects.get(pk=booked[1].session_id))}"' in text
    assert f'href="{rebook_url(TreatmentSession.objects.get(pk=booked[2].session_id))}"' not in text


def test_it_previews_the_new_time_and_the_later_sessions(client_for, personas, second):
    response = client_for(personas.front_desk).get(
        rebook_url(second), {"date": "2027-01-07", "time": "10:00"}
    )
    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview.ok and changes(preview) == [(2, "new"), (3, "moves"), (4, "moves")]
    assert response.text.count('<tr class="moves">') == 3
    assert 'class="badge moves">new time<' in response.text
    assert "Thu 4 Feb 2027, 09:00" in response.text and "Thu 4 Mar 2027, 09:00" in response.text
    assert "Book this time" in response.text
    assert booked_for(second) is None


def test_it_books_the_new_time_on_confirm(client_for, personas, bookable_course, second):
    client = client_for(personas.front_desk)
    asked = {"date": "2027-01-06", "time": "14:00"}
    preview = client.get(rebook_url(second), asked).context["preview"]
    response = client.post(rebook_url(second), {"token": preview.token, **asked})
    assert response.status_code == 302
    assert response["Location"] == reverse("bookings:course_appointments", args=[bookable_course.pk])
    assert booked_for(second).starts_at == local(2027, 1, 6, 14, 0)
    page = client.get(response["Location"]).text
    assert "Booked session 2 for Wednesday 6 January 2027 at 14:00." in page
    assert "without a time" not in page


def test_it_says_why_a_time_cannot_be_booked(client_for, personas, second):
    response = client_for(personas.front_desk).get(
        rebook_url(second), {"date": "2027-02-10", "time": "10:00"}
    )
    assert response.status_code == 200
    assert "This time is not possible" in response.text
    assert "session 2 must be 6 Jan-7 Feb 2027 (28-60 days after session 1 on 9 Dec 2026)" in response.text
    assert "Book this time" not in response.text


def test_it_asks_again_for_a_date_and_time_it_cannot_read(client_for, personas, second):
    response = client_for(personas.front_desk).get(rebook_url(second), {"date": "31/02", "time": ""})
    assert response.status_code == 400
    assert "New date: enter a real date." in response.text and "New start time: pick a time." in response.text


def test_it_shows_only_the_preview_to_htmx(client_for, personas, second):
    asked = {"date": "2027-01-06", "time": "14:00"}
    response = client_for(personas.front_desk).get(rebook_url(second), asked, headers=HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="rebook">')
    assert "<html" not in response.text and "What the course becomes" in response.text


def test_it_shows_the_blockers_instead_of_the_picker(client_for, personas, second, intake_a):
    rescreen(personas, intake_a, **BLEEDING)
    response = client_for(personas.front_desk).get(rebook_url(second))
    assert response.status_code == 200
    assert "This session cannot be booked again yet" in response.text
    assert "Needs clinical review — ask the practitioner." in response.text
    assert "rules microneedling out" not in response.text and "bleeding" not in response.text
    assert 'name="date"' not in response.text
    clinical = client_for(personas.practitioner).get(rebook_url(second))
    assert "rules microneedling out" in clinical.text


def test_it_answers_409_when_the_slot_was_taken_meanwhile(
    client_for, personas, booked, second, unconsented_course
):
    client = client_for(personas.front_desk)
    asked = {"date": "2027-01-06", "time": "14:00"}
    preview = client.get(rebook_url(second), asked).context["preview"]
    take(preview.sessions[0], booked[0], unconsented_course.patient, personas.front_desk)
    response = client.post(rebook_url(second), {"token": preview.token, **asked})
    assert response.status_code == 409
    assert "Nothing was booked: Someone else has just booked one of these times." in response.text
    assert 'name="date"' in response.text  # pick another time on the same page
    assert booked_for(second) is None


def test_it_answers_409_when_someone_else_booked_the_session_first(client_for, personas, second):
    asked = {"date": "2027-01-06", "time": "14:00"}
    mine, theirs = client_for(personas.front_desk), client_for(personas.practitioner)
    my_preview = mine.get(rebook_url(second), asked).context["preview"]
    their_preview = theirs.get(rebook_url(second), {"date": "2027-01-06", "time": "11:00"}).context["preview"]
    assert theirs.post(rebook_url(second), {"token": their_preview.token}).status_code == 302
    response = mine.post(rebook_url(second), {"token": my_preview.token, **asked})
    assert response.status_code == 409
    assert "Nothing was booked: Someone else has booked session 2 meanwhile" in response.text
    assert booked_for(second).starts_at == local(2027, 1, 6, 11, 0)
    again = mine.get(rebook_url(second))
    assert again.status_code == 302  # the session has a time again: back to the appointments
    assert again["Location"] == reverse("bookings:course_appointments", args=[second.course_id])


def test_it_refuses_a_confirmation_without_a_preview(client_for, personas, second):
    asked = {"date": "2027-01-06", "time": "14:00"}
    response = client_for(personas.front_desk).post(rebook_url(second), asked)
    assert response.status_code == 400
    assert "The form is missing the preview" in response.text
    assert booked_for(second) is None


def test_it_reads_the_page_in_a_bounded_number_of_queries(
    client_for, personas, second, django_assert_max_num_queries
):
    client = client_for(personas.front_desk)
    with django_assert_max_num_queries(17):
        assert client.get(rebook_url(second)).status_code == 200
    with django_assert_max_num_queries(31):
        assert client.get(rebook_url(second), {"date": "2027-01-07", "time": "10:00"}).status_code == 200
