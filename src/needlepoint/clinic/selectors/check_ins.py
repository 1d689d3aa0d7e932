"""A patient's check-ins in the portal: the days each session asks about and the aftercare
instructions of a course."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import F

from needlepoint.clinic.models import (
    CheckIn,
    Course,
    Patient,
    SessionStatus,
    TreatmentSession,
)
from needlepoint.clinic.services import clinic_today
from needlepoint.clinic.services.aftercare import CHECK_IN_DAYS, check_in_state, session_day


@dataclass(frozen=True)
class CheckInSlot:
    day: int
    due_on: dt.date
    state: str  # done | upcoming | due | overdue | closed
    check_in: CheckIn | None


@dataclass(frozen=True)
class SessionCheckIns:
    session: TreatmentSession
    date: dt.date | None
    slots: list[CheckInSlot]


def check_in_schedule(patient: Patient, *, today: dt.date | None = None) -> list[SessionCheckIns]:
    """Return the patient's signed sessions, newest first, each with its day 1/3/7 check-ins
    and their state. Two queries."""
    today = today or clinic_today()
    sessions = (
        TreatmentSession.objects.filter(patient=patient, status=SessionStatus.SIGNED)
        .select_related("course", "appointment")
        .prefetch_related("check_ins")
        .order_by(F("appointment__starts_at").desc(nulls_last=True), "-signed_at", "-id")
    )
    out = []
    for session in sessions:
        start = session_day(session)
        done = {c.day: c for c in session.check_ins.all()}
        slots = [
            CheckInSlot(
                day,
                start + dt.timedelta(days=day) if start else today,
                check_in_state(session, day, day in done, today),
                done.get(day),
            )
            for day in CHECK_IN_DAYS
        ]
        out.append(SessionCheckIns(session, start, slots))
    return out


def aftercare_instructions(course: Course) -> list[dict[str, Any]]:
    """Return the plan's care items for after a session: those from day 1 on, and those of
    day 0 that last some days (day-0 items without a duration happen before the needling)."""
    care = (course.plan or {}).get("care", [])
    return [
        c
        for c in care
        if c.get("code") != "check_in"
        and (c.get("offset_days", -1) > 0 or (c.get("offset_days") == 0 and c.get("duration_days")))
    ]
