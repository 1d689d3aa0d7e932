"""Booking services: a whole course proposed and booked as one unit, moving a session with the
later ones re-flowed, cancelling; who may do it, what blocks it, and that a conflict leaves
nothing half-booked.

Time is frozen on Wednesday 25 November 2026, 09:00 in London (GMT). The fixture course has 4
sessions 28-60 days apart, its first window 9 Dec 2026-10 Jan 2027. The clinic: Paula
(microneedling and PRP) Monday to Friday 09-17, Maria (microneedling) Tuesday, Thursday and
Saturday 09-13; a visit is 30 minutes numbing and 60 minutes treatment. British summer time
starts on Sunday 28 March 2027, so a session on 31 March at 09:00 is 08:00 UTC."""

import datetime as dt
from typing import Any

import pytest
import time_machine
from booking_helpers import BLEEDING, DIABETES, ISOTRETINOIN, LONDON, NOW, approved_course, local
from django.core import signing
from django.db.models import F

from needlepoint.audit.models import AuditEvent
from needlepoint.bookings.models import Appointment, Hold, Reminder
from needlepoint.bookings.services import Blocked, BookingConflict, ServiceError, StaleEdit
from needlepoint.bookings.services._common import TOKEN_MAX_AGE
from needlepoint.bookings.services.book import course_book
from needlepoint.bookings.services.cancel import appointment_cancel
from needlepoint.bookings.services.move import session_move, session_move_options
from needlepoint.bookings.services.preferences import Preferences, preferences_for
from needlepoint.bookings.services.search import (
    PROPOSAL_SALT,
    CourseOptions,
    course_booking_blockers,
    course_options,
    preparation_lead_days,
)
from needlepoint.clinic.models import VISIT_STATUSES, Course, TreatmentSession
from needlepoint.scheduling import AFTERNOONS, MORNINGS


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def rescreen(personas: Any, intake: dict[str, Any], **changes: Any) -> None:
    """Record a new intake for patient A (the latest screening changes)."""
    from needlepoint.clinic.services.screening import intake_record

    intake_record(patient=personas.record_a, data={**intake, **changes}, actor=personas.practitioner)


def options(course: Course, actor: Any, **prefs: Any) -> CourseOptions:
    return course_options(course=course, actor=actor, preferences=Preferences(**prefs))


def book(course: Course, actor: Any) -> list[Appointment]:
    found = options(course, actor)
    assert found.best is not None, found.why_not or found.blockers
    return course_book(course=course, actor=actor, token=found.best.token)


def starts(sessions: Any) -> list[str]:
    return [s.starts_at.astimezone(LONDON).strftime("%Y-%m-%d %H:%M") for s in sessions]


def counts(course: Course) -> tuple[int, int]:
    return (
        Appointment.objects.filter(course=course).count(),
        Hold.objects.filter(appointment__course=course).count(),
    )


def resign(token: str, **changes: Any) -> str:
    data = signing.loads(token, salt=PROPOSAL_SALT)
    return signing.dumps({**data, **changes}, salt=PROPOSAL_SALT, compress=True)


# ---- course_options -----------------------------------------------------------------------------


def test_it_leaves_the_plans_preparation_time_before_a_course_booked_weeks_after_approval(
    bookable_course, personas, frozen
):
    assert preparation_lead_days(bookable_course.plan) == 14  # sun, retinoids: 2 weeks before
    frozen.move_to(NOW + dt.timedelta(days=40))  # approved on 25 Nov, booked on 4 Jan
    found = options(bookable_course, personas.front_desk)
    assert found.best is not None
    assert starts(found.best.sessions)[0] == "2027-01-18 09:00"  # 4 Jan + 14 days, a Monday
    # A plan that asks no preparation can start at once (the clinic opens at 09:00, now).
    Course.objects.filter(pk=bookable_course.pk).update(plan={**bookable_course.plan, "care": []})
    bookable_course.refresh_from_db()
    assert preparation_lead_days(bookable_course.plan) == 0
    assert starts(options(bookable_course, personas.front_desk).best.sessions)[0] == "2027-01-04 09:00"


