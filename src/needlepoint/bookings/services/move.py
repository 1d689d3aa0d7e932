"""Moving a booked session to a new time: a preview of the course with the later sessions
re-checked and re-flowed (`reflow_preview`), then the move applied exactly as previewed, all in
one transaction; and the writing a session booked again shares with it."""

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from needlepoint import scheduling
from needlepoint.accounts.models import User
from needlepoint.audit.services import audit_record
from needlepoint.bookings.core_adapter import appointment_type_core, location_zone
from needlepoint.bookings.models import ENDED, Appointment, AppointmentStatus, Hold
from needlepoint.bookings.services import ServiceError, StaleEdit
from needlepoint.bookings.services._common import (
    CHANGED,
    FIXED,
    SEARCH_AGAIN,
    database_settles,
    iso,
    local_today,
    sign,
    slot_payload,
    unsign,
)
from needlepoint.bookings.services.book import insert_holds, main_resource, schedule_session, sync_reminders
from needlepoint.bookings.services.preferences import preferences_for
from needlepoint.bookings.services.reflow_preview import (
    MovePreview,
    ReflowPreview,
    Row,
    booked_appointments,
    booked_slot,
    hold_order,
    session_number,
)
from needlepoint.bookings.services.search import course_request
from needlepoint.clinic.models import Course
from needlepoint.clinic.services import bump_version, gate, require_role
from needlepoint.words import human_date, human_when

MOVE_SALT = "bookings.move"


def check_movable(appointment: Appointment) -> None:
    """ServiceError unless `appointment` is a booked session of a course, not yet charted."""
    if appointment.status in ENDED:
        raise ServiceError(
            f"This appointment is {appointment.get_status_display().lower()}: book the "
            "session again instead.",
            field="appointment",
        )
    if appointment.status != AppointmentStatus.BOOKED:
        raise ServiceError(
            f"The patient has {appointment.get_status_display().lower()}: this visit cannot move.",
            field="appointment",
        )
    if appointment.course_id is None or appointment.session_id is None:
        raise ServiceError("Only a session of a booked course can be moved here.", field="appointment")
    if appointment.session is not None and appointment.session.status in FIXED:
        raise ServiceError(
            "This session is being charted or has been signed: it cannot move.", field="appointment"
        )


def session_move_options(*, appointment: Appointment, actor: User, new_start: dt.datetime) -> MovePreview:
    """Return what moving `appointment` to `new_start` does to its course: the moved session and
    every later one (kept, or re-flowed inside its window), with a token to confirm it; or why
    it cannot be done."""
    require_role(actor, doing="move a session")
    appointment = Appointment.objects.select_related("session").get(pk=appointment.pk)
    check_movable(appointment)
    if new_start.utcoffset() is None:
        raise ServiceError("Give the new time with its time zone.", field="new_start")
    audit_record(actor=actor, action="view", obj=appointment, summary="looked at moving the session")
    course = Course.objects.get(appointments=appointment)
    return _Move(course, appointment.pk, booked_appointments(course.pk)).preview(new_start, actor)


class _Move(ReflowPreview):
    """One move of one session of a booked course: the followers are the moved session and every
    booked one after it."""

    def __init__(self, course: Course, appointment_id: int, booked: list[Appointment]):
        self.course, self.booked, self.sessions = course, booked, len(booked)
        self.index = next(i for i, a in enumerate(booked) if a.pk == appointment_id) + 1
        self.followers = booked[self.index - 1 :]
        self.number = session_number(self.followers[0])
        self.location = self.followers[0].location
        self.zone = location_zone(self.location)
        self.core = appointment_type_core(self.followers[0].appointment_type)
        order = hold_order(self.core)
        self.slots = tuple(booked_slot(a, n, order) for n, a in enumerate(booked, 1))

    def blockers(self, day: dt.date) -> list[gate.Blocker]:
        return gate.course_blockers(self.course, gate.Step.MOVE, day=day, session=self.number or None)

    def course_booking(self, new_start: dt.datetime) -> scheduling.CourseBooking:
        kept = preferences_for([self.course])[self.course.pk]
        request = replace(
            course_request(self.course, self.core, kept, local_today(self.zone)), sessions=len(self.booked)
        )
        return scheduling.CourseBooking(request, self.slots)

    def token(self, sessions: Sequence[scheduling.SessionSlot], rows: Sequence[Row]) -> str:
        payload = {
            "course": self.course.pk,
            "appointment": self.followers[0].pk,
            "sessions": [
                {**slot_payload(new, session_number(a)), "appointment": a.pk, "version": a.version}
                for new, _, a in rows
            ],
        }
        return sign(payload, MOVE_SALT)


