"""What the booking services share: the database settling a race (`database_settles`), and the one
re-flow preview behind both a move and a session booked again (the calendar it reads, and a
later session that would change but is being charted).

Time is frozen on Wednesday 25 November 2026, 09:00 in London (GMT). The fixture course has 4
sessions 28-60 days apart, booked on Wed 9 Dec 2026, Wed 6 Jan, Wed 3 Feb and Wed 3 Mar 2027 at
09:00."""

import datetime as dt
from typing import Any

import pytest
import time_machine
from booking_helpers import NOW, local
from django.db import IntegrityError, OperationalError

from needlepoint.bookings.models import Appointment, Location
from needlepoint.bookings.services import BookingConflict
from needlepoint.bookings.services import reflow_preview as preview_module
from needlepoint.bookings.services._common import CONFLICT, database_settles
from needlepoint.bookings.services.cancel import appointment_cancel
from needlepoint.bookings.services.move import session_move_options
from needlepoint.bookings.services.rebook import session_rebook_options
from needlepoint.bookings.services.reflow_preview import CALENDAR_MARGIN_DAYS
from needlepoint.clinic.models import SessionStatus, TreatmentSession

CHARTED = "Session 3 is being charted or has been signed: it cannot move."


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def annexe() -> Location:
    return Location.objects.create(name="Annexe", time_zone="Europe/London", opening_hours="mon 09:00-17:00")


def test_a_constraint_error_in_the_block_is_a_409_conflict_and_nothing_of_the_block_is_saved(db):
    with pytest.raises(BookingConflict) as refused, database_settles():
        annexe()
        raise IntegrityError("two active holds of one resource overlap")
    assert (refused.value.message, refused.value.field, refused.value.http_status) == (CONFLICT, "token", 409)
    assert not Location.objects.filter(name="Annexe").exists()


def test_a_postgresql_deadlock_is_a_conflict_and_any_other_database_error_passes_through(db):
    class Deadlock(Exception):
        sqlstate = "40P01"

    deadlock = OperationalError("deadlock detected")
    deadlock.__cause__ = Deadlock()
    with pytest.raises(BookingConflict), database_settles():
        raise deadlock
    with pytest.raises(OperationalError, match="disk I/O error"), database_settles():
        raise OperationalError("disk I/O error")


def test_a_block_that_settles_returns_its_result_and_keeps_its_writes(db):
    with database_settles():
        created = annexe()
    assert Location.objects.get(name="Annexe") == created


def calendar_reads(monkeypatch: Any) -> list[dict[str, Any]]:
    """Record each calendar a preview reads (its location's days [start, end))."""
    reads: list[dict[str, Any]] = []
    real = preview_module.calendar_for

    def recording(**kwargs: Any) -> Any:
        reads.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(preview_module, "calendar_for", recording)
    return reads


def test_a_move_and_a_rebook_read_the_calendar_a_month_past_the_longest_reflow(
    booked, bookable_course, personas, monkeypatch
):
    reads = calendar_reads(monkeypatch)
    moved = session_move_options(
        appointment=booked[1], actor=personas.front_desk, new_start=local(2027, 2, 3, 10)
    )
    assert moved.ok
    longest = int(bookable_course.plan["sessions"]["interval_days"]["max"])
    last_booked = dt.date(2027, 3, 3)
    assert (reads[0]["start"], reads[0]["end"]) == (
        dt.date(2026, 11, 25),
        last_booked + dt.timedelta(days=longest * 4 + CALENDAR_MARGIN_DAYS),
    )
    assert set(reads[0]["ignore"]) == {a.pk for a in booked}

    appointment_cancel(appointment=booked[1], actor=personas.front_desk, reason="unwell", expected_version=1)
    session = TreatmentSession.objects.get(pk=booked[1].session_id)
    again = session_rebook_options(
        course=bookable_course, session=session, actor=personas.front_desk, new_start=local(2027, 2, 3, 10)
    )
    assert again.ok
    assert (reads[1]["start"], reads[1]["end"]) == (reads[0]["start"], reads[0]["end"])  # 3 booked + 1 new
    assert set(reads[1]["ignore"]) == {booked[0].pk, booked[2].pk, booked[3].pk}


def test_a_move_that_would_shift_a_session_being_charted_is_refused(booked, personas):
    TreatmentSession.objects.filter(pk=booked[2].session_id).update(status=SessionStatus.IN_PROGRESS)
    preview = session_move_options(
        appointment=booked[1], actor=personas.front_desk, new_start=local(2027, 2, 3, 10)
    )
    assert (preview.ok, preview.why_not, preview.token, preview.sessions) == (False, (CHARTED,), "", ())


def test_a_rebook_that_would_shift_a_session_being_charted_is_refused(booked, bookable_course, personas):
    appointment_cancel(appointment=booked[1], actor=personas.front_desk, reason="unwell", expected_version=1)
    TreatmentSession.objects.filter(pk=booked[2].session_id).update(status=SessionStatus.IN_PROGRESS)
    session = TreatmentSession.objects.get(pk=booked[1].session_id)
    preview = session_rebook_options(
        course=bookable_course, session=session, actor=personas.front_desk, new_start=local(2027, 2, 3, 10)
    )
    assert (preview.ok, preview.why_not, preview.token) == (False, (CHARTED,), "")


def test_a_session_being_charted_that_keeps_its_time_does_not_stop_a_move(booked, personas):
    TreatmentSession.objects.filter(pk=booked[2].session_id).update(status=SessionStatus.IN_PROGRESS)
    preview = session_move_options(
        appointment=booked[1], actor=personas.front_desk, new_start=local(2027, 1, 6, 10)
    )
    assert preview.ok, preview.why_not
    assert [(s.number, s.moves) for s in preview.sessions] == [(2, True), (3, False), (4, False)]
    assert preview.sessions[1].starts_at == Appointment.objects.get(pk=booked[2].pk).starts_at