def test_it_proposes_the_earliest_whole_course_with_names_and_windows(bookable_course, personas):
    found = options(bookable_course, personas.front_desk)
    assert found.blockers == () and found.why_not == ()
    assert found.best is not None
    best = found.best.sessions
    assert starts(best) == ["2026-12-09 09:00", "2027-01-06 09:00", "2027-02-03 09:00", "2027-03-03 09:00"]
    assert [s.number for s in best] == [1, 2, 3, 4]
    assert {s.practitioner_name for s in best} == {"Paula"}
    assert {s.practitioner_id for s in best} == {personas.practitioner.pk}
    assert best[0].room_name == "Treatment room 1"
    assert best[0].ends_at - best[0].starts_at == dt.timedelta(minutes=90)
    assert (best[0].window_earliest, best[0].window_latest) == (dt.date(2026, 12, 9), dt.date(2027, 1, 10))
    assert (best[1].window_earliest, best[1].window_latest) == (dt.date(2027, 1, 6), dt.date(2027, 2, 7))
    assert all(s.inside_window and not s.moves for s in best)
    assert AuditEvent.objects.filter(
        action="view",
        object_type="clinic.course",
        object_id=str(bookable_course.pk),
        actor=personas.front_desk,
    ).exists()


def test_it_offers_alternatives_on_other_days_or_with_another_practitioner(bookable_course, personas):
    found = options(bookable_course, personas.practitioner)
    assert len(found.alternatives) == 3
    firsts = [
        (p.sessions[0].starts_at, p.sessions[0].practitioner_name) for p in (found.best, *found.alternatives)
    ]
    assert len(set(firsts)) == 4
    assert found.alternatives[0].sessions[0].practitioner_name == "Maria"  # Thursday 10 December
    assert len({p.token for p in (found.best, *found.alternatives)}) == 4


def test_it_follows_the_patients_preferred_days_times_and_practitioner(bookable_course, personas, clinic):
    found = options(
        bookable_course,
        personas.director,
        weekdays=frozenset({3}),
        times=(MORNINGS,),
        practitioner_id=personas.director.pk,
    )
    assert found.best is not None
    sessions = found.best.sessions
    assert {s.starts_at.astimezone(LONDON).weekday() for s in sessions} == {3}
    assert {s.practitioner_name for s in sessions} == {"Maria"}
    assert all(s.starts_at.astimezone(LONDON).hour < 12 for s in sessions)


def test_it_says_why_no_course_fits(bookable_course, personas):
    found = options(
        bookable_course, personas.front_desk, weekdays=frozenset({0}), practitioner_id=personas.director.pk
    )  # Maria never works on Mondays
    assert found.best is None and found.alternatives == () and found.blockers == ()
    assert found.why_not and all(isinstance(w, str) and w for w in found.why_not)


def test_it_refuses_a_practitioner_who_does_not_treat_here(bookable_course, personas):
    with pytest.raises(ServiceError, match="does not treat at this location"):
        options(bookable_course, personas.front_desk, practitioner_id=personas.front_desk.pk)


def test_it_refuses_patients_everywhere(bookable_course, personas):
    staff = book(bookable_course, personas.front_desk)
    for patient in (personas.patient_a, personas.patient_b):
        with pytest.raises(ServiceError, match="Only the clinic's staff"):
            options(bookable_course, patient)
        with pytest.raises(ServiceError, match="Only the clinic's staff"):
            course_book(course=bookable_course, actor=patient, token="x")
        with pytest.raises(ServiceError, match="Only the clinic's staff"):
            session_move_options(appointment=staff[1], actor=patient, new_start=local(2027, 1, 7, 9, 0))
        with pytest.raises(ServiceError, match="Only the clinic's staff"):
            appointment_cancel(appointment=staff[1], actor=patient, reason="ill", expected_version=1)
    assert not AuditEvent.objects.filter(actor=personas.patient_a).exists()


def test_it_proposes_nothing_for_a_course_still_in_draft(bookable_course, personas):
    Course.objects.filter(pk=bookable_course.pk).update(status="draft")
    bookable_course.refresh_from_db()
    found = options(bookable_course, personas.front_desk)
    assert found.best is None
    assert found.blockers == ("Only an approved course can be booked; this one is “draft plan”.",)