def session_move(
    *, appointment: Appointment, actor: User, token: str, expected_version: int
) -> list[Appointment]:
    """Apply the move previewed as `token`: every session that moves gets its new time and
    resources (old holds released, new ones held, SEQUENCE raised), all in one transaction.
    Returns the appointments that moved. StaleEdit when the appointment (or a later one)
    changed since the preview; BookingConflict when a slot was taken meanwhile."""
    require_role(actor, doing="move a session")
    data = unsign(token, MOVE_SALT, "new times")
    if data.get("appointment") != appointment.pk:
        raise ServiceError(f"This preview is for another session. {SEARCH_AGAIN}", field="token")
    with database_settles():
        return _apply_move(appointment, actor, data, expected_version)


def _apply_move(
    appointment: Appointment, actor: User, data: dict[str, Any], expected_version: int
) -> list[Appointment]:
    ids = [s["appointment"] for s in data["sessions"]]
    rows = {
        a.pk: a
        for a in Appointment.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related("session", "location")
    }
    if rows.get(appointment.pk) is None or rows[appointment.pk].version != expected_version:
        raise StaleEdit(
            "Someone else changed this appointment after you opened it. Reload the page to "
            "see their changes, then move it again.",
            field="version",
        )
    pairs = _unchanged_since_preview(rows, data["sessions"])
    moved_one = rows[appointment.pk]
    course = Course.objects.select_related("patient").get(appointments=moved_one)
    first = data["sessions"][0]
    day = dt.datetime.fromisoformat(first["start"]).astimezone(location_zone(moved_one.location)).date()
    gate.refuse(
        gate.course_blockers(course, gate.Step.MOVE, day=day, session=first["number"] or None),
        actor,
        field="",
    )
    moving = [(a, s) for a, s in pairs if moves(a, s)]
    for a, _ in moving:
        check_movable(a)
    Hold.objects.filter(appointment__in=[a for a, _ in moving], active=True).update(active=False)
    insert_holds(moving)
    moved = {a.pk for a, _ in moving}
    for a, s in pairs:
        if a.pk in moved:
            move_one(a, s, actor)
        else:
            rewindow(a, s, actor)
    sync_reminders([a for a, _ in moving], actor)
    return [a for a, _ in moving]


def _unchanged_since_preview(
    rows: dict[int, Appointment],
    sessions: list[dict[str, Any]],
) -> list[tuple[Appointment, dict[str, Any]]]:
    """Return (appointment, its new data) for each session of the preview; StaleEdit when one of
    them was changed or cancelled since."""
    pairs = []
    for data in sessions:
        row = rows.get(data["appointment"])
        if row is None or row.version != data["version"] or row.is_cancelled:
            raise StaleEdit(CHANGED, field="token")
        pairs.append((row, data))
    return pairs


def moves(appointment: Appointment, data: dict[str, Any]) -> bool:
    """True when a token's session `data` changes the appointment's time or holds."""
    current = {
        (h.resource, h.step, iso(h.starts_at), iso(h.ends_at)) for h in appointment.holds.filter(active=True)
    }
    wanted = {(h[0], h[3], h[4], h[5]) for h in data["holds"]}
    return (
        iso(appointment.starts_at) != data["start"]
        or iso(appointment.ends_at) != data["end"]
        or current != wanted
    )


def move_one(appointment: Appointment, data: dict[str, Any], actor: User) -> None:
    """Give the appointment its new time, resources and window (SEQUENCE raised: calendars
    update the event); its holds are written by the caller."""
    zone: zoneinfo.ZoneInfo = location_zone(appointment.location)
    before = human_when(appointment.starts_at, zone)
    changes = {
        "starts_at": dt.datetime.fromisoformat(data["start"]),
        "ends_at": dt.datetime.fromisoformat(data["end"]),
        "practitioner_id": main_resource(data["holds"], "practitioner"),
        "room_id": main_resource(data["holds"], "room"),
        "window_earliest": dt.date.fromisoformat(data["window"][0]),
        "window_latest": dt.date.fromisoformat(data["window"][1]),
        "sequence": appointment.sequence + 1,
    }
    bump_version(appointment, expected=appointment.version, **changes)
    audit_record(
        actor=actor,
        action="change",
        obj=appointment,
        summary=f"moved session {data['number']} from {before} to {human_when(appointment.starts_at, zone)}",
    )
    schedule_session(appointment, actor, zone)


def rewindow(appointment: Appointment, data: dict[str, Any], actor: User) -> None:
    """Record a kept session's new window: windows run between booked sessions, each following
    the booked session before it."""
    window = (dt.date.fromisoformat(data["window"][0]), dt.date.fromisoformat(data["window"][1]))
    if window == (appointment.window_earliest, appointment.window_latest):
        return
    Appointment.objects.filter(pk=appointment.pk).update(window_earliest=window[0], window_latest=window[1])
    appointment.window_earliest, appointment.window_latest = window
    audit_record(
        actor=actor,
        action="change",
        obj=appointment,
        summary=f"session {data['number']} kept; its window is now {human_date(window[0])} "
        f"to {human_date(window[1])}",
    )
