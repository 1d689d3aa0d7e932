"""A session's time lives on its appointment: `book_visit` gives a session one (with no
resources held), for tests that need a session at a given time without the booking search."""

import datetime as dt
from typing import Any


def book_visit(session: Any, when: dt.datetime, *, status: str = "booked", by: Any = None) -> Any:
    """Create the appointment of `session` starting at `when` (30 minutes of numbing, then an
    hour of treatment) at the clinic's location, made on the spot if there is none."""
    from needlepoint.bookings.models import AppointmentKind, AppointmentType, Location

    location, _ = Location.objects.get_or_create(name="Main clinic", defaults={
        "time_zone": "Europe/London", "opening_hours": "mon-sat 08:00-20:00"})
    kind, _ = AppointmentType.objects.get_or_create(code="microneedling", defaults={
        "name": "Microneedling session", "kind": AppointmentKind.TREATMENT, "numbing_minutes": 30,
        "minutes": 60})
    stamps = {"attended": {"attended_at": when + dt.timedelta(hours=1)},
              "arrived": {"arrived_at": when}, "no_show": {"no_show_at": when + dt.timedelta(hours=1)},
              "cancelled": {"cancelled_at": when - dt.timedelta(days=2)}}.get(status, {})
    return session.course.appointments.create(
        patient_id=session.patient_id, session=session, appointment_type=kind, location=location,
        starts_at=when, ends_at=when + dt.timedelta(minutes=90), status=status,
        practitioner=session.practitioner or by, created_by=by or session.course.created_by, **stamps)