def test_it_never_proposes_a_time_that_has_passed(bookable_course, personas, frozen):
    frozen.move_to(dt.datetime(2026, 12, 9, 11, 0, tzinfo=dt.UTC))  # the first day, 11:00
    found = options(bookable_course, personas.front_desk)
    assert found.best is not None
    assert found.best.sessions[0].starts_at >= dt.datetime(2026, 12, 9, 11, 0, tzinfo=dt.UTC)


# ---- blockers -----------------------------------------------------------------------------------


def test_it_starts_a_dated_deferral_course_on_its_date_and_refuses_an_earlier_confirmation(
    bookable_course, personas, intake_a
):
    before = options(bookable_course, personas.front_desk).best
    rescreen(personas, intake_a, **ISOTRETINOIN)  # isotretinoin stopped 1 Sep 2026: wait until 1 Mar 2027
    found = options(bookable_course, personas.front_desk)
    assert found.blockers == ()
    assert found.best is not None and found.best.sessions[0].starts_at.date() >= dt.date(2027, 3, 1)
    with pytest.raises(Blocked, match="Not before 1 March 2027") as refused:
        course_book(course=bookable_course, actor=personas.front_desk, token=before.token)
    assert "isotretinoin" not in refused.value.message.lower()
    with pytest.raises(Blocked, match="cannot be before 1 March 2027") as refused:
        course_book(course=bookable_course, actor=personas.practitioner, token=before.token)
    assert "isotretinoin" in refused.value.message.lower()
    assert counts(bookable_course) == (0, 0)
    booked = course_book(course=bookable_course, actor=personas.front_desk, token=found.best.token)
    assert booked[0].starts_at.date() >= dt.date(2027, 3, 1)


def test_it_blocks_an_undated_deferral(bookable_course, personas, intake_a):
    rescreen(personas, intake_a, pregnancy="pregnant")
    found = options(bookable_course, personas.front_desk)
    assert found.best is None
    assert found.blockers == ("Treatment has to wait: needs clinical review — ask the practitioner.",)
    told = options(bookable_course, personas.practitioner)
    assert told.blockers[0].startswith("Treatment has to wait until the reason")


def test_it_blocks_a_contraindication_and_books_nothing(bookable_course, personas, intake_a):
    token = options(bookable_course, personas.front_desk).best.token
    rescreen(personas, intake_a, **BLEEDING)
    found = options(bookable_course, personas.front_desk)
    assert found.best is None and found.alternatives == ()
    assert found.blockers == ("Needs clinical review — ask the practitioner.",)
    assert (
        options(bookable_course, personas.practitioner)
        .blockers[0]
        .startswith("The latest screening rules microneedling out")
    )
    with pytest.raises(Blocked, match="Needs clinical review") as refused:
        course_book(course=bookable_course, actor=personas.front_desk, token=token)
    assert refused.value.extra["reasons"] == list(found.blockers)
    assert counts(bookable_course) == (0, 0)


def test_it_waits_for_a_clearance_then_books_once_it_is_given(bookable_course, personas, intake_a):
    from needlepoint.clinic.services.clearances import clearance_give

    rescreen(personas, intake_a, **DIABETES)
    blocked = options(bookable_course, personas.front_desk)
    assert blocked.best is None
    assert blocked.blockers == (
        "Waiting for a doctor's clearance: needs clinical review — ask the practitioner.",
    )
    told = options(bookable_course, personas.practitioner)
    assert told.blockers[0].startswith("A doctor's clearance is still needed (diabetes)")
    clearance_give(
        patient=personas.record_a, finding_code="diabetes", basis="GP letter", actor=personas.director
    )
    assert course_booking_blockers(bookable_course) == []
    assert len(book(bookable_course, personas.front_desk)) == 4


