"""A visit as the clinic runs it: booked → arrived → attended, no-show, cancelled (late inside the
clinic's notice period); who may mark what and when; what the database refuses; what each
status does to the visit's resources and messages.

Time starts frozen on Wednesday 25 November 2026, 09:00 in London (GMT); the fixture course's
first session is booked for Wednesday 9 December 2026 at 09:00 (numbing), treatment at 09:30.
British summer time starts on Sunday 28 March 2027 at 01:00 UTC."""

import datetime as dt
from typing import Any

import pytest
import time_machine
from booking_helpers import LONDON, NOW, local
from django.db import IntegrityError, transaction

from needlepoint.audit.models import AuditEvent
from needlepoint.bookings.core_adapter import calendar_for
from needlepoint.bookings.models import Appointment, Hold, Reminder
from needlepoint.bookings.services import ServiceError, StaleEdit
from needlepoint.bookings.services.cancel import appointment_cancel
from needlepoint.bookings.services.rebook import session_rebook_window
from needlepoint.bookings.services.reminder_plan import DAY_BEFORE
from needlepoint.bookings.services.reminders import reminders_sync
from needlepoint.bookings.services.visits import appointment_arrive, appointment_attended, appointment_no_show
from needlepoint.clinic.models import TreatmentSession

FIRST = local(2026, 12, 9, 9, 0)


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def fresh(a: Appointment) -> Appointment:
    return Appointment.objects.get(pk=a.pk)


def test_it_books_the_first_session_where_these_tests_expect_it(booked):
    assert booked[0].starts_at == FIRST


# ---- arrived --------------------------------------------------------------------------------------


def test_it_marks_the_patient_arrived_on_the_day_and_audits_it(booked, personas, frozen):
    frozen.move_to(local(2026, 12, 9, 8, 50))
    first = appointment_arrive(appointment=booked[0], actor=personas.front_desk, expected_version=1)
    assert (first.status, first.arrived_at, first.version) == ("arrived", local(2026, 12, 9, 8, 50), 2)
    assert AuditEvent.objects.filter(
        object_type="bookings.appointment", object_id=str(first.pk), summary="patient arrived at 08:50"
    ).exists()


def test_it_refuses_arrived_for_a_future_day_or_a_day_gone_by(booked, personas, frozen):
    with pytest.raises(ServiceError) as early:
        appointment_arrive(appointment=booked[0], actor=personas.front_desk)
    assert "is on Wednesday 9 December 2026" in early.value.message
    frozen.move_to(local(2026, 12, 10, 9, 0))
    with pytest.raises(ServiceError) as late:
        appointment_arrive(appointment=booked[0], actor=personas.front_desk)
    assert "was on Wednesday 9 December 2026" in late.value.message
    assert fresh(booked[0]).status == "booked"


def test_it_refuses_a_patient_marking_themself_arrived(booked, personas, frozen):
    frozen.move_to(local(2026, 12, 9, 8, 50))
    with pytest.raises(ServiceError, match="Only the clinic's staff"):
        appointment_arrive(appointment=booked[0], actor=personas.patient_a)
    assert fresh(booked[0]).status == "booked"


def test_it_refuses_a_stale_copy(booked, personas, frozen):
    frozen.move_to(local(2026, 12, 9, 8, 50))
    with pytest.raises(StaleEdit):
        appointment_arrive(appointment=booked[0], actor=personas.front_desk, expected_version=7)


