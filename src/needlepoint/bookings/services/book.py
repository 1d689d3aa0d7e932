"""Booking a whole course as the front desk saw it proposed, and the writing every booking
shares: the course's sessions freed for booking, an appointment per session, its holds in one
order, the session given its practitioner, and the reminders brought in line."""

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence
from typing import Any

from needlepoint.accounts.models import User
from needlepoint.audit.services import audit_record
from needlepoint.bookings.core_adapter import location_zone, resource_pk
from needlepoint.bookings.models import ENDED, Appointment, AppointmentType, Hold, Location
from needlepoint.bookings.services import ServiceError
from needlepoint.bookings.services._common import FIXED, SEARCH_AGAIN, database_settles, unsign
from needlepoint.bookings.services.preferences import preferences_keep
from needlepoint.bookings.services.reminders import reminders_sync
from needlepoint.bookings.services.search import PROPOSAL_SALT, course_booking_blockers
from needlepoint.clinic.models import Course, SessionStatus, TreatmentSession
from needlepoint.clinic.services import gate, require_role, validated
from needlepoint.words import human_when


def course_book(*, course: Course, actor: User, token: str) -> list[Appointment]:
    """Book every session of `course` exactly as the proposal `token` showed them, all or
    nothing, and return the appointments; the preferences searched with are kept with the
    course. Refused: an old, damaged or foreign token or a course changed since (ServiceError),
    a blocker on the first session's day (Blocked), a slot taken meanwhile (BookingConflict)."""
    require_role(actor, doing="book a course")
    proposal = unsign(token, PROPOSAL_SALT, "proposed dates")
    if proposal.get("course") != course.pk:
        raise ServiceError(f"These dates were proposed for another course. {SEARCH_AGAIN}", field="token")
    with database_settles():
        return _book(course, actor, proposal)


def _book(course: Course, actor: User, proposal: dict[str, Any]) -> list[Appointment]:
    locked = Course.objects.select_for_update(of=("self",)).select_related("patient").get(pk=course.pk)
    if locked.version != proposal["version"]:
        raise ServiceError(
            f"The course has changed since these dates were proposed. {SEARCH_AGAIN}", field="token"
        )
    location, type_row = location_and_type(proposal)
    zone = location_zone(location)
    first = dt.datetime.fromisoformat(proposal["sessions"][0]["start"]).astimezone(zone).date()
    gate.refuse(course_booking_blockers(locked, first_day=first), actor, field="")
    sessions = planned_sessions(locked, [s["number"] for s in proposal["sessions"]], actor)
    appointments = [
        new_appointment(locked, sessions[s["number"]], s, type_row, location, actor)
        for s in proposal["sessions"]
    ]
    insert_holds(list(zip(appointments, proposal["sessions"], strict=True)))
    for appointment in appointments:
        schedule_session(appointment, actor, zone)
    preferences_keep(locked, proposal.get("preferences"))
    sync_reminders(appointments, actor)
    return appointments


def location_and_type(data: dict[str, Any]) -> tuple[Location, AppointmentType]:
    """Return the location and appointment type a token names; refused when either is gone."""
    location = Location.objects.filter(pk=data["location"]).first()
    type_row = AppointmentType.objects.filter(pk=data["type"]).first()
    if location is None or type_row is None:
        raise ServiceError(
            f"The clinic's location or session type has changed. {SEARCH_AGAIN}", field="token"
        )
    return location, type_row


def planned_sessions(course: Course, numbers: Sequence[int], actor: User) -> dict[int, TreatmentSession]:
    """Return the course's sessions `numbers`, each still open to booking, freed from any
    cancelled appointment that held it before: the link passes to the new appointment (until
    then a cancelled appointment keeps its session, and its calendar event its title)."""
    found = {
        s.number: s
        for s in TreatmentSession.objects.select_for_update().filter(course=course, number__in=numbers)
    }
    for number in numbers:
        session = found.get(number)
        if session is None or session.status in (*FIXED, SessionStatus.CANCELLED):
            raise ServiceError(
                f"Session {number} of this course is not open to booking any more. {SEARCH_AGAIN}",
                field="token",
            )
    for old in Appointment.objects.filter(session__in=found.values(), status__in=ENDED):
        Appointment.objects.filter(pk=old.pk).update(session=None)
        audit_record(
            actor=actor,
            action="change",
            obj=old,
            summary=f"{old.get_status_display().lower()} appointment released its session for a new booking",
        )
    return found


def new_appointment(
    course: Course,
    session: TreatmentSession,
    data: dict[str, Any],
    type_row: AppointmentType,
    location: Location,
    actor: User,
) -> Appointment:
    """Save the appointment of `session` as a token's session `data` has it (not yet its holds)."""
    holds = data["holds"]
    appointment = Appointment(
        patient=course.patient,
        course=course,
        session=session,
        appointment_type=type_row,
        location=location,
        starts_at=dt.datetime.fromisoformat(data["start"]),
        ends_at=dt.datetime.fromisoformat(data["end"]),
        practitioner_id=main_resource(holds, "practitioner"),
        room_id=main_resource(holds, "room"),
        window_earliest=dt.date.fromisoformat(data["window"][0]),
        window_latest=dt.date.fromisoformat(data["window"][1]),
        created_by=actor,
    )
    validated(appointment).save()
    audit_record(
        actor=actor,
        action="create",
        obj=appointment,
        summary=f"booked session {session.number} of course {course.pk} for "
        f"{human_when(appointment.starts_at, location_zone(location))}",
    )
    return appointment


def main_resource(holds: Sequence[Sequence[str]], role: str) -> int | None:
    """The id of the treating practitioner, or of the treatment room (the last hold of that role
    that is not a numbing chair), as SessionSlot defines them."""
    found = [h[0] for h in holds if h[1] == role and h[2] != "numbing"]
    return resource_pk(found[-1]) if found else None


def insert_holds(pairs: Iterable[tuple[Appointment, dict[str, Any]]]) -> None:
    """Insert the holds of each (appointment, session data), all together in (resource, start)
    order so that two bookings racing for the same resources wait on each other in one order."""
    rows = [
        Hold(
            appointment=a,
            resource=h[0],
            role=h[1],
            kind=h[2],
            step=h[3],
            starts_at=dt.datetime.fromisoformat(h[4]),
            ends_at=dt.datetime.fromisoformat(h[5]),
        )
        for a, data in pairs
        for h in data["holds"]
    ]
    rows.sort(key=lambda h: (h.resource, h.starts_at))
    Hold.objects.bulk_create([validated(row) for row in rows])


def schedule_session(appointment: Appointment, actor: User, zone: zoneinfo.ZoneInfo) -> None:
    """Give the session its appointment's practitioner (its time is the appointment's own);
    conditional: a session being charted or signed keeps its record."""
    session_id = appointment.session_id
    updated = (
        TreatmentSession.objects.filter(pk=session_id)
        .exclude(status__in=FIXED)
        .update(practitioner_id=appointment.practitioner_id)
        if session_id is not None
        else 0
    )
    if updated != 1:
        raise ServiceError(
            "This session is being charted or has been signed: its time cannot change.", field="session"
        )
    audit_record(
        actor=actor,
        action="change",
        obj=appointment.session,
        summary=f"scheduled for {human_when(appointment.starts_at, zone)}",
    )


def sync_reminders(appointments: Iterable[Appointment], actor: User) -> None:
    """Bring each appointment's reminders in line with its time (or its cancellation)."""
    for appointment in appointments:
        reminders_sync(appointment=appointment, actor=actor)