def test_it_blocks_a_course_whose_clearance_was_revoked_without_a_new_screening(
    bookable_course, personas, intake_a
):
    from needlepoint.clinic.models import Clearance
    from needlepoint.clinic.services.clearances import clearance_give

    rescreen(personas, intake_a, **DIABETES)
    clearance_give(
        patient=personas.record_a, finding_code="diabetes", basis="GP letter", actor=personas.director
    )
    Clearance.objects.update(revoked_at=NOW)  # the screening still shows the finding as cleared
    (revoked,) = course_booking_blockers(bookable_course)
    assert revoked.code == "clearance_revoked"
    assert revoked.clinical.startswith("The doctor's clearance was revoked (diabetes)")


def test_it_blocks_a_course_without_consent(unconsented_course, bookable_course, personas):
    found = options(unconsented_course, personas.front_desk)
    assert found.best is None
    assert found.blockers == (
        "The patient has not signed the consent for this course yet: they sign it in "
        "the portal or on the clinic's tablet before the course is booked.",
    )
    token = resign(
        options(bookable_course, personas.front_desk).best.token,
        course=unconsented_course.pk,
        version=unconsented_course.version,
    )
    with pytest.raises(Blocked, match="not signed the consent"):
        course_book(course=unconsented_course, actor=personas.front_desk, token=token)
    assert counts(unconsented_course) == (0, 0)


def test_it_refuses_to_book_a_course_twice(bookable_course, personas):
    token = options(bookable_course, personas.front_desk).best.token
    course_book(course=bookable_course, actor=personas.front_desk, token=token)
    with pytest.raises(Blocked, match="already booked"):
        course_book(course=bookable_course, actor=personas.front_desk, token=token)
    assert counts(bookable_course) == (4, 16)


# ---- course_book --------------------------------------------------------------------------------


def test_it_books_every_session_exactly_as_proposed(bookable_course, personas, clinic):
    proposal = options(bookable_course, personas.front_desk).best
    booked = course_book(course=bookable_course, actor=personas.front_desk, token=proposal.token)
    assert starts(booked) == starts(proposal.sessions)
    first = booked[0]
    assert (first.patient, first.course, first.location, first.appointment_type) == (
        personas.record_a,
        bookable_course,
        clinic.location,
        clinic.treatment,
    )
    assert (first.practitioner, first.room, first.created_by) == (
        personas.practitioner,
        clinic.treatment_rooms[0],
        personas.front_desk,
    )
    assert (first.window_earliest, first.window_latest) == (dt.date(2026, 12, 9), dt.date(2027, 1, 10))
    holds = {
        (h.role, h.kind, h.step, h.starts_at.astimezone(LONDON).strftime("%H:%M")) for h in first.holds.all()
    }
    assert holds == {
        ("room", "numbing", "numbing", "09:00"),
        ("practitioner", "practitioner", "treatment", "09:30"),
        ("room", "treatment", "treatment", "09:30"),
        ("device", "pen", "treatment", "09:30"),
    }
    sessions = TreatmentSession.objects.filter(course=bookable_course).order_by("number")
    assert [s.visit_at for s in sessions] == [a.starts_at for a in booked]
    assert {s.practitioner_id for s in sessions} == {personas.practitioner.pk}
    assert [a.session.number for a in booked] == [1, 2, 3, 4]
    assert AuditEvent.objects.filter(action="create", object_type="bookings.appointment").count() == 4
    assert Reminder.objects.filter(appointment__in=booked).exists()


def test_it_books_a_prp_course_with_the_blood_draw_and_the_centrifuge(bookable_course, personas, clinic):
    plan = bookable_course.plan
    plan["adjuncts"] = [{**a, "selected": a["code"] == "prp"} for a in plan["adjuncts"]]
    Course.objects.filter(pk=bookable_course.pk).update(plan=plan)
    bookable_course.refresh_from_db()
    booked = book(bookable_course, personas.front_desk)
    assert {a.appointment_type for a in booked} == {clinic.treatment_prp}
    steps = {(h.step, h.resource) for h in booked[0].holds.all()}
    assert ("spin", f"device:{clinic.centrifuge.pk}") in steps
    assert ("blood draw", f"practitioner:{personas.practitioner.pk}") in steps  # Maria does no PRP draws