def test_it_takes_the_day_in_the_clinics_zone_across_the_change_to_summer_time(booked, personas, frozen):
    # 00:30 BST on Monday 29 March 2027 is 23:30 UTC on Sunday 28 March (BST from 28 March, 01:00 UTC).
    late_night = booked[0]
    Appointment.objects.filter(pk=late_night.pk).update(
        starts_at=dt.datetime(2027, 3, 28, 23, 30, tzinfo=dt.UTC),
        ends_at=dt.datetime(2027, 3, 29, 1, 0, tzinfo=dt.UTC),
    )
    frozen.move_to(dt.datetime(2027, 3, 28, 22, 50, tzinfo=dt.UTC))  # 23:50 BST on the 28th: the day before
    with pytest.raises(ServiceError, match="is on Monday 29 March 2027"):
        appointment_arrive(appointment=late_night, actor=personas.front_desk)
    frozen.move_to(dt.datetime(2027, 3, 28, 23, 10, tzinfo=dt.UTC))  # 00:10 BST on the 29th: the day
    assert appointment_arrive(appointment=late_night, actor=personas.front_desk).status == "arrived"


# ---- no-show --------------------------------------------------------------------------------------


def test_it_refuses_a_no_show_before_the_visit_has_started(booked, personas, frozen):
    frozen.move_to(local(2026, 12, 9, 8, 59))
    with pytest.raises(ServiceError, match="only once that time has passed"):
        appointment_no_show(appointment=booked[0], actor=personas.front_desk)


def test_it_records_a_no_show_keeps_its_holds_and_frees_the_session_for_a_new_time(
    booked, bookable_course, personas, frozen
):
    frozen.move_to(local(2026, 12, 9, 9, 20))
    missed = appointment_no_show(appointment=booked[0], actor=personas.front_desk)
    assert (missed.status, missed.no_show_at) == ("no_show", local(2026, 12, 9, 9, 20))
    assert Hold.objects.filter(appointment=missed, active=True).count() == 4  # the time was set aside
    assert not Reminder.objects.filter(appointment=missed, status="scheduled").exists()
    session = TreatmentSession.objects.get(pk=missed.session_id)
    assert session.visit is None and session.practitioner is None
    window = session_rebook_window(course=bookable_course, session=session)
    assert window.cancelled == missed  # what happened to the old time is shown with the new one


def test_it_refuses_a_no_show_once_the_patient_has_arrived(booked, personas, frozen):
    frozen.move_to(local(2026, 12, 9, 8, 55))
    appointment_arrive(appointment=booked[0], actor=personas.front_desk)
    frozen.move_to(local(2026, 12, 9, 9, 20))
    with pytest.raises(ServiceError, match="already marked arrived: it cannot be marked as not attended"):
        appointment_no_show(appointment=booked[0], actor=personas.front_desk)


# ---- attended (signing the chart) ------------------------------------------------------------------


def test_it_marks_the_visit_attended_and_cancels_the_messages_before_it(booked, personas, frozen):
    first = booked[0]
    session = TreatmentSession.objects.get(pk=first.session_id)
    assert Reminder.objects.get(appointment=first, code=DAY_BEFORE).status == "scheduled"
    frozen.move_to(local(2026, 12, 8, 8, 0))  # a day early: it has not happened
    with pytest.raises(ServiceError, match="before it has happened"):
        appointment_attended(session=session, actor=personas.practitioner)
    frozen.move_to(local(2026, 12, 9, 10, 5))  # the treatment finished early
    attended = appointment_attended(session=session, actor=personas.practitioner)
    assert (attended.status, attended.attended_at) == ("attended", local(2026, 12, 9, 10, 5))
    assert Reminder.objects.get(appointment=first, code=DAY_BEFORE).status == "cancelled"
    aftercare = Reminder.objects.get(appointment=first, kind="aftercare")
    assert aftercare.due_at == local(2026, 12, 9, 10, 35)  # from the real end, not the booked 10:30 + 30
    check_in = Reminder.objects.get(appointment=first, code="day-1")
    assert check_in.due_at.astimezone(LONDON).date() == dt.date(2026, 12, 10)
    assert reminders_sync(appointment=attended)  # a second sync changes nothing
    assert AuditEvent.objects.filter(object_id=str(first.pk), summary__startswith="attended").count() == 1


