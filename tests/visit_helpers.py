"""Booking a session's visit for tests that chart it or score it.

A visit lives on its appointment: a session is re-screened, charted and signed only on the day of
its booked appointment (clinic's zone). `book_visit` creates the appointment row directly, at the
time given, for tests about charting and outcomes rather than about finding a free slot (the
booking services' own tests cover that). Use it with `time_machine` to travel to the day."""

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def london(*args: int) -> dt.datetime:
    """Return an aware datetime in the clinic's zone: london(2026, 12, 7, 10, 0)."""
    return dt.datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


def book_visit(
    session: Any, starts_at: dt.datetime, *, status: str = "booked", by: Any = None, minutes: int = 90
) -> Any:
    """Book `session` for `starts_at` (an appointment of `minutes`, arrival and numbing
    included; no resources held) at the clinic's first location, creating a location and a
    treatment type when the test has none. `status` may be booked, arrived, attended, no_show
    or cancelled, each with its time. Returns the appointment."""
    from needlepoint.bookings.models import Appointment, AppointmentKind, AppointmentType, Location

    location = Location.objects.order_by("pk").first() or Location.objects.create(
        name="Main clinic", time_zone="Europe/London", opening_hours="mon-sat 08:00-20:00"
    )
    kind = AppointmentType.objects.filter(kind=AppointmentKind.TREATMENT).order_by("pk").first()
    if kind is None:
        kind = AppointmentType.objects.create(
            code="microneedling",
            name="Microneedling session",
            kind=AppointmentKind.TREATMENT,
            numbing_minutes=30,
            minutes=60,
        )
    stamps = {
        "attended": {"attended_at": starts_at + dt.timedelta(hours=1)},
        "arrived": {"arrived_at": starts_at},
        "no_show": {"no_show_at": starts_at + dt.timedelta(hours=1)},
        "cancelled": {"cancelled_at": starts_at - dt.timedelta(days=2)},
    }.get(status, {})
    appointment = Appointment.objects.create(
        patient=session.patient,
        course=session.course,
        session=session,
        appointment_type=kind,
        location=location,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=minutes),
        status=status,
        practitioner=session.practitioner or by,
        created_by=by or session.course.created_by,
        **stamps,
    )
    session.refresh_from_db()
    return appointment