def test_it_refuses_a_tampered_token(bookable_course, personas):
    token = options(bookable_course, personas.front_desk).best.token
    tampered = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    with pytest.raises(ServiceError, match="could not be read") as refused:
        course_book(course=bookable_course, actor=personas.front_desk, token=tampered)
    assert refused.value.field == "token"
    with pytest.raises(ServiceError, match="could not be read"):
        course_book(course=bookable_course, actor=personas.front_desk, token="")
    assert counts(bookable_course) == (0, 0)


def test_it_refuses_a_token_older_than_thirty_minutes(bookable_course, personas, frozen):
    token = options(bookable_course, personas.front_desk).best.token
    frozen.shift(dt.timedelta(minutes=29))
    signing.loads(token, salt=PROPOSAL_SALT, max_age=TOKEN_MAX_AGE)  # still good
    frozen.shift(dt.timedelta(minutes=2))
    with pytest.raises(ServiceError, match=r"more than 30 minutes old\. Search again"):
        course_book(course=bookable_course, actor=personas.front_desk, token=token)
    assert counts(bookable_course) == (0, 0)


def test_it_refuses_a_token_of_another_course(bookable_course, personas, intake_a):
    other = approved_course(personas, intake_a, personas.record_b)
    token = options(other, personas.front_desk).best.token
    with pytest.raises(ServiceError, match="proposed for another course"):
        course_book(course=bookable_course, actor=personas.front_desk, token=token)
    assert counts(bookable_course) == (0, 0)


def test_it_refuses_a_token_once_the_course_has_changed(bookable_course, personas):
    token = options(bookable_course, personas.front_desk).best.token
    Course.objects.filter(pk=bookable_course.pk).update(version=F("version") + 1)
    with pytest.raises(ServiceError, match="course has changed since these dates were proposed"):
        course_book(course=bookable_course, actor=personas.front_desk, token=token)
    assert counts(bookable_course) == (0, 0)


def test_it_leaves_nothing_half_booked_when_someone_else_took_a_slot(bookable_course, personas, intake_a):
    other = approved_course(personas, intake_a, personas.record_b)
    mine = options(bookable_course, personas.front_desk).best
    theirs = options(other, personas.front_desk).best
    assert starts(mine.sessions) == starts(theirs.sessions)
    course_book(course=other, actor=personas.front_desk, token=theirs.token)
    events = AuditEvent.objects.count()
    with pytest.raises(BookingConflict) as refused:
        course_book(course=bookable_course, actor=personas.front_desk, token=mine.token)
    assert refused.value.message == (
        "Someone else has just booked one of these times. Search again to see what is free now."
    )
    assert counts(bookable_course) == (0, 0)
    assert not TreatmentSession.objects.filter(
        course=bookable_course, appointment__status__in=VISIT_STATUSES
    ).exists()
    assert not Reminder.objects.filter(appointment__course=bookable_course).exists()
    assert AuditEvent.objects.count() == events
    again = options(bookable_course, personas.front_desk).best  # the next search goes around it
    assert course_book(course=bookable_course, actor=personas.front_desk, token=again.token)


def test_it_books_again_after_every_session_was_cancelled(bookable_course, personas):
    booked = book(bookable_course, personas.front_desk)
    for a in booked:
        appointment_cancel(
            appointment=a, actor=personas.front_desk, reason="moving abroad", expected_version=a.version
        )
    again = book(bookable_course, personas.front_desk)
    assert [a.session.number for a in again] == [1, 2, 3, 4]
    assert not Appointment.objects.filter(pk__in=[a.pk for a in booked], session__isnull=False).exists()


# ---- moving -------------------------------------------------------------------------------------


