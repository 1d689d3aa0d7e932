"""The database settles races: two active holds of one resource never overlap, so of many
bookings racing for the same times exactly one wins, whole, and every other gets the conflict
with nothing of its course left behind.

The threaded races need PostgreSQL (its exclusion constraint and real concurrent transactions);
each thread has its own connection and closes it at the end. The trigger tests run on both
databases (SQLite: a trigger inside the IMMEDIATE, serialised write transaction)."""

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from booking_helpers import approved_course
from django.db import IntegrityError, connection, connections, transaction
from test_services import options

from needlepoint.bookings.models import Appointment, Hold
from needlepoint.bookings.services import BookingConflict
from needlepoint.bookings.services.book import course_book
from needlepoint.clinic.models import VISIT_STATUSES, Course, Patient, TreatmentSession

ON_POSTGRES = connection.vendor == "postgresql"
postgres_only = pytest.mark.skipif(
    not ON_POSTGRES,
    reason="concurrent transactions need PostgreSQL; run with DATABASE_URL=$(./scripts/ensure-postgres.sh)",
)


def race(attempts: list[Callable[[], object]]) -> list[str]:
    """Run every attempt in its own thread, all released together; return "booked", "conflict"
    or the unexpected error of each."""
    barrier = threading.Barrier(len(attempts))
    results: list[str] = [""] * len(attempts)

    def run(i: int, attempt: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=60)
            attempt()
            results[i] = "booked"
        except BookingConflict:
            results[i] = "conflict"
        except Exception as exc:  # reported in the assertion, not lost in a thread
            results[i] = repr(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def patients(n: int) -> list[Patient]:
    return [
        Patient.objects.create(first_name=f"Pat{i}", last_name="Racer", birth_date=dt.date(1990, 1, 1))
        for i in range(n)
    ]


def booked_rows(course: Course) -> tuple[int, int, int]:
    """(appointments, holds, scheduled sessions) of `course`."""
    return (
        Appointment.objects.filter(course=course).count(),
        Hold.objects.filter(appointment__course=course).count(),
        TreatmentSession.objects.filter(course=course, appointment__status__in=VISIT_STATUSES).count(),
    )


def attempt(course: Course, actor: Any, token: str) -> Callable[[], object]:
    return lambda: course_book(course=course, actor=actor, token=token)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_it_lets_exactly_one_of_fifty_bookings_of_the_same_slot_win(personas, clinic, intake_a):
    courses = [approved_course(personas, intake_a, p) for p in patients(50)]
    tokens = [options(c, personas.front_desk).best.token for c in courses]
    first_sessions = {options(c, personas.front_desk).best.sessions[0].starts_at for c in courses[:3]}
    assert len(first_sessions) == 1  # they all want the same times

    results = race([attempt(c, personas.front_desk, t) for c, t in zip(courses, tokens, strict=True)])

    assert Counter(results) == {"booked": 1, "conflict": 49}, Counter(results)
    winner = courses[results.index("booked")]
    assert booked_rows(winner) == (4, 16, 4)
    assert all(booked_rows(c) == (0, 0, 0) for c in courses if c != winner)
    assert (Appointment.objects.count(), Hold.objects.count()) == (4, 16)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_it_gives_shared_slots_to_one_whole_course_when_two_race(personas, clinic, intake_a):
    for _ in range(3):
        Hold.objects.all().delete()
        Appointment.objects.all().delete()
        first, second = (approved_course(personas, intake_a, p) for p in patients(2))
        mine, theirs = options(first, personas.front_desk).best, options(second, personas.front_desk).best
        assert [s.starts_at for s in mine.sessions] == [s.starts_at for s in theirs.sessions]

        results = race(
            [
                attempt(first, personas.front_desk, mine.token),
                attempt(second, personas.front_desk, theirs.token),
            ]
        )

        assert sorted(results) == ["booked", "conflict"], results
        winner, loser = (first, second) if results[0] == "booked" else (second, first)
        assert booked_rows(winner) == (4, 16, 4)
        assert booked_rows(loser) == (0, 0, 0)


def test_it_refuses_an_overlapping_hold_inserted_directly(personas, clinic):
    start = dt.datetime(2026, 12, 9, 9, 0, tzinfo=dt.UTC)
    room = f"room:{clinic.consult_room.pk}"
    first, second = (
        Appointment.objects.create(
            patient=personas.record_a,
            appointment_type=clinic.consultation,
            location=clinic.location,
            starts_at=start,
            ends_at=start + dt.timedelta(minutes=30),
            created_by=personas.front_desk,
        )
        for _ in range(2)
    )
    Hold.objects.create(
        appointment=first,
        resource=room,
        role="room",
        kind="consult",
        step="consultation",
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=30),
    )
    with pytest.raises(IntegrityError, match="hold_no_overlap"), transaction.atomic():
        Hold.objects.create(
            appointment=second,
            resource=room,
            role="room",
            kind="consult",
            step="consultation",
            starts_at=start + dt.timedelta(minutes=15),
            ends_at=start + dt.timedelta(minutes=45),
        )
    cancelled = Hold.objects.create(
        appointment=second,
        resource=room,
        role="room",
        kind="consult",
        step="consultation",
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=30),
        active=False,
    )  # an inactive hold does not count
    with pytest.raises(IntegrityError, match="hold_no_overlap"), transaction.atomic():
        Hold.objects.filter(pk=cancelled.pk).update(active=True)
    touching = start + dt.timedelta(minutes=30)  # [09:30, 10:00) only touches [09:00, 09:30)
    Hold.objects.create(
        appointment=second,
        resource=room,
        role="room",
        kind="consult",
        step="consultation",
        starts_at=touching,
        ends_at=touching + dt.timedelta(minutes=30),
    )
    assert Hold.objects.filter(resource=room, active=True).count() == 2


def test_it_turns_the_databases_refusal_into_a_booking_conflict(bookable_course, personas, clinic):
    proposal = options(bookable_course, personas.front_desk).best
    first = proposal.sessions[0]
    room_holder = Appointment.objects.create(  # booked behind the search's back, straight into the table
        patient=personas.record_b,
        appointment_type=clinic.consultation,
        location=clinic.location,
        starts_at=first.starts_at,
        ends_at=first.ends_at,
        created_by=personas.front_desk,
    )
    Hold.objects.create(
        appointment=room_holder,
        resource=f"room:{first.room_id}",
        role="room",
        kind="treatment",
        step="consultation",
        starts_at=first.ends_at - dt.timedelta(minutes=5),
        ends_at=first.ends_at,
    )
    with pytest.raises(BookingConflict, match="Someone else has just booked one of these times"):
        course_book(course=bookable_course, actor=personas.front_desk, token=proposal.token)
    assert booked_rows(bookable_course) == (0, 0, 0)
    assert Hold.objects.count() == 1
