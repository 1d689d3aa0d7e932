"""Searching for a whole course: the core's request for a course's plan and the patient's
preferences, the earliest course that fits and a few alternatives, each a proposal signed so
that `book.course_book` books exactly what the front desk was shown."""

import datetime as dt
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.utils import timezone

from needlepoint import scheduling
from needlepoint.accounts.models import User
from needlepoint.audit.services import audit_record
from needlepoint.bookings.core_adapter import (
    appointment_type_core,
    appointment_type_for_course,
    calendar_for,
    location_zone,
    practitioner_resource,
    resource_pk,
)
from needlepoint.bookings.models import LIVE, Appointment, AppointmentType, Location
from needlepoint.bookings.services import ServiceError
from needlepoint.bookings.services._common import (
    BOOKABLE,
    default_location,
    local_today,
    past_is_busy,
    practitioner_message,
    resource_names,
    sign,
    slot_payload,
)
from needlepoint.bookings.services.preferences import Preferences
from needlepoint.clinic.models import Course, Decision
from needlepoint.clinic.services import gate, require_role
from needlepoint.clinic.services.screening import latest_screening

PROPOSAL_SALT = "bookings.proposal"


@dataclass(frozen=True)
class ProposedSession:
    """One session as proposed (or as it would be after a move), times aware in the clinic's zone."""

    number: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    practitioner_id: int | None
    practitioner_name: str
    room_id: int | None
    room_name: str
    window_earliest: dt.date
    window_latest: dt.date
    inside_window: bool
    moves: bool = False
    new: bool = False  # a session booked again: it had no time before


@dataclass(frozen=True)
class Proposal:
    sessions: tuple[ProposedSession, ...]
    token: str


@dataclass(frozen=True)
class CourseOptions:
    best: Proposal | None
    alternatives: tuple[Proposal, ...]
    why_not: tuple[str, ...]
    blockers: tuple[str, ...]


def course_booking_blockers(course: Course, *, first_day: dt.date | None = None) -> list[gate.Blocker]:
    """Return every reason the course cannot be booked now (none: it can): the safety gate's
    for booking, and a course already booked. `first_day`, when known, is the date of the first
    session: a deferral with a date blocks only a course starting before it (the search, which
    passes none, simply starts the course on or after that date). Say them with
    `gate.words(found, actor)`: the front desk never reads a finding."""
    found = gate.course_blockers(course, gate.Step.BOOK, day=first_day)
    if course.status in BOOKABLE and Appointment.objects.filter(course=course, status__in=LIVE).exists():
        words = "This course is already booked: move or cancel its sessions instead of booking it again."
        found.insert(
            0, gate.Blocker(gate.Code.ALREADY_BOOKED, words, words, "Your course is already booked.")
        )
    return found


def _earliest(course: Course, today: dt.date) -> dt.date:
    """The first day the course may start: after the screening's date (and any later
    deferral), the plan's first window and today."""
    plan = course.plan or {}
    days = [
        today,
        *_iso_dates(
            (plan.get("screening") or {}).get("earliest_date"),
            (plan.get("schedule") or [{}])[0].get("earliest"),
        ),
    ]
    latest = latest_screening(course.patient)
    if latest is not None and latest.earliest_date is not None and latest.decision == Decision.DEFER:
        days.append(latest.earliest_date)
    return max(days)


def _iso_dates(*texts: str | None) -> list[dt.date]:
    return [dt.date.fromisoformat(t) for t in texts if t]


def preparation_lead_days(plan: dict[str, Any]) -> int:
    """The days of preparation the plan asks before a session (its earliest care item, e.g.
    "avoid the sun for the 2 weeks before each session"): 0 when it asks none."""
    offsets = [int(c.get("offset_days", 0)) for c in plan.get("care", []) if isinstance(c, dict)]
    return max([0, *(-o for o in offsets)])