def test_it_refuses_the_front_desk_marking_a_visit_attended(booked, personas, frozen):
    frozen.move_to(local(2026, 12, 9, 10, 5))
    session = TreatmentSession.objects.get(pk=booked[0].session_id)
    with pytest.raises(ServiceError, match="Only the medical director or a practitioner"):
        appointment_attended(session=session, actor=personas.front_desk)
    assert fresh(booked[0]).status == "booked"


def test_it_leaves_a_session_without_an_appointment_alone(bookable_course, personas):
    session = TreatmentSession.objects.get(course=bookable_course, number=1)
    assert appointment_attended(session=session, actor=personas.practitioner) is None


def test_it_refuses_moving_or_cancelling_a_visit_that_has_been_attended(booked, personas, frozen):
    frozen.move_to(local(2026, 12, 9, 10, 5))
    attended = appointment_attended(
        session=TreatmentSession.objects.get(pk=booked[0].session_id), actor=personas.practitioner
    )
    with pytest.raises(ServiceError, match="recorded as attended"):
        appointment_cancel(
            appointment=attended, actor=personas.front_desk, reason="Asked", expected_version=attended.version
        )


# ---- cancelled, late or not -------------------------------------------------------------------------


def test_it_records_a_cancellation_inside_the_notice_period_as_late(booked, personas, frozen):
    frozen.move_to(FIRST - dt.timedelta(hours=23))
    late = appointment_cancel(
        appointment=booked[0], actor=personas.front_desk, reason="Unwell", expected_version=1
    )
    assert late.status == "late_cancellation" and late.is_cancelled
    assert not Hold.objects.filter(appointment=late, active=True).exists()
    on_time = appointment_cancel(
        appointment=booked[1], actor=personas.front_desk, reason="Away", expected_version=1
    )
    assert on_time.status == "cancelled"


def test_it_takes_the_notice_period_from_the_clinics_settings(booked, personas, frozen, settings):
    settings.NEEDLEPOINT_LATE_CANCEL_HOURS = 48
    frozen.move_to(FIRST - dt.timedelta(hours=47))
    late = appointment_cancel(
        appointment=booked[0], actor=personas.front_desk, reason="Unwell", expected_version=1
    )
    assert late.status == "late_cancellation"


# ---- what the database refuses, and double booking ----------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"status": "attended"},  # attended without its time
        {"status": "no_show"},
        {"status": "arrived"},
        {"status": "late_cancellation"},  # cancelled without its time
        {"status": "gone"},
        {"course": None},  # a course's session outside its course
    ],
)
def test_it_refuses_a_status_without_its_time_in_the_database(booked, changes):
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.filter(pk=booked[0].pk).update(**changes)


def test_it_frees_a_cancelled_visits_time_but_not_a_missed_ones(booked, personas, frozen, clinic):
    second = booked[1]
    appointment_cancel(appointment=second, actor=personas.front_desk, reason="Away", expected_version=1)
    assert not Hold.objects.filter(appointment=second, active=True).exists()
    frozen.move_to(local(2026, 12, 9, 9, 20))
    appointment_no_show(appointment=booked[0], actor=personas.front_desk)
    day = dt.date(2026, 12, 9)
    busy = calendar_for(location=clinic.location, start=day, end=day + dt.timedelta(days=1))
    paula = next(p for p in busy.practitioners if p.id == f"practitioner:{personas.practitioner.pk}")
    assert paula.busy  # the missed visit still holds its time
    Hold.objects.create(
        appointment=booked[2],
        resource=f"practitioner:{personas.practitioner.pk}",
        role="practitioner",
        kind="practitioner",
        step="treatment",
        starts_at=second.starts_at,
        ends_at=second.ends_at,
    )  # the freed time takes a booking
    with pytest.raises(IntegrityError), transaction.atomic():  # the missed one's does not
        hold = Hold.objects.filter(appointment=booked[0], role="practitioner").get()
        Hold.objects.create(
            appointment=booked[2],
            resource=hold.resource,
            role="practitioner",
            kind="practitioner",
            step="treatment",
            starts_at=hold.starts_at,
            ends_at=hold.ends_at,
        )