def test_it_moves_a_session_and_reflows_the_later_ones_into_their_windows(bookable_course, personas):
    booked = book(bookable_course, personas.front_desk)
    old_holds = {h.pk for h in Hold.objects.filter(appointment__in=booked[1:])}
    preview = session_move_options(
        appointment=booked[1], actor=personas.front_desk, new_start=local(2027, 2, 3, 10, 0)
    )
    assert preview.ok and preview.why_not == ()
    # session 3 (3 Feb) must now be 28-60 days after 3 Feb; session 4 follows it over the clock change
    assert starts(preview.sessions) == ["2027-02-03 10:00", "2027-03-03 09:00", "2027-03-31 09:00"]
    assert [(s.number, s.moves) for s in preview.sessions] == [(2, True), (3, True), (4, True)]
    assert preview.sessions[2].starts_at.astimezone(dt.UTC).hour == 8
    moved = session_move(
        appointment=booked[1],
        actor=personas.front_desk,
        token=preview.token,
        expected_version=booked[1].version,
    )
    assert [a.pk for a in moved] == [a.pk for a in booked[1:]]
    assert [(a.sequence, a.version) for a in moved] == [(1, 2)] * 3
    assert not Hold.objects.filter(pk__in=old_holds, active=True).exists()
    assert Hold.objects.filter(appointment=booked[1], active=True).count() == 4
    session = TreatmentSession.objects.get(course=bookable_course, number=2)
    assert session.visit_at == local(2027, 2, 3, 10, 0)
    assert Appointment.objects.get(pk=booked[0].pk).sequence == 0
    assert AuditEvent.objects.filter(
        action="change", object_type="bookings.appointment", summary__startswith="moved session 3"
    ).exists()


def test_it_keeps_later_sessions_that_are_still_inside_their_windows(bookable_course, personas):
    booked = book(bookable_course, personas.front_desk)
    preview = session_move_options(
        appointment=booked[1], actor=personas.practitioner, new_start=local(2027, 1, 6, 14, 0)
    )
    assert [(s.number, s.moves) for s in preview.sessions] == [(2, True), (3, False), (4, False)]
    moved = session_move(
        appointment=booked[1],
        actor=personas.practitioner,
        token=preview.token,
        expected_version=booked[1].version,
    )
    assert [a.pk for a in moved] == [booked[1].pk]
    assert Appointment.objects.get(pk=booked[2].pk).sequence == 0


def test_it_gives_a_kept_session_its_new_window(bookable_course, personas):
    booked = book(bookable_course, personas.front_desk)
    fourth = session_move_options(
        appointment=booked[3], actor=personas.front_desk, new_start=local(2027, 3, 10, 9, 0)
    )
    session_move(appointment=booked[3], actor=personas.front_desk, token=fourth.token, expected_version=1)
    preview = session_move_options(
        appointment=booked[2], actor=personas.front_desk, new_start=local(2027, 2, 4, 9, 0)
    )
    assert [(s.number, s.moves) for s in preview.sessions] == [(3, True), (4, False)]
    assert (preview.sessions[1].window_earliest, preview.sessions[1].window_latest) == (
        dt.date(2027, 3, 4),
        dt.date(2027, 4, 5),
    )
    session_move(appointment=booked[2], actor=personas.front_desk, token=preview.token, expected_version=1)
    kept = Appointment.objects.get(pk=booked[3].pk)
    assert (kept.window_earliest, kept.window_latest, kept.sequence) == (
        dt.date(2027, 3, 4),
        dt.date(2027, 4, 5),
        1,
    )
    assert kept.starts_at == local(2027, 3, 10, 9, 0)


def test_it_says_why_a_session_cannot_move_there(bookable_course, personas):
    booked = book(bookable_course, personas.front_desk)
    outside = session_move_options(
        appointment=booked[1], actor=personas.front_desk, new_start=local(2027, 3, 1, 10, 0)
    )
    assert not outside.ok and outside.token == "" and outside.sessions == ()
    assert outside.why_not == (
        "session 2 must be 6 Jan-7 Feb 2027 (28-60 days after session 1 on 9 Dec 2026)",
    )
    closed = session_move_options(
        appointment=booked[1], actor=personas.front_desk, new_start=local(2027, 1, 6, 17, 30)
    )
    assert closed.why_not == ("the clinic is not open for the whole visit at 17:30 on 6 Jan 2027",)
    past = session_move_options(
        appointment=booked[0], actor=personas.front_desk, new_start=local(2026, 11, 24, 10, 0)
    )
    assert past.why_not == ("Choose a time from now on: the new time has already passed.",)