def course_request(
    course: Course,
    appointment: scheduling.AppointmentType,
    preferences: Preferences,
    today: dt.date,
    *,
    prepare: bool = False,
) -> scheduling.CourseRequest:
    """Return the core's request for the course's plan and the patient's preferences. With
    `prepare`, the first session leaves the patient the plan's preparation time from `today`
    (a new booking: the preparation reminders can then all be sent in time); a move or a new
    time for one session of a course already under way does not."""
    plan = course.plan or {}
    window = plan["sessions"]["interval_days"]
    earliest = _earliest(course, today)
    planned_latest = _iso_dates((plan.get("schedule") or [{}])[0].get("latest"))
    first_within = (
        (planned_latest[0] - earliest).days
        if planned_latest and planned_latest[0] >= earliest
        else int(window["max"]) - int(window["min"])
    )
    who = practitioner_resource(preferences.practitioner_id) if preferences.practitioner_id else None
    try:
        return scheduling.CourseRequest(
            appointment,
            int(plan["sessions"]["count"]),
            int(window["min"]),
            int(window["max"]),
            earliest,
            lead_days=preparation_lead_days(plan) if prepare else 0,
            requested_on=today,
            first_within_days=first_within,
            weekdays=frozenset(preferences.weekdays),
            times=tuple(preferences.times),
            practitioner=who,
            patient=str(course.patient_id),
        )
    except scheduling.SchedulingError as exc:
        raise ServiceError(exc.message, field=exc.field) from None


def request_days(request: scheduling.CourseRequest) -> tuple[dt.date, dt.date]:
    """The local days [start, end) a search for `request` can touch."""
    span = request.first_within_days + (request.sessions - 1) * request.interval_max + 1
    return request.first_day, request.first_day + dt.timedelta(days=span)


def course_options(
    *,
    course: Course,
    actor: User,
    preferences: Preferences,
    location: Location | None = None,
    today: dt.date | None = None,
    alternatives: int = 3,
) -> CourseOptions:
    """Return the earliest whole course for `course` and up to `alternatives` others, or why
    none fits; or only the blockers when the course cannot be booked. Reading the course is
    audited."""
    require_role(actor, doing="book a course")
    audit_record(actor=actor, action="view", obj=course, summary="looked for booking options")
    blockers = course_booking_blockers(course)
    if blockers:
        return CourseOptions(None, (), (), tuple(gate.words(blockers, actor)))
    location = default_location(location)
    type_row = appointment_type_for_course(course)
    zone = location_zone(location)
    request = course_request(
        course, appointment_type_core(type_row), preferences, today or local_today(zone), prepare=True
    )
    start, end = request_days(request)
    calendar = past_is_busy(calendar_for(location=location, start=start, end=end), timezone.now())
    try:
        found = scheduling.search(request, calendar, alternatives=alternatives)
    except scheduling.SchedulingError as exc:
        raise ServiceError(practitioner_message(exc), field=exc.field) from None
    if found.course is None:
        return CourseOptions(None, (), found.why_not, ())
    sign_one = partial(
        proposal_sign,
        course=course,
        location=location,
        type_row=type_row,
        names=resource_names(calendar),
        preferences=preferences,  # kept with the course when it is booked
    )
    return CourseOptions(sign_one(found.course), tuple(sign_one(c) for c in found.alternatives), (), ())


def proposal_sign(
    booking: scheduling.CourseBooking,
    *,
    course: Course,
    location: Location,
    type_row: AppointmentType,
    names: dict[str, str],
    preferences: Preferences | None = None,
) -> Proposal:
    """The core's course as a proposal: its sessions with names, and a token of every session's
    time and resources (and the `preferences` searched with, kept with the course once booked)."""
    sessions = tuple(proposed_session(s, s.number, names) for s in booking.sessions)
    payload = {
        "course": course.pk,
        "version": course.version,
        "location": location.pk,
        "type": type_row.pk,
        "sessions": [slot_payload(s, s.number) for s in booking.sessions],
    }
    if preferences is not None:
        payload["preferences"] = preferences.to_payload()
    return Proposal(sessions, sign(payload, PROPOSAL_SALT))


def proposed_session(
    slot: scheduling.SessionSlot, number: int, names: dict[str, str], moves: bool = False, new: bool = False
) -> ProposedSession:
    """One session of the core's as the front desk reads it, with its people's and room's names."""
    return ProposedSession(
        number=number,
        starts_at=slot.start,
        ends_at=slot.end,
        practitioner_id=resource_pk(slot.practitioner),
        practitioner_name=names.get(slot.practitioner or "", ""),
        room_id=resource_pk(slot.room),
        room_name=names.get(slot.room or "", ""),
        window_earliest=slot.earliest,
        window_latest=slot.latest,
        inside_window=slot.inside_window,
        moves=moves,
        new=new,
    )