def test_it_refuses_a_stale_move(bookable_course, personas):
    booked = book(bookable_course, personas.front_desk)
    preview = session_move_options(
        appointment=booked[1], actor=personas.front_desk, new_start=local(2027, 1, 7, 14, 0)
    )
    with pytest.raises(StaleEdit, match="Someone else changed this appointment"):
        session_move(
            appointment=booked[1],
            actor=personas.front_desk,
            token=preview.token,
            expected_version=booked[1].version + 1,
        )
    later = session_move_options(
        appointment=booked[1], actor=personas.front_desk, new_start=local(2027, 2, 3, 10, 0)
    )
    Appointment.objects.filter(pk=booked[3].pk).update(version=F("version") + 1)  # someone touched session 4
    with pytest.raises(StaleEdit, match="sessions have changed since this preview"):
        session_move(
            appointment=booked[1],
            actor=personas.front_desk,
            token=later.token,
            expected_version=booked[1].version,
        )
    assert Appointment.objects.get(pk=booked[1].pk).starts_at == booked[1].starts_at


def test_it_refuses_a_move_token_for_another_session_or_tampered(bookable_course, personas):
    booked = book(bookable_course, personas.front_desk)
    preview = session_move_options(
        appointment=booked[1], actor=personas.front_desk, new_start=local(2027, 1, 7, 14, 0)
    )
    with pytest.raises(ServiceError, match="preview is for another session"):
        session_move(
            appointment=booked[2],
            actor=personas.front_desk,
            token=preview.token,
            expected_version=booked[2].version,
        )
    with pytest.raises(ServiceError, match="could not be read"):
        session_move(
            appointment=booked[1],
            actor=personas.front_desk,
            token=preview.token + "x",
            expected_version=booked[1].version,
        )


def test_it_refuses_to_move_onto_a_slot_taken_meanwhile_and_changes_nothing(
    bookable_course, personas, intake_a
):
    booked = book(bookable_course, personas.front_desk)
    preview = session_move_options(
        appointment=booked[1], actor=personas.front_desk, new_start=local(2027, 1, 8, 9, 0)
    )
    other = approved_course(personas, intake_a, personas.record_b)
    taken = options(other, personas.front_desk, weekdays=frozenset({4}))  # Fridays: 11 Dec, 8 Jan ...
    assert starts(taken.best.sessions)[1] == "2027-01-08 09:00"
    course_book(course=other, actor=personas.front_desk, token=taken.best.token)
    with pytest.raises(BookingConflict, match="Someone else has just booked"):
        session_move(
            appointment=booked[1],
            actor=personas.front_desk,
            token=preview.token,
            expected_version=booked[1].version,
        )
    kept = Appointment.objects.get(pk=booked[1].pk)
    assert (kept.starts_at, kept.sequence, kept.version) == (booked[1].starts_at, 0, 1)
    assert Hold.objects.filter(appointment=kept, active=True).count() == 4


def test_it_never_moves_a_signed_or_charted_session(bookable_course, personas):
    booked = book(bookable_course, personas.front_desk)
    TreatmentSession.objects.filter(pk=booked[0].session_id).update(status="in_progress")
    with pytest.raises(ServiceError, match="being charted or has been signed"):
        session_move_options(
            appointment=booked[0], actor=personas.front_desk, new_start=local(2026, 12, 10, 9, 0)
        )
    TreatmentSession.objects.filter(pk=booked[0].session_id).update(status="signed", signed_at=NOW)
    with pytest.raises(ServiceError, match="signed: it cannot be cancelled"):
        appointment_cancel(appointment=booked[0], actor=personas.front_desk, reason="x", expected_version=1)


# ---- cancelling ---------------------------------------------------------------------------------


def test_it_cancels_an_appointment_and_frees_its_resources(bookable_course, personas):
    booked = book(bookable_course, personas.front_desk)
    cancelled = appointment_cancel(
        appointment=booked[2], actor=personas.practitioner, reason="  patient  unwell ", expected_version=1
    )
    row = Appointment.objects.get(pk=booked[2].pk)
    assert (row.status, row.cancelled_at, row.cancel_reason, row.sequence, row.version) == (
        "cancelled",
        NOW,
        "patient unwell",
        1,
        2,
    )
    assert cancelled.is_cancelled
    assert not Hold.objects.filter(appointment=row, active=True).exists()
    session = TreatmentSession.objects.get(pk=row.session_id)
    assert (session.visit_at, session.practitioner) == (None, None)
    assert set(Reminder.objects.filter(appointment=row).values_list("status", flat=True)) == {"cancelled"}
    assert AuditEvent.objects.filter(
        action="change",
        object_type="bookings.appointment",
        object_id=str(row.pk),
        summary__contains="patient unwell",
    ).exists()


def test_it_refuses_a_cancel_without_reason_twice_or_stale(bookable_course, personas):
    booked = book(bookable_course, personas.front_desk)
    with pytest.raises(ServiceError, match="Say why") as refused:
        appointment_cancel(appointment=booked[0], actor=personas.front_desk, reason="  ", expected_version=1)
    assert refused.value.field == "reason"
    with pytest.raises(StaleEdit):
        appointment_cancel(appointment=booked[0], actor=personas.front_desk, reason="ill", expected_version=2)
    assert Hold.objects.filter(appointment=booked[0], active=True).count() == 4
    appointment_cancel(appointment=booked[0], actor=personas.front_desk, reason="ill", expected_version=1)
    with pytest.raises(ServiceError, match="already cancelled"):
        appointment_cancel(appointment=booked[0], actor=personas.front_desk, reason="ill", expected_version=2)


def test_it_lets_another_course_take_a_cancelled_slot(bookable_course, personas, intake_a):
    booked = book(bookable_course, personas.front_desk)
    for a in booked:
        appointment_cancel(
            appointment=a, actor=personas.front_desk, reason="changed plans", expected_version=1
        )
    other = approved_course(personas, intake_a, personas.record_b)
    theirs = book(other, personas.front_desk)
    assert starts(theirs) == starts(booked)


# ---- the patient's preferences, kept with the course ----------------------------------------------


def test_it_keeps_the_patients_preferences_and_a_move_re_flows_onto_them(bookable_course, personas):
    from needlepoint.bookings.models import CoursePreferences

    found = options(bookable_course, personas.front_desk, weekdays=frozenset({0}), times=(AFTERNOONS,))
    booked = course_book(course=bookable_course, actor=personas.front_desk, token=found.best.token)
    kept = CoursePreferences.objects.get(course=bookable_course)
    assert (kept.weekdays, kept.times, kept.practitioner_id) == ([0], [[720, 1020, "afternoons"]], None)
    assert {a.starts_at.astimezone(LONDON).weekday() for a in booked} == {0}

    # Session 2 three weeks later: sessions 3 and 4 come too soon after it and re-flow, onto
    # Monday afternoons still (without the kept preferences, the earliest: Monday mornings).
    new = booked[1].starts_at + dt.timedelta(days=21)
    preview = session_move_options(appointment=booked[1], actor=personas.front_desk, new_start=new)
    assert preview.ok, preview.why_not
    later = [s for s in preview.sessions if s.number > 2]
    assert later and all(s.moves for s in later)
    for s in later:
        start = s.starts_at.astimezone(LONDON)
        assert start.weekday() == 0 and start.hour >= 12, start
    CoursePreferences.objects.filter(course=bookable_course).delete()
    anyday = session_move_options(appointment=booked[1], actor=personas.front_desk, new_start=new)
    assert all(s.starts_at.astimezone(LONDON).hour < 12 for s in anyday.sessions if s.number > 2)


def test_it_keeps_no_preference_when_none_was_given(bookable_course, personas):
    from needlepoint.bookings.models import CoursePreferences

    book(bookable_course, personas.front_desk)
    kept = CoursePreferences.objects.get(course=bookable_course)
    assert (kept.weekdays, kept.times, kept.practitioner_id) == ([], [], None)
    assert preferences_for([bookable_course])[bookable_course.pk] == Preferences()
